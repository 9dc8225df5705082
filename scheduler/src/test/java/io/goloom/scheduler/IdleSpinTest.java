package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.G;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An M that startm counted on to spin (the carrier bound: no idle M, so startm set
 * {@code needspinning} and woke the timer sleeper) takes that job and clears the flag, so the
 * idle path does not loop without sleeping.
 *
 * <p>The interleaving to provoke: a timer is pending, so an idle M sleeps as the timer sleeper
 * (not on the idle M list); a plain thread unparks a goroutine the moment it parks, which lands
 * the wake-up while the other M is still on its way to idle, so startm finds no idle M, sets
 * needspinning and wakes the sleeper. The sleeper must take the P and the spinning role. Before
 * the fix it took the P but left the flag set; its next visit to the idle path saw the flag
 * again (work left for an M without a P), took the P again without sleeping, and so on: 1.2 to
 * 1.7 million such rounds for 20,000 hand-offs, one carrier's whole CPU; 2 to 551 with it.
 */
@Timeout(120)
class IdleSpinTest {

    private static final int HANDOFFS = 20_000;

    @Test
    void aSleeperWokenForALeftSpinnerJobTakesItAndSleepsAgain() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            AtomicReference<Timer> pending = new AtomicReference<>();
            AtomicInteger parks = new AtomicInteger();
            CountDownLatch armed = new CountDownLatch(1);
            G g = rt.go(() -> {
                pending.set(Go.afterFunc(Duration.ofMinutes(10), () -> { })); // an idle M sleeps for it
                armed.countDown();
                for (int i = 0; i < HANDOFFS; i++) {
                    Go.park();
                    parks.incrementAndGet();
                }
            });
            armed.await();
            // This test's thread is the plain thread: it unparks g the moment g has parked.
            while (parks.get() < HANDOFFS) {
                if (g.status() == G.WAITING) {
                    Go.unpark(g);
                } else {
                    Thread.yield();
                }
            }
            pending.get().stop();
            long rounds = rt.sched.sleepers.tookWorkInsteadOfSleeping.sum();
            System.out.println("IdleSpinTest: " + HANDOFFS + " hand-offs from a plain thread, " + rounds
                    + " idle rounds that took work instead of sleeping");
            assertTrue(rounds < HANDOFFS, "the idle path looped without sleeping: " + rounds
                    + " rounds for " + HANDOFFS + " hand-offs (needspinning left set by an M that took the P)");
        }
    }
}
