package io.goloom.testapp;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.Select;
import io.goloom.core.WaitReason;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import io.goloom.testkit.goroutines.AwaitParked;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A deliberately stuck program, run in a child JVM by GoroutineDumpTest (a package outside
 * goloom's own, so its frames count as user frames): goroutines blocked on a channel, in a
 * select, in a sleep, one created by another goroutine, and a hog spinning with checkpoints.
 * Prints "READY" once every one of them is where it should be, then waits for stdin to close.
 */
public final class StuckProgram {

    static volatile boolean stop;

    public static void main(String[] args) throws Exception {
        GoRuntime rt = GoRuntime.builder().name(args.length > 0 ? args[0] : "stuck").procs(2).build();
        Chan<Integer> never = new Chan<>();
        Chan<Integer> a = new Chan<>(), b = new Chan<>();
        CountDownLatch hogging = new CountDownLatch(1);
        G receiver = rt.go("receiver", () -> receiveForever(never));
        G selector = rt.go("selector", () -> selectForever(a, b));
        G sleeper = rt.go("sleeper", () -> sleepForever());
        Chan<G> childOut = new Chan<>(1);
        G parent = rt.go("parent", () -> {
            childOut.send(Go.go(() -> receiveForever(never)));
            receiveForever(never);
        });
        rt.go("hog", () -> hog(hogging));
        hogging.await();
        Duration t = Duration.ofSeconds(30);
        AwaitParked.awaitParkedFromThread(receiver, WaitReason.CHAN_RECEIVE, t);
        AwaitParked.awaitParkedFromThread(selector, WaitReason.SELECT, t);
        AwaitParked.awaitParkedFromThread(sleeper, WaitReason.SLEEP, t);
        AwaitParked.awaitParkedFromThread(parent, WaitReason.CHAN_RECEIVE, t);
        G child = childOut.tryReceive();
        AwaitParked.awaitParkedFromThread(child, WaitReason.CHAN_RECEIVE, t);
        System.out.println("READY parent=" + parent.id + " child=" + child.id);
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the test closes our stdin
        }
        stop = true;
        rt.close();
    }

    static void receiveForever(Chan<Integer> c) {
        c.receive();
    }

    static void selectForever(Chan<Integer> a, Chan<Integer> b) {
        Select.of().recv(a).recv(b).run();
    }

    static void sleepForever() {
        Go.sleep(Duration.ofHours(1));
    }

    static void hog(CountDownLatch hogging) {
        hogging.countDown();
        long x = 0;
        while (!stop) {
            x += System.nanoTime() & 1;
            Go.checkpoint();
        }
        if (x == 42) {
            System.out.print("");
        }
    }
}
