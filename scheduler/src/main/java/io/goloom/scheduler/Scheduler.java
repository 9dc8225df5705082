package io.goloom.scheduler;

import io.goloom.core.Carrier;
import io.goloom.core.G;
import io.goloom.core.Sched;
import io.goloom.timers.TimerQueue;
import io.goloom.timers.TimerWheel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The G/M/P scheduler: Go's proc.go, for goroutines that are JDK continuations.
 *
 * <h2>The pieces</h2>
 * <ul>
 *   <li><b>G</b> ({@link G}): a goroutine, a one-shot continuation with a status word.</li>
 *   <li><b>M</b> ({@link M}): a platform thread (the carrier) running
 *       {@code schedule -> findRunnable -> execute} forever.</li>
 *   <li><b>P</b> ({@link P}): the right to run Gs plus a 256-slot local run queue and a runnext
 *       slot. There are exactly GOMAXPROCS Ps; an M needs one to run Gs.</li>
 *   <li>The global run queue, the idle P list and the idle M list live here, under
 *       {@link #lock} (Go's sched.lock).</li>
 * </ul>
 *
 * <h2>What this class owns, and the rooms beside it</h2>
 * This class is proc.go's loop: newproc, ready, the run queues (global and local), the idle
 * P and M lists, wakep/startm/stopm and spinning, findRunnable and stealing, execute,
 * checkTimers, blocking calls and hand-offs (entersyscall/exitsyscall, handoffp, lostP) and
 * shutdown. The rest lives in rooms that call back into it through package-private methods:
 * <ul>
 *   <li>{@link Sysmon}: sysmon's thread and its policy (retake, preemption requests, the
 *       native-block probe); it calls {@link #wakep}, {@link #handoffp}, {@link #mblocked}.</li>
 *   <li>{@link Sleepers}: the idle path (the timer sleeper, the poll token, waking them, every
 *       call into the netpoller); it takes a P through {@link #acquireIdleP} only.</li>
 *   <li>{@link DirectTasks}: Runnables on an M's stack (JDK virtual threads' mounts) and the
 *       agent's yield points.</li>
 *   <li>{@link Deadlock} (Go's checkdead), {@link SchedInvariants} (the test-time check of the
 *       lists below, read under {@link #lock}), {@link AllGs} (the registry).</li>
 * </ul>
 * Threads: a method here runs on an M of this runtime unless its comment says "any thread"
 * (ready, newproc, wakep, globrunqput, the Sched SPI) or "sysmon" (handoffp).
 *
 * <h2>Worker parking and unparking (after the essay at the top of proc.go)</h2>
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
 * the G. For the global queue the lock provides both barriers (lock sections are totally
 * ordered, and the decrement precedes the M's lock section). For a local queue the submitter
 * is the P's owner and is running, so even a missed wake-up loses no G: the owner itself runs
 * it when its current G yields; only parallelism is delayed, never progress.
 *
 * <h2>Locks</h2>
 * One lock of its own, {@link #lock} (sched.lock): no G is readied and no user code runs under
 * it, and an M never parks with it held. Where it sits among goloom's locks: ARCHITECTURE.md,
 * "Lock order" (the one place that states the order).
 *
 * <h2>Ownership checks</h2>
 * Every owner-side run-queue operation goes through the M's own {@code m.p}; acquirep and
 * releasep verify {@code p.m == m} and fail loudly otherwise ("runtime:"-style messages with
 * the state seen).
 */
final class Scheduler implements Sched {

    /** Every this-many fresh time slices, look at the global queue first (Go's 61: a prime). */
    static final int GLOBAL_CHECK_PERIOD = 61;
    /** Steal passes over all Ps; runnext is taken only on the last (Go's stealTries). */
    static final int STEAL_TRIES = 4;
    /** Sample 1 in this many readies for the scheduling-latency histogram (Go samples 1 in 8). */
    static final int LATENCY_SAMPLE_MASK = 7;

    final String name;
    /** The public face of this scheduler; set once right after construction. */
    GoRuntime runtime;
    final P[] allp;
    final int gomaxprocs;
    /** Coprimes of gomaxprocs, for the random steal order (Go's randomOrder). Immutable. */
    private final int[] coprimes;
    final AllGs allgs = new AllGs();
    private final BiConsumer<G, Throwable> panicHandler;

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
     * counted in npidle. The next M to become free takes one ({@link #stopm}, {@link #pget});
     * thieves steal from them meanwhile ({@link #stealWork}). Non-empty only at the limit.
     */
    P pneedm;
    int mcount;
    /**
     * Ms whose P sysmon handed off while they were blocked (in user code or Go.blocking) and
     * that have not come back yet (M.handedOff set). startm makes a new M only while
     * {@code mcount < gomaxprocs + mblocked}: the carriers are GOMAXPROCS plus the truly
     * blocked ones. Incremented by sysmon before the hand-off is visible, decremented once by
     * the M when it notices (backFromHandoff).
     */
    final AtomicInteger mblocked = new AtomicInteger();
    /**
     * startm wanted a spinning M but made none (the carrier bound above): the next M to go idle
     * takes an idle P and spins instead (stopm). Guarded by lock.
     */
    private boolean needspinning;
    /** The id of the next M (ids are never reused: Ms retire, see lostP). Guarded by lock. */
    private int mnext;
    final List<M> allm = new ArrayList<>();

    /** Coarse monotonic clock, updated by sysmon each tick and by acquirep. */
    volatile long coarseNanos = System.nanoTime();
    /** Maximum number of Ms (Go's maxmcount, default 10,000). Immutable. */
    final int maxMCount;
    /**
     * How many times a P with work, or a wake-up, found no M to hand it to because maxMCount Ms
     * exist and none was idle or asleep (see {@link #threadLimit}). Atomic.
     */
    final AtomicLong threadLimitHits = new AtomicLong();
    /** The one report of the thread limit (set once, by CAS), or null while it was never hit. */
    private volatile IllegalStateException threadLimitError;
    /** The sysmon daemon of this runtime. Immutable after construction. */
    final Sysmon sysmon;

    /** Number of spinning Ms. Atomic; see the patterns above. */
    final AtomicInteger nmspinning = new AtomicInteger();
    /** Set once by close; read by every M loop and by submission. */
    volatile boolean stopping;
    /** The idle path: the timer sleeper, the poll token and every call into the netpoller. Immutable. */
    final Sleepers sleepers = new Sleepers(this);
    /** Runnables run on an M's own stack: the mounts of JDK virtual threads. Immutable. */
    final DirectTasks directTasks = new DirectTasks(this);
    private final AtomicLong goidgen = new AtomicLong(1);
    /** The goroutine-id batch a P takes at once (Go's _GoidCacheBatch). */
    private static final int GOID_BATCH = 16;

    Scheduler(String name, int procs, int runqCapacity, int maxMCount, BiConsumer<G, Throwable> panicHandler) {
        if (procs < 1) {
            throw new IllegalArgumentException("GOMAXPROCS must be at least 1, got " + procs);
        }
        if (maxMCount < procs) {
            throw new IllegalArgumentException("maxThreads (" + maxMCount + ") must be at least GOMAXPROCS (" + procs + ")");
        }
        this.name = name;
        this.maxMCount = maxMCount;
        this.gomaxprocs = procs;
        this.panicHandler = panicHandler;
        this.allp = new P[procs];
        for (int i = 0; i < procs; i++) {
            allp[i] = new P(i, runqCapacity, new TimerQueue(new TimerWheel(System.nanoTime()), sleepers::timerWaker));
        }
        List<Integer> cp = new ArrayList<>();
        for (int i = 1; i <= procs; i++) {
            if (gcd(i, procs) == 1) {
                cp.add(i);
            }
        }
        coprimes = cp.stream().mapToInt(Integer::intValue).toArray();
        synchronized (lock) {
            for (int i = procs - 1; i >= 0; i--) {
                pidleput(allp[i]);
            }
        }
        sysmon = new Sysmon(this);
        sysmon.start();
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    // =====================================================================================
    // Sched SPI

    @Override
    public void ready(G g, boolean next) {
        M m = currentM();
        if (m != null) {
            P pp = enterRuntime(m);
            if (pp != null) {
                if ((++pp.trackTick & LATENCY_SAMPLE_MASK) == 0) {
                    g.readiedAt = System.nanoTime();
                }
                runqputLocal(pp, g, next);
                // Read while m still owns pp: after exitRuntime sysmon may hand pp to another M,
                // whose own runqput rewrites lastPutKicked (an owner-only field).
                boolean kicked = pp.lastPutKicked;
                exitRuntime(m);
                // A G readied into an empty runnext is a hand-off: the waker usually parks or
                // yields next (a channel partner), and this P runs it at once. Waking another M
                // for it costs the waker an unpark and makes the pair bounce between Ps. So, as
                // Tokio's LIFO slot and the JDK's lazySubmit for virtual threads do, wake only
                // when the runnext displaced earlier work. If the waker keeps running instead,
                // a spinning M steals the runnext after its grace, or sysmon's 10 ms request
                // makes the waker yield. Not for newproc: Go wakes an M for every new goroutine.
                if (!next || kicked || SchedChaos.ON && SchedChaos.wakeEagerly()) {
                    wakep();
                }
                return;
            }
            exitRuntime(m);
        }
        g.readiedAt = System.nanoTime();
        globrunqput(g);
        wakep();
    }

    @Override
    public void panicked(G g, Throwable t) {
        panicHandler.accept(g, t);
    }

    @Override
    public long coarseNanos() {
        return coarseNanos;
    }

    /**
     * Go's sync_runtime_canSpin: a Mutex waiter may spin a few rounds only on a multicore
     * machine, while some other P is running (the holder likely is, and will unlock soon) and
     * this P has nothing else queued (spinning would delay it).
     */
    @Override
    public boolean canSpin(int iter) {
        if (iter >= 4 || NCPU <= 1 || gomaxprocs <= npidle + nmspinning.get() + 1) {
            return false;
        }
        M m = currentM();
        return m != null && m.p != null && m.p.runqempty();
    }

    private static final int NCPU = Runtime.getRuntime().availableProcessors();

    /** The current thread as an M of this scheduler, or null. */
    M currentM() {
        // Carrier.current(), never Thread.currentThread(): this runs inside goroutines, whose
        // compiled frames may have hoisted a thread read from before a migration (see Carrier).
        return Carrier.current() instanceof M m && m.sched == this ? m : null;
    }

    // =====================================================================================
    // Creating goroutines

    /** Go's newproc: a new G, in the caller's runnext if the caller runs on one of our Ps. */
    G newproc(Runnable task, String gname) {
        if (task == null) {
            throw new NullPointerException("task");
        }
        M m = currentM();
        P pp = m != null ? enterRuntime(m) : null;
        try {
            return newproc1(task, gname, pp);
        } finally {
            if (m != null) {
                exitRuntime(m);
            }
        }
    }

    private G newproc1(Runnable task, String gname, P pp) {
        long id;
        if (pp != null) {
            if (pp.goidcache == pp.goidcacheend) {
                pp.goidcache = goidgen.getAndAdd(GOID_BATCH);
                pp.goidcacheend = pp.goidcache + GOID_BATCH;
            }
            id = pp.goidcache++;
        } else {
            id = goidgen.getAndIncrement();
        }
        G g = new G(id, task, this);
        g.name = gname;
        // Register, then check stopping: shutdown() sets stopping, then snapshots allgs, so a G
        // is either refused here or reported there (both sides are volatile/lock ordered).
        allgs.add(g);
        if (stopping) {
            allgs.remove(g);
            throw new RejectedExecutionException("goloom: runtime " + name + " is closed; goroutine not started");
        }
        g.markRunnable();
        if (pp != null) {
            runqputLocal(pp, g, true);
        } else {
            globrunqput(g);
        }
        wakep();
        return g;
    }

    // =====================================================================================
    // P ownership from goroutine code

    /**
     * Does m still own pp? Waits out a PRETAKING (sysmon decides within a few instructions).
     * The epoch makes a P that was taken and handed out again never look like ours.
     */
    static boolean ownsP(M m, P pp) {
        for (;;) {
            long s = pp.status();
            if (P.state(s) == P.PRETAKING) {
                Thread.onSpinWait();
                continue;
            }
            return s == (m.pEpoch << 3 | P.PRUNNING);
        }
    }

    /**
     * A goroutine calls into the runtime and wants its P's owner side (run queue, id cache,
     * timers). Returns the P if m still owns it, else null (the P was handed off while the G
     * was blocked in a JDK call; use the global queue). Pair every call with
     * {@link #exitRuntime}. Called on m's own thread.
     */
    static P enterRuntime(M m) {
        if (m.where() == M.IN_USER) {
            m.setWhereVolatile(M.IN_RUNTIME); // StoreLoad: pairs with retake's CAS-then-read
            if (SchedChaos.ON) SchedChaos.at(SchedChaos.WHERE_SET, m); // test hook; see SchedChaos
        }
        P pp = m.p;
        return pp != null && ownsP(m, pp) ? pp : null;
    }

    static void exitRuntime(M m) {
        // Only enterRuntime moves IN_USER to IN_RUNTIME (callers in the scheduler stay
        // IN_SCHED), so IN_RUNTIME here means we set it: give back IN_USER, for goroutines and
        // for direct tasks (virtual threads) alike.
        if (m.where() == M.IN_RUNTIME) {
            m.setWhereRelease(M.IN_USER);
        }
    }

    // =====================================================================================
    // Run queues

    /** runqput on our own P, spilling an overflow batch to the global queue. Owner only. */
    void runqputLocal(P pp, G g, boolean next) {
        G batch = pp.runqput(g, next);
        if (batch != null) {
            globrunqputbatch(batch, pp.lastOverflowSize);
        }
    }

    /** Puts one G at the tail of the global queue. Takes sched.lock. */
    void globrunqput(G g) {
        g.schedlink = null;
        synchronized (lock) {
            if (runqTail == null) {
                runqHead = g;
            } else {
                runqTail.schedlink = g;
            }
            runqTail = g;
            runqsize = runqsize + 1;
        }
    }

    /** Puts a linked batch of n Gs on the global queue. Takes sched.lock. */
    private void globrunqputbatch(G first, int n) {
        if (SchedChaos.ON) first = SchedChaos.shuffle(first, n); // randomised mode only; see SchedChaos
        G last = first;
        while (last.schedlink != null) {
            last = last.schedlink;
        }
        synchronized (lock) {
            if (runqTail == null) {
                runqHead = first;
            } else {
                runqTail.schedlink = first;
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
    private G globrunqget(P pp, int max) {
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
        runqHead = g.schedlink;
        n--;
        G batch = null, batchTail = null;
        for (int i = 0; i < n; i++) {
            G x = runqHead;
            runqHead = x.schedlink;
            x.schedlink = null;
            if (batchTail == null) {
                batch = x;
            } else {
                batchTail.schedlink = x;
            }
            batchTail = x;
        }
        if (runqHead == null) {
            runqTail = null;
        }
        runqsize = size - n - 1;
        g.schedlink = null;
        if (batch != null) {
            G rest = pp.runqputbatch(batch);
            if (rest != null) {
                throw new IllegalStateException("goloom: globrunqget: local run queue of P" + pp.id
                        + " had no room for a batch of " + n + " (size " + pp.runqsize() + ")");
            }
        }
        return g;
    }

    int globalQueueSize() {
        return runqsize;
    }

    // =====================================================================================
    // Ps and Ms

    /** Puts pp on the idle list. sched.lock must be held; pp's run queue must be empty. */
    private void pidleput(P pp) {
        assert Thread.holdsLock(lock);
        if (!pp.runqempty()) {
            throw new IllegalStateException("goloom: pidleput: P has non-empty run queue: " + pp);
        }
        pp.link = pidle;
        pidle = pp;
        npidle = npidle + 1;
    }

    /** Takes a P off the idle list, or null. sched.lock must be held. */
    private P pidleget() {
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
    private void pneedmput(P pp) {
        assert Thread.holdsLock(lock);
        pp.link = pneedm;
        pneedm = pp;
    }

    /** Takes a P off the wants-an-M list, or null. sched.lock must be held. */
    private P pneedmget() {
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
    private P pget() {
        P pp = pneedmget();
        return pp != null ? pp : pidleget();
    }

    /**
     * An M without a P (the timer sleeper or the poll-token holder, back from its sleep) takes
     * one to run Gs: a P waiting for an M first (it has work), else an idle one. Returns whether
     * m now holds a P. The one way {@link Sleepers} reaches the idle lists. Takes sched.lock.
     */
    boolean acquireIdleP(M m) {
        P pp;
        synchronized (lock) {
            pp = pget();
        }
        if (pp == null) {
            return false;
        }
        acquirep(m, pp);
        return true;
    }

    /** Makes pp, which the caller took off the idle list (or was handed), m's P. */
    private void acquirep(M m, P pp) {
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
    private P releasep(M m) {
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

    /** Puts m on the idle list. sched.lock must be held. */
    private void mput(M m) {
        m.link = midle;
        midle = m;
        nmidle++;
    }

    private M mget() {
        M m = midle;
        if (m != null) {
            midle = m.link;
            m.link = null;
            nmidle--;
        }
        return m;
    }

    /**
     * Tries to add one more spinning M to run Gs: only if there is an idle P and nobody is
     * spinning already (the 0 -> 1 CAS). See the header for why this loses no wake-up.
     */
    void wakep() {
        // A racy peek first keeps the common busy case to two plain-ish reads.
        if (npidle == 0 || nmspinning.get() != 0 || !nmspinning.compareAndSet(0, 1)) {
            return;
        }
        P pp;
        synchronized (lock) {
            pp = stopping ? null : pidleget();
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
    private void startm(P pp, boolean spinning) {
        M nm;
        boolean spare = false;
        synchronized (lock) {
            nm = mget();
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
                    nm = new M(this, mnext++);
                    nm.nextp = pp;
                    nm.spinning = spinning;
                    if (startThread(nm)) {
                        mcount++;
                        allm.add(nm);
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
        nm.spinning = spinning;
        nm.nextp = pp;
        nm.notewakeup(); // the note's volatile store publishes spinning and nextp
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
    boolean workForMWithoutP() {
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
                    .findVarHandle(Scheduler.class, "threadLimitError", IllegalStateException.class);
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
    private void stopm(M m) {
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
        P pp;
        do {
            m.notesleep();
            pp = m.nextp;
        } while (pp == null && !stopping);
        if (pp != null) {
            m.nextp = null;
            acquirep(m, pp);
        }
    }

    private void becomeSpinning(M m) {
        m.spinning = true;
        nmspinning.incrementAndGet();
    }

    /** The M found work while spinning: stop spinning and wake the next spinner (Go's resetspinning). */
    private void resetspinning(M m) {
        m.spinning = false;
        if (nmspinning.decrementAndGet() < 0) {
            throw new IllegalStateException("goloom: resetspinning: negative nmspinning");
        }
        wakep();
    }

    // =====================================================================================
    // The scheduler loop

    /** Entry point of every M thread. */
    void mstart(M m) {
        P pp = m.nextp;
        m.nextp = null;
        if (pp != null) {
            acquirep(m, pp);
        }
        try {
            schedule(m);
        } catch (Throwable t) {
            System.err.println("goloom: fatal error in " + m.getName() + ": scheduler invariant broken");
            t.printStackTrace();
            throw t;
        } finally {
            if (m.p != null && ownsP(m, m.p)) {
                P p = releasep(m);
                p.setStatus(P.epoch(p.status()) << 3 | P.PDEAD);
            }
            if (m.spinning) {
                m.spinning = false;
                nmspinning.decrementAndGet();
            }
        }
    }

    /** One round of scheduling forever: find a runnable G and run it (Go's schedule). */
    private void schedule(M m) {
        for (;;) {
            G g = findRunnable(m);
            if (g == null) {
                return; // stopping
            }
            // The M was spinning and found work: let another M take over the search.
            if (m.spinning) {
                resetspinning(m);
            }
            execute(m, g, m.inheritTime);
            if (m.retired) {
                return; // left allm in lostP: the thread ends
            }
        }
    }

    /** Runs g on m's P (Go's execute), then files it according to how it stopped. */
    private void execute(M m, G g, boolean inheritTime) {
        P pp = m.p;
        if (!inheritTime) {
            pp.schedtick++;
        }
        long readied = g.readiedAt;
        if (readied != 0) {
            g.readiedAt = 0;
            pp.schedLatency.record(System.nanoTime() - readied);
        }
        // Go's execute clears gp.preempt: sysmon asks only the G an M is running (m.curg, set in
        // runG below), so a request still pending now was made for an earlier run of g (one that
        // landed after its last yield point and outlived the withdrawal below) and is void.
        if (g.preemptRequested()) {
            g.clearPreempt();
        }
        m.setWhereRelease(M.IN_USER);
        int how = g.directTask == null ? m.runG(g) : directTasks.run(m, g);
        m.setWhereVolatile(M.IN_SCHED); // StoreLoad: pairs with retake (see ownsP)
        // A native goroutine's Thread.currentThread() is this carrier: an interrupt it set (the
        // catch-and-reassert idiom) or one aimed at the carrier while it ran ends with its run,
        // so it reaches neither the next goroutine nor this M's parks (see Go's class comment).
        // One read of the carrier's interrupted field when clear.
        Thread.interrupted();
        // A request that arrived after the G's last yield point is void now: withdraw it so the
        // agent's counter does not keep every thread on its slow path. Every kind but
        // EXEC_PARKED leaves g with this M, so the withdrawal is exact. After EXEC_PARKED the
        // commit has published g: a waker may have readied it and another M may run it, with a
        // fresh request of sysmon's that we must not withdraw. So withdraw only while g is seen
        // WAITING. What remains: g is readied, dispatched (which clears preempt, above) and
        // asked to yield by sysmon, all between our status read and our CAS. Sysmon asks a G
        // only after it held its P for a whole time slice (10 ms) or its P's timers are overdue
        // (0.5 ms), so this M would have to stall that long between two instructions; and then
        // sysmon asks again at its next tick, since the P's schedtick has not moved (for a G
        // whose M lost its P, preemptOrphan asks once: that G then runs on without a P until it
        // next parks or yields, one thread of oversubscription, nothing lost). A request left on
        // a parked g (the status moved on before we read it) is withdrawn when it next runs.
        if (g.preemptRequested() && (how != G.EXEC_PARKED || g.status() == G.WAITING)) {
            g.clearPreempt();
        }
        if (m.taskPreempt) {
            m.clearTaskPreempt();
        }
        // A virtual thread that re-submitted itself during the task (Thread.yield): filed now,
        // like a goroutine's EXEC_YIELD, under the ownership check below (no runtime entry of
        // its own). After a preemption yield (yieldingTask), globally.
        G again = m.resubmit;
        boolean preempted = false;
        if (again != null) {
            m.resubmit = null;
            preempted = m.yieldingTask;
            m.yieldingTask = false;
        }
        P cur = m.p;
        if (cur == null || !ownsP(m, cur)) {
            if (again != null) {
                globrunqput(again);
                wakep();
            }
            lostP(m, g, how);
            return;
        }
        if (again != null) {
            if (preempted) {
                globrunqput(again);
                wakep();
            } else {
                runqputLocal(cur, again, false);
            }
        }
        switch (how) {
            case G.EXEC_DEAD -> {
                if (g.directTask == null) {
                    allgs.remove(g);
                }
            }
            case G.EXEC_PARKED -> { } // the G belongs to whatever it waits on now
            case G.EXEC_YIELD -> runqputLocal(cur, g, false);
            case G.EXEC_GOSCHED -> globrunqput(g);
            case G.EXEC_PREEMPT -> {
                g.markRunnable();
                globrunqput(g);
            }
            case EXEC_SYSCALL_EXIT -> throw new IllegalStateException(
                    "goloom: execute: " + g + " left a blocking call without a P, but m" + m.id + " owns " + cur);
            default -> throw new IllegalStateException("goloom: execute: unknown yield kind " + how + " from " + g);
        }
    }

    // =====================================================================================
    // Lost Ps, hand-offs and blocking calls (Go's exitsyscall0, handoffp, entersyscall/exitsyscall)

    /** m noticed that sysmon handed its P off: it no longer counts as blocked (mblocked). Once per hand-off. */
    void backFromHandoff(M m) {
        if (m.clearHandedOff()) {
            mblocked.decrementAndGet();
        }
    }

    /**
     * The G just returned and m no longer owns a P: sysmon handed it off while the G was blocked
     * (in a JDK call or Go.blocking). m must not touch that P. File the G globally, then get an
     * idle P or park (Go's exitsyscall0).
     */
    private void lostP(M m, G g, int how) {
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
     * Under sched.lock: m leaves allm for good; its thread ends when it returns to mstart. The
     * thread's name gets " (retired)" here, in the same lock section, so that a thread dump
     * (or a tool counting goloom-m threads beside {@link #blockedCarriers}) tells an M on its
     * way out from a live carrier.
     */
    private void retire(M m) {
        allm.remove(m);
        mcount--;
        m.retired = true;
        m.setName(m.getName() + " (retired)");
    }

    /**
     * Hands off pp, taken from an M stuck in a blocking call, to another M if there is work for
     * it, else to the idle list (Go's handoffp). pp is PIDLE, unowned and not on the idle list.
     * At the thread limit startm parks pp on the wants-an-M list with its Gs (or on the idle
     * list when it has none) instead of starting an M; nothing here throws.
     */
    void handoffp(P pp) {
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
    static final int EXEC_SYSCALL_EXIT = G.EXEC_USER;

    /**
     * Runs a blocking call with the P released to sysmon's judgement (Go's entersyscall /
     * exitsyscall). Fast path out: one CAS takes the same P back. Slow path: the P was handed
     * off; take an idle P, or queue this G globally and park the M.
     */
    <T> T blocking(M m, java.util.concurrent.Callable<T> call) throws Exception {
        G g = m.curg();
        P pp = enterRuntime(m);
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

    // =====================================================================================
    // Finding work (Go's findRunnable)

    /**
     * Finds a runnable G, blocking (stopm) when there is none (Go's findRunnable). Returns null
     * only when the runtime is stopping. Tries, in order: the global queue every 61 ticks;
     * runnext and the local ring; a global batch; stealing (as a spinning M); then the idle
     * dance described in the header.
     */
    private G findRunnable(M m) {
        top:
        for (;;) {
            if (stopping) {
                return null;
            }
            P pp = m.p;
            if (pp == null) {
                throw new IllegalStateException("goloom: findRunnable: m" + m.id + " has no P");
            }
            m.inheritTime = false;

            // This P's expired timers first: what they ready lands in our runnext and runs
            // next. Not behind a global G's whole time slice: the fairness check below waits
            // a round when a timer fired (the woken G inherits this slice, so schedtick still
            // says "check" when we are back). Measured: a ticker readied here and then passed
            // over by the 61st-tick check woke 15 ms late behind a CPU-bound G.
            boolean timerFired = checkTimers(pp);

            // Fairness: check the global queue once in a while so two Gs that keep readying
            // each other into runnext cannot starve it. Deferred at most one round at a time,
            // so timers firing every round cannot starve it either.
            if (pp.schedtick % GLOBAL_CHECK_PERIOD == 0 && runqsize > 0) {
                if (timerFired && !pp.globalCheckDeferred) {
                    pp.globalCheckDeferred = true;
                } else {
                    pp.globalCheckDeferred = false;
                    G g = globrunqgetLocked(pp, 1);
                    if (g != null) {
                        return g;
                    }
                }
            }

            if (SchedChaos.ON) { G c = chaosPick(m, pp); if (c != null) return c; } // randomised mode only

            G g = pp.runqget();
            if (g != null) {
                m.inheritTime = pp.lastGetInheritsTime;
                return g;
            }

            if (runqsize != 0) {
                g = globrunqgetLocked(pp, 0);
                if (g != null) {
                    return g;
                }
            }

            // Go's non-blocking netpoll before stealing, when Gs wait on the poller and no
            // thread is blocked in it (one M at a time); what it readies lands in our P.
            if (sleepers.pollNow(m)) {
                continue;
            }

            // Steal. Limit spinning Ms to half the busy Ps: with GOMAXPROCS much larger than
            // the parallelism the program has, this keeps CPU use sane.
            if (m.spinning || 2 * nmspinning.get() < gomaxprocs - npidle || SchedChaos.ON && SchedChaos.spinAnyway()) {
                if (!m.spinning) {
                    becomeSpinning(m);
                }
                g = stealWork(m, pp);
                if (g != null) {
                    return g;
                }
            }

            // Nothing to do. Give up the P, then, if we were spinning, the delicate dance.
            synchronized (lock) {
                if (runqsize != 0) {
                    g = globrunqget(pp, 0);
                    return g;
                }
                if (releasep(m) != pp) {
                    throw new IllegalStateException("goloom: findRunnable: wrong P released");
                }
                pidleput(pp);
            }

            if (m.spinning) {
                // Delicate dance: drop nmspinning first, then check all sources again. If we
                // checked first, a submitter could see nmspinning > 0 after our check and not
                // wake anyone, and its G would wait for the next wake-up.
                m.spinning = false;
                if (nmspinning.decrementAndGet() < 0) {
                    throw new IllegalStateException("goloom: findRunnable: negative nmspinning");
                }
                if (SchedChaos.ON) SchedChaos.at(SchedChaos.SPIN_DROPPED, m); // test hook; see SchedChaos
                P p2 = null;
                synchronized (lock) {
                    if (runqsize != 0 && !stopping) {
                        p2 = pidleget();
                        if (p2 != null) {
                            g = globrunqget(p2, 0); // p2 is ours: just taken off the idle list
                        }
                    }
                }
                if (p2 != null) {
                    if (g == null) {
                        throw new IllegalStateException("goloom: findRunnable: global runq empty with non-zero runqsize");
                    }
                    acquirep(m, p2);
                    becomeSpinning(m);
                    return g;
                }
                for (P victim : allp) {
                    if (!victim.runqempty()) {
                        P idle;
                        synchronized (lock) {
                            idle = stopping ? null : pidleget();
                        }
                        if (idle != null) {
                            acquirep(m, idle);
                            becomeSpinning(m);
                            continue top;
                        }
                        break;
                    }
                }
            }

            if (sleepers.sleepForTimers(m)) {
                continue; // woke with a P and ran the expired timers
            }
            stopm(m);
            if (m.p == null) {
                return null; // no P: the runtime is stopping, or this M retired (stopm)
            }
        }
    }

    private G globrunqgetLocked(P pp, int max) {
        synchronized (lock) {
            return globrunqget(pp, max);
        }
    }

    /**
     * Steals from other Ps: 4 passes over all Ps in a random coprime order, half of a victim's
     * ring each time, its runnext only on the last pass (Go's stealWork).
     */
    private G stealWork(M m, P pp) {
        int n = allp.length;
        if (n == 1) {
            return null;
        }
        for (int i = 0; i < STEAL_TRIES; i++) {
            boolean stealRunNext = i == STEAL_TRIES - 1;
            int r = m.fastrand();
            int pos = r % n;
            int inc = coprimes[(r >>> 8) % coprimes.length];
            for (int k = 0; k < n; k++, pos = (pos + inc) % n) {
                if (stopping) {
                    return null;
                }
                P p2 = allp[pos];
                if (p2 == pp) {
                    continue;
                }
                // Last pass: run the victim's expired timers (Go's stealWork), idle Ps' too:
                // a P whose M is busy in a CPU-bound G must not hold its timers hostage.
                if (stealRunNext && checkTimers(p2)) {
                    G g = pp.runqget();
                    if (g != null) {
                        m.inheritTime = pp.lastGetInheritsTime;
                        return g;
                    }
                }
                if (p2.state() == P.PIDLE && p2.runqempty()) {
                    // An idle-listed P has an empty queue (pidleput checks it). Not skipped when
                    // it has Gs: a P waiting for an M at the thread limit (see startm).
                    continue;
                }
                G g = pp.runqsteal(p2, stealRunNext);
                if (g != null) {
                    return g;
                }
            }
        }
        return null;
    }

    // =====================================================================================
    // Timers in the scheduler (no timer thread)

    /**
     * Runs pp's expired timers if any are due and nobody else is running them. Returns true if
     * any fired. Any M may call it for any P: the P's timerLock is the queues' owner role.
     * Timers ready their goroutines into the calling M's P (runnext), so they run next.
     */
    boolean checkTimers(P pp) {
        TimerQueue q = pp.timers;
        long hint = q.earliestHint(); // one volatile read when no timer is pending
        if (hint == TimerQueue.NONE) {
            return false;
        }
        long now = System.nanoTime();
        // Run when something is due, or to drain requests from other threads (stopped timers
        // would otherwise wait in the inbox until the earliest of them came due).
        if ((now - hint < 0 && !q.hasRequests()) || !pp.tryLockTimers()) {
            return false;
        }
        try {
            return pp.timers.runExpired(now) > 0;
        } catch (Throwable t) {
            System.err.println("goloom: a timer callback threw: " + t); // ours never do; report, keep going
        } finally {
            pp.unlockTimers();
        }
        return true;
    }

    /** The queue a new timer armed by the caller goes to: its own P's, else P0's. */
    TimerQueue timerQueueForCaller() {
        M m = currentM();
        P pp = m != null ? m.p : null;
        return (pp != null ? pp : allp[0]).timers;
    }

    // =====================================================================================
    // Shutdown and introspection

    /**
     * Stops every M (idle ones at once; busy ones when their G next yields or parks) and
     * returns the goroutines still alive. Never waits for user code: waits for idle Ms to exit
     * for at most {@code waitMs}.
     */
    List<G> shutdown(long waitMs) {
        List<M> ms;
        synchronized (lock) {
            stopping = true;
            for (M m; (m = mget()) != null; ) {
                m.nextp = null;
                m.notewakeup();
            }
            ms = new ArrayList<>(allm);
        }
        sysmon.wake();
        sleepers.shutdown(); // break a poll one of our Ms is blocked in, wake the timer sleeper
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        Thread self = Thread.currentThread();
        for (M m : ms) {
            if (m == self) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                m.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return allgs.snapshot();
    }

    /**
     * After {@link #shutdown}: the Ms still running, other than the caller. Each is inside a
     * goroutine (or a direct task) that has not reached a yield point; Java cannot stop a thread,
     * so it runs on until that code yields, parks or returns, and then exits. For close's report.
     */
    List<M> runningMs() {
        List<M> out = new ArrayList<>();
        Thread self = Thread.currentThread();
        for (M m : allm()) {
            if (m != self && m.isAlive()) {
                out.add(m);
            }
        }
        return out;
    }

    /** Is the runtime stopping (closed)? Any thread. */
    boolean isStopping() {
        return stopping;
    }

    /** Ms whose P was handed off while they were blocked, not back yet. */
    int blockedCarriers() {
        return mblocked.get();
    }

    /** Ms (carrier threads) ever started by this runtime (ids are not reused). */
    int threadsStarted() {
        synchronized (lock) {
            return (int) mnext;
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

    int npidle() {
        return npidle;
    }

    /** Whether deadlock detection is on for this runtime (GoRuntime.Builder). Immutable after build. */
    boolean deadlockDetection = true;
    final Deadlock deadlock = new Deadlock(this);

    int nmidle() {
        synchronized (lock) {
            return nmidle;
        }
    }

    /**
     * Randomised mode only ({@link SchedChaos}): a global G or a steal out of turn. Both are
     * legal at any point of findRunnable: the global take is capped at one G (as the every-61st
     * check), and the steal only runs on an empty local queue (as Go's), so the ring has room
     * for half a victim's.
     */
    private G chaosPick(M m, P pp) {
        if (SchedChaos.globalFirst() && runqsize != 0) {
            G g = globrunqgetLocked(pp, 1);
            if (g != null) {
                return g;
            }
        }
        if (SchedChaos.stealFirst() && pp.runqempty()) {
            return stealWork(m, pp);
        }
        return null;
    }

    long[] schedLatencyCounts() {
        long[] sum = new long[64 * 4];
        for (P p : allp) {
            long[] c = p.schedLatency.counts;
            for (int i = 0; i < sum.length; i++) {
                sum[i] += c[i];
            }
        }
        return sum;
    }
}
