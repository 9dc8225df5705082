package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitCondition;
import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.testkit.Stress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The thread limit (GoRuntime.Builder.maxThreads): reaching it must lose no goroutine and no P,
 * make no operation that took effect throw, kill no M, and be reported once. Each test first
 * drives the runtime to the limit deterministically (a goroutine blocked in a JDK call or
 * Go.blocking whose P sysmon hands off, with every other carrier busy), observed through the
 * scheduler's state, never through elapsed time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MaxThreadsTest {

    private static final int STRESS = Stress.FACTOR;

    /**
     * Issue #18 defect 2, one P: sysmon hands off the P of an M blocked in a JDK call while
     * ten goroutines wait in that P's run queue, and no M can be started for it. The P must stay
     * findable so the Gs run once the blocked M comes back.
     */
    @Test
    void aPHandedOffAtTheLimitKeepsItsRunQueueOneP() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(1).maxThreads(1).deadlockDetection(false).build()) {
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch children = new CountDownLatch(10);
            rt.go(() -> {
                for (int i = 0; i < 10; i++) {
                    Go.go(children::countDown); // into this P's runnext and ring
                }
                blocked.countDown();
                awaitUninterruptibly(gate); // a JDK blocking call: sysmon hands the P off
            });
            assertTrue(blocked.await(30, TimeUnit.SECONDS));
            P p0 = rt.sched.allp[0];
            awaitCondition("sysmon takes P0 from the blocked M", 30_000, () -> p0.state() == P.PIDLE);
            // sysmon sets PIDLE before handoffp: wait until its startm met the limit too, or a
            // carrier freed meanwhile takes the P from the idle M list and the limit is never hit
            awaitCondition("sysmon's hand-off to reach the thread limit", 30_000, () -> rt.threadLimitHits() >= 1);
            gate.countDown(); // the blocked goroutine ends; its M finds it lost its P
            assertTrue(children.await(30, TimeUnit.SECONDS),
                    "goroutines queued on the handed-off P never ran: " + (10 - children.getCount()) + "/10 ran, " + p0);
            assertHealthy(rt);
            assertReportedOnce(rt);
        }
    }

    /**
     * Defect 2, two Ps: the same hand-off while the other P runs a goroutine with no yield point.
     * When that goroutine ends, its M must take the stranded Gs (by stealing from the P that waits
     * for an M, or by taking that P before it parks) while the blocked M is still blocked. Before
     * the fix it spun forever in findRunnable's re-check (thieves skipped the idle P).
     */
    @Test
    void aPHandedOffAtTheLimitIsServedByTheNextFreeMTwoPs() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(2).maxThreads(2).deadlockDetection(false).build()) {
            AtomicBoolean stopHog = new AtomicBoolean();
            CountDownLatch hogRunning = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch children = new CountDownLatch(10);
            try {
                rt.go(() -> {
                    hogRunning.countDown();
                    while (!stopHog.get()) {
                        Thread.onSpinWait(); // no yield point
                    }
                });
                assertTrue(hogRunning.await(30, TimeUnit.SECONDS));
                AtomicInteger blockerP = new AtomicInteger(-1);
                rt.go(() -> {
                    for (int i = 0; i < 10; i++) {
                        Go.go(children::countDown);
                    }
                    blockerP.set(rt.sched.currentM().p.id);
                    blocked.countDown();
                    awaitUninterruptibly(gate);
                });
                assertTrue(blocked.await(30, TimeUnit.SECONDS));
                P pb = rt.sched.allp[blockerP.get()];
                awaitCondition("sysmon takes the blocked goroutine's P", 30_000, () -> pb.state() == P.PIDLE);
                awaitCondition("sysmon's hand-off to reach the thread limit", 30_000, () -> rt.threadLimitHits() >= 1);
                assertEquals(2, rt.sched.allm().size(), "both carriers exist: the limit");
                stopHog.set(true); // the hog's M is free now; the blocked M is still blocked
                assertTrue(children.await(30, TimeUnit.SECONDS),
                        "goroutines queued on the handed-off P never ran: " + (10 - children.getCount()) + "/10 ran, " + pb);
            } finally {
                stopHog.set(true);
                gate.countDown();
            }
            assertHealthy(rt);
            assertReportedOnce(rt);
        }
    }

    /**
     * Defect 3: at the limit, wakep (called by go, ready, resetspinning, timer wakers) threw
     * after the caller's G was queued. Here: one M blocked in Go.blocking with its P handed off,
     * the other running a goroutine with no yield point, and many go() calls from a plain thread,
     * then the hog's M drains the global queue (spinning, so resetspinning's wakep runs at the
     * limit too). No go() may throw, every goroutine runs exactly once, no M dies, no P is dead.
     */
    @Test
    void goAndResetspinningAtTheLimitNeitherThrowNorLoseGoroutines() throws Exception {
        int n = 20_000 * STRESS;
        try (GoRuntime rt = GoRuntime.builder().procs(2).maxThreads(2).deadlockDetection(false).build()) {
            AtomicBoolean stopHog = new AtomicBoolean();
            CountDownLatch gate = new CountDownLatch(1);
            try {
                driveToTheLimit(rt, gate, stopHog);
                AtomicInteger ran = new AtomicInteger();
                List<Throwable> thrown = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    try {
                        rt.go(ran::incrementAndGet);
                    } catch (RuntimeException e) {
                        thrown.add(e);
                    }
                    if (i == n / 4) {
                        stopHog.set(true); // from here the hog's M runs them, and goes idle and spins in between
                    }
                    if ((i & 255) == 0) {
                        Thread.yield(); // let that M drain, go idle and be woken again
                    }
                }
                assertEquals(List.of(), thrown, "go() threw after queueing its goroutine");
                awaitCondition("every goroutine ran (" + n + ")", 30_000, () -> ran.get() == n);
                gate.countDown();
                assertHealthy(rt);
                assertEquals(n, ran.get(), "a goroutine ran twice");
                assertReportedOnce(rt);
            } finally {
                stopHog.set(true);
                gate.countDown();
            }
        }
    }

    /**
     * Defect 3, the ready() side: a plain thread's channel send delivers its value to a parked
     * receiver and then readies it; at the limit the send threw although the value was delivered.
     * wakep called directly must neither throw nor leave the P off the idle list or nmspinning
     * raised.
     */
    @Test
    void aChannelSendAtTheLimitSucceedsAndWakepLeavesTheSchedulerConsistent() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(2).maxThreads(2).deadlockDetection(false).build()) {
            AtomicBoolean stopHog = new AtomicBoolean();
            CountDownLatch gate = new CountDownLatch(1);
            Chan<String> ch = new Chan<>();
            CountDownLatch received = new CountDownLatch(1);
            List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            try {
                G receiver = rt.go(() -> {
                    got.add(ch.receive());
                    received.countDown();
                });
                awaitCondition("the receiver parks", 30_000, () -> receiver.status() == G.WAITING);
                driveToTheLimit(rt, gate, stopHog);
                ch.send("v"); // delivered to the receiver, then ready -> wakep at the limit
                assertDoesNotThrow(rt.sched::wakep);
                assertEquals(1, rt.sched.npidle(), "wakep at the limit must put the P back on the idle list");
                assertEquals(0, rt.sched.nmspinning.get(), "wakep at the limit must give back its spinning count");
                stopHog.set(true);
                assertTrue(received.await(30, TimeUnit.SECONDS), "the readied receiver never ran");
                assertEquals(List.of("v"), got);
                gate.countDown();
                assertHealthy(rt);
                assertReportedOnce(rt);
            } finally {
                stopHog.set(true);
                gate.countDown();
            }
        }
    }

    /**
     * Defect 3 from a park commit: Go.sleep arms its timer in the commit, the timer waker calls
     * wakep, and at the limit that threw on the M's own stack: the M died with its P. Here one M
     * is in Go.blocking (P handed off) and the other runs a goroutine that sleeps repeatedly.
     */
    @Test
    void sleepingAtTheLimitKeepsItsM() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(2).maxThreads(2).deadlockDetection(false).build()) {
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch inCall = new CountDownLatch(1);
            CountDownLatch blockerDone = new CountDownLatch(1);
            try {
                rt.go(() -> {
                    Go.blocking(() -> {
                        inCall.countDown();
                        awaitUninterruptibly(gate);
                    });
                    blockerDone.countDown();
                });
                assertTrue(inCall.await(30, TimeUnit.SECONDS));
                // Go.blocking's P is handed off after the grace period when nothing waits for it.
                awaitCondition("sysmon hands off the P of the blocking call", 30_000,
                        () -> rt.sched.npidle() == 2);
                CountDownLatch slept = new CountDownLatch(1);
                rt.go(() -> {
                    for (int i = 0; i < 20; i++) {
                        Go.sleep(Duration.ofMillis(1)); // the commit arms the timer: timerWaker -> wakep
                    }
                    slept.countDown();
                });
                assertTrue(slept.await(30, TimeUnit.SECONDS), "the sleeping goroutine was lost");
                assertEquals(2, rt.sched.allm().size());
                gate.countDown();
                assertTrue(blockerDone.await(30, TimeUnit.SECONDS));
                assertHealthy(rt);
            } finally {
                gate.countDown();
            }
        }
    }

    /** Below the limit nothing is reported. */
    @Test
    void theLimitIsNotReportedWhenItWasNeverInTheWay() throws Exception {
        try (GoRuntime rt = GoRuntime.builder().procs(2).maxThreads(64).build()) {
            CountDownLatch done = new CountDownLatch(100);
            for (int i = 0; i < 100; i++) {
                rt.go(done::countDown);
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertNull(rt.threadLimitError());
            assertEquals(0, rt.threadLimitHits());
        }
    }

    // ---- helpers ----

    /**
     * procs 2, maxThreads 2: one M blocked in Go.blocking until {@code gate}, its P handed off to
     * the idle list; the other M running a goroutine with no yield point until {@code stopHog}.
     * Returns once the runtime is at the limit: both Ms exist, one P idle, no M idle.
     */
    private static void driveToTheLimit(GoRuntime rt, CountDownLatch gate, AtomicBoolean stopHog) throws Exception {
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch hogRunning = new CountDownLatch(1);
        rt.go(() -> Go.blocking(() -> {
            inCall.countDown();
            awaitUninterruptibly(gate);
        }));
        assertTrue(inCall.await(30, TimeUnit.SECONDS));
        rt.go(() -> {
            hogRunning.countDown();
            while (!stopHog.get()) {
                Thread.onSpinWait(); // no yield point
            }
        });
        assertTrue(hogRunning.await(30, TimeUnit.SECONDS), "the hog goroutine never ran (lost with a dead M?): "
                + rt.sched.allm().stream().map(m -> m.getName() + "=" + m.getState()).toList());
        // Nobody idle or spinning: sysmon hands off the blocking call's P (and finds no M for it).
        awaitCondition("sysmon hands off the P of the blocking call", 30_000, () -> rt.sched.npidle() == 1);
        assertEquals(2, rt.sched.allm().size(), "both carriers exist: the limit");
        assertEquals(0, rt.sched.nmidle(), "no idle carrier");
    }

    static void awaitUninterruptibly(CountDownLatch l) {
        for (;;) {
            try {
                l.await();
                return;
            } catch (InterruptedException e) {
                // not ours to stop
            }
        }
    }

    /** No M died and no P was lost or marked dead. */
    private static void assertHealthy(GoRuntime rt) {
        for (M m : rt.sched.allm()) {
            assertTrue(m.isAlive(), m.getName() + " died");
        }
        for (P pp : rt.sched.allp) {
            assertNotEquals(P.PDEAD, pp.state(), "dead P: " + pp);
        }
        // every P is either busy, or findable (idle list or wants-an-M), checked by the next round of work
        CountDownLatch more = new CountDownLatch(rt.procs() * 4);
        for (int i = 0; i < rt.procs() * 4; i++) {
            rt.go(more::countDown);
        }
        try {
            assertTrue(more.await(30, TimeUnit.SECONDS), "the runtime stopped running goroutines");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertReportedOnce(GoRuntime rt) {
        IllegalStateException e = rt.threadLimitError();
        assertNotNull(e, "the limit was hit but not reported");
        assertTrue(e.getMessage().contains("maxThreads("), e.getMessage());
        assertTrue(rt.threadLimitHits() >= 1);
        assertSame(e, rt.threadLimitError(), "reported once");
    }
}
