package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.Await;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The carrier bound when a blocked carrier comes back: at most GOMAXPROCS carriers besides
 * the blocked ones, also while the carrier that came back stays busy. The interleaving: a
 * carrier blocks (sysmon hands its P off), a stand-in carrier runs work on that P and goes
 * idle beside the other one, then the blocked call ends and its goroutine keeps running
 * without a single yield point. Taking the idle P there would leave three carriers for two
 * Ps, the stand-in idle for as long as the goroutine runs; the carrier that came back must
 * retire instead (its goroutine goes to the global queue and an idle carrier runs it).
 */
class CarrierBoundTest {

    @Test
    void aCarrierBackFromABlockingCallRetiresWhenAStandInIsIdle() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch spinning = new CountDownLatch(1);
            rt.go(() -> {
                Go.blocking(() -> {
                    try {
                        assertTrue(release.await(60, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                });
                spinning.countDown();
                while (!stop.get()) {
                    Thread.onSpinWait(); // no yield point: the carrier that runs this stays busy
                }
            });
            try {
                Await.awaitCondition("sysmon to hand off the blocked carrier's P", Duration.ofSeconds(30),
                        () -> rt.blockedCarriers() == 1);
                // Two goroutines that run at the same time: both Ps busy, so besides the blocked
                // carrier two more exist (one of them the stand-in). Then both go idle.
                AtomicInteger arrived = new AtomicInteger();
                CountDownLatch done = new CountDownLatch(2);
                for (int i = 0; i < 2; i++) {
                    rt.go(() -> {
                        arrived.incrementAndGet();
                        while (arrived.get() < 2) {
                            Thread.onSpinWait();
                        }
                        done.countDown();
                    });
                }
                assertTrue(done.await(30, TimeUnit.SECONDS), "the two goroutines did not run side by side");
                assertEquals(3, rt.carrierCount(), "2 Ps + 1 blocked carrier");
                release.countDown();
                assertTrue(spinning.await(30, TimeUnit.SECONDS), "the goroutine did not come back from its blocking call");
                Await.awaitCondition("at most 2 carriers for 2 Ps once the blocked one came back (the goroutine is still running)",
                        Duration.ofSeconds(10), () -> rt.carrierCount() <= 2 && rt.blockedCarriers() == 0);
            } finally {
                stop.set(true);
                release.countDown();
            }
        }
    }
}
