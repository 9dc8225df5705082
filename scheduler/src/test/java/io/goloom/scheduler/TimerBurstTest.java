package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A burst of timers larger than a run queue fires only as fast as the queue has room: the
 * goroutines the timers ready never spill to the global queue.
 *
 * <p>The interleaving to provoke: more timers come due at once than a P's ring holds (256), and
 * the P's M gets to them all in one check. Here with one P: 2,000 sleepers share one deadline,
 * and the only M runs a goroutine without a yield point until past it, as when the OS takes a
 * carrier's core for a few ms in a storm of sleepers (compare's sleep-lateness, 100,000 of them).
 * Before the bound, that one check fired all 2,000 into the ring, which spilled halves of itself
 * to the global queue (about 1,700 goroutines there); a P that keeps finding work locally
 * checks the global queue once per 61 schedules, so there they waited up to 160 ms in
 * sleep-lateness. Every woken sleeper reads the global queue's length: it must stay 0. Not a
 * timing assertion: with one P nothing else puts to the global queue here (no thief, no other
 * M; a preemption request can land only at a yield point, and the burst's goroutines have none
 * before their read).
 */
@Timeout(120)
class TimerBurstTest {

    private static final int SLEEPERS = 2_000;

    @Test
    void aBurstLargerThanTheRunQueueNeverSpillsToTheGlobalQueue() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            // The sleepers must all be parked on their timers before the shared deadline; on a
            // slow machine arming 2,000 may take longer than the margin: then try a larger one.
            for (long marginMs = 100; ; marginMs *= 4) {
                int[] seen = burst(rt, marginMs);
                if (seen == null) {
                    if (marginMs > 10_000) fail("could not arm " + SLEEPERS + " sleepers within 10 s");
                    continue;
                }
                System.out.println("TimerBurstTest: " + SLEEPERS + " sleepers due at once; the longest global queue a"
                        + " woken one saw: " + seen[0] + " (margin " + marginMs + " ms)");
                assertEquals(0, seen[0], "timers readied goroutines beyond the run queue's room: they spilled to"
                        + " the global queue");
                return;
            }
        }
    }

    /** One burst; the longest global queue a woken sleeper saw, or null if arming overran the deadline. */
    private static int[] burst(GoRuntime rt, long marginMs) throws Exception {
        AtomicInteger armed = new AtomicInteger();
        AtomicInteger woken = new AtomicInteger();
        AtomicInteger maxGlobal = new AtomicInteger();
        AtomicInteger armedLate = new AtomicInteger();
        rt.run(() -> {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(marginMs);
            for (int i = 0; i < SLEEPERS; i++) {
                Go.go(() -> {
                    long d = deadline - System.nanoTime();
                    if (d <= 0) {
                        armedLate.incrementAndGet();
                    }
                    armed.incrementAndGet();
                    Go.sleep(Duration.ofNanos(Math.max(1, d)));
                    maxGlobal.accumulateAndGet(rt.sched.runqsize, Math::max);
                    woken.incrementAndGet();
                });
            }
            while (armed.get() < SLEEPERS) {
                Go.yield(); // one P: when we run again, every sleeper that counted itself has parked
            }
            // No yield point from here to past the deadline: the only M holds the only P while
            // every timer comes due, so its next check finds all of them due at once.
            long until = deadline + TimeUnit.MILLISECONDS.toNanos(2);
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
            while (woken.get() < SLEEPERS) {
                Go.yield();
            }
        });
        return armedLate.get() > 0 ? null : new int[] {maxGlobal.get()};
    }
}
