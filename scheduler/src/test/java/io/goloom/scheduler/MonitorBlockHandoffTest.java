package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.Stress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sysmon hands off the P of an M blocked in a JDK call only after {@link Sysmon#JDK_BLOCK_NS}:
 * a carrier BLOCKED for a few hundred microseconds on a contended monitor (what a virtual
 * thread shows before the JDK unmounts it, or while the owner waits for a core) keeps its P,
 * while one blocked for 200 ms (many sysmon ticks, also at its 10 ms back-off) loses it.
 * One P, a goroutine always runnable behind the blocked
 * one (work waits for the P), the monitor held by the test's thread.
 */
@Timeout(120)
class MonitorBlockHandoffTest {

    /**
     * Sysmon's count of hand-offs from Ms blocked in JDK calls (a plain long sysmon writes;
     * read racily, so the long case below waits for it to move).
     */
    private static long handoffs(GoRuntime rt) {
        return rt.sched.sysmon.handoffsJdk;
    }

    /** Holds lock for holdNanos once a carrier of rt is BLOCKED on it; returns the hand-offs counted meanwhile. */
    private static long contend(GoRuntime rt, Object lock, long holdNanos) throws InterruptedException {
        long before = handoffs(rt);
        CountDownLatch done = new CountDownLatch(1);
        synchronized (lock) {
            rt.go(() -> {
                synchronized (lock) {
                    done.countDown();
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (rt.sched.allm().stream().noneMatch(m -> m.getState() == Thread.State.BLOCKED)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no carrier blocked on the monitor");
                }
                Thread.onSpinWait(); // not a sleep: the block must stay short
            }
            long until = System.nanoTime() + holdNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
        assertTrue(done.await(30, TimeUnit.SECONDS));
        return handoffs(rt) - before;
    }

    @Test
    void aShortMonitorBlockKeepsItsPAndALongOneLosesIt() throws Exception {
        int rounds = 50 * Stress.FACTOR;
        try (GoRuntime rt = GoRuntime.create(1)) {
            AtomicBoolean stop = new AtomicBoolean();
            rt.go(() -> {
                while (!stop.get()) {
                    Go.yield(); // always runnable: work waits whenever the P's M is blocked
                }
            });
            Object lock = new Object();
            try {
                long shortHandoffs = 0;
                for (int i = 0; i < rounds; i++) {
                    shortHandoffs += contend(rt, lock, 200_000);
                }
                System.out.println("MonitorBlockHandoffTest: " + shortHandoffs + " hand-offs for " + rounds
                        + " monitor blocks of ~200 us (two sysmon ticks, the old rule, handed off 24 of 50 on a loaded machine)");
                // A descheduled test thread can stretch a block past 1 ms on a busy machine.
                assertTrue(shortHandoffs <= rounds / 4, shortHandoffs + " hand-offs for " + rounds + " short blocks");
                long before = handoffs(rt);
                contend(rt, lock, 200_000_000); // many sysmon ticks, even at its 10 ms back-off
                io.goloom.testkit.Await.awaitCondition("the 200 ms block to be handed off", java.time.Duration.ofSeconds(10),
                        () -> handoffs(rt) > before);
            } finally {
                stop.set(true);
            }
        }
    }
}
