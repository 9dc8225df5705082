package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.G;
import io.goloom.testkit.Await;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The invariant check itself: it passes on a healthy runtime and catches each kind of broken
 * state it is meant to (state corrupted by hand in a stopped runtime, where nothing moves).
 * That it is wired in (every close in the module's tests runs it) and catches a real defect was
 * shown by planting one in the scheduler (a P that pidleput drops from every list): every
 * SyncIntegrationTest at procs >= 2 failed with "P1[idle ...] is neither on the idle list nor
 * dead in a stopped runtime".
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SchedInvariantsTest {

    /** A runtime that ran some goroutines and was closed (so its Ms have exited). */
    private static GoRuntime stoppedRuntime(int procs) throws Exception {
        GoRuntime rt = GoRuntime.create(procs);
        CountDownLatch done = new CountDownLatch(100);
        for (int i = 0; i < 100; i++) {
            rt.go(done::countDown);
        }
        assertTrue(done.await(30, TimeUnit.SECONDS));
        Await.awaitCondition("every P idle", 30_000, () -> rt.sched.npidle() == procs);
        rt.close(); // runs the check once (goloom.test), which must pass
        return rt;
    }

    private static G runnable(GoRuntime rt, long id) {
        G g = new G(id, () -> { }, rt.sched);
        g.markRunnable();
        return g;
    }

    private static void assertBroken(GoRuntime rt, String what) {
        AssertionError e = assertThrows(AssertionError.class, () -> SchedInvariants.check(rt.sched, true));
        assertTrue(e.getMessage().contains(what), () -> "expected \"" + what + "\" in: " + e.getMessage());
    }

    @Test
    void aHealthyStoppedRuntimePasses() throws Exception {
        GoRuntime rt = stoppedRuntime(4);
        assertDoesNotThrow(() -> SchedInvariants.check(rt.sched, true));
        assertDoesNotThrow(() -> SchedInvariants.check(rt.sched, false));
    }

    @Test
    void aGOnTwoQueuesIsCaught() throws Exception {
        GoRuntime rt = stoppedRuntime(2);
        G g = runnable(rt, 1_000_001);
        rt.sched.allgs.add(g);
        rt.sched.globrunqput(g);
        rt.sched.allp[1].runqput(g, false);
        assertBroken(rt, "G1000001 on two queues");
    }

    @Test
    void aCycleInTheGlobalQueueIsCaught() throws Exception {
        GoRuntime rt = stoppedRuntime(1);
        G g = runnable(rt, 1_000_002);
        rt.sched.globrunqput(g);
        rt.sched.globrunqput(g); // the tail links to itself
        assertBroken(rt, "G1000002 twice on the global queue");
    }

    @Test
    void aQueuedGThatIsNotRunnableIsCaught() throws Exception {
        GoRuntime rt = stoppedRuntime(1);
        G g = new G(1_000_003, () -> { }, rt.sched); // never marked runnable
        rt.sched.allgs.add(g);
        rt.sched.allp[0].runqput(g, false);
        assertBroken(rt, "G1000003 on P0");
    }

    @Test
    void aPInNoPlaceIsCaught() throws Exception {
        GoRuntime rt = stoppedRuntime(2);
        P pp = rt.sched.allp[1];
        pp.setStatus(P.epoch(pp.status()) << 3 | P.PRUNNING); // running, but no M holds it
        assertBroken(rt, "P1[running");
    }

    @Test
    void anIdlePWithWorkIsCaught() throws Exception {
        GoRuntime rt = stoppedRuntime(2);
        G g = runnable(rt, 1_000_004);
        rt.sched.allgs.add(g);
        rt.sched.allp[0].runqput(g, false); // P0 is on the idle list: every P was idle at close
        assertBroken(rt, "on the idle P list with m=nil and a non-empty run queue");
    }
}
