package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.testkit.Stress;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Go 1.23's timer semantics (src/time/sleep.go, tick.go and their tests): a channel timer is
 * active until its value is received, Stop and Reset discard an unreceived value, and no value
 * of an earlier arming is received after they return; unreferenced timers and tickers can be
 * collected. Run at GOMAXPROCS 1, 2 and 4, stop and reset called from a plain thread (the test's)
 * and from goroutines.
 */
@Timeout(120)
class Go123TimerTest {

    private static final Duration HANG = Duration.ofSeconds(30);

    private static Timer newTimer(GoRuntime rt, Duration d) {
        Timer t = new Timer(rt.sched, new Chan<>(1), null);
        t.start(d);
        return t;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void aFiredUnreceivedTimerIsStillActiveForStopAndReset(int procs) {
        try (GoRuntime rt = GoRuntime.create(procs)) {
            Timer t = newTimer(rt, Duration.ofMillis(1));
            awaitCondition("the timer to fire", HANG, () -> t.c().len() == 1);
            assertTrue(t.stop(), "fired but not received: still active (Go 1.23)");
            assertNull(t.c().tryReceive(), "stop discards the unreceived value");
            assertFalse(t.stop(), "stopped already");

            Timer u = newTimer(rt, Duration.ofMillis(1));
            awaitCondition("the timer to fire", HANG, () -> u.c().len() == 1);
            assertTrue(u.reset(Duration.ofHours(1)), "reset of a fired, unreceived timer: it was active");
            assertNull(u.c().tryReceive(), "reset discards the old value");
            assertTrue(u.stop(), "pending again after the reset");

            Timer v = newTimer(rt, Duration.ofMillis(1));
            v.c().receive();
            assertFalse(v.stop(), "received: no longer active");
            Instant before = Instant.now();
            assertFalse(v.reset(Duration.ZERO));
            Instant fired = v.c().receive(); // reset(0) after a receive delivers again, not lost
            assertFalse(fired.isBefore(before), "a value of the new arming");
        }
    }

    /**
     * The race Go 1.23 closed: fires land just before, during and after stop(). Nobody
     * receives, so every stop() must find the timer active, and leave nothing in the channel.
     * Before 1.23's semantics a fire before the stop made it return false (or left the value).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void stopAfterResetIsAlwaysActiveAndLeavesNoValue(int procs) throws Exception {
        int rounds = 20_000 * Stress.FACTOR;
        try (GoRuntime rt = GoRuntime.create(procs)) {
            Timer t = newTimer(rt, Duration.ofHours(1));
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int firedBeforeStop = 0;
            for (int i = 0; i < rounds; i++) {
                t.reset(Duration.ofNanos(rnd.nextInt(30_000)));
                for (int spin = rnd.nextInt(2_000); spin > 0; spin--) {
                    Thread.onSpinWait();
                }
                if (t.c().len() == 1) {
                    firedBeforeStop++;
                }
                assertTrue(t.stop(), "round " + i + ": stop of an armed, never received timer returned false");
                assertNull(t.c().tryReceive(), "round " + i + ": a stale value after stop");
            }
            System.out.println("Go123TimerTest: procs=" + procs + ", " + firedBeforeStop + " of " + rounds
                    + " stops came after the fire");
            assertTrue(firedBeforeStop > 0, "no round had the fire before the stop: the race was not exercised");
        }
    }

    /**
     * No stale value, with a receiver running all the time: after stop #k returned, a value the
     * receiver gets must come from a later arming (fired after arming k+1 began).
     */
    @Test
    void aConcurrentReceiverNeverGetsAValueOfAStoppedArming() throws Exception {
        int rounds = 5_000 * Stress.FACTOR;
        try (GoRuntime rt = GoRuntime.create(2)) {
            Timer t = newTimer(rt, Duration.ofHours(1));
            AtomicLongArray armedAt = new AtomicLongArray(rounds + 2); // epoch nanos when arming k began
            AtomicInteger stopped = new AtomicInteger(-1); // the last arming whose stop returned
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong stale = new AtomicLong();
            AtomicInteger received = new AtomicInteger();
            rt.go(() -> {
                while (!done.get()) {
                    int s = stopped.get(); // read before the receive
                    Instant v = t.c().tryReceive();
                    if (v == null) {
                        Go.yield();
                        continue;
                    }
                    received.incrementAndGet();
                    long from = armedAt.get(s + 1);
                    long at = v.getEpochSecond() * 1_000_000_000L + v.getNano();
                    if (from == 0 || at < from) {
                        stale.incrementAndGet();
                    }
                }
            });
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int k = 0; k < rounds; k++) {
                Instant now = Instant.now();
                armedAt.set(k, now.getEpochSecond() * 1_000_000_000L + now.getNano());
                t.reset(Duration.ofNanos(rnd.nextInt(20_000)));
                for (int spin = rnd.nextInt(3_000); spin > 0; spin--) {
                    Thread.onSpinWait();
                }
                t.stop();
                stopped.set(k);
            }
            done.set(true);
            assertEquals(0, stale.get(), "values of a stopped arming received after its stop (" + received.get() + " received)");
        }
    }

    @Test
    void unreferencedTimersAndTickersAreCollected() {
        try (GoRuntime rt = GoRuntime.create(2)) {
            WeakReference<Chan<Instant>> timer = new WeakReference<>(newTimer(rt, Duration.ofHours(1)).c());
            WeakReference<Chan<Instant>> ticker = new WeakReference<>(new Ticker(rt.sched, Duration.ofMillis(1)).c());
            awaitCondition("the unreferenced timer and ticker to be collected", HANG, () -> {
                System.gc();
                return timer.get() == null && ticker.get() == null;
            });
            // A timer whose channel is referenced still fires.
            Chan<Instant> kept = newTimer(rt, Duration.ofMillis(5)).c();
            System.gc();
            kept.receive();
        }
    }

    @Test
    void afterFuncStopSaysWhetherItKeptFFromStarting() {
        try (GoRuntime rt = GoRuntime.create(2)) {
            AtomicInteger runs = new AtomicInteger();
            Timer t = new Timer(rt.sched, null, runs::incrementAndGet);
            t.start(Duration.ofHours(1));
            assertTrue(t.stop());
            assertFalse(t.stop());
            assertFalse(t.reset(Duration.ofMillis(1)), "stopped: not active");
            awaitCondition("f to run", HANG, () -> runs.get() == 1);
            assertFalse(t.stop(), "f started: too late");
            assertNull(t.c());
        }
    }
}
