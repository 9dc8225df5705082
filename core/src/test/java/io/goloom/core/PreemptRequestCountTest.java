package io.goloom.core;

import io.goloom.testkit.Stress;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The process-wide count of pending preemption requests that {@link G#checkpoint()} reads first
 * must equal the number of goroutines whose flag is set, whatever mix of requests (sysmon) and
 * withdrawals (the G at a yield point, its M after it ran) races on the same flags. A count that
 * drifts above would put every checkpoint on its slow path for good; one that drifts below would
 * make checkpoints skip real requests. Scale: -Dgoloom.stress=N multiplies the rounds.
 */
class PreemptRequestCountTest {

    private static final int SCALE = Stress.FACTOR;

    @Test
    @Timeout(60)
    void theCountMatchesTheFlagsAfterRacingRequestsAndWithdrawals() throws Exception {
        TestSched sched = new TestSched();
        G[] gs = new G[16];
        for (int i = 0; i < gs.length; i++) {
            gs[i] = new G(i, () -> { }, sched);
        }
        int base = G.pendingPreemptRequests(); // other tests' goroutines may hold requests
        int threads = 4;
        int opsPerThread = 200_000 * SCALE;
        CyclicBarrier start = new CyclicBarrier(threads);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            long seed = t;
            ts[t] = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < opsPerThread; i++) {
                    G g = gs[rnd.nextInt(gs.length)];
                    if (rnd.nextBoolean()) {
                        g.requestPreempt();
                    } else {
                        g.clearPreempt();
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        int set = 0;
        for (G g : gs) {
            set += g.preemptRequested() ? 1 : 0;
        }
        assertEquals(base + set, G.pendingPreemptRequests());
        for (G g : gs) {
            g.clearPreempt();
        }
        assertEquals(base, G.pendingPreemptRequests());
    }
}
