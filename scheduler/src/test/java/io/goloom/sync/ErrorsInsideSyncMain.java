package io.goloom.sync;

import io.goloom.core.Chan;
import io.goloom.core.Mutex;
import io.goloom.core.Select;
import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The body of {@link ErrorsInsideSyncTest}, run in a child JVM: goroutines recurse through
 * channel, select and mutex operations until they overflow their stacks, so the
 * StackOverflowError strikes inside those operations at every depth. Afterwards every goroutine
 * must have ended and the same channels and mutex must still work. Prints one line per broken
 * round and exits 1, or prints "HELD ..." and exits 0. Args: rounds.
 */
public final class ErrorsInsideSyncMain {

    private static final Chan<Integer> BUFFERED = new Chan<>(4);
    private static final Chan<Integer> UNBUFFERED = new Chan<>();
    private static final Mutex MU = new Mutex();
    private static int sink;

    private ErrorsInsideSyncMain() {
    }

    /**
     * One level: a buffered send and receive, a mutex section, and every eighth level a
     * non-blocking select (which locks, and under contention parks on, the channel locks). Every
     * receive follows the same goroutine's send, so it finds a value however many others died.
     */
    private static int recurse(int n) {
        BUFFERED.send(n);
        MU.lock();
        sink += n;
        MU.unlock();
        BUFFERED.receive();
        if ((n & 7) == 0) {
            Select s = new Select();
            s.send(UNBUFFERED, n);
            s.recv(UNBUFFERED);
            s.orDefault();
            s.run();
        }
        return recurse(n + 1) + 1;
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        int goroutines = 4;
        for (int round = 0; round < rounds; round++) {
            AtomicInteger overflows = new AtomicInteger();
            StringBuffer others = new StringBuffer();
            try (GoRuntime rt = GoRuntime.builder().procs(2).deadlockDetection(false).panicHandler((g, t) -> {
                if (t instanceof StackOverflowError) {
                    overflows.incrementAndGet();
                } else {
                    others.append(t).append('\n');
                }
            }).build()) {
                for (int i = 0; i < goroutines; i++) {
                    rt.go(() -> recurse(0));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (rt.numGoroutine() > 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    Thread.yield();
                }
                if (rt.numGoroutine() > 0) {
                    fail(round, "goroutines left 60 s after they overflowed: " + rt.goroutines() + " chan=" + BUFFERED
                            + " mutex=" + MU);
                }
                if (overflows.get() != goroutines || others.length() > 0) {
                    fail(round, overflows.get() + " of " + goroutines + " goroutines ended in StackOverflowError; other panics: "
                            + others);
                }
                CountDownLatch done = new CountDownLatch(1);
                rt.go(() -> {
                    while (BUFFERED.tryReceive() != null) {
                        // drain what the dead goroutines left
                    }
                    BUFFERED.send(1);
                    BUFFERED.receive();
                    MU.lock();
                    MU.unlock();
                    done.countDown();
                });
                if (!done.await(30, TimeUnit.SECONDS)) {
                    fail(round, "channel or mutex unusable after a StackOverflowError inside it: chan=" + BUFFERED + " mutex="
                            + MU + " goroutines=" + rt.goroutines());
                }
            }
        }
        System.out.println("HELD " + rounds + " rounds x " + goroutines
                + " goroutines overflowing inside chan/select/mutex operations; all ended, chan and mutex still usable");
        System.exit(0);
    }

    private static void fail(int round, String what) {
        System.out.println("BROKEN round " + round + ": " + what);
        System.out.flush();
        Runtime.getRuntime().halt(1);
    }
}
