package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.Chan;
import io.goloom.testkit.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Timers inside the scheduler: Go.sleep, Timer, Ticker, after, afterFunc. "Never early" is a
 * correctness property and is asserted; how late is a benchmark's business, never asserted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TimersTest {

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void sleepersAllWakeAndNeverEarly(int procs) throws Exception {
        int n = 10_000;
        AtomicInteger early = new AtomicInteger();
        AtomicInteger woke = new AtomicInteger();
        try (GoRuntime rt = GoRuntime.create(procs)) {
            CountDownLatch done = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                long ms = 1 + ThreadLocalRandom.current().nextInt(50);
                rt.go(() -> {
                    long t0 = System.nanoTime();
                    Go.sleep(Duration.ofMillis(ms));
                    if (System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(ms)) {
                        early.incrementAndGet();
                    }
                    woke.incrementAndGet();
                    done.countDown();
                });
            }
            assertTrue(done.await(50, TimeUnit.SECONDS), "only " + woke.get() + " of " + n + " sleepers woke");
            assertEquals(0, early.get(), "sleepers woke before their deadline");
        }
    }

    /**
     * The timer sleeper's floor (Sleepers.timerWake): a deadline due already or sooner than the
     * floor waits for the floor, a later one is kept, "no timer" stays none; negative clock
     * readings included (System.nanoTime may be negative).
     */
    @Test
    void theTimerSleeperSleepsAtLeastItsFloor() {
        long min = Sleepers.MIN_TIMER_SLEEP_NANOS;
        long none = io.goloom.timers.TimerQueue.NONE;
        for (long now : new long[] {0, 123_456_789, -5_000, Long.MIN_VALUE + 10 * min, Long.MAX_VALUE - 10 * min}) {
            assertEquals(none, Sleepers.timerWake(none, now), "no timer");
            long[][] cases = {
                {now - min, now + min}, {now - 1, now + min}, {now, now + min}, // due already
                {now + 1, now + min}, {now + min - 1, now + min},                  // sooner than the floor
                {now + min, now + min}, {now + min + 1, now + min + 1}, {now + 5 * min, now + 5 * min},
            };
            for (long[] c : cases) {
                assertEquals(c[1], Sleepers.timerWake(c[0], now),
                        "earliest = now + " + (c[0] - now) + " ns, now = " + now);
            }
        }
    }

    @Test
    void zeroAndNegativeSleepReturnAtOnceAndSleepOnAPlainThreadWorks() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                Go.sleep(Duration.ZERO);
                Go.sleep(Duration.ofMillis(-5));
            });
        }
        long t0 = System.nanoTime();
        Go.sleep(Duration.ofMillis(2));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(2));
    }

    @Test
    void timerSendsOnceAndStopPreventsTheFire() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            rt.run(() -> {
                Timer fires = Go.newTimer(Duration.ofMillis(5));
                Instant at = fires.c().receive();
                assertNotNull(at);
                assertFalse(fires.stop(), "stop after the fire prevents nothing");

                Timer stopped = Go.newTimer(Duration.ofMillis(20));
                assertTrue(stopped.stop());
                assertFalse(stopped.stop(), "a second stop prevents nothing");
                // A later timer as the barrier: once it fired, the stopped one would have too.
                Go.after(Duration.ofMillis(40)).receive();
                assertNull(stopped.c().tryReceive(), "a stopped timer fired");

                Timer again = Go.newTimer(Duration.ofMillis(1));
                again.c().receive();
                assertFalse(again.reset(Duration.ofMillis(3)), "reset after the fire: was not pending");
                assertNotNull(again.c().receive(), "reset re-arms a fired timer");
                Timer moved = Go.newTimer(Duration.ofHours(1));
                assertTrue(moved.reset(Duration.ofMillis(2)), "reset of a pending timer");
                assertNotNull(moved.c().receive());
            });
        }
    }

    @Test
    void afterFuncRunsInItsOwnGoroutineAndStopCancelsIt() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            CountDownLatch ran = new CountDownLatch(1);
            AtomicLong ranIn = new AtomicLong(-1);
            AtomicBoolean cancelledRan = new AtomicBoolean();
            rt.run(() -> {
                long me = Go.id();
                Go.afterFunc(Duration.ofMillis(3), () -> {
                    ranIn.set(Go.id());
                    ran.countDown();
                });
                Timer cancelled = Go.afterFunc(Duration.ofMillis(10), () -> cancelledRan.set(true));
                assertNull(cancelled.c());
                assertTrue(cancelled.stop());
                Go.after(Duration.ofMillis(30)).receive(); // barrier past both deadlines
                assertNotEquals(me, ranIn.get());
            });
            assertTrue(ran.await(10, TimeUnit.SECONDS));
            assertTrue(ranIn.get() > 0, "afterFunc did not run in a goroutine");
            assertFalse(cancelledRan.get(), "a stopped afterFunc ran");
        }
    }

    @Test
    void tickerTicksAndDropsTicksForASlowReceiver() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            rt.run(() -> {
                Ticker t = Go.newTicker(Duration.ofMillis(2));
                Instant prev = t.c().receive();
                for (int i = 0; i < 10; i++) {
                    Instant now = t.c().receive();
                    assertFalse(now.isBefore(prev));
                    prev = now;
                }
                // A slow receiver: ten periods without receiving leave at most one tick queued.
                Go.sleep(Duration.ofMillis(20));
                assertTrue(t.c().len() <= 1, "ticks piled up: " + t.c().len());
                t.stop();
                t.c().tryReceive();
                Go.sleep(Duration.ofMillis(10));
                assertNull(t.c().tryReceive(), "a stopped ticker ticked");
                assertThrows(IllegalArgumentException.class, () -> Go.newTicker(Duration.ZERO));
            });
        }
    }

    /**
     * Go #38860: CPU-bound goroutines on every P must not keep a sleeper from waking. The hogs
     * have only cooperative yield points; sysmon sees the overdue timers and asks them to yield.
     */
    @Test
    void sleepersWakeWhileCpuBoundGoroutinesHogEveryP() throws Exception {
        int procs = 2;
        try (GoRuntime rt = GoRuntime.create(procs)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLongArray progress = new AtomicLongArray(procs * 2);
            CountDownLatch hogsDone = new CountDownLatch(procs * 2);
            for (int h = 0; h < procs * 2; h++) {
                int me = h;
                rt.go(() -> {
                    while (!stop.get()) {
                        progress.incrementAndGet(me);
                        Go.checkpoint();
                    }
                    hogsDone.countDown();
                });
            }
            CountDownLatch sleeperDone = new CountDownLatch(1);
            AtomicInteger iterations = new AtomicInteger();
            rt.go(() -> {
                for (int i = 0; i < 20; i++) {
                    Go.sleep(Duration.ofMillis(10));
                    iterations.incrementAndGet();
                }
                sleeperDone.countDown();
            });
            assertTrue(sleeperDone.await(40, TimeUnit.SECONDS), "sleeper stuck after " + iterations.get() + " wake-ups");
            for (int h = 0; h < procs * 2; h++) {
                assertTrue(progress.get(h) > 0, "hog " + h + " never ran");
            }
            stop.set(true);
            assertTrue(hogsDone.await(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aTimerArmedFromAPlainThreadWakesAnIdleRuntime() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            // let the runtime go fully idle first
            CountDownLatch warm = new CountDownLatch(1);
            rt.go(warm::countDown);
            assertTrue(warm.await(10, TimeUnit.SECONDS));
            Await.awaitCondition("idle", 10_000, () -> rt.sched.npidle() == 2);
            Chan<Instant> c = new Chan<>(1);
            rt.go(() -> Go.afterFunc(Duration.ofMillis(5), () -> c.trySend(Instant.now())));
            assertNotNull(c.receive()); // a plain thread blocks on the channel
        }
    }
}
