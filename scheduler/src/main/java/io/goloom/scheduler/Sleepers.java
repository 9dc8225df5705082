package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.netpoll.Netpoll;
import io.goloom.timers.TimerQueue;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The idle path of one runtime: where an M with no P and no work sleeps, and how it is woken.
 * An M that ran out of work (findRunnable's last step) may take two roles before it parks on
 * its note ({@code stopm}): the <b>timer sleeper</b> (this runtime's, at most one M) and the
 * <b>poll token</b> (the process-wide netpoller's, at most one thread). This class owns both
 * roles, the Dekker pairs that make them lose no wake-up, and every call the scheduler makes
 * into the netpoller ({@link Netpoll}): findRunnable's non-blocking poll ({@link #pollNow}),
 * sysmon's ({@link #sysmonPoll}), the blocking poll of the token holder, shutdown's break.
 * The netpoller itself (the backend, the waiter count, the token) lives in the netpoll module
 * and is shared by every runtime and by plain threads; a goroutine made ready by any poll is
 * readied into its own runtime.
 *
 * <p>What it asks of the {@link Scheduler}: {@code acquireIdleP} (an M waking from a sleep
 * takes a P, the one narrow way into the idle lists), {@code workForMWithoutP}, {@code wakep},
 * {@code checkTimers}, {@code stopping}. What the scheduler asks of it: {@link #sleepForTimers}
 * (findRunnable), {@link #wakeMWithoutP} (startm at the carrier bound or the thread limit),
 * {@link #timerWaker} (every P's TimerQueue), {@link #shutdown}.
 *
 * <p>Threads: {@link #sleepForTimers} and {@link #pollNow} run on an M of this runtime
 * without (sleepForTimers) or with (pollNow) a P; {@link #sysmonPoll} on sysmon;
 * {@link #timerWaker} and {@link #wakeMWithoutP} on any thread, with no lock held (an arming
 * goroutine, a plain thread, sysmon). No lock of its own except the monitor of this object,
 * around the idle hook's registration only (it takes Netpoll's INIT inside: ARCHITECTURE.md,
 * "Lock order").
 *
 * <h2>The two roles</h2>
 * <pre>
 *  role            scope          taken by                       sleeps in
 *  poll token      the process    CAS Netpoll's token (Go's      the poller, until this
 *                                 sched.lastpoll.Swap(0))        runtime's earliest timer if
 *                                                                it also holds the timer role
 *  timer sleeper   this runtime   CAS {@link #timerSleeper}      notesleepUntil, unless it
 *                                                                also holds the token
 * </pre>
 * Go has one role (its netpoll-blocked M is its timer sleeper, woken by wakeNetPoller, our
 * {@link #timerWaker}) because it has one runtime; here the token may be held by another
 * runtime's M or a plain thread, so the timer role must work without it. timerWaker must wake
 * the sleeper the way it sleeps: {@link #blocker} says which of this runtime's Ms last took
 * the token, so the waker breaks the poll for it and signals the note of anyone else.
 *
 * <h2>Pair 1: the timer sleeper vs. an arming (no lost timer)</h2>
 * <pre>
 *  the idle M (sleepForTimers)              an arming thread (TimerQueue, then timerWaker)
 *  1. CAS timerSleeper null -> m (volatile)  1. lower the P's earliest hint (volatile CAS)
 *  2. read every P's hint (earliestTimer)    2. read timerSleeper: an M sleeping past the
 *     and sleep until timerWake(earliest)       deadline? wake it; nobody? wakep
 *     (its sleepUntil)
 * </pre>
 * One of the two sees the other: the M sleeps until the new deadline (or the floor of
 * {@link #timerWake}, if that is later), or the arming wakes it.
 *
 * <h2>Pair 2: which way the sleeper sleeps (timerWaker can trust {@link #blocker})</h2>
 * The M stores {@code blocker = m} (taking the token) or clears its own entry (not taking it)
 * before it publishes itself as timerSleeper; the waker reads timerSleeper and then blocker.
 * So a waker that sees an M as timerSleeper sees the blocker value that M stored for this
 * sleep. blocker is never cleared after a poll (a late waker then breaks a poll that is over,
 * which only costs a spurious wake-up of the next poll); an M that sleeps plainly clears it
 * with a CAS on its own value, so it never erases another M's entry. Likewise the M stores
 * {@code m.sleepUntil} = "far future" before the CAS of pair 1, so a waker that reads it as the
 * sleeper before the real deadline is stored wakes it rather than compare against the
 * previous sleep's deadline.
 *
 * <h2>Pair 3: work left for an M without a P (the carrier bound, the thread limit)</h2>
 * <pre>
 *  startm (no M to give pp to)                  the idle M (sleepForTimers)
 *  1. pp on the wants-an-M list, or             1. publish itself: the token (blocker),
 *     needspinning (under sched.lock)              timerSleeper
 *  2. read timerSleeper and the token's         2. workForMWithoutP (under sched.lock):
 *     owner: wakeMWithoutP                         work? take it instead of sleeping
 * </pre>
 * Either startm wakes the sleeping M or the M sees the work before it sleeps. The M then takes
 * the work in acquireIdleP, which consumes it (a wants-an-M P leaves the list; needspinning is
 * cleared as the M takes an idle P and the spinning role), so the check cannot say yes again
 * for the same work.
 */
final class Sleepers {

    private static final VarHandle BLOCKER, TIMER_SLEEPER;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BLOCKER = l.findVarHandle(Sleepers.class, "blocker", M.class);
            TIMER_SLEEPER = l.findVarHandle(Sleepers.class, "timerSleeper", M.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Scheduler sched;
    /** The M sleeping until the earliest timer of any P, or null (Go's netpoll-blocked M role). Atomic via TIMER_SLEEPER. */
    private volatile M timerSleeper;
    /** What Netpoll.kick runs for this runtime: start an M that will take the token. Immutable. */
    private final Runnable idleHook;
    /** The M of this runtime that last took the poll token; see pair 2. Atomic via BLOCKER. */
    @SuppressWarnings("unused")
    private volatile M blocker;
    /**
     * Times an M came here to sleep and found work that startm left for an M without a P
     * instead (pair 3), so it took a P without sleeping. A test's view of the idle path: it
     * stays near the number of such hand-offs; a flag that nobody clears makes it run away.
     */
    final java.util.concurrent.atomic.LongAdder tookWorkInsteadOfSleeping = new java.util.concurrent.atomic.LongAdder();
    /**
     * Times an M of this runtime went to sleep as its timer sleeper (in notesleepUntil or the
     * poller; tests). Written by the timer sleeper only, one at a time (pair 1's CAS and the
     * volatile clear of timerSleeper order the writes); read racily.
     */
    long timerSleeps;
    /** Blocking waits in the netpoller by this runtime's Ms (metrics). Written by the poll token's holder only; read racily. */
    long pollWaits;
    /** The idle hook is registered (lazily, by this runtime's first idle M). Written under this. */
    private volatile boolean hooked;

    /** Called while the Scheduler is being built: reads none of its fields here. */
    Sleepers(Scheduler sched) {
        this.sched = sched;
        this.idleHook = sched::wakep;
    }

    // =====================================================================================
    // The idle M: sleeping for timers or in the poller

    /**
     * Called by an M with no P and no work, before it parks. If a timer is pending anywhere and
     * no other M sleeps for timers, this M does: it parks until the earliest deadline (or until
     * a new earlier timer wakes it), then takes an idle P and runs every P's expired timers.
     * Returns true if it woke holding a P (the caller restarts findRunnable).
     *
     * <p>If goroutines wait on the network poller and no thread is blocked in it, this M takes
     * the poll token and sleeps in the poller instead (until the earliest timer if it is also the
     * timer sleeper, else until readiness); what the poll finds is readied once it has a P. The
     * three pairs of the class comment are marked where they happen.
     */
    boolean sleepForTimers(M m) {
        // With Gs waiting on the poller and no thread blocked in it, this M blocks in the
        // poller (Go: sched.lastpoll.Swap(0)); until the earliest timer if it also becomes the
        // timer sleeper, else until readiness or a break. Pair 2: blocker is set here, before
        // the CAS on timerSleeper below.
        boolean poll = tryBlock(m);
        // A bubble's timers are on its fake clock: no M sleeps for them; its driver advances
        // the clock and runs them when the bubble is durably blocked (Bubble).
        boolean realTimers = sched.bubble == null;
        if (!poll && (!realTimers || timerSleeper != null || earliestTimer() == TimerQueue.NONE)) {
            return false;
        }
        // Pair 2: a waker that reads us as timerSleeper before the store of the real deadline
        // below must wake us, not compare against our previous sleep's (stale) deadline.
        m.sleepUntil = System.nanoTime() + Long.MAX_VALUE / 2;
        boolean timers = realTimers && timerSleeper == null && earliestTimer() != TimerQueue.NONE
                && TIMER_SLEEPER.compareAndSet(this, null, m);
        if (!timers && !poll) {
            return false;
        }
        if (SchedChaos.ON && timers) SchedChaos.at(SchedChaos.TIMER_SLEEPER_SET, m); // test hook; see SchedChaos
        G ready = null;
        try {
            // Pair 1: re-read after publishing ourselves.
            long until = timers ? timerWake(earliestTimer(), System.nanoTime()) : TimerQueue.NONE;
            if (sched.workForMWithoutP()) {
                // Pair 3: startm left work for an M without a P (the carrier bound) before it
                // could see us as the sleeper or the poller: take it now (acquireIdleP below)
                // instead of sleeping.
                tookWorkInsteadOfSleeping.increment();
            } else if (poll) {
                m.sleepUntil = until;
                if (timers) {
                    timerSleeps++; // the timer sleeper only: see the field
                }
                if (SchedChaos.ON) SchedChaos.at(SchedChaos.POLL_BLOCKING, m); // test hook; see SchedChaos
                ready = block(until); // the poll replaces notesleepUntil
            } else {
                if (until == TimerQueue.NONE) {
                    return false;
                }
                m.sleepUntil = until;
                timerSleeps++;
                m.notesleepUntil(until);
            }
        } finally {
            if (timers) {
                timerSleeper = null;
            }
            if (poll) {
                unblock(sched.stopping); // give the token back; a leaving M wakes a successor
            }
        }
        if (sched.stopping) {
            Netpoll.injectglist(ready); // Gs of other runtimes must not be lost
            return false;
        }
        if (!sched.acquireIdleP(m)) {
            // Every P is busy. Run the expired timers anyway, without a P: what they ready goes
            // to the global queue (with wakep), and sysmon preempts a G that keeps its P while
            // timers are overdue, so the busy Ms get to it. Then park normally.
            Netpoll.injectglist(ready); // to the global queue, with wakep (Go's injectglist)
            for (P p : sched.allp) {
                sched.checkTimers(p);
            }
            return false;
        }
        int f;
        if (ready != null && (f = GoEvents.flags) != 0) {
            observeNetpoll(f, m, ready, "block");
        }
        Netpoll.injectglist(ready); // into our P's run queue (Go: acquirep, then injectglist)
        for (P p : sched.allp) {
            sched.checkTimers(p);
        }
        return true;
    }

    /**
     * The shortest sleep of the timer sleeper. A timer due sooner than this, or due already,
     * waits for it, and every timer due by then fires in the same wake-up: a timer may fire up
     * to this much late (plus the OS's wake-up latency), never early.
     *
     * <p>Why a timer already due waits too: the sleeper sees one mostly while another M is
     * firing that P's timers (it holds the P's timer lock, so checkTimers skips the P) or has
     * fired as many as its run queue had room for. Woken at once, the sleeper found the lock
     * taken, went idle and came back here without sleeping: a spin. Measured on compare's
     * sleep-lateness-10k shape (10,000 sleepers of 1..100 ms, 2 Ps, 40 rounds in one JVM):
     * 2,237,015 of 2,253,391 sleeps had a deadline already past, with 4.6 million failed
     * timer-lock attempts; with this floor for due timers too, 1 of 32,574, and 71,252. On a VM
     * whose kernel puts both carriers on one vCPU, the spinning M kept the lock's holder off
     * the CPU until the kernel's next tick, 4 ms: the holder's P fired nothing meanwhile. The
     * rounds' lateness p99 went from 3.1-3.4 ms (median of the rounds; 14-27 rounds over 1 ms
     * of 20-40) to 0.23-0.34 ms (4 of 20 over 1 ms). Timers on a P whose M runs a long
     * goroutine are sysmon's concern (its timer watch); the sleeper fires them after its floor.
     *
     * <p>Why a floor for timers due soon: Go's idle M sleeps in {@code epoll_wait}, whose
     * timeout is whole milliseconds (under 1 ms becomes 1 ms); goloom's sleeps have nanosecond
     * deadlines, so without a floor the sleeper woke once per distinct deadline, every ~10 us
     * with 10,000 sleepers. 100 us is a tenth of Go's granularity.
     */
    static final long MIN_TIMER_SLEEP_NANOS = 100_000;

    /**
     * When the timer sleeper wakes, given the earliest pending deadline (TimerQueue.NONE:
     * none) and the time now: at the deadline, but no sooner than {@link #MIN_TIMER_SLEEP_NANOS}
     * from now, also when the deadline has passed (see there). What it returns is also what the
     * sleeper publishes as {@code m.sleepUntil}: a timer armed for an earlier deadline wakes the
     * sleeper (timerWaker), so no timer fires later than this because of the floor.
     */
    static long timerWake(long earliest, long now) {
        if (earliest == TimerQueue.NONE) {
            return earliest;
        }
        long floor = now + MIN_TIMER_SLEEP_NANOS;
        return earliest - floor < 0 ? floor : earliest;
    }

    /** The earliest hint over all Ps, TimerQueue.NONE if no timer is pending anywhere. */
    long earliestTimer() {
        long min = TimerQueue.NONE;
        for (P p : sched.allp) {
            long h = p.timers.earliestHint();
            if (h != TimerQueue.NONE && (min == TimerQueue.NONE || h - min < 0)) {
                min = h;
            }
        }
        return min;
    }

    /**
     * Takes the poll token for {@code m} if goroutines (or threads) wait and nobody holds it.
     * Records the outcome in {@link #blocker} either way, before the caller publishes m as
     * timerSleeper (pair 2).
     */
    private boolean tryBlock(M m) {
        if (!hooked) {
            hook(); // not in the constructor: a kick must not reach a runtime still being built
        }
        if (Netpoll.tryBlock(m)) {
            BLOCKER.setVolatile(this, m);
            return true;
        }
        BLOCKER.compareAndSet(this, m, null);
        return false;
    }

    /**
     * The token holder blocks in the poller until {@code until} (System.nanoTime; TimerQueue.NONE:
     * until readiness or a break). Returns the goroutines made ready; the caller readies them once
     * it has a P and gives the token back with {@link #unblock}.
     */
    private G block(long until) {
        if (sched.stopping) {
            return null; // Dekker with shutdown: it sets stopping, then looks for a token holder
        }
        long timeout = until == TimerQueue.NONE ? -1 : Math.max(0, until - System.nanoTime());
        // An interrupt aimed at this idle carrier means nothing to the runtime, but a Selector
        // returns at once while it is set: left set, the M would spin through findRunnable
        // back into this poll. (epoll_wait through FFM ignores it.) See M.notesleep.
        Thread.interrupted();
        pollWaits++; // the token holder only
        return Netpoll.pollBlocking(timeout);
    }

    /** Gives the token back. {@code leaving}: this M will not come back for it (shutdown), so wake a successor. */
    private void unblock(boolean leaving) {
        Netpoll.release();
        if (leaving) {
            Netpoll.kick();
        }
    }

    // =====================================================================================
    // Waking the sleepers (any thread, no lock held)

    /**
     * TimerQueue's waker (Go's wakeNetPoller): an arming lowered some P's earliest deadline to
     * {@code deadline}. Wake the timer sleeper if it sleeps past it, the way it sleeps (a break
     * of the poll for the token holder, its note otherwise: pair 2); if nobody sleeps for
     * timers, start an M (it becomes the sleeper, or finds the timer due). Pair 1's arming side.
     */
    void timerWaker(long deadline) {
        M s = timerSleeper;
        if (s != null) {
            if (deadline - s.sleepUntil < 0 && !wakeSleeper(s)) { // a poll-sleeper gets a break
                s.notewakeup();
            }
            return;
        }
        sched.wakep();
    }

    /**
     * Wakes the M sleeping for timers and the M blocked in the poller, which hold no P and are
     * not idle-listed, so they come for work that startm found no M for (pget/stopm). True if
     * there was one. Pair 3's startm side.
     */
    boolean wakeMWithoutP() {
        M ts = timerSleeper;
        boolean woke = false;
        if (ts != null) {
            if (!wakeSleeper(ts)) {
                ts.notewakeup();
            }
            woke = true;
        }
        if (Netpoll.pollOwner() instanceof M pm && pm.sched == sched) {
            Netpoll.wakeup(); // an M blocked in the poller until readiness
            woke = true;
        }
        return woke;
    }

    /**
     * Wakes {@code sleeper} by breaking the poll if it is the M of this runtime that holds (or
     * last held) the token. Returns false if the caller must signal its note instead.
     */
    private boolean wakeSleeper(M sleeper) {
        if ((M) BLOCKER.getVolatile(this) == sleeper) {
            Netpoll.wakeup();
            return true;
        }
        return false;
    }

    /** The timer sleeper now, or null. Racy; for SchedInvariants.check on a stopped runtime. */
    M timerSleeper() {
        return timerSleeper;
    }

    /** Is m the timer sleeper now? Tests. */
    boolean timerSleeperIs(M m) {
        return timerSleeper == m;
    }

    // =====================================================================================
    // Non-blocking polls (an M with a P, sysmon)

    /**
     * findRunnable, after the local and global queues: a non-blocking poll if goroutines wait
     * and no thread is blocked in the poller (one M at a time). Readies what it finds into this
     * M's P (Go's injectglist). Returns true if this P's run queue may have work now.
     */
    boolean pollNow(M m) {
        if (!Netpoll.anyWaiters() || Netpoll.pollOwner() != null) {
            return false; // two volatile reads: the common case costs nothing more
        }
        G list = Netpoll.pollNow();
        int f;
        if (list != null && (f = GoEvents.flags) != 0) {
            observeNetpoll(f, m, list, "m");
        }
        Netpoll.injectglist(list);
        // Threads the poll found ready were unparked during it; a JDK virtual thread scheduled on
        // our carriers was thereby queued on this M's P. Either way there may be work here now.
        P pp = m.p;
        return list != null || (pp != null && !pp.runqempty());
    }

    /** A poll readied Gs: JFR's event, and an instant in the ring of m's P (m holds one). */
    private static void observeNetpoll(int f, M m, G list, String by) {
        int n = GoEvents.count(list);
        if ((f & GoEvents.NETPOLL) != 0) {
            GoEvents.netpoll(n, by);
        }
        P pp;
        if ((f & GoEvents.TRACE) != 0 && m != null && (pp = m.p) != null) {
            ExecTrace.put(pp, ExecTrace.NETPOLL, m, n, 0, 0);
        }
    }

    /**
     * Sysmon: polls if goroutines wait, nobody is blocked in the poller and nobody has polled for
     * {@link Netpoll#SYSMON_POLL_NS} (Go's sysmon). What it finds goes to the global queue with a
     * wakep. Returns true if it readied something.
     */
    boolean sysmonPoll(long now) {
        if (!Netpoll.anyWaiters() || Netpoll.pollOwner() != null || now - Netpoll.lastPoll() < Netpoll.SYSMON_POLL_NS) {
            return false;
        }
        G list = Netpoll.pollNow();
        if (list == null) {
            return false;
        }
        if ((GoEvents.flags & GoEvents.NETPOLL) != 0) {
            GoEvents.netpoll(GoEvents.count(list), "sysmon");
        }
        Netpoll.injectglist(list);
        return true;
    }

    // =====================================================================================
    // Registration and shutdown

    private synchronized void hook() {
        if (!hooked && !sched.stopping) {
            Netpoll.addIdleHook(idleHook);
            hooked = true;
        }
    }

    /**
     * Shutdown (after {@code stopping} is set): stop being kicked, break the poll if one of our
     * Ms holds the token so it can exit (it then kicks a successor: {@link #unblock}), and wake
     * the timer sleeper.
     */
    void shutdown() {
        synchronized (this) {
            if (hooked) {
                Netpoll.removeIdleHook(idleHook);
                hooked = false;
            }
        }
        if (Netpoll.pollOwner() instanceof M m && m.sched == sched) {
            Netpoll.wakeup();
        }
        M ts = timerSleeper;
        if (ts != null) {
            ts.notewakeup();
        }
    }
}
