package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import io.goloom.timers.TimerQueue;
import io.goloom.timers.TimerWheel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Go's {@code schedt}: the scheduler's shared state under sched.lock ({@link #lock}), and the
 * small operations on it. The first layer of one runtime's scheduler object:
 * <pre>
 *  SchedT     the global run queue, the idle P list, the wants-an-M list, the idle M list,
 *             the M registry (mcount, allm), the counters (npidle, nmspinning, mblocked),
 *             stopping; the rooms' references (sysmon, sleepers, directTasks)
 *  Parking    worker parking and unparking: acquirep/releasep, wakep/startm/stopm, spinning,
 *             the carrier bound and the thread limit (proc.go's essay)
 *  Syscalls   blocking calls and hand-offs: entersyscall/exitsyscall, handoffp, lostP
 *  Scheduler  proc.go's loop: the Sched SPI (ready), newproc, schedule, findRunnable,
 *             stealing, execute, checkTimers
 * </pre>
 * The layers are superclasses of the one final {@link Scheduler} (sealed: no other subclass),
 * not separate objects, so the hot paths read the same fields of {@code this} as when all was
 * one class: no extra load, no allocation, and every cross-layer method is {@code final} (or
 * private/static), so a call is bound statically as before.
 *
 * <h2>Invariants (all under {@link #lock}, checked at close in test mode by SchedInvariants)</h2>
 * <ul>
 *   <li>The global queue is a list through {@code SchedLinks.schedlink} from {@link #runqHead} to
 *       {@link #runqTail} of exactly {@link #runqsize} RUNNABLE Gs (empty: both null, size 0).</li>
 *   <li>Every P on the idle list ({@link #pidle}, linked through {@code P.link}) is PIDLE,
 *       unowned and has an empty run queue; {@link #npidle} counts them.</li>
 *   <li>A P on the wants-an-M list ({@link #pneedm}) is PIDLE, unowned, has Gs, is not on the
 *       idle list and is not counted in npidle. Non-empty only at the carrier bound or the
 *       thread limit (see {@link Parking#startm}).</li>
 *   <li>Every M on the idle list ({@link #midle}, through {@code M.link}) holds no P and sleeps
 *       on its note; {@link #nmidle} counts them. {@link #mcount} == allm.size().</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Any thread may call what is here (a goroutine's, sysmon, a plain thread calling go(), a
 * timer waker). The list operations require the caller to hold {@link #lock}; the racy reads
 * ({@link #runqsize}, {@link #npidle}) are cheap emptiness peeks that the caller re-checks under
 * the lock before it acts. sched.lock is a monitor and a leaf among the scheduler's locks: no G
 * is readied and no user code runs under it, and an M never parks with it held (ARCHITECTURE.md,
 * "Lock order").
 */
abstract sealed class SchedT permits Parking {

    final String name;
    /**
     * Every P this runtime ever made, by id: the active ones are {@code allp[0 .. gomaxprocs)},
     * the rest are retired by {@link #procresize} (PSTOPPED, or on their way there). A retired P
     * is kept, not dropped, because its TimerQueue is still referenced by the timers armed on it
     * (a Timer holds its queue; a TimerNode cannot move between queues while it may be armed,
     * see TimerNode), and its counters still add to the metrics. Its timers keep firing: the
     * active P {@code allp[id % gomaxprocs]} runs them in findRunnable, thieves and the timer
     * sleeper go over every P of allp, and sysmon watches them (see procresize).
     *
     * <p>Published by a volatile write, under sched.lock, after the new Ps are fully built and
     * before any of them is put on the idle list; replaced only by a longer copy (growth beyond
     * every earlier size). A reader reads it once and uses that snapshot: an older snapshot
     * lacks only Ps that nobody could reach before the write (see procresize).
     */
    volatile P[] allp;
    /**
     * GOMAXPROCS: the number of active Ps ({@code allp[0 .. gomaxprocs)}). Written under
     * sched.lock by procresize; read racily by the spinning bound, wakep's callers, and by
     * findRunnable, whose M retires its P when the P's id is no longer below it.
     */
    volatile int gomaxprocs;
    /**
     * Ps with an id at or above gomaxprocs that are not PSTOPPED yet: held by an M (which
     * retires the P at its next findRunnable), in a blocking call, or in a hand-off. Guarded by
     * lock; read racily by the all-idle tests (sysmon's sleep, the deadlock check).
     */
    volatile int nretiring;
    /** Gs moved from retired Ps' run queues to the global queue (drainToGlobal), for tests and dumps. */
    final java.util.concurrent.atomic.AtomicLong retiredPGs = new java.util.concurrent.atomic.AtomicLong();
    /** Capacity of every P's ring (new Ps too). Immutable. */
    final int runqCapacity;
    /** Maximum number of Ms (Go's maxmcount, default 10,000). Immutable. */
    final int maxMCount;
    final AllGs allgs = new AllGs();

    /**
     * sched.lock: protects the global run queue, the idle lists and mcount (lock order:
     * ARCHITECTURE.md).
     * A monitor, not a ReentrantLock, on purpose: it is taken from goroutine frames (ready,
     * newproc), and j.u.c locks record their owner with Thread.currentThread(), which a compiled
     * goroutine frame may have read before it migrated to another carrier (see Carrier);
     * monitor ownership follows the real carrier.
     */
    final Object lock = new Object();
    // ---- guarded by lock (package-private for SchedInvariants.check, which reads them under it) ----
    G runqHead, runqTail;
    /** Written under lock; read racily (a cheap emptiness peek) by findRunnable. */
    volatile int runqsize;
    P pidle;
    /** Written under lock; read racily by wakep and the spinning bound. */
    volatile int npidle;
    M midle;
    int nmidle;
    /**
     * Ps with runnable Gs for which startm found no M because the thread limit was reached
     * (Go's newm would throw "thread exhaustion" there). Linked through P.link, PIDLE, never
     * counted in npidle. The next M to become free takes one ({@link Parking#stopm}, {@link #pget});
     * thieves steal from them meanwhile ({@link Scheduler#stealWork}). Non-empty only at the limit.
     */
    P pneedm;
    int mcount;
    /**
     * A spinning M is owed: wakep found no idle P to start one on (Go 1.21's needspinning; see
     * Parking's pattern 3), the delicate dance saw work but no idle P, or startm wanted a
     * spinning M but made none (the carrier bound). The next M to give up its P spins instead
     * (findRunnable), or the next M to go idle takes an idle P and spins (stopm), or the M
     * without a P that startm woke for it (the timer sleeper or the poller, acquireIdleP).
     * Whoever takes the job clears the flag, in the same lock section as it decides. Written
     * under lock; volatile for wakep's unlocked peek.
     */
    volatile boolean needspinning;
    /** The id of the next M (ids are never reused: Ms retire, see lostP). Guarded by lock. */
    int mnext;
    final List<M> allm = new ArrayList<>();
    // ---- end of the fields guarded by lock ----

    /**
     * Ms whose P sysmon handed off while they were blocked (in user code or Go.blocking) and
     * that have not come back yet (M.handedOff set). startm makes a new M only while
     * {@code mcount < gomaxprocs + mblocked}: the carriers are GOMAXPROCS plus the truly
     * blocked ones. Incremented by sysmon before the hand-off is visible, decremented once by
     * the M when it notices (backFromHandoff).
     */
    final AtomicInteger mblocked = new AtomicInteger();
    /** Number of spinning Ms. Atomic; see {@link Parking}'s essay. */
    final AtomicInteger nmspinning = new AtomicInteger();
    /** Set once by shutdown (step 1 of {@link Shutdown}'s protocol); read by every M loop and by submission. */
    volatile boolean stopping;

    /** The sysmon daemon of this runtime. Immutable; started by {@link Scheduler#start}. */
    final Sysmon sysmon;
    /** The idle path: the timer sleeper, the poll token and every call into the netpoller. Immutable. */
    final Sleepers sleepers;
    /** Runnables run on an M's own stack: the mounts of JDK virtual threads. Immutable. */
    final DirectTasks directTasks;

    SchedT(String name, int procs, int runqCapacity, int maxMCount) {
        if (procs < 1) {
            throw new IllegalArgumentException("GOMAXPROCS must be at least 1, got " + procs);
        }
        if (maxMCount < procs) {
            throw new IllegalArgumentException("maxThreads (" + maxMCount + ") must be at least GOMAXPROCS (" + procs + ")");
        }
        Scheduler self = (Scheduler) this; // the one subclass (sealed)
        this.name = name;
        this.maxMCount = maxMCount;
        this.runqCapacity = runqCapacity;
        this.sleepers = new Sleepers(self);
        this.directTasks = new DirectTasks(self);
        P[] ps = new P[procs];
        for (int i = 0; i < procs; i++) {
            ps[i] = newP(i);
        }
        synchronized (lock) {
            this.allp = ps;
            this.gomaxprocs = procs;
            for (int i = procs - 1; i >= 0; i--) {
                pidleput(ps[i]);
            }
        }
        this.sysmon = new Sysmon(self);
    }

    // =====================================================================================
    // The global run queue

    /** Puts one G at the tail of the global queue. Takes sched.lock. */
    void globrunqput(G g) {
        SchedLinks.setSchedlink(g, null);
        synchronized (lock) {
            if (runqTail == null) {
                runqHead = g;
            } else {
                SchedLinks.setSchedlink(runqTail, g);
            }
            runqTail = g;
            runqsize = runqsize + 1;
        }
    }

    /** Puts a linked batch of n Gs on the global queue. Takes sched.lock. */
    final void globrunqputbatch(G first, int n) {
        if (SchedChaos.ON) first = SchedChaos.shuffle(first, n); // randomised mode only; see SchedChaos
        G last = first;
        while (SchedLinks.schedlink(last) != null) {
            last = SchedLinks.schedlink(last);
        }
        synchronized (lock) {
            if (runqTail == null) {
                runqHead = first;
            } else {
                SchedLinks.setSchedlink(runqTail, first);
            }
            runqTail = last;
            runqsize = runqsize + n;
        }
    }

    /**
     * Takes a batch from the global queue: returns one G and puts up to the rest into pp's ring
     * (Go's globrunqget). {@code max} 0 means no limit beyond the fair share. sched.lock must be
     * held; pp must be owned by the caller (or just taken off the idle list).
     */
    final G globrunqget(P pp, int max) {
        assert Thread.holdsLock(lock);
        int size = runqsize;
        if (size == 0) {
            return null;
        }
        int n = Math.min(size, size / gomaxprocs + 1);
        if (max > 0 && n > max) {
            n = max;
        }
        n = Math.min(n, pp.capacity() / 2);
        G g = runqHead;
        runqHead = SchedLinks.schedlink(g);
        n--;
        G batch = null, batchTail = null;
        for (int i = 0; i < n; i++) {
            G x = runqHead;
            runqHead = SchedLinks.schedlink(x);
            SchedLinks.setSchedlink(x, null);
            if (batchTail == null) {
                batch = x;
            } else {
                SchedLinks.setSchedlink(batchTail, x);
            }
            batchTail = x;
        }
        if (runqHead == null) {
            runqTail = null;
        }
        runqsize = size - n - 1;
        SchedLinks.setSchedlink(g, null);
        if (batch != null) {
            G rest = pp.runqputbatch(batch);
            if (rest != null) {
                throw new IllegalStateException("goloom: globrunqget: local run queue of P" + pp.id
                        + " had no room for a batch of " + n + " (size " + pp.runqsize() + ")");
            }
        }
        return g;
    }

    // =====================================================================================
    // GOMAXPROCS: retiring and adding Ps (Go's procresize)

    /** A new P (PIDLE, on no list) with its ring and its timer queue. Any thread; no lock needed. */
    final P newP(int id) {
        return new P(id, runqCapacity, new TimerQueue(new TimerWheel(System.nanoTime()), sleepers::timerWaker));
    }

    /**
     * Go's procresize, without stopping the world: makes {@code allp[0 .. n)} the active Ps.
     * sched.lock must be held. Returns the previous GOMAXPROCS.
     *
     * <h3>Retiring Ps (n below the old value): P by P, nothing lost</h3>
     * Go stops the world, so every P is idle or in a system call when procresize moves its
     * queues. Here goroutines may run without yield points for a long time, so a retired P is
     * brought to a stop by whoever holds it, at that holder's next step; nobody waits:
     * <pre>
     *  where the P is                    what happens                              by whom
     *  idle list                         off the list, PSTOPPED                    here
     *  wants-an-M list (Gs, no M)        Gs to the global queue, PSTOPPED          here
     *  held by an M (PRUNNING)           the M sees id >= gomaxprocs at the top    its M (retireP)
     *                                    of findRunnable: Gs to the global queue,
     *                                    releasep, PSTOPPED; sysmon asks its G to
     *                                    yield so that comes soon
     *  in a blocking call (PSYSCALL)     the M comes back through exitsyscall's    its M, or sysmon's
     *  or in a hand-off                  CAS (then as above) or sysmon hands the   hand-off (handoffp
     *                                    P off: pidleput stops it, startm gives    -> pidleput / an M
     *                                    it to an M that retires it                -> retireP)
     * </pre>
     * pidleput and pneedmput stop a retired P instead of listing it, under sched.lock, the lock
     * this method holds: so a retired P is never on a list after this method, and can only be
     * acquired (startm's hand-off) by an M that retires it at once. Until an M retires it, its
     * Gs stay stealable (thieves go over every P of allp) and its owner keeps running them.
     * A retired P's timers are never moved (a Timer keeps its queue for life; see allp): the
     * active P {@code allp[id % n]} runs them in findRunnable, thieves on their last pass and the
     * timer sleeper run them as any P's, and sysmon wakes an M or preempts that active P's G when
     * they are overdue. {@link #nretiring} counts the retired Ps not PSTOPPED yet, so the
     * "every P idle" tests (sysmon's sleep, checkdead) do not miss a retiring P at work.
     *
     * <h3>Adding Ps</h3>
     * A stopped P with an id below n becomes PIDLE and goes on the idle list (its timers, which
     * its adopter ran meanwhile, are its own again). Beyond every earlier size, new Ps are built
     * and a longer copy of allp is published (volatile write) before any new P is put on the
     * idle list. A thread reaches a new P only through the idle list (sched.lock, after the
     * write) or by reading allp: either way it sees the new array and the fully built P.
     * Readers still using the old snapshot (a thief's pass, a timer scan) miss only Ps that were
     * idle and empty when they read it. The caller wakes Ms for the new Ps (wakep).
     */
    final int procresize(int n) {
        assert Thread.holdsLock(lock);
        int old = gomaxprocs;
        P[] ps = allp;
        if (n > ps.length) {
            P[] grown = java.util.Arrays.copyOf(ps, n);
            for (int i = ps.length; i < n; i++) {
                grown[i] = newP(i);
                grown[i].setStatus(P.PSTOPPED); // made active in the loop below, like a stopped P
            }
            allp = ps = grown; // publish before any new P is listed (see above)
        }
        gomaxprocs = n; // from here pidleput and pneedmput stop every P with id >= n
        // Retire: take the listed Ps with id >= n off both lists.
        P keep = null, keepTail = null;
        int idle = 0;
        for (P pp = pidle; pp != null; ) {
            P next = pp.link;
            pp.link = null;
            if (pp.id >= n) {
                stopP(pp); // on the idle list: unowned, empty run queue
            } else {
                if (keepTail == null) keep = pp; else keepTail.link = pp;
                keepTail = pp;
                idle++;
            }
            pp = next;
        }
        pidle = keep;
        npidle = idle;
        keep = keepTail = null;
        for (P pp = pneedm; pp != null; ) {
            P next = pp.link;
            pp.link = null;
            if (pp.id >= n) {
                drainToGlobal(pp); // unowned and off every list: the run queue's owner side is ours
                stopP(pp);
            } else {
                if (keepTail == null) keep = pp; else keepTail.link = pp;
                keepTail = pp;
            }
            pp = next;
        }
        pneedm = keep;
        // Add: stopped Ps below n become idle. A P below n still on its way out (held, in a
        // blocking call) simply stays active.
        for (int i = old; i < n; i++) {
            if (ps[i].state() == P.PSTOPPED) {
                ps[i].setStatus(P.epoch(ps[i].status()) << 3 | P.PIDLE);
                pidleput(ps[i]);
            }
        }
        int retiring = 0;
        for (int i = n; i < ps.length; i++) {
            if (ps[i].state() != P.PSTOPPED) {
                retiring++;
            }
        }
        nretiring = retiring;
        return old;
    }

    /** pp, retired, unowned and on no list, becomes PSTOPPED. sched.lock must be held. */
    private void stopP(P pp) {
        if (pp.m != null || P.state(pp.status()) == P.PSTOPPED || !pp.runqempty()) {
            throw new IllegalStateException("goloom: stopP: cannot stop " + pp + " (m=" + (pp.m == null ? "nil" : "m" + pp.m.id) + ")");
        }
        pp.setStatus(P.epoch(pp.status()) << 3 | P.PSTOPPED);
        nretiring = nretiring - 1;
    }

    /**
     * Moves every G of pp's run queue (runnext first) to the global queue's tail. The caller
     * owns pp's owner side (holds it, or took it unowned off a list under sched.lock); thieves
     * may race and take some, which is fine: each G is taken once (RunQueue's CASes).
     * Returns how many it moved.
     */
    final int drainToGlobal(P pp) {
        G first = null, last = null;
        int k = 0;
        for (G g; (g = pp.runqget()) != null; k++) {
            SchedLinks.setSchedlink(g, null);
            if (last == null) first = g; else SchedLinks.setSchedlink(last, g);
            last = g;
        }
        if (first != null) {
            globrunqputbatch(first, k);
            retiredPGs.addAndGet(k);
        }
        return k;
    }

    /** Are all active Ps idle, with no retired P still at work? Racy, as its readers' tests are. */
    final boolean allIdle() {
        return npidle == gomaxprocs && nretiring == 0;
    }

    int globalQueueSize() {
        return runqsize;
    }

    /** {@link #globrunqget} under sched.lock. */
    final G globrunqgetLocked(P pp, int max) {
        synchronized (lock) {
            return globrunqget(pp, max);
        }
    }

    // =====================================================================================
    // The idle P list, the wants-an-M list, the idle M list

    /**
     * Puts pp on the idle list, or, if procresize retired it (its id is no longer below
     * gomaxprocs), stops it instead (PSTOPPED, on no list). sched.lock must be held; pp's run
     * queue must be empty. Every P that leaves an M passes here or through pneedmput/startm, so
     * a retired P never becomes idle again until procresize makes it active.
     */
    final void pidleput(P pp) {
        assert Thread.holdsLock(lock);
        if (!pp.runqempty()) {
            throw new IllegalStateException("goloom: pidleput: P has non-empty run queue: " + pp);
        }
        if (pp.id >= gomaxprocs) {
            stopP(pp);
            return;
        }
        pp.link = pidle;
        pidle = pp;
        npidle = npidle + 1;
    }

    /** Takes a P off the idle list, or null. sched.lock must be held. */
    final P pidleget() {
        assert Thread.holdsLock(lock);
        P pp = pidle;
        if (pp != null) {
            pidle = pp.link;
            pp.link = null;
            npidle = npidle - 1;
        }
        return pp;
    }

    /** Puts pp, PIDLE with Gs queued, on the wants-an-M list. sched.lock must be held. */
    final void pneedmput(P pp) {
        assert Thread.holdsLock(lock);
        if (pp.id >= gomaxprocs) {
            drainToGlobal(pp); // retired (procresize): its Gs wait on the global queue instead
            stopP(pp);
            return;
        }
        pp.link = pneedm;
        pneedm = pp;
    }

    /** Takes a P off the wants-an-M list, or null. sched.lock must be held. */
    final P pneedmget() {
        assert Thread.holdsLock(lock);
        P pp = pneedm;
        if (pp != null) {
            pneedm = pp.link;
            pp.link = null;
        }
        return pp;
    }

    /**
     * The P an M without one takes when it wants to run Gs: one waiting for an M at the
     * thread limit first (it has work and nobody else will come for it), else an idle one.
     * sched.lock must be held.
     */
    final P pget() {
        P pp = pneedmget();
        return pp != null ? pp : pidleget();
    }

    /** Puts m on the idle list. sched.lock must be held. */
    final void mput(M m) {
        m.link = midle;
        midle = m;
        nmidle++;
    }

    final M mget() {
        M m = midle;
        if (m != null) {
            midle = m.link;
            m.link = null;
            nmidle--;
        }
        return m;
    }

    // =====================================================================================
    // Introspection (any thread)

    /** Is the runtime stopping (closed)? Any thread. */
    boolean isStopping() {
        return stopping;
    }

    /** Ms whose P was handed off while they were blocked, not back yet. */
    int blockedCarriers() {
        return mblocked.get();
    }

    /** Ms (carrier threads) ever started by this runtime (ids are not reused). Takes sched.lock. */
    int threadsStarted() {
        synchronized (lock) {
            return mnext;
        }
    }

    /** Ms (carrier threads) started so far and not retired. */
    int threadCount() {
        synchronized (lock) {
            return mcount;
        }
    }

    /** Racy view of the Ms, for tests and dumps. */
    List<M> allm() {
        synchronized (lock) {
            return new ArrayList<>(allm);
        }
    }

    /** Ms running a direct task (a virtual thread's mount) right now. Racy: M.task is the M's plain field; for statistics only. */
    int mountedTasks() {
        int n = 0;
        for (M m : allm()) {
            if (m.task != null) {
                n++;
            }
        }
        return n;
    }

    /** Gs and direct tasks in the active Ps' run queues, runnext included. Racy; for statistics only. */
    long localQueued() {
        P[] ps = allp;
        int procs = Math.min(gomaxprocs, ps.length);
        long n = 0;
        for (int i = 0; i < procs; i++) {
            n += ps[i].runqsize();
        }
        return n;
    }

    /** Idle Ps (racy). Any thread. */
    int npidle() {
        return npidle;
    }

    /** Idle Ms. Takes sched.lock. */
    int nmidle() {
        synchronized (lock) {
            return nmidle;
        }
    }
}
