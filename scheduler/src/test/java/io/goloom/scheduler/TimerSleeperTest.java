package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.Await;
import io.goloom.timers.TimerQueue;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timer sleeper (Sleepers.sleepForTimers) does not spin on a due timer that it cannot run
 * because another M is firing that P's timers.
 *
 * <p>The interleaving to provoke: an M takes a P's timer lock to fire its due timers and the
 * OS takes the CPU from it (on a VM that puts both carriers on one vCPU, a wake-up it sends
 * while firing is enough). The idle M that sleeps for timers sees the earliest deadline past,
 * wakes at once, finds the lock taken (checkTimers skips the P), goes idle and comes back
 * without sleeping: a spin that, on a shared vCPU, keeps the lock's holder off the CPU until the
 * kernel's tick. Here the test thread plays the descheduled holder: it takes the lock of the P
 * that holds a due timer and keeps it for a 200 ms window while it counts the sleeper's rounds.
 *
 * <p>The sleeper sleeps at least {@link Sleepers#MIN_TIMER_SLEEP_NANOS} (100 us) even for a
 * timer already due. Only sysmon can wake it sooner here (its timer watch, at most once per
 * {@link Sysmon#TIMER_WATCH_NS}, wakes an M for overdue timers), so the window holds at most
 * window / floor + window / watch rounds (2,800): measured about 1,000. With the old rule (a
 * due timer: wake at once) the window held 26,000-136,000.
 */
@Timeout(60)
class TimerSleeperTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long WINDOW_NANOS = 200_000_000L;

    @Test
    void theTimerSleeperDoesNotSpinOnADueTimerThatAnotherMIsFiring() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            Scheduler s = rt.sched;
            CountDownLatch woke = new CountDownLatch(1);
            rt.go(() -> {
                Go.sleep(Duration.ofMillis(200)); // long enough for the test to take its P's lock first
                woke.countDown();
            });
            AtomicReference<P> holder = new AtomicReference<>();
            Await.awaitCondition("the sleeper's timer armed", WAIT, () -> {
                for (P p : s.allp) {
                    if (p.timers.earliestHint() != TimerQueue.NONE) {
                        holder.set(p);
                        return true;
                    }
                }
                return false;
            });
            P p = holder.get();
            // Take its timer lock as an M firing its timers does (its own M may hold it a moment).
            Await.awaitCondition("the timer lock taken", WAIT, p::tryLockTimers);
            long rounds;
            try {
                long due = p.timers.earliestHint();
                assertTrue(due != TimerQueue.NONE, "the 200 ms timer fired before the test took its P's lock");
                Await.awaitCondition("the timer due", WAIT, () -> System.nanoTime() - due >= 0);
                long from = s.sleepers.timerSleeps;
                long t0 = System.nanoTime();
                Await.awaitCondition("the end of the window", WAIT, () -> System.nanoTime() - t0 >= WINDOW_NANOS);
                rounds = s.sleepers.timerSleeps - from;
            } finally {
                p.unlockTimers();
            }
            assertTrue(woke.await(30, TimeUnit.SECONDS), "the sleeper's goroutine never woke after the lock was given back");
            long bound = WINDOW_NANOS / Sleepers.MIN_TIMER_SLEEP_NANOS + WINDOW_NANOS / Sysmon.TIMER_WATCH_NS;
            System.out.printf("TimerSleeperTest: %,d rounds of the timer sleeper in %d ms (bound %,d)%n",
                    rounds, WINDOW_NANOS / 1_000_000, bound);
            assertTrue(rounds <= bound, "the timer sleeper spun on a due timer whose P's timer lock another M holds: "
                    + rounds + " rounds in " + WINDOW_NANOS / 1_000_000 + " ms, at most " + bound + " expected");
        }
    }
}
