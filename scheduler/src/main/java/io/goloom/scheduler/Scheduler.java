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
 * <h2>Lock order</h2>
 * {@code sched.lock} is a leaf: nothing else is acquired while holding it, no G is readied,
 * no user code runs, and an M never parks with it held. {@link AllGs} stripe monitors are
 * also leaves, never nested with sched.lock.
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
     * sched.lock: protects the global run queue, the idle lists and mcount. A leaf lock.
     * A monitor, not a ReentrantLock, on purpose: it is taken from goroutine frames (ready,
     * newproc), and j.u.c locks record their owner with Thread.currentThread(), which a compiled
     * goroutine frame may have read before it migrated to another carrier (see Carrier);
     * monitor ownership follows the real carrier.
     */
    final Object lock = new Object();
    // ---- guarded by lock ----
    private G runqHead, runqTail;
    /** Written under lock; read racily (a cheap emptiness peek) by findRunnable. */
    private volatile int runqsize;
    private P pidle;
    /** Written under lock; read racily by wakep and the spinning bound. */
    private volatile int npidle;
    private M midle;
    private int nmidle;
    /**
     * Ps with runnable Gs for which startm found no M because the thread limit was reached
     * (Go's newm would throw "thread exhaustion" there). Linked through P.link, PIDLE, never
     * counted in npidle. The next M to become free takes one ({@link #stopm}, {@link #pget});
     * thieves steal from them meanwhile ({@link #stealWork}). Non-empty only at the limit.
     */
    private P pneedm;
    private int mcount;
    /**
     * Ms whose P sysmon handed off while they were blocked (in user code or Go.blocking) and
     * that have not come back yet (M.handedOff set). startm makes a new M only while
     * {@code mcount < gomaxprocs + mblocked}: the carriers are GOMAXPROCS plus the truly
     * blocked ones. Incremented by sysmon before the hand-off is visible, decremented once by
     * the M when it notices (backFromHandoff).
     */
    private final java.util.concurrent.atomic.AtomicInteger mblocked = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * startm wanted a spinning M but made none (the carrier bound above): the next M to go idle
     * takes an idle P and spins instead (stopm). Guarded by lock.
     */
    private boolean needspinning;
    /** The id of the next M (ids are never reused: Ms retire, see lostP). Guarded by lock. */
    private int mnext;
    private final List<M> allm = new ArrayList<>();

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
    /** This runtime's side of the process-wide netpoller. Immutable. */
    final Netpoller netpoller = new Netpoller(this); // netpoll: the bridge used by the edits marked "netpoll:"
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
            allp[i] = new P(i, runqCapacity, new TimerQueue(new TimerWheel(System.nanoTime()), this::timerWaker));
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
    private static P enterRuntime(M m) {
        if (m.where() == M.IN_USER) {
            m.setWhereVolatile(M.IN_RUNTIME); // StoreLoad: pairs with retake's CAS-then-read
            if (SchedChaos.ON) SchedChaos.at(SchedChaos.WHERE_SET, m); // test hook; see SchedChaos
        }
        P pp = m.p;
        return pp != null && ownsP(m, pp) ? pp : null;
    }

    private static void exitRuntime(M m) {
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
    private void runqputLocal(P pp, G g, boolean next) {
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
            wakeMWithoutP();
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
        if (wakeMWithoutP()) {
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
     * Wakes the M sleeping for timers and the M blocked in the poller, which hold no P and are
     * not idle-listed, so they come for work that startm found no M for (pget/stopm). True if
     * there was one.
     */
    private boolean wakeMWithoutP() {
        M ts = timerSleeper;
        boolean woke = false;
        if (ts != null) {
            if (!netpoller.wakeSleeper(ts)) {
                ts.notewakeup();
            }
            woke = true;
        }
        if (io.goloom.netpoll.Netpoll.pollOwner() instanceof M pm && pm.sched == this) {
            io.goloom.netpoll.Netpoll.wakeup(); // an M blocked in the poller until readiness
            woke = true;
        }
        return woke;
    }

    /**
     * Is there work that startm found no M for (the carrier bound, the thread limit)? Read by an
     * M after it published itself as the timer sleeper or the poll-token holder and before it
     * sleeps: startm writes the work under sched.lock and then reads those roles
     * (wakeMWithoutP), so either it wakes this M or this M sees the work here.
     */
    private boolean workForMWithoutP() {
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
                    allm.remove(m);
                    mcount--;
                    m.retired = true;
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
        m.runningTask = g.directTask != null;
        m.setWhereRelease(M.IN_USER);
        int how = g.directTask == null ? m.runG(g) : runDirect(m, g);
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
        P cur = m.p;
        if (cur == null || !ownsP(m, cur)) {
            lostP(m, g, how);
            return;
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

    /** Runs a direct task on the M's own stack (no G continuation is mounted; curg stays null). */
    private int runDirect(M m, G g) {
        m.task = g;
        try {
            g.directTask.run();
        } catch (Throwable t) {
            try {
                panicHandler.accept(g, t);
            } catch (Throwable ignored) {
                // the M survives a broken handler
            }
        } finally {
            m.task = null;
        }
        return G.EXEC_DEAD;
    }

    /**
     * Queues a Runnable to run directly on one of this runtime's carriers, through the same run
     * queues as goroutines: into the caller's runnext when the caller runs on one of our Ps
     * (a virtual thread woken by a goroutine or another virtual thread runs next on that P),
     * else the global queue, then wakep.
     */
    void submitTask(Runnable task) {
        G g = G.directTask(0, task, this);
        g.markRunnable();
        submitDirect(g, false);
    }

    /**
     * Queues one mount of a virtual thread as the direct task {@code g} (made or recycled by the
     * caller; its status stays RUNNABLE). {@code self}: the thread re-submits itself from its own
     * carrier (Thread.yield, or a park that was unparked while parking): it goes to the tail of
     * the local ring, like a goroutine's yield; a wake-up by anyone else goes to runnext, like
     * ready().
     */
    void submitMount(G g, boolean self) {
        submitDirect(g, self);
    }

    private void submitDirect(G g, boolean self) {
        if (stopping) {
            throw new RejectedExecutionException("goloom: runtime " + name + " is closed; task not accepted");
        }
        M m = currentM();
        if (m != null && m.yieldingTask) {
            m.yieldingTask = false; // a preempted virtual thread: to the back of the global queue
            globrunqput(g);
            wakep();
            return;
        }
        if (m != null) {
            P pp = enterRuntime(m);
            if (pp != null) {
                boolean next = !self;
                runqputLocal(pp, g, next);
                boolean kicked = next && pp.lastPutKicked; // while m owns pp, as in ready(); a yield wakes nobody
                exitRuntime(m);
                if (kicked || SchedChaos.ON && SchedChaos.wakeEagerly()) { // a hand-off, as in ready()
                    wakep();
                }
                return;
            }
            exitRuntime(m);
        }
        globrunqput(g);
        wakep();
    }

    /** m noticed that sysmon handed its P off: it no longer counts as blocked (mblocked). Once per hand-off. */
    private void backFromHandoff(M m) {
        if (m.clearHandedOff()) {
            mblocked.decrementAndGet();
        }
    }

    /**
     * Sysmon is about to hand off m's P: count m as blocked first, so that the M started for
     * the P is within the carrier bound, and so that m, which can only see the loss after
     * sysmon's status CAS, finds the flag set. Undone by {@link #handoffAborted} if the CAS
     * fails.
     */
    private void handingOff(M m) {
        if (m != null && m.setHandedOff()) {
            mblocked.incrementAndGet();
        }
    }

    private void handoffAborted(M m) {
        backFromHandoff(m);
    }

    /**
     * The G just returned and m no longer owns a P: sysmon handed it off while the G was blocked
     * (in a JDK call or Go.blocking). m must not touch that P. File the G globally, then get an
     * idle P or park (Go's exitsyscall0).
     */
    private void lostP(M m, G g, int how) {
        m.p = null;
        backFromHandoff(m);
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
                wakep();
            }
        }
        // Every P has an M (or is wanted by one): this M was a stand-in while its G blocked, and
        // would now only sit idle beside GOMAXPROCS others. It retires (Go keeps such Ms; the
        // carrier count then stays GOMAXPROCS + the Ms truly blocked right now). At the thread
        // limit, work waiting for an M comes first (stopm).
        P pp;
        synchronized (lock) {
            pp = stopping ? null : pget();
            if (pp == null && !stopping && mcount < maxMCount) {
                allm.remove(m);
                mcount--;
                m.retired = true;
                return;
            }
        }
        if (pp != null) {
            acquirep(m, pp);
        } else {
            stopm(m);
        }
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
        backFromHandoff(m);
        P p2;
        synchronized (lock) {
            p2 = stopping ? null : pget();
        }
        if (p2 != null) {
            acquirep(m, p2);
            m.setWhereRelease(M.IN_USER);
            return;
        }
        m.setWhereRelease(M.IN_USER);
        // No P: park this G on the global queue; execute() sees m.p == null and runs lostP.
        g.yieldAs(EXEC_SYSCALL_EXIT);
    }

    // =====================================================================================
    // Sysmon's side (called from the sysmon thread only)

    /** A P whose schedtick has not moved for this long gets a preemption request (Go's forcePreemptNS). */
    static final long FORCE_PREEMPT_NS = 10_000_000L;
    /**
     * Timers overdue by more than this on a busy P make sysmon act (see retake). Measured in
     * the fairness workload (a 10 ms ticker beside CPU-bound goroutines on every P, ticker
     * lateness p50 / p90): 1 ms gave 1.35 / 1.7 ms, 500 µs 0.78 / 1.02 ms, 250 µs 0.44 / 0.58
     * ms. 500 µs: well under a time slice, without preempting busy goroutines for timers that
     * are barely due.
     */
    static final long TIMER_OVERDUE_NS = 500_000L;
    /** A P in a syscall with idle capacity around is left alone for this long (Go's 10 ms). */
    static final long SYSCALL_GRACE_NS = 10_000_000L;

    /**
     * One sysmon pass over the Ps (Go's retake): preemption requests for Ps whose G has run for
     * 10 ms, and handoff of Ps whose M is stuck in a blocking call while work waits. Returns
     * how many Ps were retaken or preempted (non-zero keeps sysmon's delay short).
     */
    int retake(long now) {
        int n = 0;
        boolean timersPending = false;
        // netpoll: Go's sysmon polls if nobody has for 10 ms; what it finds goes to the global queue.
        if (netpoller.sysmonPoll(now)) {
            n++;
        }
        for (P pp : allp) {
            long s = pp.status();
            int st = P.state(s);
            if (st != P.PRUNNING && st != P.PSYSCALL) {
                pp.sysmonBlockedTicks = 0;
                continue;
            }
            // Timer-aware preemption (beyond Go): this P's timers are overdue by over 1 ms while
            // its M is busy. Wake an idle M to run them (a thief runs victims' timers), or, with
            // no idle P, ask the running G to yield so its own M gets to them.
            long hint = pp.timers.earliestHint();
            timersPending |= hint != TimerQueue.NONE;
            if (hint != TimerQueue.NONE && now - hint > TIMER_OVERDUE_NS) {
                if (npidle > 0) {
                    wakep();
                } else if (preemptone(pp)) {
                    n++;
                }
            }
            int tick = pp.schedtickOpaque();
            boolean progressed = pp.sysmonSchedtick != tick;
            if (progressed) {
                pp.sysmonSchedtick = tick;
                pp.sysmonSchedwhen = now;
                pp.sysmonBlockedTicks = 0;
            } else if (st == P.PRUNNING && now - pp.sysmonSchedwhen >= FORCE_PREEMPT_NS) {
                if (preemptone(pp)) {
                    n++;
                }
            }
            if (st == P.PSYSCALL) {
                int stick = pp.syscalltick;
                if (pp.sysmonSyscalltick != stick) {
                    pp.sysmonSyscalltick = stick;
                    pp.sysmonSyscallwhen = now;
                    continue;
                }
                if (!workWaiting(pp) && now - pp.sysmonSyscallwhen < SYSCALL_GRACE_NS) {
                    continue;
                }
                M sm = pp.m;
                handingOff(sm);
                if (pp.casStatus(s, P.epoch(s) << 3 | P.PIDLE)) {
                    pp.m = null;
                    n++;
                    handoffp(pp);
                } else if (sm != null) {
                    handoffAborted(sm);
                }
                continue;
            }
            // PRUNNING: is its M stuck in user code? Either blocked inside a JDK call (seen
            // twice: a pinned park, a monitor, class initialisation), or blocked in native code
            // (an FFM call, a JDK native read or select: the thread is RUNNABLE, see
            // blockedInNative). Either way, hand the P to another M while work waits for it.
            // Not for running long: a goroutine or virtual thread on CPU for a whole slice was
            // asked to yield above (preemptone), and handing its P off would only add a thread
            // beyond GOMAXPROCS (for a JDK virtual thread without the agent's yield points, as
            // on the JDK's own scheduler, it runs until it parks or yields; idle Ps steal what
            // waits behind it).
            M m = pp.m;
            if (m == null || m.where() != M.IN_USER) {
                pp.sysmonBlockedTicks = 0;
                continue;
            }
            boolean inNative = false;
            if (!blockedInJdk(m)) {
                // CPU-time reads only for suspects, and only while work waits for the P
                inNative = !progressed && workWaiting(pp) && blockedInNative(m, pp, now);
                if (!inNative) {
                    pp.sysmonBlockedTicks = 0;
                    continue;
                }
            }
            if ((++pp.sysmonBlockedTicks < 2 && !inNative) || !workWaiting(pp)) {
                continue; // blocked for under one full tick, or nothing is waiting for the P
            }
            // Dekker with the M: CAS first, then read where. The M writes where (volatile),
            // then reads status (ownsP). One of us sees the other. (inNative is not re-sampled:
            // a native call that returns just now leaves the G IN_USER, and losing the P then
            // is the same race as a JDK call returning right after blockedInJdk.)
            handingOff(m);
            if (!pp.casStatus(s, P.epoch(s) << 3 | P.PRETAKING)) {
                handoffAborted(m);
                continue;
            }
            if (m.where() == M.IN_USER && pp.m == m && (inNative || blockedInJdk(m))) {
                pp.m = null;
                pp.setStatus(P.epoch(s) << 3 | P.PIDLE);
                pp.sysmonBlockedTicks = 0;
                n++;
                handoffp(pp);
                // The M keeps running its G (or task) once the JDK call returns, now without a
                // P: one thread more than GOMAXPROCS competing for the cores. Go's exitsyscall
                // gives such a G back to the scheduler at once; with no exit hook here, ask it to
                // yield at its next yield point, where execute() sees the lost P and files it on
                // the global queue (lostP). Measured without this: hogs seen BLOCKED during class
                // initialisation ran P-less for the rest of the run, the cores were oversubscribed
                // and a 10 ms ticker woke up to 12 ms late.
                preemptOrphan(m);
            } else {
                pp.setStatus(s); // the M moved on: back off
                handoffAborted(m);
            }
        }
        sysmonTimersPending = timersPending;
        return n;
    }

    /**
     * A busy P had a timer pending at sysmon's last pass. Sysmon then ticks at least every
     * {@link Sysmon#TIMER_WATCH_NS} whatever its back-off, so a timer held hostage by a G that
     * does not yield is seen overdue within about TIMER_OVERDUE_NS + TIMER_WATCH_NS. Sysmon's
     * thread only.
     */
    boolean sysmonTimersPending;

    private static boolean blockedInJdk(M m) {
        Thread.State ts = m.getState();
        return ts == Thread.State.BLOCKED || ts == Thread.State.WAITING || ts == Thread.State.TIMED_WAITING;
    }

    /**
     * A goroutine is suspected of blocking in native code after its P's time slice has lasted
     * this long with its preemption request (sent at {@link #FORCE_PREEMPT_NS}) unanswered.
     */
    static final long NATIVE_BLOCK_NS = 20_000_000L;
    /** A suspect's thread CPU time is sampled at most once per this long; unchanged over it = off CPU. */
    static final long NATIVE_CPU_WINDOW_NS = 1_000_000L;

    /**
     * Is m's goroutine blocked in native code? (Beyond Go, whose every system call passes
     * entersyscall; here an FFM downcall, a JDK native read of a FIFO or a file, or the native
     * resolver blocks with the thread RUNNABLE, invisible to blockedInJdk.) Sysmon's thread;
     * the caller saw m IN_USER on a P whose schedtick has not moved since its last look.
     *
     * <pre>
     *  no sample ── slice ≥ NATIVE_BLOCK_NS, curg's preempt request pending ──> sampled (g, tick, cpu, when)
     *  sampled   ── another G or tick, or the request answered ───────────────> no sample / resampled
     *  sampled   ── ≥ NATIVE_CPU_WINDOW_NS later, cpu moved or kernel state R ─> resampled (a hog)
     *  sampled   ── ≥ NATIVE_CPU_WINDOW_NS later, cpu still, state not R ─────> blocked: hand off
     * </pre>
     * A goroutine that reaches yield points answers the request, so only one stuck in a call
     * is ever sampled; a CPU-bound goroutine without yield points costs one CPU-time read per
     * window. The kernel state (procfs, Linux) keeps a runnable thread that the OS has not
     * scheduled for a window from looking blocked; where procfs is missing an unchanged CPU
     * time alone decides, and where CPU time is missing a state of S or D alone. A wrong guess
     * costs what the implicit handoff always costs: the G runs P-less until its next yield
     * point (preemptOrphan), then queues globally (lostP).
     */
    private static boolean blockedInNative(M m, P pp, long now) {
        G g = m.curg();
        boolean asked;
        if (g != null) {
            asked = g.preemptRequested();
        } else {
            g = m.task; // a JDK virtual thread (racy read: a stale value only restarts the sample)
            asked = m.taskPreempt;
        }
        if (g == null || !asked || now - pp.sysmonSchedwhen < NATIVE_BLOCK_NS) {
            m.sysmonNativeWork = null;
            return false;
        }
        if (m.sysmonNativeWork != g || m.sysmonNativeTick != pp.sysmonSchedtick) {
            m.sysmonNativeWork = g;
            m.sysmonNativeTick = pp.sysmonSchedtick;
            m.sysmonCpu = Sysmon.cpuNanos(m);
            m.sysmonCpuWhen = now;
            return false;
        }
        if (now - m.sysmonCpuWhen < NATIVE_CPU_WINDOW_NS) {
            return false;
        }
        long cpu = Sysmon.cpuNanos(m);
        if (cpu == m.sysmonCpu) {
            char st = Sysmon.kernelState(m.tid);
            if (cpu >= 0 ? st != 'R' : st == 'S' || st == 'D') {
                return true;
            }
        }
        m.sysmonCpu = cpu;
        m.sysmonCpuWhen = now;
        return false;
    }

    /** Go's retake condition: local work, or nobody idle or spinning to pick up global work. */
    private boolean workWaiting(P pp) {
        return !pp.runqempty() || runqsize != 0 || nmspinning.get() + npidle == 0;
    }

    /**
     * Asks the goroutine m runs, now that m has lost its P, to come back to the scheduler at its
     * next yield point. Goroutines only: a direct task (a JDK virtual thread) is handed off
     * because it could not be preempted (pinned, in file I/O, blocked) and keeps running until
     * it parks or yields on its own, as before. Measured: asking virtual-thread hogs to yield
     * here too made goloom-vt's fairness ticker wait behind them in the global queue (its
     * wake-up comes from the JDK's unparker thread, see VirtualThreads), p50 0.4 -> 15 ms.
     */
    private static void preemptOrphan(M m) {
        G g = m.curg();
        if (g != null) {
            g.requestPreempt();
        }
    }

    /** Asks the G running on pp to yield at its next yield point (Go's preemptone). */
    private boolean preemptone(P pp) {
        M m = pp.m;
        if (m == null) {
            return false;
        }
        G g = m.curg();
        if (g != null) {
            return g.requestPreempt();
        }
        // A direct task (a JDK virtual thread) in user code: only the agent's yield points
        // can honour this, by Thread.yield() (see agentYieldPoint).
        return m.where() == M.IN_USER && m.requestTaskPreempt();
    }

    /**
     * What instrumented code runs while preemption requests are pending (the agent's
     * YieldPoint handler). Must return at once on threads with nothing to do.
     */
    static void agentYieldPoint() {
        if (!(Carrier.current() instanceof M m)) {
            return; // not one of our carriers
        }
        if (m.curg() != null) {
            G.checkpoint(); // a native goroutine
            return;
        }
        yieldTaskIfAsked(m);
    }

    /**
     * The agent's yield point in code that may hold thread-owned state (YieldPoint.checkVirtual):
     * yields a JDK virtual thread that is asked to, never a native goroutine. A goroutine's
     * thread is its carrier: a ReentrantLock, monitor or ThreadLocal taken in that code belongs
     * to the carrier, and switching the goroutine there would hand it to the next goroutine on
     * the carrier or strand it (unlock on another carrier: IllegalMonitorStateException). A
     * virtual thread keeps its own identity across Thread.yield().
     */
    static void agentVirtualYieldPoint() {
        if (Carrier.current() instanceof M m && m.curg() == null) {
            yieldTaskIfAsked(m);
        }
    }

    private static void yieldTaskIfAsked(M m) {
        if (m.taskPreempt && m.clearTaskPreempt()) {
            // A JDK virtual thread on our carrier: yield it. Its re-submission goes to the
            // global queue (submitTask checks yieldingTask), like a preempted goroutine.
            m.yieldingTask = true;
            Thread.yield();
        }
    }

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

            // netpoll: Go's non-blocking netpoll before stealing, when Gs wait on the poller and
            // no thread is blocked in it (one M at a time); what it readies lands in our P.
            if (netpoller.pollNow(m)) {
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

            if (sleepForTimers(m)) {
                continue; // woke with a P and ran the expired timers
            }
            stopm(m);
            if (m.p == null) {
                return null; // no P: the runtime is stopping, or this M retired (stopm)
            }
        }
    }

    // =====================================================================================
    // Timers in the scheduler (no timer thread)

    /** The M sleeping until the earliest timer of any P, or null (Go's netpoll-blocked M role). */
    private volatile M timerSleeper;

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

    /** The earliest hint over all Ps, TimerQueue.NONE if no timer is pending anywhere. */
    private long earliestTimer() {
        long min = TimerQueue.NONE;
        for (P p : allp) {
            long h = p.timers.earliestHint();
            if (h != TimerQueue.NONE && (min == TimerQueue.NONE || h - min < 0)) {
                min = h;
            }
        }
        return min;
    }

    /**
     * Called by an M with no P and no work, before it parks. If a timer is pending anywhere and
     * no other M sleeps for timers, this M does: it parks until the earliest deadline (or until
     * a new earlier timer wakes it), then takes an idle P and runs every P's expired timers.
     * Returns true if it woke holding a P (the caller restarts findRunnable).
     *
     * <p>netpoll: if goroutines wait on the network poller and no thread is blocked in it, this M
     * takes the poll token and sleeps in the poller instead (until the earliest timer if it is
     * also the timer sleeper, else until readiness); what the poll finds is readied once it has
     * a P. See {@link Netpoller} for the two roles and how timerWaker tells them apart.
     *
     * <p>No lost wake-up: this M publishes itself as timerSleeper (volatile) and then reads the
     * hints (volatile); an arming thread lowers a hint (volatile CAS) and then reads
     * timerSleeper in {@link #timerWaker}. One of the two sees the other.
     */
    private boolean sleepForTimers(M m) {
        // netpoll: with Gs waiting on the poller and no thread blocked in it, this M blocks in the
        // poller (Go: sched.lastpoll.Swap(0)); until the earliest timer if it also becomes the
        // timer sleeper, else until readiness or a break. See Netpoller for the two roles.
        boolean poll = netpoller.tryBlock(m);
        if (!poll && (timerSleeper != null || earliestTimer() == TimerQueue.NONE)) {
            return false;
        }
        // netpoll: a waker that reads us as timerSleeper before the store of the real deadline
        // below must wake us, not compare against our previous sleep's (stale) deadline.
        m.sleepUntil = System.nanoTime() + Long.MAX_VALUE / 2;
        boolean timers = timerSleeper == null && earliestTimer() != TimerQueue.NONE
                && TIMER_SLEEPER.compareAndSet(this, null, m);
        if (!timers && !poll) {
            return false;
        }
        if (SchedChaos.ON && timers) SchedChaos.at(SchedChaos.TIMER_SLEEPER_SET, m); // test hook; see SchedChaos
        G ready = null;
        try {
            long until = timers ? earliestTimer() : TimerQueue.NONE; // re-read after publishing ourselves
            if (workForMWithoutP()) {
                // startm left work for an M without a P (the carrier bound) before it could see
                // us as the sleeper or the poller: take it now (pget below) instead of sleeping.
            } else if (poll) {
                m.sleepUntil = until;
                if (SchedChaos.ON) SchedChaos.at(SchedChaos.POLL_BLOCKING, m); // test hook; see SchedChaos
                ready = netpoller.block(until); // netpoll: the poll replaces notesleepUntil
            } else {
                if (until == TimerQueue.NONE) {
                    return false;
                }
                m.sleepUntil = until;
                m.notesleepUntil(until);
            }
        } finally {
            if (timers) {
                timerSleeper = null;
            }
            if (poll) {
                netpoller.unblock(stopping); // netpoll: give the token back; a leaving M wakes a successor
            }
        }
        if (stopping) {
            Netpoller.ready(ready); // netpoll: Gs of other runtimes must not be lost
            return false;
        }
        P pp;
        synchronized (lock) {
            pp = pget(); // a P waiting for an M (thread limit) first: it has work
        }
        if (pp == null) {
            // Every P is busy. Run the expired timers anyway, without a P: what they ready goes
            // to the global queue (with wakep), and sysmon preempts a G that keeps its P while
            // timers are overdue, so the busy Ms get to it. Then park normally.
            Netpoller.ready(ready); // netpoll: to the global queue, with wakep (Go's injectglist)
            for (P p : allp) {
                checkTimers(p);
            }
            return false;
        }
        acquirep(m, pp);
        Netpoller.ready(ready); // netpoll: into our P's run queue (Go: acquirep, then injectglist)
        for (P p : allp) {
            checkTimers(p);
        }
        return true;
    }

    /**
     * TimerQueue's waker: an arming lowered some P's earliest deadline to {@code deadline}. Wake
     * the timer sleeper if it sleeps past it; if nobody sleeps for timers, start an M (it becomes
     * the sleeper, or finds the timer due). Any thread; no lock held.
     */
    private void timerWaker(long deadline) {
        M s = timerSleeper;
        if (s != null) {
            if (deadline - s.sleepUntil < 0 && !netpoller.wakeSleeper(s)) { // netpoll: a poll-sleeper gets a break
                s.notewakeup();
            }
            return;
        }
        wakep();
    }

    /** Is m the timer sleeper now? Tests. */
    boolean timerSleeperIs(M m) {
        return timerSleeper == m;
    }

    /** The queue a new timer armed by the caller goes to: its own P's, else P0's. */
    TimerQueue timerQueueForCaller() {
        M m = currentM();
        P pp = m != null ? m.p : null;
        return (pp != null ? pp : allp[0]).timers;
    }

    private static final java.lang.invoke.VarHandle TIMER_SLEEPER;
    static {
        try {
            TIMER_SLEEPER = java.lang.invoke.MethodHandles.lookup().findVarHandle(Scheduler.class, "timerSleeper", M.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
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
        netpoller.shutdown(); // netpoll: break a poll one of our Ms is blocked in
        M ts = timerSleeper;
        if (ts != null) {
            ts.notewakeup();
        }
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

    /** Racy view of the Ms, for tests and dumps. */
    /** Ms whose P was handed off while they were blocked, not back yet. */
    int blockedCarriers() {
        return mblocked.get();
    }

    /** Ms (carrier threads) started so far and not retired. */
    int threadCount() {
        synchronized (lock) {
            return mcount;
        }
    }

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

    long earliestTimerHint() {
        return earliestTimer();
    }

    /**
     * Wake-up sources the deadlock check cannot see through Ps, Ms and timers: goroutines
     * waiting on the network poller, virtual threads on our carriers. Extended as they land.
     */
    boolean otherWakeSources() {
        // netpoll: a goroutine parked on the poller can be woken by the network (process-wide
        // count: another runtime's or a thread's waiter makes this a conservative "maybe").
        if (io.goloom.netpoll.Netpoll.anyWaiters()) {
            return true;
        }
        GoRuntime rt = runtime;
        return rt != null && rt.virtualThreadCount() != 0; // -1 (untracked) counts as "maybe"
    }

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

    /**
     * The scheduler's internal invariants (Go's throw discipline), checked under sched.lock; tests
     * call it through {@link SchedInvariants}. Throws an AssertionError with a dump of the state.
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
    void checkInvariants(boolean stopped) {
        List<String> bad = new ArrayList<>();
        java.util.Set<G> queued = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.Set<P> idleP = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        StringBuilder dump = new StringBuilder();
        synchronized (lock) {
            int n = 0;
            G last = null;
            for (G g = runqHead; g != null && n <= runqsize; g = g.schedlink, n++) {
                if (!queued.add(g)) {
                    bad.add("G" + g.id + " twice on the global queue");
                    break;
                }
                if (g.status() != G.RUNNABLE) {
                    bad.add("G" + g.id + " on the global queue with status " + G.statusName(g.status()));
                }
                last = g;
            }
            if (n != runqsize) {
                bad.add("runqsize is " + runqsize + " but the global list has " + (n > runqsize ? "more than " : "") + n + " Gs");
            }
            if (last != runqTail) {
                bad.add("runqTail is " + (runqTail == null ? "nil" : "G" + runqTail.id) + " but the global list ends at "
                        + (last == null ? "nil" : "G" + last.id));
            }
            int np = 0;
            for (P p = pidle; p != null && np <= gomaxprocs; p = p.link, np++) {
                if (!idleP.add(p)) {
                    bad.add(p + " twice on the idle P list");
                    break;
                }
                if (p.state() != P.PIDLE || p.m != null || !p.runqempty()) {
                    bad.add(p + " on the idle P list with m=" + (p.m == null ? "nil" : "m" + p.m.id)
                            + (p.runqempty() ? "" : " and a non-empty run queue"));
                }
            }
            if (np != npidle) {
                bad.add("npidle is " + npidle + " but the idle P list has " + np + " Ps");
            }
            java.util.Set<P> needP = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (P p = pneedm; p != null && needP.size() <= gomaxprocs; p = p.link) {
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
            for (M x = midle; x != null && nm <= allm.size(); x = x.link, nm++) {
                if (!idleM.add(x)) {
                    bad.add("m" + x.id + " twice on the idle M list");
                    break;
                }
                if (!allm.contains(x) || x.p != null) {
                    bad.add("idle m" + x.id + (allm.contains(x) ? "" : " not in allm") + (x.p == null ? "" : " holds " + x.p));
                }
            }
            if (nm != nmidle) {
                bad.add("nmidle is " + nmidle + " but the idle M list has " + nm + " Ms");
            }
            if (mcount != allm.size() || mcount > maxMCount) {
                bad.add("mcount is " + mcount + ", allm has " + allm.size() + ", maxMCount " + maxMCount);
            }
            if (nmspinning.get() < 0) {
                bad.add("nmspinning is " + nmspinning.get());
            }
            for (P p : allp) {
                long s1 = p.status();
                M owner = p.m;
                if (P.state(s1) == P.PRUNNING && p.status() == s1 && (owner == null || !allm.contains(owner))) {
                    bad.add(p + " running without an M of allm (m=" + (owner == null ? "nil" : "m" + owner.id) + ")");
                }
                if (P.state(s1) > P.PDEAD) {
                    bad.add(p + " has an unknown state");
                }
            }
            if (stopped) {
                if (nmidle != 0 || nmspinning.get() != 0 || timerSleeper != null) {
                    bad.add("stopped runtime with nmidle=" + nmidle + " nmspinning=" + nmspinning.get()
                            + " timerSleeper=" + (timerSleeper == null ? "nil" : "m" + timerSleeper.id));
                }
                java.util.Set<G> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                live.addAll(allgs.snapshot());
                for (G g : queued) {
                    if (g.directTask == null && !live.contains(g)) {
                        bad.add("G" + g.id + " on the global queue but not in allgs");
                    }
                }
                for (P p : allp) {
                    int st = p.state();
                    if (st == P.PIDLE ? !idleP.contains(p) && !needP.contains(p) : st != P.PDEAD) {
                        bad.add(p + " is neither on the idle list (or the wants-an-M list) nor dead in a stopped runtime");
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
                for (M x : allm) {
                    if (x.isAlive()) {
                        bad.add("m" + x.id + " still alive in a stopped runtime");
                    }
                }
            }
            if (!bad.isEmpty()) {
                dump.append("runqsize=").append(runqsize).append(" npidle=").append(npidle).append(" nmidle=").append(nmidle)
                        .append(" mcount=").append(mcount).append(" nmspinning=").append(nmspinning.get())
                        .append(" stopping=").append(stopping);
                for (P p : allp) {
                    dump.append("\n  ").append(p).append(" m=").append(p.m == null ? "nil" : "m" + p.m.id)
                            .append(idleP.contains(p) ? " (idle list)" : "");
                }
                for (M x : allm) {
                    dump.append("\n  m").append(x.id).append(" p=").append(x.p == null ? "nil" : "P" + x.p.id)
                            .append(" spinning=").append(x.spinning).append(" where=").append(x.where())
                            .append(" thread=").append(x.getState());
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new AssertionError("goloom: scheduler invariant broken in runtime " + name + ": " + String.join("; ", bad)
                    + "\n" + dump);
        }
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
