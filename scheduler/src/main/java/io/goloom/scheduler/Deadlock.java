package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.netpoll.Netpoll;
import io.goloom.timers.TimerQueue;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * Go's checkdead for goloom: while a {@link GoRuntime#run} waits for its main goroutine, sysmon
 * asks, each time the runtime goes fully idle, whether anything can still wake a goroutine.
 *
 * <p>Dead means all of: every P idle; no goroutine RUNNABLE or RUNNING (all WAITING); no M in
 * goroutine code, a blocking call or the runtime (a goroutine blocked in a JDK call may return);
 * no pending timer (a sleeper will wake); no goroutine waiting on the network poller; no live
 * virtual thread on this runtime's carriers; the global queue empty. The check is repeated
 * after the goroutine snapshot so a wake-up racing with it is seen.
 *
 * <p>What goloom cannot see: a plain JVM thread that holds a channel or a G and will use it
 * later. A program that feeds its goroutines from plain threads while main waits should build
 * the runtime with {@code deadlockDetection(false)}.
 */
final class Deadlock {

    /** One {@link GoRuntime#run} in progress. */
    static final class MainWait {
        final CountDownLatch done = new CountDownLatch(1);
        volatile G g;
        /** Set before done is counted down: the main goroutine's exception. */
        Throwable failure;
        /** Set before done is counted down: the deadlock report. */
        volatile String deadlock;
    }

    final Set<MainWait> mainWaits = ConcurrentHashMap.newKeySet();
    private final Scheduler sched;

    Deadlock(Scheduler sched) {
        this.sched = sched;
    }

    /** Called by sysmon when it finds every P idle, before it sleeps. */
    void check() {
        if (mainWaits.isEmpty() || !quiet()) {
            return;
        }
        List<G> gs = sched.allgs.snapshot();
        if (gs.isEmpty()) {
            return;
        }
        for (G g : gs) {
            if (g.status() != G.WAITING) {
                return;
            }
        }
        if (!quiet()) {
            return; // something moved while we looked
        }
        // Go's report: the fatal error, then every goroutine as a dump shows it.
        StringBuilder sb = new StringBuilder("all goroutines are asleep - deadlock!\n");
        for (Dump.GInfo gi : Dump.goroutines(sched, gs, false)) {
            sb.append('\n');
            Dump.appendG(sb, gi);
        }
        String report = sb.toString();
        for (MainWait w : mainWaits) {
            w.deadlock = report;
            w.done.countDown();
        }
    }

    private boolean quiet() {
        return sched.sleepers.earliestTimer() == TimerQueue.NONE && idle();
    }

    /**
     * Everything but the timers: every P idle, the global queue empty, no wake-up source outside
     * the Ps, every M in the scheduler. A {@link Synctest} bubble's driver asks this (its timers
     * are what it fires next).
     */
    boolean idle() {
        return idle(false);
    }

    /**
     * {@link #idle()}; with {@code pinnedAsleep}, an M blocked in a pinned park (its G WAITING
     * in G.parkPinned, its P handed off by sysmon) counts as asleep too: only a ready can wake
     * it. A bubble's rule ({@link Bubble}); checkdead keeps the conservative one.
     */
    boolean idle(boolean pinnedAsleep) {
        if (!sched.allIdle() || sched.globalQueueSize() != 0 || otherWakeSources()) {
            return false;
        }
        for (M m : sched.allm()) {
            if (m.where() != M.IN_SCHED && !(pinnedAsleep && parkedPinned(m))) {
                return false;
            }
        }
        return true;
    }

    /** Racy: m's goroutine is parked pinned on m's thread. */
    static boolean parkedPinned(M m) {
        G g = m.curg();
        return g != null && g.parkedPinned();
    }

    /**
     * Wake-up sources the deadlock check cannot see through Ps, Ms and timers: goroutines
     * waiting on the network poller, virtual threads on our carriers. Extended as they land.
     */
    private boolean otherWakeSources() {
        // A goroutine parked on the poller can be woken by the network (process-wide
        // count: another runtime's or a thread's waiter makes this a conservative "maybe").
        if (Netpoll.anyWaiters()) {
            return true;
        }
        GoRuntime rt = sched.runtime;
        return rt != null && rt.virtualThreadCount() != 0; // -1 (untracked) counts as "maybe"
    }
}
