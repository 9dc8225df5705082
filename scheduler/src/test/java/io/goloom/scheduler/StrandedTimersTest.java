package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A timer on a P whose M does not come back to the scheduler (a goroutine running without a
 * yield point, or an M the OS took the core from: on two cores, the JIT's compiler threads do
 * that for tens of milliseconds) fires on time from another M that is busy, not idle.
 *
 * <p>The interleaving to provoke: P_a's goroutine arms a 10 ms timer on P_a and then runs
 * 400 ms without a yield point, while P_b's M never runs out of work (a goroutine that
 * yields in a loop), so it never reaches the stealing pass (which runs other Ps' timers only when
 * its own queues are empty). Before the fix the timer fired when the hog ended (~400 ms late);
 * with it, P_b's M runs P_a's overdue timers from findRunnable.
 */
@Timeout(60)
class StrandedTimersTest {

    @Test
    void anOverdueTimerOfAHeldPFiresFromABusyM() throws Exception {
        AtomicLong lateMs = new AtomicLong(-1);
        try (GoRuntime rt = GoRuntime.create(2)) {
            rt.run(() -> {
                AtomicInteger running = new AtomicInteger();
                AtomicInteger stop = new AtomicInteger();
                Go.go(() -> {
                    running.incrementAndGet();
                    while (stop.get() == 0) {
                        Go.yield(); // its P's queue is never empty: its M never steals
                    }
                });
                // No yield point from here: the other M steals the yielder from this P.
                while (running.get() < 1) {
                    Thread.onSpinWait();
                }
                long armed = System.nanoTime();
                long due = armed + TimeUnit.MILLISECONDS.toNanos(10);
                Go.afterFunc(Duration.ofMillis(10), () -> lateMs.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - due)));
                long hogEnd = armed + TimeUnit.MILLISECONDS.toNanos(400);
                while (System.nanoTime() - hogEnd < 0) {
                    Thread.onSpinWait(); // holds P_a: no yield point
                }
                stop.set(1);
                while (lateMs.get() < 0) {
                    Go.yield();
                }
            });
        }
        System.out.println("StrandedTimersTest: the 10 ms timer fired " + lateMs.get() + " ms late");
        assertTrue(lateMs.get() < 200, "the timer waited for its P's M: " + lateMs.get() + " ms late");
    }
}
