package io.goloom.scheduler;

import io.goloom.core.G;

/**
 * Blocking calls and hand-offs: a G that blocks its carrier (Go.blocking, Go's
 * entersyscall/exitsyscall), sysmon taking its P away (Go's handoffp, called from
 * {@link Sysmon#retake}), and the M coming back to find its P gone (Go's exitsyscall0, here
 * {@link #lostP}). The third layer of the scheduler object (see {@link SchedT}).
 *
 * <h2>The P's status word in a blocking call</h2>
 * <pre>
 *  PRUNNING --blocking()--> PSYSCALL --exitsyscall's CAS (fast path)--> PRUNNING
 *                              |
 *                              +--sysmon's CAS to PRETAKING, then PIDLE (retake)--> handoffp
 *  then the M, back: its CAS fails -> m.p = null -> backFromHandoff -> another P or park
 * </pre>
 * The epoch in the status word makes a P that was taken and handed out again never look like
 * the M's own (see {@link Scheduler#ownsP}).
 *
 * <h2>Threads</h2>
 * {@link #blocking}, {@link #exitsyscall}, {@link #lostP} and {@link #backFromHandoff} run on
 * the M concerned; {@link #handoffp} runs on sysmon (or any thread holding a P that nobody
 * owns). None holds a lock across a call into user code; sched.lock only around list moves.
 *
 * <h2>Invariants</h2>
 * {@code mblocked} counts the Ms whose P was handed off and that have not noticed yet:
 * sysmon increments it before the hand-off is visible, the M decrements it exactly once
 * ({@link M#clearHandedOff}). A handed-off P is never lost: handoffp starts an M for it, or
 * puts it on the idle list (or, at the thread limit, the wants-an-M list, via startm).
 */
abstract sealed class Syscalls extends Parking permits Scheduler {

    Syscalls(String name, int procs, int runqCapacity, int maxMCount) {
        super(name, procs, runqCapacity, maxMCount);
    }

    /** m noticed that sysmon handed its P off: it no longer counts as blocked (mblocked). Once per hand-off. */
    final void backFromHandoff(M m) {
        if (m.clearHandedOff()) {
            mblocked.decrementAndGet();
        }
    }

    /**
     * The G just returned and m no longer owns a P: sysmon handed it off while the G was blocked
     * (in a JDK call or Go.blocking). m must not touch that P. File the G globally, then get an
     * idle P or park (Go's exitsyscall0).
     */
    final void lostP(M m, G g, int how) {
        m.p = null;
        boolean filed = false;
        switch (how) {
            case G.EXEC_DEAD -> {
                if (g.directTask == null) {
                    allgs.remove(g);
                }
            }
            case G.EXEC_PARKED -> { }
            default -> {
                if (g.status() == G.PREEMPTED) {
                    g.markRunnable();
                }
                globrunqput(g);
                filed = true;
            }
        }
        // Every P has an M (or is wanted by one), or GOMAXPROCS Ms besides the blocked ones
        // exist without this one: it was a stand-in while its G blocked, and would now only sit
        // beside GOMAXPROCS others. It retires (Go keeps such Ms; the carrier count then stays
        // GOMAXPROCS + the Ms truly blocked right now). At the thread limit, work waiting for
        // an M comes first (stopm).
        P pp;
        synchronized (lock) {
            pp = pgetBack(m);
            if (pp == null && !stopping && mcount < maxMCount) {
                retire(m);
            }
        }
        if (pp != null) {
            acquirep(m, pp); // the G filed above is ours to run: schedule finds it
            return;
        }
        if (filed) {
            wakep(); // an idle P left for the G filed above gets an M (startm: the spare path)
        }
        if (!m.retired) {
            stopm(m);
        }
    }

    /**
     * Under sched.lock: a P for m, which is back from a blocked call whose P sysmon handed off:
     * one that wants an M first (it has work), else an idle one, unless m is one carrier too
     * many for the carrier bound (mcount > gomaxprocs + mblocked once m no longer counts as
     * blocked); then null, and m retires rather than idle beside GOMAXPROCS others. Work filed
     * for the idle Ps m leaves is run by the M without a P that makes the count too high
     * (startm's spare path wakes it). m stops counting as blocked here, in the same lock
     * section as that decision, so that mcount - mblocked read under sched.lock never counts
     * m as an extra carrier.
     */
    private P pgetBack(M m) {
        backFromHandoff(m);
        if (stopping) {
            return null;
        }
        P pp = pneedmget();
        if (pp == null && mcount <= gomaxprocs + mblocked.get()) {
            pp = pidleget();
        }
        return pp;
    }

    /**
     * Hands off pp, taken from an M stuck in a blocking call, to another M if there is work for
     * it, else to the idle list (Go's handoffp). pp is PIDLE, unowned and not on the idle list.
     * At the thread limit startm parks pp on the wants-an-M list with its Gs (or on the idle
     * list when it has none) instead of starting an M; nothing here throws.
     */
    final void handoffp(P pp) {
        if (!pp.runqempty()) {
            startm(pp, false);
            return;
        }
        // No local work: if nobody is spinning or idle, start a spinner so global work and
        // new readies are not left waiting on Ms that are all blocked.
        if (nmspinning.get() + npidle == 0 && nmspinning.compareAndSet(0, 1)) {
            startm(pp, true);
            return;
        }
        boolean work;
        synchronized (lock) {
            work = runqsize != 0 && !stopping;
            if (!work) {
                pidleput(pp);
            }
        }
        if (work) {
            startm(pp, false);
        }
    }

    /** Yield kind of a G leaving Go.blocking after its P was taken (Go's exitsyscall0). */
    static final int EXEC_SYSCALL_EXIT = G.EXEC_SCHED_BASE;

    /**
     * Runs a blocking call with the P released to sysmon's judgement (Go's entersyscall /
     * exitsyscall). Fast path out: one CAS takes the same P back. Slow path: the P was handed
     * off; take an idle P, or queue this G globally and park the M.
     */
    final <T> T blocking(M m, java.util.concurrent.Callable<T> call) throws Exception {
        G g = m.curg();
        P pp = Scheduler.enterRuntime(m);
        long mine = 0;
        if (pp != null) {
            pp.syscalltick = pp.syscalltick + 1;
            long running = m.pEpoch << 3 | P.PRUNNING;
            mine = m.pEpoch << 3 | P.PSYSCALL;
            // We are IN_RUNTIME: a PRETAKING can only be transient (sysmon backs off).
            while (!pp.casStatus(running, mine)) {
                Thread.onSpinWait();
            }
        }
        m.setWhereVolatile(M.IN_SYSCALL);
        g.enterSyscall(); // dumps show "syscall"
        try {
            return call.call();
        } finally {
            g.exitSyscall();
            exitsyscall(m, g, pp, mine);
        }
    }

    private void exitsyscall(M m, G g, P pp, long mine) {
        if (pp != null && pp.casStatus(mine, m.pEpoch << 3 | P.PRUNNING)) {
            m.setWhereRelease(M.IN_USER); // fast path: the same P, one CAS
            return;
        }
        // Slow path: the P was taken; m.p is stale.
        m.p = null;
        P p2;
        synchronized (lock) {
            p2 = pgetBack(m);
        }
        if (p2 != null) {
            acquirep(m, p2);
            m.setWhereRelease(M.IN_USER);
            return;
        }
        m.setWhereRelease(M.IN_USER);
        // No P (or m is one carrier too many, see pgetBack): park this G on the global queue;
        // execute() sees m.p == null and runs lostP, where m retires or waits for a P.
        g.yieldAs(EXEC_SYSCALL_EXIT);
    }
}
