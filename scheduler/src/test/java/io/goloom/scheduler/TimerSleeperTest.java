package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.Await;
import io.goloom.timers.TimerQueue;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two that watch timers from outside a P's own schedule do not spin or tick for nothing:
 * the timer sleeper (Sleepers.sleepForTimers) on a due timer that another M is firing, and
 * sysmon's timer watch on busy Ps that keep scheduling (the second test).
 *
 * <p>The timer sleeper. The interleaving to provoke: an M takes a P's timer lock to fire its due timers and the
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
    private static final long SYSMON_WINDOW_NANOS = 500_000_000L;

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
                rounds = countOver(WINDOW_NANOS, () -> s.sleepers.timerSleeps);
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

    /**
     * Sysmon's timer watch ticks every {@link Sysmon#TIMER_WATCH_NS} (250 us) only while a busy P
     * that has not scheduled since the last tick holds a pending timer; busy Ps with timers that
     * keep scheduling run their own checkTimers, and sysmon then ticks at most every
     * {@link Sysmon#TIMER_WATCH_SCHEDULING_NS} (2 ms).
     *
     * <p>The situation to provoke: a timer pending far in the future (as in a server with socket
     * timeouts, or 10,000 sleepers) on each of two Ps whose goroutines yield in a loop, so both Ps
     * are busy, schedule all the time, and nothing is ever overdue. Sysmon backs off: over a 500 ms
     * window it ticked 316-381 times. With the watch applied to every busy P with a pending timer,
     * it ticked every 250 us plus its own time, 1,448-1,504 times, and the test fails: its bound
     * is half the 250 us rate, 1,000.
     */
    @Test
    void busyPsThatKeepSchedulingDoNotKeepSysmonAtTheHostageWatch() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong yields = new AtomicLong();
            for (int i = 0; i < 2; i++) { // one per P: both Ps busy, both with a timer
                rt.go(() -> {
                    Timer far = Go.afterFunc(Duration.ofSeconds(60), () -> { }); // pending on this P, never due here
                    while (!stop.get()) {
                        yields.incrementAndGet();
                        Go.yield(); // this P schedules all the time
                    }
                    far.stop();
                });
            }
            Sysmon sm = rt.sched.sysmon;
            Await.awaitCondition("the yielder running", WAIT, () -> yields.get() > 1_000);
            long ticks = countOver(SYSMON_WINDOW_NANOS, () -> sm.ticks);
            stop.set(true);
            long bound = SYSMON_WINDOW_NANOS / Sysmon.TIMER_WATCH_NS / 2; // 1,000: measured 316-381; 1,448-1,504 with the old watch
            System.out.printf("TimerSleeperTest: %,d sysmon ticks in %d ms (bound %,d), %,d yields%n",
                    ticks, SYSMON_WINDOW_NANOS / 1_000_000, bound, yields.get());
            assertTrue(ticks <= bound, "sysmon kept its hostage watch for a P that schedules all the time: "
                    + ticks + " ticks in " + SYSMON_WINDOW_NANOS / 1_000_000 + " ms, at most " + bound + " expected");
        }
    }

    /**
     * How much {@code counter} grew over a window of {@code nanos}, timed by the clock (a
     * measurement, not a synchronisation). The test thread parks between its looks: spinning, it
     * would be one more busy thread on the cores, and an M kept off its core for a sysmon tick
     * makes its P look like a timer hostage.
     */
    private static long countOver(long nanos, LongSupplier counter) {
        long from = counter.getAsLong();
        long t0 = System.nanoTime();
        Await.awaitCondition("the end of the window", WAIT, () -> System.nanoTime() - t0 >= nanos,
                () -> LockSupport.parkNanos(1_000_000));
        return counter.getAsLong() - from;
    }
}
