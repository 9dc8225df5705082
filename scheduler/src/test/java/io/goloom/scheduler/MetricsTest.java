package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.testkit.Await;
import io.goloom.testkit.goroutines.AwaitParked;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GoRuntime.metrics() (issue 14): each counter moves for the workload that causes it, forced so
 * the count is certain. Preemptions and hand-offs by reason are checked where SysmonTest forces
 * them (a hog on the only P, a JDK blocking call and Go.blocking with work queued behind them).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsTest {

    @Test
    void stealsWhenTheOwnerNeverYields() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            int n = forceSteals(rt);
            Metrics m = rt.metrics();
            assertTrue(m.get(Metrics.STEALS) >= 1, m.toString());
            assertEquals(n + 1, m.get(Metrics.GOROUTINES_CREATED), m.toString());
        }
    }

    /**
     * A goroutine queues 64 goroutines on its P and spins without a yield point until all ran:
     * only other Ps, stealing, can run them. Returns how many it queued. Also used by the JFR and
     * flight-recorder tests.
     */
    static int forceSteals(GoRuntime rt) throws InterruptedException {
        int n = 64;
        CountDownLatch ran = new CountDownLatch(n);
        CountDownLatch ownerDone = new CountDownLatch(1);
        rt.go(() -> {
            for (int i = 0; i < n; i++) {
                Go.go(ran::countDown); // into this P's queue
            }
            // no yield point until all ran: only another P, stealing, can run them
            while (ran.getCount() > 0) {
                Thread.onSpinWait();
            }
            ownerDone.countDown();
        });
        assertTrue(ownerDone.await(30, TimeUnit.SECONDS));
        return n;
    }

    @Test
    void goroutinesByStateTimersAndTheMxBean() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().name("metricsbean").procs(2).build()) {
            Chan<Integer> c = new Chan<>();
            List<G> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiters.add(rt.go(c::receive));
            }
            for (G g : waiters) {
                AwaitParked.awaitParkedFromThread(g, WaitReason.CHAN_RECEIVE, Duration.ofSeconds(10));
            }
            CountDownLatch slept = new CountDownLatch(1);
            rt.go(() -> {
                Go.sleep(Duration.ofMillis(1));
                slept.countDown();
            });
            assertTrue(slept.await(30, TimeUnit.SECONDS));
            Metrics m = rt.metrics();
            assertEquals(3, m.get(Metrics.GOROUTINES_WAITING), m.toString());
            assertTrue(m.get(Metrics.GOROUTINES) >= 3, m.toString());
            assertEquals(2, m.get(Metrics.GOMAXPROCS));
            // The firing M adds to its P's counter after the fire returns, and the fire readied the
            // sleeper, which may count the latch down on the other P first: wait for the count.
            Await.awaitCondition("the sleep's timer counted", Duration.ofSeconds(10),
                    () -> rt.metrics().get(Metrics.TIMERS_FIRED) >= 1);
            assertTrue(m.get(Metrics.THREADS) >= 1, m.toString());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.get("/sched/nope"));
            assertTrue(e.getMessage().contains(Metrics.GOROUTINES_WAITING), e.getMessage());
            var server = ManagementFactory.getPlatformMBeanServer();
            TabularData t = (TabularData) server.getAttribute(rt.mxBeanName(), "Metrics");
            assertEquals(3L, t.get(new Object[] {Metrics.GOROUTINES_WAITING}).get("value"));
            assertEquals(2, server.getAttribute(rt.mxBeanName(), "Parallelism"));
            for (int i = 0; i < 3; i++) {
                c.send(i);
            }
        }
    }
}
