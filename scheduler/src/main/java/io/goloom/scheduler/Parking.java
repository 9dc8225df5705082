package io.goloom.scheduler;

import io.goloom.core.spi.StackHeadroom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Worker parking and unparking: when an M gets a P, gives it up, is woken or parks (Go's
 * acquirep/releasep, wakep/startm/stopm, mput/mget's callers, spinning), and what happens at
 * the carrier bound and the thread limit. The second layer of the scheduler object (see
 * {@link SchedT} for the layers); the lists it moves Ps and Ms between are SchedT's.
 *
 * <h2>Threads</h2>
 * {@link #wakep} and {@link #startm} run on any thread (a goroutine's in ready or newproc,
 * sysmon in handoffp, a timer waker, a plain thread calling go()); {@link #acquirep},
 * {@link #releasep}, {@link #stopm} and the spinning transitions run on the M concerned, with
 * no lock held except where a method says "sched.lock must be held". startm and stopm decide
 * under sched.lock and signal (notewakeup) after it.
 *
 * <h2>Invariants</h2>
 * An M holds at most one P and a running P ({@code PRUNNING}) has exactly one M, the one whose
 * {@code m.p} and {@code m.pEpoch} match its status word: acquirep and releasep check both
 * sides and fail loudly with the state they saw. {@code nmspinning} counts the Ms with
 * {@code m.spinning} set and is never negative (each decrement checks). An M parks (stopm) only
 * without a P and only after it is on the idle list, under the same sched.lock section in
 * which it looked for work that startm could not place (no lost hand-off).
 *
 * <h2>The essay (after the one at the top of proc.go)</h2>
 *
 * We must keep enough Ms running to use the available parallelism, and park the rest to save
 * CPU. This is hard for two reasons: scheduler state is distributed (per-P run queues), so no
 * single place can tell whether a new G needs a new M; and to run new work fast an idle M must
 * be woken at once, yet waking one per submission would burn CPU on wake/park churn. Rejected
 * approaches (Go's list, all of which apply here): (1) centralising all state in one lock-held
 * structure (inhibits scalability); (2) handing a G directly to a woken M (state thrashing:
 * the submitter may be about to run it, the woken M may not get a CPU soon; no locality);
 * (3) waking an M whenever a G becomes ready and an idle P exists (excessive wake/park churn).
 *
 * <p>What we do: an M is <em>spinning</em> when it has a P, has run out of local work and is
 * looking for more in the global queue and other Ps' queues; spinning Ms are counted in
 * {@link #nmspinning}. We unpark an M only if there is an idle P and no spinning M
 * ({@link #wakep}: the 0 -> 1 CAS of nmspinning). When a spinning M finds work it stops
 * spinning and wakes the next one ({@link #resetspinning}), so a burst ramps up one M at a
 * time and the last spinner always checks once more. At most half the busy Ps may have a
 * spinning M.
 *
 * <p>The two patterns that make this lose no wake-up:
 * <pre>
 *  submission (ready, newproc, gosched):     a spinning M going idle (findRunnable):
 *   1. put the G on a run queue                1. decrement nmspinning (a volatile RMW: a
 *      (local: release-store of tail; global:     full fence)
 *      under sched.lock)                       2. re-check every source: the global queue
 *   2. #StoreLoad                                 under sched.lock, then every P's run queue
 *   3. check nmspinning (wakep)                3. only then park (stopm)
 * </pre>
 * Either the submitter sees nmspinning == 0 and wakes an M, or the spinning M's re-check sees
 * the G.
 *
 * <p>The third pattern (Go 1.21's needspinning): a submitter that sees nobody spinning and no
 * idle P cannot wake anyone, yet an M that holds a P may be on its way to giving it up without
 * spinning (it found no work of its own and the spinning limit kept it from stealing). Without
 * more, that M parks, its P goes idle, and the G waits in a busy P's queue for as long as that
 * P's current G runs: for good, when that G loops without a yield point (found by Go's
 * TestGoroutineParallelism, ported: GoRuntimeSuiteTest.lostWakeupIdlePWhileWorkIsQueued). So:
 * <pre>
 *  wakep finding no idle P:                 an M giving up its P (findRunnable):
 *   under sched.lock: npidle == 0 ->          under sched.lock: needspinning ->
 *   needspinning = true                       clear it, become spinning, look again
 *                                           else releasep + pidleput (npidle + 1)
 * </pre>
 * Both decisions are made under sched.lock: either the M sees the flag, or wakep sees its P on
 * the idle list (and takes the ordinary path). The delicate dance sets the flag too when it
 * sees work but finds no idle P. Whoever takes an idle P to spin for the flag clears it
 * (stopm, acquireIdleP, findRunnable). wakep's peek of the flag needs no lock: a volatile read
 * that sees it set precedes, in the synchronization order, the clear by the M that will spin
 * (whose nmspinning increment, a full fence, comes before its search); if no M ever clears it,
 * no M ever gave up a P, and the G waits behind busy Ps as any queued G does.
 */
abstract sealed class Parking extends SchedT permits Syscalls {

    /**
     * How many times a P with work, or a wake-up, found no M to hand it to because maxMCount Ms
     * exist and none was idle or asleep (see {@link #threadLimit}). Atomic.
     */
    final AtomicLong threadLimitHits = new AtomicLong();
    /** The one report of the thread limit (set once, by CAS), or null while it was never hit. */
    private volatile IllegalStateException threadLimitError;

    Parking(String name, int procs, int runqCapacity, int maxMCount) {
        super(name, procs, runqCapacity, maxMCount);
    }

    /**
     * An M without a P (the timer sleeper or the poll-token holder, back from its sleep, or
     * not gone to sleep because startm left it work) takes one to run Gs: a P waiting for an M
     * first (it has work), else an idle one. Returns whether m now holds a P. The one way
     * {@link Sleepers} reaches the idle lists. Takes sched.lock.
     *
     * <p>If startm left a spinner's job undone ({@code needspinning}: it found no idle M at the
     * carrier bound and counted on an M without a P), m takes that job here as stopm does: it
     * clears the flag and becomes the spinning M. Without that, the flag stayed set, the
     * sleeper's check for work left to an M without a P ({@link #workForMWithoutP}) kept saying
     * yes, and the M looped between findRunnable and sleepForTimers without ever sleeping,
     * burning a carrier's CPU for as long as a timer was pending and the flag set: 3.5 million
     * rounds in 2.6 s while a platform thread unparked a virtual thread that alternated timed
     * and untimed parks (the shape of OpenJDK's ParkALot stress test), 20,000 rounds taking
     * 2,533 ms against 518 on stock virtual threads (970 ms after the fix); IdleSpinTest.
     */
    final boolean acquireIdleP(M m) {
        P pp;
        boolean spin = false;
        synchronized (lock) {
            pp = pneedmget();
            if (pp == null) {
                pp = pidleget();
                if (pp != null && needspinning && runqsize == 0) {
                    needspinning = false;
                    spin = true;
                }
            }
        }
        if (pp == null) {
            return false;
        }
        acquirep(m, pp);
        if (spin) {
            becomeSpinning(m);
        }
        return true;
    }

    /** Makes pp, which the caller took off the idle list (or was handed), m's P. */
    final void acquirep(M m, P pp) {
        long s = pp.status();
        if (m.p != null || pp.m != null || P.state(s) != P.PIDLE) {
            throw new IllegalStateException("goloom: acquirep: invalid p state: m" + m.id + ".p=" + m.p
                    + " p.m=" + (pp.m == null ? "nil" : "m" + pp.m.id) + " " + pp);
        }
        long epoch = P.epoch(s) + 1;
        pp.m = m;
        m.p = pp;
        m.pEpoch = epoch;
        pp.setStatus(epoch << 3 | P.PRUNNING);
        // Volatile read after the status store: pairs with sysmon's store of sysmonSleeping
        // and its read of npidle (see Sysmon.deepSleep).
        if (sysmon.sleeping) {
            sysmon.wake();
        }
    }

    /** Gives up m's P (Go's releasep). Owner only; returns the P, now PIDLE but not yet on the idle list. */
    final P releasep(M m) {
        P pp = m.p;
        if (pp == null || pp.m != m) {
            throw new IllegalStateException("goloom: releasep: invalid p state: m" + m.id + " p=" + pp
                    + " p.m=" + (pp == null || pp.m == null ? "nil" : "m" + pp.m.id));
        }
        long mine = m.pEpoch << 3 | P.PRUNNING;
        while (!pp.casStatus(mine, m.pEpoch << 3 | P.PIDLE)) {
            if (P.state(pp.status()) != P.PRETAKING) {
                throw new IllegalStateException("goloom: releasep: m" + m.id + " does not own " + pp);
            }
            Thread.onSpinWait(); // sysmon is deciding; it backs off since we are not IN_USER
        }
        m.p = null;
        pp.m = null;
        return pp;
    }

    /**
     * Tries to add one more spinning M to run Gs: only if there is an idle P and nobody is
     * spinning already (the 0 -> 1 CAS). With no idle P, owes a spinning M instead
     * ({@code needspinning}): the next M to give up its P spins. See the header (patterns 1
     * and 3) for why this loses no wake-up.
     */
    final void wakep() {
        if (nmspinning.get() != 0) {
            return; // the spinning M finds the work (pattern 1)
        }
        if (npidle == 0) {
            // No idle P to start an M on: make sure an M about to give its P up spins instead
            // (pattern 3). The peek keeps a busy runtime's wakeps to three volatile reads.
            if (needspinning) {
                return;
            }
            synchronized (lock) {
                if (stopping) {
                    return;
                }
                if (npidle == 0) {
                    needspinning = true;
                    return;
                }
            }
            // a P went idle meanwhile: wake an M for it, as below
        }
        // The CAS promises a spinning M that only the rest of this method delivers: a
        // StackOverflowError after it (a goroutine deep in recursion readies or starts another)
        // would leave nmspinning at 1 with nobody spinning, and no wakep would wake anyone again.
        // So the stack is made sure of first (StackHeadroom: ~50-100 ns, only on this slow path,
        // which goes on to wake or start an M).
        StackHeadroom.ensure();
        if (!nmspinning.compareAndSet(0, 1)) {
            return;
        }
        P pp;
        synchronized (lock) {
            pp = stopping ? null : pidleget();
            if (pp == null && !stopping) {
                needspinning = true; // the idle P was taken meanwhile (pattern 3; Go's pidlegetSpinning)
            }
        }
        if (pp == null) {
            if (nmspinning.decrementAndGet() < 0) {
                throw new IllegalStateException("goloom: wakep: negative nmspinning");
            }
            return;
        }
        startm(pp, true);
    }

    /**
     * Hands pp to an idle M, or to a new one. {@code spinning}: the caller already counted the
     * M in nmspinning. Never throws for want of a thread; see below.
     *
     * <h3>At the thread limit</h3>
     * With maxMCount Ms and none idle, Go's newm dies ("thread exhaustion"). Here the work must
     * wait, not be lost, and nobody's operation may fail after it took effect (startm runs
     * inside go(), ready(), resetspinning, timer wakers and sysmon's handoff). So pp stays
     * findable: an empty pp goes back on the idle list; a pp with Gs goes on the wants-an-M
     * list ({@link #pneedm}), where thieves still steal from it. The caller's spinning count
     * is dropped. Who runs that work then:
     * <ul>
     *   <li>an M in findRunnable (it steals, and idle-listed Ps now skip only when empty);</li>
     *   <li>an M that would go idle: {@link #stopm} takes a wanting P, or an idle P when the
     *       global queue has Gs, under the same sched.lock section as its mput. startm decided
     *       "no M" under sched.lock too, so either it saw the M on the idle list or the M sees
     *       the work: no wake-up is lost (below the limit startm would have made a new M);</li>
     *   <li>an M coming back from a blocking call without its P (exitsyscall, lostP: {@link #pget});</li>
     *   <li>an M sleeping for timers or in the poller holds no P and is not on the idle list:
     *       {@link #threadLimit} wakes it, and it comes for the work through pget/stopm.</li>
     * </ul>
     * A JVM that refuses a thread (OutOfMemoryError from Thread.start) is treated the same way.
     */
    final void startm(P pp, boolean spinning) {
        M nm;
        boolean spare = false;
        synchronized (lock) {
            nm = mget();
            if (nm != null) {
                // Under the lock that took nm off the idle list: an M woken early (a stale
                // signal, see stopm) that sees stopping also sees its P here, never a P that
                // arrives after it left (that P, and the spinning count, would be lost).
                nm.spinning = spinning;
                nm.nextp = pp;
            }
            if (nm == null && mcount < maxMCount && mcount >= gomaxprocs + mblocked.get()) {
                // The carrier bound: GOMAXPROCS Ms besides the blocked ones exist, and one of
                // them has no P and is not idle-listed yet: on its way to stopm (the idle
                // dance), back from a blocking call (pget), or sleeping for timers or in the
                // poller (woken below). It takes pp there, as at the thread limit.
                if (spinning) {
                    nmspinning.decrementAndGet();
                    needspinning = true;
                }
                if (pp.runqempty()) {
                    pidleput(pp);
                } else {
                    pneedmput(pp);
                }
                spare = true;
            } else if (nm == null) {
                if (mcount < maxMCount) {
                    nm = new M((Scheduler) this, mnext++); // the one subclass (sealed)
                    nm.nextp = pp;
                    nm.spinning = spinning;
                    if (startThread(nm)) {
                        mcount++;
                        allm.add(nm);
                        if ((GoEvents.flags & GoEvents.MSTART) != 0) {
                            GoEvents.mstart(nm, pp, true, spinning);
                        }
                        return;
                    }
                    nm = null;
                }
                // The thread limit: keep pp findable (see above).
                if (spinning) {
                    nmspinning.decrementAndGet();
                }
                if (pp.runqempty()) {
                    pidleput(pp); // unowned: nobody can put into it, so it stays empty
                } else {
                    pneedmput(pp);
                }
            }
        }
        if (spare) {
            sleepers.wakeMWithoutP();
            return;
        }
        if (nm == null) {
            threadLimit();
            return;
        }
        if ((GoEvents.flags & GoEvents.MSTART) != 0) {
            GoEvents.mstart(nm, pp, false, spinning);
        }
        nm.notewakeup(); // spinning and nextp were written under sched.lock above
    }

    /** Starts an M's thread; false if the JVM could not create one (then nothing refers to nm). */
    private static boolean startThread(M nm) {
        try {
            nm.start();
            return true;
        } catch (OutOfMemoryError e) { // "unable to create native thread": as the limit
            System.err.println("goloom: cannot start carrier " + nm.getName() + ": " + e);
            return false;
        }
    }

    /**
     * startm found no M for a P (see startm). If an M of this runtime sleeps for timers or in the
     * poller, wake it: it holds no P and takes the work through pget or stopm, so the limit
     * costs nothing. Otherwise every M is busy or blocked: count the hit and report it once.
     * No lock held; any thread (a goroutine's, sysmon, a plain thread calling go()).
     */
    private void threadLimit() {
        if (sleepers.wakeMWithoutP()) {
            return;
        }
        threadLimitHits.incrementAndGet();
        if (threadLimitError == null) {
            IllegalStateException e = new IllegalStateException("goloom: runtime " + name + " reached its thread limit: all "
                    + maxMCount + " carrier threads are running goroutines or blocked in Go.blocking or JDK calls, so "
                    + "runnable goroutines wait until a carrier comes back (none is lost, no operation fails). Raise "
                    + "GoRuntime.builder().maxThreads(n) (now " + maxMCount + ") if this many blocked carriers is expected, "
                    + "or block fewer goroutines at once. Reported once; see GoRuntime.threadLimitError().");
            if (THREAD_LIMIT_ERROR.compareAndSet(this, null, e)) {
                System.err.println(e.getMessage());
            }
        }
    }

    /**
     * Is there work that startm found no M for (the carrier bound, the thread limit)? Read by an
     * M after it published itself as the timer sleeper or the poll-token holder and before it
     * sleeps: startm writes the work under sched.lock and then reads those roles
     * (wakeMWithoutP), so either it wakes this M or this M sees the work here (pair 3 of
     * {@link Sleepers}).
     */
    final boolean workForMWithoutP() {
        synchronized (lock) {
            return !stopping && (pneedm != null || needspinning && npidle > 0);
        }
    }

    /** The report of the first thread-limit hit, or null. */
    IllegalStateException threadLimitError() {
        return threadLimitError;
    }

    private static final java.lang.invoke.VarHandle THREAD_LIMIT_ERROR;
    static {
        try {
            THREAD_LIMIT_ERROR = java.lang.invoke.MethodHandles.lookup()
                    .findVarHandle(Parking.class, "threadLimitError", IllegalStateException.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Parks m until startm hands it a P (or the runtime stops). First takes work that startm
     * could not find an M for (the carrier bound or the thread limit, see startm): a P on the
     * wants-an-M list, an idle P when the global queue has Gs, or an idle P to spin on. Then m
     * returns holding that P. An M beyond GOMAXPROCS + blocked Ms retires instead of parking
     * (returns without a P, {@code m.retired} set).
     */
    final void stopm(M m) {
        if (m.p != null) {
            throw new IllegalStateException("goloom: stopm: m" + m.id + " holds " + m.p);
        }
        P work = null;
        boolean spin = false;
        synchronized (lock) {
            if (stopping) {
                return;
            }
            // Work startm found no M for (the carrier bound or the thread limit; Go, which
            // makes an M whenever one is missing, does not need this): a P that wants an M, an
            // idle P for global Gs, or an idle P to spin on in place of the spinner not made.
            work = pneedmget();
            if (work == null && runqsize != 0) {
                work = pidleget();
            }
            if (work == null && needspinning && (work = pidleget()) != null) {
                needspinning = false;
                spin = true;
            }
            if (work == null) {
                if (mcount > gomaxprocs + mblocked.get()) {
                    // One M too many for the carrier bound: it stood in for a blocked M that has
                    // come back and kept a P. Retire rather than idle beside GOMAXPROCS others.
                    retire(m);
                    return;
                }
                mput(m);
            }
        }
        if (work != null) {
            acquirep(m, work);
            if (spin) {
                becomeSpinning(m);
            }
            return;
        }
        // Only startm (with a P) or shutdown take us off the idle list and signal us. A signal
        // left over from the timer-sleeper role (a timerWaker that found us after we left it)
        // is stale: we are still on the idle list, so keep sleeping until a real hand-off.
        // stopping is read before nextp: seeing stopping (set under sched.lock) orders this
        // read after every startm that took us off the idle list before shutdown did, and
        // startm writes nextp in that same lock section, so an M that leaves here with no P
        // was handed none (a leftover signal once let it leave before startm's write: the P
        // and the spinning count were lost, caught by the invariant check at close).
        if ((GoEvents.flags & GoEvents.MSTOP) != 0) {
            GoEvents.mstop(m);
        }
        P pp;
        for (;;) {
            m.notesleep();
            boolean stop = stopping;
            pp = m.nextp;
            if (pp != null || stop) {
                break;
            }
        }
        if (pp != null) {
            m.nextp = null;
            acquirep(m, pp);
        }
    }

    /**
     * Under sched.lock: m leaves allm for good; its thread ends when it returns to mstart. The
     * thread's name gets " (retired)" here, in the same lock section, so that a thread dump
     * (or a tool counting goloom-m threads beside {@link #blockedCarriers}) tells an M on its
     * way out from a live carrier.
     */
    final void retire(M m) {
        allm.remove(m);
        mcount--;
        m.retired = true;
        m.setName(m.getName() + " (retired)");
    }

    final void becomeSpinning(M m) {
        m.spinning = true;
        nmspinning.incrementAndGet();
        if ((GoEvents.flags & GoEvents.MSPIN) != 0) {
            GoEvents.mspin(m);
        }
    }

    /** The M found work while spinning: stop spinning and wake the next spinner (Go's resetspinning). */
    final void resetspinning(M m) {
        m.spinning = false;
        if (nmspinning.decrementAndGet() < 0) {
            throw new IllegalStateException("goloom: resetspinning: negative nmspinning");
        }
        wakep();
    }
}
