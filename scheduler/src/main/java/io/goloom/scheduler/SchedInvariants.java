package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler's invariant check in tests (Go's {@code throw} discipline): with
 * {@code -Dgoloom.test=true} (every surefire run of the scheduler module) or
 * {@code -Dgoloom.randomize=true}, {@link GoRuntime#close} checks the scheduler before and after
 * it stops it, so every test that closes a runtime, and every stress round that does, is checked.
 * A broken invariant fails the test with an AssertionError and a dump of the state
 * ({@link #check}). Off in production: the call sites are guarded by the
 * constant {@link SchedChaos#ON}.
 *
 * <ol>
 *   <li>Before stopping: the locked checks (global queue vs runqsize, the idle P and M lists,
 *       M accounting), and no stranded G: if every P is idle and nobody spins while the global
 *       queue holds Gs, a wake-up was lost, unless a submitter is between its put and its
 *       wakep; that window is microseconds, so the state must clear within {@link #STRANDED_MS}.</li>
 *   <li>After stopping, once every M and sysmon have exited (nothing moves any more): the full
 *       walk, no G on two queues, every P idle-listed or dead, every M gone. A runtime left
 *       with a goroutine that never yields keeps that M alive; then only the locked checks run.</li>
 * </ol>
 */
final class SchedInvariants {

    private SchedInvariants() {
    }

    /** How long "all Ps idle, nobody spinning, Gs queued" may last before it counts as a lost wake-up. */
    static final long STRANDED_MS = 2_000;
    /** How long to wait for Ms that are leaving to exit before the stopped-runtime walk. */
    static final long EXIT_MS = 2_000;

    /** The check before close stops the runtime. Returns the failure (close stops the runtime first, then throws it). */
    static AssertionError beforeClose(Scheduler s) {
        try {
            check(s, false);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STRANDED_MS);
            while (stranded(s)) {
                if (System.nanoTime() - deadline > 0) {
                    check(s, false);
                    return new AssertionError("goloom: " + s.globalQueueSize() + " G(s) stranded on the global queue of runtime "
                            + s.name + " for " + STRANDED_MS + " ms: every P is idle and no M spins (a lost wake-up)");
                }
                Thread.onSpinWait();
                Thread.yield();
            }
            return null;
        } catch (AssertionError e) {
            return e;
        }
    }

    private static boolean stranded(Scheduler s) {
        return !s.stopping && s.globalQueueSize() != 0 && s.allIdle() && s.nmspinning.get() == 0;
    }

    /**
     * The check after close stopped the runtime; throws {@code before} (the result of
     * {@link #beforeClose}) if that failed, else whatever this check finds.
     */
    static void afterShutdown(Scheduler s, AssertionError before) {
        if (before != null) {
            throw before;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXIT_MS);
        boolean stopped = s.currentM() == null; // closed from one of its own Ms: that M cannot have exited
        try {
            for (Thread t : stopped ? threads(s) : java.util.List.<Thread>of()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
                    stopped = false; // a G that never yields keeps its M: only the locked checks apply
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        check(s, stopped);
    }

    private static java.util.List<Thread> threads(Scheduler s) {
        java.util.List<Thread> ts = new java.util.ArrayList<>(s.allm());
        ts.add(s.sysmon);
        return ts;
    }

    /**
     * The scheduler's internal invariants (Go's throw discipline), checked under sched.lock; tests
     * call it through {@link #beforeClose} and {@link #afterShutdown}. Throws an AssertionError with a dump of the state.
     * Holds whatever the Ms are doing:
     * <ul>
     *   <li>the global queue is a list of exactly {@code runqsize} runnable Gs, ending at runqTail;</li>
     *   <li>the idle P list has {@code npidle} distinct Ps, each PIDLE, without an M, with an empty
     *       run queue;</li>
     *   <li>the idle M list has {@code nmidle} distinct Ms, each in allm, without a P;
     *       {@code mcount == allm.size() <= maxMCount}; {@code nmspinning >= 0};</li>
     *   <li>a P seen PRUNNING (the same status word before and after reading its M) has an M,
     *       which is in allm.</li>
     * </ul>
     * With {@code stopped} (every M and sysmon have exited, so nothing moves), also: no G is on
     * two queues (global, every ring, every runnext), each queued G is runnable and registered
     * in allgs (goroutines; direct tasks are not registered), every P is either idle (and then
     * on the idle list) or dead, no M is idle or spinning and no M sleeps for timers.
     */
    static void check(Scheduler s, boolean stopped) {
        List<String> bad = new ArrayList<>();
        java.util.Set<G> queued = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.Set<P> idleP = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        StringBuilder dump = new StringBuilder();
        synchronized (s.lock) {
            int n = 0;
            G last = null;
            for (G g = s.runqHead; g != null && n <= s.runqsize; g = SchedLinks.schedlink(g), n++) {
                if (!queued.add(g)) {
                    bad.add("G" + g.id + " twice on the global queue");
                    break;
                }
                if (g.status() != G.RUNNABLE) {
                    bad.add("G" + g.id + " on the global queue with status " + G.statusName(g.status()));
                }
                last = g;
            }
            if (n != s.runqsize) {
                bad.add("runqsize is " + s.runqsize + " but the global list has " + (n > s.runqsize ? "more than " : "") + n + " Gs");
            }
            if (last != s.runqTail) {
                bad.add("runqTail is " + (s.runqTail == null ? "nil" : "G" + s.runqTail.id) + " but the global list ends at "
                        + (last == null ? "nil" : "G" + last.id));
            }
            int np = 0;
            for (P p = s.pidle; p != null && np <= s.gomaxprocs; p = p.link, np++) {
                if (!idleP.add(p)) {
                    bad.add(p + " twice on the idle P list");
                    break;
                }
                if (p.state() != P.PIDLE || p.m != null || !p.runqempty()) {
                    bad.add(p + " on the idle P list with m=" + (p.m == null ? "nil" : "m" + p.m.id)
                            + (p.runqempty() ? "" : " and a non-empty run queue"));
                }
            }
            int retiring = 0;
            for (P p : s.allp) {
                if (p.id >= s.gomaxprocs && p.state() != P.PSTOPPED) {
                    retiring++;
                }
            }
            if (retiring != s.nretiring) {
                bad.add("nretiring is " + s.nretiring + " but " + retiring + " P(s) at or above GOMAXPROCS " + s.gomaxprocs + " are not stopped");
            }
            if (np != s.npidle) {
                bad.add("npidle is " + s.npidle + " but the idle P list has " + np + " Ps");
            }
            java.util.Set<P> needP = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (P p = s.pneedm; p != null && needP.size() <= s.gomaxprocs; p = p.link) {
                if (!needP.add(p) || idleP.contains(p)) {
                    bad.add(p + (idleP.contains(p) ? " on both the idle and the wants-an-M P lists" : " twice on the wants-an-M list"));
                    break;
                }
                if (p.state() != P.PIDLE || p.m != null) {
                    bad.add(p + " on the wants-an-M list with m=" + (p.m == null ? "nil" : "m" + p.m.id));
                }
            }
            java.util.Set<M> idleM = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            int nm = 0;
            for (M x = s.midle; x != null && nm <= s.allm.size(); x = x.link, nm++) {
                if (!idleM.add(x)) {
                    bad.add("m" + x.id + " twice on the idle M list");
                    break;
                }
                if (!s.allm.contains(x) || x.p != null) {
                    bad.add("idle m" + x.id + (s.allm.contains(x) ? "" : " not in allm") + (x.p == null ? "" : " holds " + x.p));
                }
            }
            if (nm != s.nmidle) {
                bad.add("nmidle is " + s.nmidle + " but the idle M list has " + nm + " Ms");
            }
            if (s.mcount != s.allm.size() || s.mcount > s.maxMCount) {
                bad.add("mcount is " + s.mcount + ", allm has " + s.allm.size() + ", maxMCount " + s.maxMCount);
            }
            if (s.nmspinning.get() < 0) {
                bad.add("nmspinning is " + s.nmspinning.get());
            }
            for (P p : s.allp) {
                long s1 = p.status();
                M owner = p.m;
                if (P.state(s1) == P.PRUNNING && p.status() == s1 && (owner == null || !s.allm.contains(owner))) {
                    bad.add(p + " running without an M of allm (m=" + (owner == null ? "nil" : "m" + owner.id) + ")");
                }
                if (P.state(s1) > P.PSTOPPED) {
                    bad.add(p + " has an unknown state");
                }
                if (P.state(s1) == P.PSTOPPED && (p.id < s.gomaxprocs || p.m != null || !p.runqempty()
                        || idleP.contains(p) || needP.contains(p))) {
                    bad.add(p + " stopped but " + (p.id < s.gomaxprocs ? "active (GOMAXPROCS " + s.gomaxprocs + ")"
                            : p.m != null ? "held by m" + p.m.id : !p.runqempty() ? "with Gs queued" : "on a P list"));
                }
            }
            if (stopped) {
                M timerSleeper = s.sleepers.timerSleeper();
                if (s.nmidle != 0 || s.nmspinning.get() != 0 || timerSleeper != null) {
                    bad.add("stopped runtime with nmidle=" + s.nmidle + " nmspinning=" + s.nmspinning.get()
                            + " timerSleeper=" + (timerSleeper == null ? "nil" : "m" + timerSleeper.id));
                }
                java.util.Set<G> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                live.addAll(s.allgs.snapshot());
                for (G g : queued) {
                    if (g.directTask == null && !live.contains(g)) {
                        bad.add("G" + g.id + " on the global queue but not in allgs");
                    }
                }
                for (P p : s.allp) {
                    int st = p.state();
                    if (st == P.PIDLE ? !idleP.contains(p) && !needP.contains(p) : st != P.PDEAD && st != P.PSTOPPED) {
                        bad.add(p + " is neither on the idle list (or the wants-an-M list) nor dead nor stopped in a stopped runtime");
                    }
                    int size = p.ringSize();
                    if (size < 0 || size > p.capacity()) {
                        bad.add(p + " has ring size " + size);
                        continue;
                    }
                    for (G g : p.snapshot()) {
                        if (!queued.add(g)) {
                            bad.add("G" + g.id + " on two queues (the second: " + p + ")");
                        } else if (g.status() != G.RUNNABLE) {
                            bad.add("G" + g.id + " on " + p + " with status " + G.statusName(g.status()));
                        } else if (g.directTask == null && !live.contains(g)) {
                            bad.add("G" + g.id + " on " + p + " but not in allgs");
                        }
                    }
                }
                for (M x : s.allm) {
                    if (x.isAlive()) {
                        bad.add("m" + x.id + " still alive in a stopped runtime");
                    }
                }
            }
            if (!bad.isEmpty()) {
                dump.append("runqsize=").append(s.runqsize).append(" npidle=").append(s.npidle).append(" nmidle=").append(s.nmidle)
                        .append(" mcount=").append(s.mcount).append(" nmspinning=").append(s.nmspinning.get())
                        .append(" stopping=").append(s.stopping);
                for (P p : s.allp) {
                    dump.append("\n  ").append(p).append(" m=").append(p.m == null ? "nil" : "m" + p.m.id)
                            .append(idleP.contains(p) ? " (idle list)" : "");
                }
                for (M x : s.allm) {
                    dump.append("\n  m").append(x.id).append(" p=").append(x.p == null ? "nil" : "P" + x.p.id)
                            .append(" spinning=").append(x.spinning).append(" where=").append(x.where())
                            .append(" thread=").append(x.getState());
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new AssertionError("goloom: scheduler invariant broken in runtime " + s.name + ": " + String.join("; ", bad)
                    + "\n" + dump);
        }
    }
}
