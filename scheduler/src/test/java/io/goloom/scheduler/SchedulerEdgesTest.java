package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitCondition;
import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.G;
import io.goloom.timers.TimerQueue;
import io.goloom.timers.TimerWheel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Edges settled after the review of issue #18: the P epoch never wraps, preemption requests
 * are withdrawn only where they are void, and close names the carrier threads it leaves behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SchedulerEdgesTest {

    /**
     * An M that kept a P's epoch across 2^29 acquireps of that P (it was blocked in a JDK call
     * all along) must not find the P its own again. With a 32-bit word (29-bit epoch) the two
     * words were equal and ownsP said yes: two Ms on one P.
     */
    @Test
    void anEpochThatWentRoundA29BitCounterIsNotOurs() {
        try (GoRuntime rt = GoRuntime.builder().procs(1).build()) {
            P pp = new P(0, 4, new TimerQueue(new TimerWheel(System.nanoTime())));
            M m = new M(rt.sched, 99); // never started: only its fields are used
            m.pEpoch = 5;
            pp.setStatus(5L << 3 | P.PRUNNING);
            assertTrue(Scheduler.ownsP(m, pp), "same epoch: ours");
            pp.setStatus((5L + (1L << 29)) << 3 | P.PRUNNING);
            assertFalse(Scheduler.ownsP(m, pp), "an epoch 2^29 acquireps later is not ours: " + pp);
            pp.setStatus((5L + (1L << 32)) << 3 | P.PRUNNING);
            assertFalse(Scheduler.ownsP(m, pp), "nor 2^32 later: " + pp);
        }
    }

    /**
     * A preemption request that reaches a G while it is parked (sysmon read a stale m.curg, or
     * the request landed after its last yield point and outlived the withdrawal) was made for a
     * run that is over: the G's next run must not start with it (Go's execute clears gp.preempt).
     */
    @Test
    void aStaleRequestIsWithdrawnWhenTheGoroutineRunsAgain() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(1).build()) {
            AtomicReference<Boolean> pendingOnResume = new AtomicReference<>();
            CountDownLatch resumed = new CountDownLatch(1);
            G g = rt.go(() -> {
                Go.park();
                pendingOnResume.set(Go.current().preemptRequested());
                resumed.countDown();
            });
            awaitParkedAndItsMDone(rt, g);
            assertTrue(g.requestPreempt(), "no request was pending");
            Go.unpark(g);
            assertTrue(resumed.await(30, TimeUnit.SECONDS));
            assertEquals(Boolean.FALSE, pendingOnResume.get(), "the goroutine resumed with a stale preemption request");
            assertFalse(g.preemptRequested());
        }
    }

    /**
     * A request that lands after a G's last yield point, just before it parks, is withdrawn by
     * its M once it sees the G parked (WAITING), so the process-wide request count does not
     * keep every checkpoint on its slow path while the G sleeps.
     */
    @Test
    void aRequestPendingWhenAGoroutineParksIsWithdrawn() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(1).build()) {
            G g = rt.go(() -> {
                Go.current().requestPreempt(); // as if sysmon asked after the last yield point
                Go.park();
            });
            awaitParkedAndItsMDone(rt, g);
            assertFalse(g.preemptRequested(), "a parked goroutine kept a preemption request");
            Go.unpark(g);
        }
    }

    /**
     * close() returns after its wait although a goroutine with no yield point still occupies its
     * carrier; the report names that thread and the goroutine, and the thread exits once the
     * goroutine ends.
     */
    @Test
    void closeNamesTheCarrierItLeavesRunning() throws Exception {
        GoRuntime rt = GoRuntime.builder().procs(1).name("edges-close").build();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch spinning = new CountDownLatch(1);
        rt.go("spinner", () -> {
            spinning.countDown();
            while (!stop.get()) {
                Thread.onSpinWait(); // no yield point
            }
        });
        assertTrue(spinning.await(30, TimeUnit.SECONDS));
        M carrier = rt.sched.allm().stream().filter(m -> m.curg() != null).findFirst().orElseThrow();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            rt.close();
        } finally {
            System.setErr(saved);
            stop.set(true);
        }
        String report = err.toString(StandardCharsets.UTF_8);
        assertTrue(report.contains("carrier thread(s) still run code that has not reached a yield point"), report);
        assertTrue(report.contains(carrier.getName() + " ["), report);
        assertTrue(report.contains("\"spinner\""), report);
        carrier.join(30_000);
        assertFalse(carrier.isAlive(), "the carrier did not exit after its goroutine ended");
    }

    /**
     * Waits until g is parked and the M that ran it has finished with it: with one P, another
     * goroutine can only run after that M's post-run code (it keeps the P until then).
     */
    private static void awaitParkedAndItsMDone(GoRuntime rt, G g) throws InterruptedException {
        awaitCondition("the goroutine parks", 30_000, () -> g.status() == G.WAITING);
        CountDownLatch next = new CountDownLatch(1);
        rt.go(next::countDown);
        assertTrue(next.await(30, TimeUnit.SECONDS));
    }
}
