package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.goloom.timers.TimerNode;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scheduler's Dekker pairs, each under the interleaving that loses a wake-up (or a P) when
 * one barrier of the pair is missing. A Dekker pair is two threads that each store their flag
 * and then load the other's: {@code A: x = 1; r1 = y} and {@code B: y = 1; r2 = x}. With both
 * barriers (a StoreLoad fence, a volatile RMW, or a lock, between each side's store and load)
 * at least one side sees the other; without one, the store can move after the load, and the
 * interleaving {@code r1 = y; y = 1; r2 = x; x = 1} leaves both blind. Each test stops one side
 * of a pair between its two accesses (a {@link SchedChaos} hook, a one-line call site in the
 * scheduler, compiled away outside tests) and runs the other side in full meanwhile. With the
 * barrier in place the stopped side's store is already visible, so the other side acts; with the
 * barrier removed, emulated by swapping the stopped side's two accesses around the hook (what
 * the CPU or JIT may do without it), the test fails. How to plant each defect, and the failure
 * it gave, is in each test's comment.
 *
 * <p>Needs {@code -Dgoloom.test=true} (set by the module's surefire configuration).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DekkerPairTest {

    /** Bounded waits: a lost wake-up is a failure after this long, never a slow pass. */
    static final long WAIT_MS = 5_000;

    @org.junit.jupiter.api.BeforeEach
    void needsHooks() {
        org.junit.jupiter.api.Assumptions.assumeTrue(SchedChaos.ON, "the hooks need -Dgoloom.test=true (the module's surefire runs set it)");
    }

    @AfterEach
    void uninstall() {
        SchedChaos.hook = null;
    }

    static void await(CountDownLatch l, String what) throws InterruptedException {
        if (!l.await(WAIT_MS, TimeUnit.MILLISECONDS)) {
            fail("timed out waiting for: " + what);
        }
    }

    static void awaitCondition(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for: " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /**
     * Installs the hook: the first M of {@code s} that reaches {@code point} while armed and
     * passes {@code also} is held there until {@link #release}; every other call goes to
     * {@code others} (may be null). The hold is bounded, so a failing test never hangs the M.
     */
    static final class Stop {
        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean armed;
        final AtomicReference<M> held = new AtomicReference<>();

        Stop(Scheduler s, int point, boolean armedNow, java.util.function.Predicate<M> also, SchedChaos.Hook others) {
            armed = new AtomicBoolean(armedNow);
            SchedChaos.hook = (p, m) -> {
                if (m.sched != s) {
                    return;
                }
                if (p == point && also.test(m) && armed.compareAndSet(true, false)) {
                    held.set(m);
                    paused.countDown();
                    try {
                        release.await(WAIT_MS * 2, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                } else if (others != null) {
                    others.at(p, m);
                }
            };
        }

        Stop(Scheduler s, int point) {
            this(s, point, true, m -> true, null);
        }

        M awaitPaused(String what) throws InterruptedException {
            await(paused, what);
            return held.get();
        }

        void release() {
            release.countDown();
        }
    }

    /** While an M is stopped in a hook: arms a timer due in 50 ms, lets the M go, and waits for the fire. */
    static void armNearTimerReleaseAndAwait(Scheduler s, Stop stop, String during) throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        TimerNode near = TimerNode.of(fired::countDown);
        try {
            s.allp[0].timers.schedule(near, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50));
            stop.release();
            await(fired, "the 50 ms timer armed while " + during + " to fire (a lost wake-up)");
        } finally {
            s.allp[0].timers.cancel(near);
        }
    }

    /**
     * Pair 1: a submission vs. a spinning M going idle (findRunnable's "delicate dance" vs.
     * globrunqput + wakep). The M: {@code nmspinning--} (a volatile RMW), then re-check the
     * global queue (under sched.lock). The submitter: put the G (under sched.lock), then read
     * nmspinning (wakep). The M is stopped right after its decrement (SPIN_DROPPED); a plain
     * thread submits a goroutine meanwhile, and the goroutine must run.
     *
     * <p>Planted defect (the M re-checks before it drops nmspinning: move the decrement and the
     * hook below the global re-check in findRunnable): the submitter sees nmspinning == 1 and
     * wakes nobody, the M re-checked an empty queue before the put and parks; the goroutine is
     * stranded. Failure seen: "timed out waiting for: the goroutine submitted while the
     * spinning M was going idle to run (a lost wake-up)". Since the carrier bound (startm makes
     * no M beyond GOMAXPROCS + blocked ones), the submitter's wakep also leaves needspinning
     * for that very M, which stopm honours: a second guard for the same property.
     */
    @Test
    void submissionWhileTheLastSpinningMGoesIdleIsNotLost() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            Stop stop = new Stop(rt.sched, SchedChaos.SPIN_DROPPED);
            try {
                // The first G starts a spinning M; once the G is done, the M spins, finds nothing,
                // gives up its P and drops nmspinning: the hook stops it there.
                CountDownLatch first = new CountDownLatch(1);
                rt.go(first::countDown);
                await(first, "the first goroutine to run");
                stop.awaitPaused("the spinning M to go idle");
                CountDownLatch ran = new CountDownLatch(1);
                rt.go(ran::countDown); // from a plain thread: globrunqput, then wakep
                // The carrier bound: with one P and one M, wakep starts no second M; the M
                // going idle is the one that must find the goroutine, once it moves on.
                stop.release();
                await(ran, "the goroutine submitted while the spinning M was going idle to run (a lost wake-up)");
            } finally {
                stop.release();
            }
        }
    }

    /**
     * Pair 2: sysmon's retake vs. the M's {@code where}. The M entering the runtime from a
     * goroutine (enterRuntime): {@code where = IN_RUNTIME} (volatile store), then read the P's
     * status (ownsP). Sysmon: CAS the status to PRETAKING, then read {@code where}. The M is
     * stopped between its store and its read (WHERE_SET) inside {@code Go.go}: its thread is
     * WAITING, which is what sysmon takes for "blocked in a JDK call", and work waits (one P, no
     * idle P, nobody spinning). Sysmon must leave the P alone for several ticks: the M is
     * about to use the P's run queue.
     *
     * <p>Planted defect (enterRuntime reads m.p and ownsP before it stores IN_RUNTIME, the hook
     * between): sysmon sees IN_USER on a blocked M, retakes the P and hands it to another M,
     * while this M goes on to use the P's run queue as its owner. Failure seen: "sysmon took
     * P0 from the M stopped inside the runtime".
     */
    @Test
    void sysmonNeverRetakesThePOfAnMInsideTheRuntime() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            Scheduler s = rt.sched;
            Stop stop = new Stop(s, SchedChaos.WHERE_SET, false, m -> true, null);
            CountDownLatch done = new CountDownLatch(1);
            try {
                rt.go(() -> {
                    stop.armed.set(true);
                    Go.go(done::countDown); // newproc: enterRuntime stops in the hook
                });
                M m = stop.awaitPaused("the M to stop inside enterRuntime");
                P pp = s.allp[0];
                long owned = m.pEpoch << 3 | P.PRUNNING;
                assertEquals(owned, pp.status(), "P0 held by the stopped M before sysmon looks");
                long t0 = s.sysmon.ticks;
                awaitCondition("sysmon to run 5 passes over the Ps", () -> s.sysmon.ticks - t0 >= 5 || pp.status() != owned);
                assertTrue(pp.status() == owned && pp.m == m, "sysmon took P0 from the M stopped inside the runtime: " + pp);
            } finally {
                stop.release();
            }
            await(done, "the goroutine started from the stopped M to run");
        }
    }

    /**
     * Pair 3: the timer sleeper vs. an arming. The idle M (sleepForTimers): publish itself as
     * timerSleeper (CAS), then read every P's earliest timer hint. The arming thread: lower the
     * hint (the timer queue's volatile CAS), then read timerSleeper (timerWaker: signal the
     * sleeper, or wakep if there is none). The M is stopped between its publication and its
     * read (TIMER_SLEEPER_SET) while it would sleep for a timer an hour away; a plain thread
     * arms a timer due in 50 ms; then any other M is held before it could take over the sleeper
     * role until the stopped M sleeps. The near timer must fire.
     *
     * <p>Planted defect (sleepForTimers reads the hints, {@code until}, before the CAS that
     * publishes timerSleeper, the hook between): the arming sees no sleeper and calls wakep, the
     * stopped M then publishes itself and sleeps an hour, and the M that wakep started finds a
     * timer sleeper and parks. Failure seen: "timed out waiting for: the 50 ms timer armed
     * while the M was becoming the timer sleeper to fire (a lost wake-up)".
     */
    @Test
    void timerArmedWhileAnMBecomesTheTimerSleeperFires() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            Scheduler s = rt.sched;
            AtomicReference<Stop> ref = new AtomicReference<>();
            Stop stop = new Stop(s, SchedChaos.TIMER_SLEEPER_SET, true, m -> true, (point, m) -> {
                Stop self = ref.get();
                M first = self == null ? null : self.held.get();
                if (point == SchedChaos.SPIN_DROPPED && first != null && m != first) {
                    // Another M on its way to the idle path: let the sleeper settle first, so it
                    // cannot take the sleeper role before the stopped M publishes (planted order).
                    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
                    while (first.getState() != Thread.State.TIMED_WAITING && first.p == null
                            && System.nanoTime() - deadline < 0) {
                        Thread.onSpinWait();
                    }
                }
            });
            ref.set(stop);
            TimerNode far = TimerNode.of(() -> { });
            try {
                // A timer an hour away: the M that this arming starts finds nothing to run and
                // goes to sleep for it, and the hook stops it just after it published itself.
                s.allp[0].timers.schedule(far, System.nanoTime() + TimeUnit.HOURS.toNanos(1));
                stop.awaitPaused("an M to become the timer sleeper");
                armNearTimerReleaseAndAwait(s, stop, "the M was becoming the timer sleeper");
            } finally {
                stop.release();
                s.allp[0].timers.cancel(far);
            }
        }
    }

    /**
     * Pair 4: the poll token vs. a wake-up. An idle M that takes the poll token records itself
     * as the token's holder (Netpoller's blocker) before it publishes itself as timerSleeper,
     * then stores its deadline and blocks in the poller; an arming thread lowers a hint, then
     * reads timerSleeper and, if that M holds the token, breaks its poll (Netpoll.wakeup, which
     * also makes a poll that has not started yet return at once), else signals its note. One M
     * holds both roles here (a goroutine waits in accept, another P timer is an hour away); it
     * is stopped after it stored its deadline, just before it enters the poller (POLL_BLOCKING),
     * and a timer due in 50 ms is armed meanwhile. The poll must end and the timer fire.
     *
     * <p>Planted defect (the waker does not look at the token: Netpoller.wakeSleeper returns
     * false, so timerWaker signals the note of an M that sleeps in the poller): the M polls
     * for an hour. Failure seen: "timed out waiting for: the 50 ms timer armed while the
     * token holder was entering the poller to fire (a lost wake-up)".
     */
    @Test
    void timerArmedWhileTheTokenHolderEntersThePollerFires() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1);
                io.goloom.netpoll.Listener ln = io.goloom.netpoll.Net.listen("127.0.0.1", 0)) {
            Scheduler s = rt.sched;
            TimerNode far = TimerNode.of(() -> { });
            Stop stop = new Stop(s, SchedChaos.POLL_BLOCKING, true, s::timerSleeperIs, null);
            AtomicReference<Throwable> acceptResult = new AtomicReference<>();
            try {
                rt.go(() -> {
                    s.allp[0].timers.schedule(far, System.nanoTime() + TimeUnit.HOURS.toNanos(1));
                    Go.go(() -> {
                        try {
                            ln.accept().close();
                        } catch (Throwable t) {
                            acceptResult.set(t);
                        }
                    });
                });
                stop.awaitPaused("the idle M to take the poll token and the timer role");
                armNearTimerReleaseAndAwait(s, stop, "the token holder was entering the poller");
            } finally {
                stop.release();
                s.allp[0].timers.cancel(far);
                ln.close();
            }
            awaitCondition("the acceptor to be woken by the close", () -> acceptResult.get() != null);
        }
    }
}
