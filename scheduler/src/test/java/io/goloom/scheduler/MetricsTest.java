package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.testkit.goroutines.AwaitParked;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GoRuntime.metrics() (issue 14): each counter moves for the workload that causes it. The
 * setups are SysmonTest's: each event is forced (a hog on the only P, a JDK blocking call with
 * work queued behind it, a G that never yields while its queue waits), so each count is certain.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsTest {

    @Test
    void preemptionRequestedAndHonoured() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(2);
            rt.go(() -> {
                while (!stop.get()) {
                    Go.checkpoint(); // only sysmon's request makes this yield
                }
                done.countDown();
            });
            rt.go(() -> {
                stop.set(true); // runs only once the hog was preempted
                done.countDown();
            });
            assertTrue(done.await(30, TimeUnit.SECONDS));
            Metrics m = rt.metrics();
            assertTrue(m.get(Metrics.PREEMPTIONS_REQUESTED) >= 1, m.toString());
            assertTrue(m.get(Metrics.PREEMPTIONS_HONOURED) >= 1, m.toString());
            assertEquals(2, m.get(Metrics.GOROUTINES_CREATED), m.toString());
        }
    }

    @Test
    void handoffsByReason() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            // blocked inside a JDK call, with work queued behind it: sysmon hands the P off
            CountDownLatch others = new CountDownLatch(10);
            CountDownLatch jdkDone = new CountDownLatch(1);
            rt.go(() -> {
                try {
                    others.await();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                jdkDone.countDown();
            });
            for (int i = 0; i < 10; i++) {
                rt.go(others::countDown);
            }
            assertTrue(jdkDone.await(30, TimeUnit.SECONDS));
            assertTrue(rt.metrics().get(Metrics.HANDOFFS_JDK_BLOCKED) >= 1, rt.metrics().toString());
            // in Go.blocking, with work queued behind it
            CountDownLatch others2 = new CountDownLatch(10);
            CountDownLatch blockingDone = new CountDownLatch(1);
            rt.go(() -> {
                Go.blocking(() -> {
                    try {
                        others2.await();
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                });
                blockingDone.countDown();
            });
            for (int i = 0; i < 10; i++) {
                rt.go(others2::countDown);
            }
            assertTrue(blockingDone.await(30, TimeUnit.SECONDS));
            assertTrue(rt.metrics().get(Metrics.HANDOFFS_SYSCALL) >= 1, rt.metrics().toString());
        }
    }

    @Test
    void stealsWhenTheOwnerNeverYields() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
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
            Metrics m = rt.metrics();
            assertTrue(m.get(Metrics.STEALS) >= 1, m.toString());
            assertEquals(n + 1, m.get(Metrics.GOROUTINES_CREATED), m.toString());
        }
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
            assertTrue(m.get(Metrics.TIMERS_FIRED) >= 1, m.toString());
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
