package io.goloom.scheduler;

import io.goloom.core.Carrier;
import io.goloom.core.Chan;
import io.goloom.core.G;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.internal.vm.Continuation;

/**
 * The program {@link PinnedReadyRaceTest} runs under a debugger (a child JVM): a goroutine parks
 * while pinned (its carrier blocks in LockSupport.park), and a plain thread named "waker" readies
 * it with a channel send. The test stops the waker where it reads {@code G.pinnedCarrier},
 * unparks the pinned carrier (a stale permit), waits until that carrier either runs on or parks
 * again, and only then lets the waker go on. Exit 0 if the goroutine ran once, on its carrier;
 * 1 if it was also handed to a run queue (another M tried to run it: a panic); 2 on a timeout.
 *
 * <p>The goroutine keeps its carrier (and so its P) busy until the end, so the one other P runs
 * the global queue in order: a wrongly queued goroutine runs (and panics) before the probe
 * goroutines that main queues after the waker returned. The probes finishing is the barrier.
 */
public final class PinnedReadyTarget {
    /** The pinned carrier; read by the test through JDI. */
    public static volatile Thread pinnedCarrier;
    /** The pinned goroutine; read by the test through JDI. */
    public static volatile G pinned;

    private static volatile boolean release;

    public static void main(String[] args) throws Exception {
        ConcurrentLinkedQueue<String> panics = new ConcurrentLinkedQueue<>();
        GoRuntime rt = GoRuntime.builder().procs(2).deadlockDetection(false)
                .panicHandler((g, t) -> panics.add(g + ": " + t)).build();
        Chan<Integer> ch = new Chan<>();
        CountDownLatch finished = new CountDownLatch(1);
        Thread[] resumedOn = new Thread[1];
        pinned = rt.go(() -> {
            pinnedCarrier = Carrier.current();
            Continuation.pin();
            try {
                ch.receive(); // cannot yield: parks the carrier (G.parkPinned)
            } finally {
                Continuation.unpin();
            }
            resumedOn[0] = Carrier.current();
            while (!release) {
                Thread.onSpinWait(); // hold this carrier and its P (no yield point)
            }
            finished.countDown();
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // Parked pinned: status WAITING and the carrier blocked in LockSupport.park.
        while (pinned.status() != G.WAITING || pinnedCarrier == null
                || pinnedCarrier.getState() != Thread.State.WAITING) {
            if (System.nanoTime() > deadline) {
                System.out.println("TIMEOUT: the goroutine never parked pinned: " + pinned);
                System.exit(2);
            }
            Thread.onSpinWait();
        }
        Thread waker = new Thread(() -> ch.send(1), "waker");
        waker.start();
        waker.join();
        int probes = 4;
        CountDownLatch probed = new CountDownLatch(probes);
        for (int i = 0; i < probes; i++) {
            rt.go(probed::countDown); // global queue, behind anything the waker queued
        }
        boolean probesRan = probed.await(20, TimeUnit.SECONDS);
        release = true;
        boolean done = finished.await(20, TimeUnit.SECONDS);
        System.out.println("pinned goroutine " + pinned + ", resumed on its carrier: "
                + (resumedOn[0] == pinnedCarrier) + ", probes ran: " + probesRan + ", finished: " + done
                + ", panics: " + panics);
        if (!panics.isEmpty() || resumedOn[0] != pinnedCarrier) {
            System.out.println("BUG: the pinned goroutine was also queued and run by another M");
            System.exit(1);
        }
        if (!probesRan || !done) {
            System.out.println("TIMEOUT");
            System.exit(2);
        }
        rt.close();
        System.out.println("OK: the pinned goroutine ran once, on its own carrier");
        System.exit(0);
    }
}
