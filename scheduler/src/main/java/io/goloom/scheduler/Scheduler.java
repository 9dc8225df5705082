package io.goloom.scheduler;

import io.goloom.core.Carrier;
import io.goloom.core.G;
import io.goloom.core.spi.LocalSlots;
import io.goloom.core.spi.SchedLinks;
import io.goloom.core.Sched;
import io.goloom.timers.TimerQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
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
 *       slot. GOMAXPROCS Ps are active (allp may hold more, retired by setMaxProcs: see SchedT#procresize); an M needs one to run Gs.</li>
 *   <li>The global run queue, the idle P list and the idle M list: {@link SchedT} (Go's
 *       schedt), under sched.lock.</li>
 * </ul>
 *
 * <h2>What this class owns, and the rooms beside it</h2>
 * This class is proc.go's loop: the {@link Sched} SPI (ready, canSpin), newproc, the local run
 * queue's spill ({@link #runqputLocal}), a goroutine's entry into the runtime
 * ({@link #enterRuntime}), schedule, findRunnable and stealing, execute, checkTimers. It is the
 * last layer of one object, whose superclasses are rooms of their own (see {@link SchedT}):
 * <ul>
 *   <li>{@link SchedT}: the global queue, the idle P/M lists, the M registry, the counters.</li>
 *   <li>{@link Parking}: acquirep/releasep, wakep/startm/stopm, spinning, the thread limit, and
 *       proc.go's essay on worker parking (why no wake-up is lost).</li>
 *   <li>{@link Syscalls}: blocking calls and hand-offs (entersyscall/exitsyscall, handoffp, lostP).</li>
 * </ul>
 * and objects of their own that call back into it through package-private methods:
 * <ul>
 *   <li>{@link Sysmon}: sysmon's thread and its policy (retake, preemption requests, the
 *       native-block probe); it calls {@link #wakep}, {@link #handoffp}, {@link #mblocked}.</li>
 *   <li>{@link Sleepers}: the idle path (the timer sleeper, the poll token, waking them, every
 *       call into the netpoller); it takes a P through {@link #acquireIdleP} only.</li>
 *   <li>{@link DirectTasks}: Runnables on an M's stack (JDK virtual threads' mounts) and the
 *       agent's yield points.</li>
 *   <li>{@link Shutdown}: the shutdown protocol (numbered) and close's report.</li>
 *   <li>{@link Deadlock} (Go's checkdead), {@link SchedInvariants} (the test-time check of the
 *       lists, read under sched.lock), {@link AllGs} (the registry).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * A method here runs on an M of this runtime unless its comment says "any thread" (ready,
 * newproc, the Sched SPI). The loop (mstart, schedule,
 * findRunnable, execute) runs only on the M it is given, which holds its P (m.p) from
 * findRunnable's return to execute's end unless sysmon took it (then execute calls lostP).
 *
 * <h2>Invariants</h2>
 * A G is in at most one place: a P's ring or runnext, the global queue, an M's curg, or
 * whatever it waits on (channel, timer, poller). findRunnable returns a G only to an M that
 * holds a P; execute files the G by how it stopped, under the ownership check: if m no longer
 * owns its P, the G goes to the global queue (lostP), never into a P that is not m's.
 *
 * <h2>Locks</h2>
 * sched.lock ({@link SchedT#lock}) only: no G is readied and no user code runs under it, and
 * an M never parks with it held. Where it sits among goloom's locks: ARCHITECTURE.md, "Lock
 * order" (the one place that states the order).
 *
 * <h2>Ownership checks</h2>
 * Every owner-side run-queue operation goes through the M's own {@code m.p}; acquirep and
 * releasep verify {@code p.m == m} and fail loudly otherwise ("runtime:"-style messages with
 * the state seen).
 */
final class Scheduler extends Syscalls implements Sched {

    /** Every this-many fresh time slices, look at the global queue first (Go's 61: a prime). */
    static final int GLOBAL_CHECK_PERIOD = 61;

    /**
     * Every 2^this schedules, a busy M looks at one other P's timers ({@link #runStrandedTimers});
     * and how overdue they must be before it runs them.
     */
    static final int STRANDED_CHECK_SHIFT = 3;
    static final int STRANDED_CHECK_PERIOD = 1 << STRANDED_CHECK_SHIFT;
    static final long STRANDED_NANOS = 1_000_000;
    /** Steal passes over all Ps; runnext is taken only on the last (Go's stealTries). */
    static final int STEAL_TRIES = 4;
    /** Sample 1 in this many readies for the scheduling-latency histogram (Go samples 1 in 8). */
    static final int LATENCY_SAMPLE_MASK = 7;

    /** The public face of this scheduler; written once by GoRuntime before {@link #start}. */
    GoRuntime runtime;
    /** Whether deadlock detection is on for this runtime (GoRuntime.Builder); written before {@link #start}. */
    boolean deadlockDetection = true;
    final Deadlock deadlock = new Deadlock(this);
    /**
     * Non-null iff this runtime is a {@link Synctest} bubble: its fake clock and driver. Written
     * once by GoRuntime before {@link #start}. Read by {@link #nanoTime()} (checkTimers, once per
     * call with a timer pending), by the idle path before stopm and by sleepForTimers; not by
     * execute, gopark or ready.
     */
    Bubble bubble;
    /**
     * Coprimes of allp.length, for the random steal order (Go's randomOrder). An immutable
     * array, replaced (volatile write, before allp's) when allp grows. A thief reads allp, then
     * this: a mismatch after a racing growth only makes its pass visit some Ps twice and others
     * not at all (positions stay below its snapshot's length); the next pass re-reads both.
     */
    private volatile int[] coprimes;
    private final BiConsumer<G, Throwable> panicHandler;
    /** Coarse monotonic clock, updated by sysmon each tick. */
    volatile long coarseNanos = System.nanoTime();
    private final AtomicLong goidgen = new AtomicLong(1);
    /** The goroutine-id batch a P takes at once (Go's _GoidCacheBatch). */
    private static final int GOID_BATCH = 16;
    /** Goroutines created by plain threads and P-less Ms (newproc without a P); the rest count per P. */
    final AtomicLong createdOffP = new AtomicLong();

    /** Builds the Ps and the rooms; nothing runs until {@link #start}. */
    Scheduler(String name, int procs, int runqCapacity, int maxMCount, BiConsumer<G, Throwable> panicHandler) {
        super(name, procs, runqCapacity, maxMCount);
        this.panicHandler = panicHandler;
        coprimes = coprimesOf(procs);
    }

    private static int[] coprimesOf(int n) {
        List<Integer> cp = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            if (gcd(i, n) == 1) {
                cp.add(i);
            }
        }
        return cp.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Sets GOMAXPROCS while the runtime runs (Go's runtime.GOMAXPROCS / procresize, without
     * stopping the world: see {@link SchedT#procresize}). Returns the previous value. Any
     * thread, a goroutine too (its own P may be among those retired: it leaves it at its next
     * scheduling point). {@code explicit}: the user's value, which stops the runtime from
     * following the container's limit (Go 1.25: GOMAXPROCS set by the program wins); else the
     * default, applied only while nobody set one (checked under sched.lock, the lock that
     * explicit sets take, so a user's value is never overwritten by a default read before it).
     */
    int setMaxProcs(int n, boolean explicit) {
        if (n < 1) {
            throw new IllegalArgumentException("GOMAXPROCS must be at least 1, got " + n);
        }
        if (n > maxMCount) {
            throw new IllegalArgumentException("GOMAXPROCS (" + n + ") cannot exceed maxThreads (" + maxMCount
                    + "): raise GoRuntime.builder().maxThreads(n)");
        }
        int old;
        synchronized (lock) {
            if (stopping) {
                throw new IllegalStateException("goloom: runtime " + name + " is closed; cannot set GOMAXPROCS to " + n);
            }
            if (explicit) {
                customProcs = true;
            } else if (customProcs) {
                return gomaxprocs;
            }
            if (n == gomaxprocs) {
                return n;
            }
            if (n > allp.length) {
                coprimes = coprimesOf(n); // before procresize publishes the longer allp (see coprimes)
            }
            old = procresize(n);
        }
        if (runtime != null) {
            runtime.trace().ringsForNewPs(); // outside sched.lock: the recorder's monitor is never taken under it
        }
        // New idle Ps, or Gs the retired listed Ps left on the global queue: get Ms going (a
        // spinning M that finds work wakes the next one). A retired P held by an M running a
        // long G: sysmon asks that G to yield at its next tick (retake), so wake sysmon.
        wakep();
        sysmon.wake();
        return old;
    }

    // ---- the container-aware default (Go 1.25's defaultGOMAXPROCS and updateMaxProcsGoroutine) ----

    /**
     * The cgroup whose CPU limit the default GOMAXPROCS follows, or null when procs were set
     * when the runtime was built (then nothing is followed, ever). Written before {@link #start}
     * (published to sysmon by Thread.start) or by {@link #setDefaultMaxProcs} (volatile).
     */
    volatile CgroupCpu cgroup;
    /** The available processors the default is capped by. Written with {@link #cgroup}. */
    volatile int ncpu;
    /** GOMAXPROCS was set explicitly (setMaxProcs): the default is no longer applied. Guarded by lock. */
    private boolean customProcs;

    /** Follow {@code cg}'s limit from now on (the builder, when procs were not set). Before {@link #start}. */
    void followCgroup(CgroupCpu cg, int ncpu) {
        this.ncpu = ncpu;
        this.cgroup = cg;
    }

    /**
     * Sysmon, about once a second (and tests through {@link Sysmon#rereadCgroupNow}): re-reads
     * the limit and applies the default if it changed and nobody set GOMAXPROCS. Reads files,
     * takes sched.lock only to resize. Returns the GOMAXPROCS now in force.
     */
    int updateDefaultProcs() {
        CgroupCpu cg = cgroup;
        if (cg == null || stopping) {
            return gomaxprocs;
        }
        int want = Math.min(cg.defaultProcs(ncpu), maxMCount);
        if (want != gomaxprocs) {
            try {
                setMaxProcs(want, false);
            } catch (IllegalStateException closed) {
                // closed meanwhile: nothing to follow
            }
        }
        return gomaxprocs;
    }

    /** GoRuntime.setDefaultMaxProcs: follow the container again (Go's SetDefaultGOMAXPROCS). */
    int setDefaultMaxProcs() {
        if (cgroup == null) {
            followCgroup(CgroupCpu.open(java.nio.file.Path.of("/")), Runtime.getRuntime().availableProcessors());
        }
        CgroupCpu cg = cgroup;
        int want = Math.min(cg.defaultProcs(ncpu), maxMCount);
        int old;
        synchronized (lock) {
            customProcs = false;
            old = gomaxprocs;
        }
        setMaxProcs(want, false);
        return old;
    }

    /**
     * Starts sysmon. Called once by GoRuntime after it wrote {@link #runtime} and
     * {@link #deadlockDetection}, which sysmon reads: Thread.start publishes them to it.
     */
    void start() {
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
                    SchedLinks.setReadiedAt(g, System.nanoTime());
                }
                int f = GoEvents.flags; // the observation gate: one load (see GoEvents)
                if (f != 0) {
                    observeReady(f, g, m, pp, next); // before the put: a thief may run g at once
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
                // makes the waker yield; if it blocks in a JDK call, sysmon wakes a spinning M
                // for it (Sysmon.workBehindBlockedM). Not for newproc: Go wakes an M for every
                // new goroutine.
                if (!next || kicked || SchedChaos.ON && SchedChaos.wakeEagerly()) {
                    wakep();
                }
                return;
            }
            exitRuntime(m);
        }
        SchedLinks.setReadiedAt(g, System.nanoTime());
        int f = GoEvents.flags;
        if (f != 0) {
            observeReady(f, g, m, null, false);
        }
        globrunqput(g);
        wakep();
    }

    /** ready's observation, behind the gate: JFR's park and ready events. */
    private void observeReady(int f, G g, M m, P pp, boolean next) {
        if ((f & (GoEvents.PARK | GoEvents.READY)) != 0) {
            GoEvents.readied(f, g, m, pp, next, System.nanoTime());
        }
        if ((f & GoEvents.TRACE) != 0 && pp != null) { // a ready from a P-less thread has no ring to go to
            G by = m.curg();
            ExecTrace.put(pp, ExecTrace.READY, m, next ? 0 : 1, g.id, by != null ? by.id : 0);
        }
    }

    /** A preemption honoured on cur (JFR's event, the flight recorder's instant). */
    private static void observePreempt(int f, G g, P cur, M m) {
        if ((f & GoEvents.PREEMPT) != 0) {
            GoEvents.preempted(g, cur);
        }
        if ((f & GoEvents.TRACE) != 0) {
            long asked = cur.preemptAskedAt;
            ExecTrace.put(cur, ExecTrace.PREEMPT, m, 0, g.directTask == null ? g.id : 0, asked != 0 ? System.nanoTime() - asked : 0);
        }
    }

    @Override
    public void panicked(G g, Throwable t) {
        panicHandler.accept(g, t);
    }

    @Override
    public long coarseNanos() {
        // G.gopark stamps waitSince with this. While JFR records parks, the park event's
        // duration must be the real park, so the precise clock then (one flag test otherwise).
        return (GoEvents.flags & GoEvents.PARK) != 0 ? System.nanoTime() : coarseNanos;
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

    /**
     * Sched SPI: a call that may block the carrier, with this G's P lent to sysmon's hand-off
     * (Go's entersyscall/exitsyscall; see {@link Syscalls#blocking(M, java.util.concurrent.Callable)}).
     * Off this scheduler's Ms (a plain thread, another runtime's carrier) the call simply runs.
     */
    @Override
    public <T> T blocking(java.util.concurrent.Callable<T> call) throws Exception {
        M m = currentM();
        return m != null ? blocking(m, call) : call.call();
    }

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
            return newproc1(task, gname, pp, m != null ? m.curg() : null);
        } finally {
            if (m != null) {
                exitRuntime(m);
            }
        }
    }

    private G newproc1(Runnable task, String gname, P pp, G parent) {
        long id;
        if (pp != null) {
            if (pp.goidcache == pp.goidcacheend) {
                pp.goidcache = goidgen.getAndAdd(GOID_BATCH);
                pp.goidcacheend = pp.goidcache + GOID_BATCH;
            }
            id = pp.goidcache++;
            pp.goroutinesCreated++;
        } else {
            id = goidgen.getAndIncrement(); // goroutines created off the Ps: goidgen's increments (see createdOffP)
            createdOffP.getAndIncrement();
        }
        G g = new G(id, task, this);
        g.name = gname;
        SchedLinks.setCreator(g, parent != null ? parent.id : 0, task.getClass());
        if (parent != null) {
            LocalSlots.inherit(parent, g); // GoLocal.inheritable values; before g is published
        }
        // Register, then check stopping: shutdown() sets stopping, then snapshots allgs, so a G
        // is either refused here or reported there (both sides are volatile/lock ordered).
        allgs.add(g);
        if (stopping) {
            allgs.remove(g);
            throw new RejectedExecutionException("goloom: runtime " + name + " is closed; goroutine not started");
        }
        g.markRunnable();
        if ((GoEvents.flags & GoEvents.START) != 0) {
            GoEvents.start(g, parent, task, name);
        }
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
        long readied = SchedLinks.readiedAt(g);
        if (readied != 0) {
            SchedLinks.setReadiedAt(g, 0);
            long lat = System.nanoTime() - readied;
            pp.schedLatency.record(lat);
            if ((GoEvents.flags & GoEvents.LATENCY) != 0) {
                GoEvents.latency(g, pp, lat); // the sampled readies only (1 in 8, as the histogram)
            }
        }
        // Go's execute clears gp.preempt: sysmon asks only the G an M is running (m.curg, set in
        // runG below), so a request still pending now was made for an earlier run of g (one that
        // landed after its last yield point and outlived the withdrawal below) and is void.
        if (g.preemptRequested()) {
            g.clearPreempt();
        }
        // The observation gate, read once per run: a trace started during the run misses this
        // run's stop, which the converter tolerates (an unmatched stop is dropped).
        int f = GoEvents.flags;
        if ((f & GoEvents.TRACE) != 0) {
            ExecTrace.run(pp, m, g);
        }
        m.setWhereRelease(M.IN_USER);
        java.util.Map<Object, Object> tlBefore = ThreadLocalCheck.ON && g.directTask == null ? ThreadLocalCheck.snapshot(m) : null;
        int how = g.directTask == null ? m.runG(g) : directTasks.run(m, g);
        m.setWhereVolatile(M.IN_SCHED); // StoreLoad: pairs with retake (see ownsP)
        if (ThreadLocalCheck.ON && tlBefore != null && how != G.EXEC_DEAD) {
            ThreadLocalCheck.check(m, g, tlBefore); // debugging only: folded away when off
        }
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
        // A virtual thread that re-submitted itself during the task (Thread.yield, or a park
        // unparked while parking): filed now, under the ownership check below (no runtime entry
        // of its own). After a preemption yield (yieldingTask), globally; else like a
        // goroutine's EXEC_YIELD, behind the other Gs of its P, or, when its P has none,
        // behind the global queue's (DirectTasks.selfSubmitGoesGlobal).
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
        if ((f & GoEvents.TRACE) != 0) {
            ExecTrace.stop(cur, m, g, how); // a parked g's wait reason is read racily (it may run again by now)
        }
        if (again != null) {
            if (preempted) {
                cur.preemptsHonoured++;
                if (f != 0) {
                    observePreempt(f, again, cur, m);
                }
                globrunqput(again);
                wakep();
            } else if (DirectTasks.selfSubmitGoesGlobal(cur)) {
                globrunqput(again); // our next findRunnable takes it if nothing is ahead of it
            } else {
                runqputLocal(cur, again, false);
            }
        }
        switch (how) {
            case G.EXEC_DEAD -> {
                if (g.directTask == null) {
                    allgs.remove(g);
                    if ((GoEvents.flags & GoEvents.END) != 0) {
                        GoEvents.end(g, cur);
                    }
                }
            }
            case G.EXEC_PARKED -> { } // the G belongs to whatever it waits on now
            case G.EXEC_YIELD -> runqputLocal(cur, g, false);
            case G.EXEC_GOSCHED -> globrunqput(g);
            case G.EXEC_PREEMPT -> {
                cur.preemptsHonoured++;
                if (f != 0) {
                    observePreempt(f, g, cur, m);
                }
                g.markRunnable();
                globrunqput(g);
            }
            case EXEC_SYSCALL_EXIT -> throw new IllegalStateException(
                    "goloom: execute: " + g + " left a blocking call without a P, but m" + m.id + " owns " + cur);
            default -> throw new IllegalStateException("goloom: execute: unknown yield kind " + how + " from " + g);
        }
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
            G g = null;
            released: // the P given up, or retired by setMaxProcs
            {
                if (pp.id >= gomaxprocs) {
                    // setMaxProcs retired our P (SchedT.procresize): its Gs go to the global queue,
                    // it stops, and we look for an active P like any M that gave its P up.
                    if (retireP(m, pp)) {
                        continue; // took another P (keeps spinning if we were)
                    }
                    break released; // no P: as below, the spinning dance, then sleep
                }

                // This P's expired timers first: what they ready lands in our runnext and runs
                // next. Not behind a global G's whole time slice: the fairness check below waits
                // a round when a timer fired (the woken G inherits this slice, so schedtick still
                // says "check" when we are back). Measured: a ticker readied here and then passed
                // over by the 61st-tick check woke 15 ms late behind a CPU-bound G.
                boolean timerFired = checkTimers(pp);
                P[] ps = allp;
                for (int j = pp.id + gomaxprocs; j < ps.length; j += gomaxprocs) {
                    timerFired |= checkTimers(ps[j]); // a retired P's timers: we adopted them (procresize)
                }
                if ((pp.schedtick & (STRANDED_CHECK_PERIOD - 1)) == 0) {
                    timerFired |= runStrandedTimers(pp, ps);
                }

                // Fairness: check the global queue once in a while so two Gs that keep readying
                // each other into runnext cannot starve it. Deferred at most one round at a time,
                // so timers firing every round cannot starve it either.
                if (pp.schedtick % GLOBAL_CHECK_PERIOD == 0 && runqsize > 0) {
                    if (timerFired && !pp.globalCheckDeferred) {
                        pp.globalCheckDeferred = true;
                    } else {
                        pp.globalCheckDeferred = false;
                        g = globrunqgetLocked(pp, 1);
                        if (g != null) {
                            return g;
                        }
                    }
                }

                if (SchedChaos.ON) { G c = chaosPick(m, pp); if (c != null) return c; } // randomised mode only

                g = pp.runqget();
                if (g != null) {
                    m.inheritTime = pp.lastGetInheritsTime;
                    return g;
                }
                if ((GoEvents.flags & GoEvents.TRACE) != 0) {
                    ExecTrace.slowPath(pp); // the next run on pp reads the clock (see ExecTrace)
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
                // Unless a spinning M is owed (a wakep found no idle P while we still held
                // ours; Parking's pattern 3): then we are it, and look again.
                boolean owed = false;
                synchronized (lock) {
                    if (runqsize != 0) {
                        g = globrunqget(pp, 0);
                        return g;
                    }
                    if (!m.spinning && needspinning && !stopping) {
                        needspinning = false;
                        becomeSpinning(m);
                        owed = true;
                    } else {
                        if (releasep(m) != pp) {
                            throw new IllegalStateException("goloom: findRunnable: wrong P released");
                        }
                        pidleput(pp); // or stops it, if setMaxProcs retired it meanwhile
                    }
                }
                if (owed) {
                    continue top;
                }
            } // released

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
                        } else {
                            needspinning = true; // work and no idle P: the next M to give one up spins (pattern 3)
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
                for (P victim : allp) { // retired Ps too: one still held may have Gs
                    if (!victim.runqempty()) {
                        P idle;
                        synchronized (lock) {
                            idle = stopping ? null : pidleget();
                            if (idle == null && !stopping) {
                                needspinning = true; // as above
                            }
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
            Bubble b = bubble;
            if (b != null) {
                b.kick(); // no P, IN_SCHED, our G parked or dead: the bubble's driver looks (Bubble)
            }
            stopm(m);
            if (m.p == null) {
                return null; // no P: the runtime is stopping, or this M retired (stopm)
            }
        }
    }


    /**
     * m's P was retired by setMaxProcs: move its run queue (runnext, ring) to the global queue,
     * give it up (pidleput stops it, under the same sched.lock section as procresize decides),
     * and take an active P if one is idle. Returns whether m holds a P again; if not, m goes on
     * as an M that released its P in findRunnable (the spinning dance: its re-check finds any
     * idle P that work on the global queue needs). Its timers stay on its queue: the active P
     * {@code id % gomaxprocs} runs them. On m's thread, m owning pp.
     */
    private boolean retireP(M m, P pp) {
        drainToGlobal(pp);
        P p2;
        synchronized (lock) {
            if (releasep(m) != pp) {
                throw new IllegalStateException("goloom: retireP: wrong P released");
            }
            pidleput(pp); // id >= gomaxprocs: stopped; if setMaxProcs raised it again: idle
            p2 = stopping ? null : pget();
        }
        if (p2 == null) {
            return false;
        }
        acquirep(m, p2);
        return true;
    }

    /**
     * Steals from other Ps: 4 passes over all Ps in a random coprime order, half of a victim's
     * ring each time, its runnext only on the last pass (Go's stealWork).
     */
    private G stealWork(M m, P pp) {
        P[] ps = allp; // every P, retired ones too (a retired P still held may have Gs)
        int n = ps.length;
        if (n == 1) {
            return null;
        }
        for (int i = 0; i < STEAL_TRIES; i++) {
            boolean stealRunNext = i == STEAL_TRIES - 1;
            int r = m.fastrand();
            int pos = r % n;
            int[] cp = coprimes; // read after allp: see the field's comment
            int inc = cp[(r >>> 8) % cp.length] % n;
            for (int k = 0; k < n; k++, pos = (pos + inc) % n) {
                if (stopping) {
                    return null;
                }
                P p2 = ps[pos];
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
                int st2 = p2.state();
                if ((st2 == P.PIDLE || st2 == P.PSTOPPED) && p2.runqempty()) {
                    // An idle-listed P has an empty queue (pidleput checks it). Not skipped when
                    // it has Gs: a P waiting for an M at the thread limit (see startm).
                    continue;
                }
                G g = pp.runqsteal(p2, stealRunNext);
                if (g != null) {
                    pp.steals++;
                    int f = GoEvents.flags;
                    if (f != 0) {
                        observeSteal(f, m, pp, p2);
                    }
                    return g;
                }
            }
        }
        return null;
    }

    private static void observeSteal(int f, M m, P pp, P victim) {
        int count = pp.runqsize() + 1; // the thief's queue was empty: what it holds now came from victim
        if ((f & GoEvents.STEAL) != 0) {
            GoEvents.steal(pp, victim, count);
        }
        if ((f & GoEvents.TRACE) != 0) {
            ExecTrace.put(pp, ExecTrace.STEAL, m, victim.id, 0, count);
        }
    }

    // =====================================================================================
    // Timers in the scheduler (no timer thread)

    /**
     * Runs pp's expired timers if any are due and nobody else is running them. Returns true if
     * any fired. Any M may call it for any P: the P's timerLock is the queues' owner role.
     * Timers ready their goroutines into the calling M's P (runnext), so they run next.
     *
     * <p>At most as many fire as the calling M's own P's run queue has room for
     * ({@link #timerRoom}); the rest stay due on their wheel, fire first at the next check
     * (every schedule), and meanwhile any thief or busy M can run them as another P's timers.
     * Without the bound, a burst (a P's M kept from its timers for a few ms by the OS, then one
     * check: hundreds of sleepers due at once) filled the ring and spilled halves of it to the
     * global queue, which a P whose own
     * timers keep its ring busy checks once per 61 schedules: 100,000 sleepers (compare's
     * sleep-lateness) had readied goroutines wait there up to 160 ms after their timer fired.
     */
    boolean checkTimers(P pp) {
        TimerQueue q = pp.timers;
        long hint = q.earliestHint(); // one volatile read when no timer is pending
        if (hint == TimerQueue.NONE) {
            return false;
        }
        long now = nanoTime();
        // Run when something is due, or to drain requests from other threads (stopped timers
        // would otherwise wait in the inbox until the earliest of them came due).
        if ((now - hint < 0 && !q.hasRequests()) || !pp.tryLockTimers()) {
            return false;
        }
        try {
            int fired = pp.timers.runExpired(now, timerRoom());
            pp.timersFired += fired; // under pp's timerLock
            int f;
            if (fired > 0 && (f = GoEvents.flags) != 0) {
                observeTimers(f, pp, fired, now - hint); // the earliest due timer's lateness
            }
            return fired > 0;
        } catch (Throwable t) {
            System.err.println("goloom: a timer callback threw: " + t); // ours never do; report, keep going
        } finally {
            pp.unlockTimers();
        }
        return true;
    }

    /**
     * How many timers the calling M may fire now: the room in its own P's run queue, where what
     * they ready goes (Sched.ready). Unbounded without a P of its own (an idle M waking for
     * timers, a bubble's driver): then what they ready goes to the global queue anyway.
     */
    private int timerRoom() {
        M m = currentM();
        P own = m == null ? null : m.p;
        return own == null ? Integer.MAX_VALUE : own.runqroom();
    }

    /**
     * Runs another P's timers if they are overdue by more than {@link #STRANDED_NANOS}: that P's
     * M is not coming back to the scheduler (its goroutine runs without a yield point, or the
     * OS took its core: on two cores the JIT's compiler threads and GC workers do that for tens
     * of milliseconds). Go runs other Ps' timers only from the stealing pass, which an M whose
     * own queue never empties does not reach; here a busy M looks at one P per
     * {@link #STRANDED_CHECK_PERIOD} schedules, in turn. Cost when nothing is overdue: one
     * volatile read of that P's hint and, only when it holds a timer, one clock read. What the
     * timers ready lands in our P (checkTimers), so it runs here. Concurrency: nothing new. The
     * hint is the queue's volatile read that any thread may make; running the timers takes the
     * victim's timerLock by CAS in checkTimers (the queues' owner role, which any M may take for
     * any P; losing it to the victim's own M just skips this turn); {@code pp.schedtick} is our
     * own P's field.
     */
    private boolean runStrandedTimers(P pp, P[] ps) {
        int n = Math.min(gomaxprocs, ps.length); // the active Ps (setMaxProcs may be changing it)
        if (n < 2 || pp.id >= n) {
            return false;
        }
        P victim = ps[(pp.id + 1 + (pp.schedtick >>> STRANDED_CHECK_SHIFT) % (n - 1)) % n]; // the next in turn
        long hint = victim.timers.earliestHint();
        if (hint == TimerQueue.NONE || nanoTime() - hint < STRANDED_NANOS) {
            return false;
        }
        return checkTimers(victim);
    }

    private void observeTimers(int f, P pp, int fired, long lateness) {
        if ((f & GoEvents.TIMER) != 0) {
            GoEvents.timers(pp, fired, lateness);
        }
        M m;
        P own;
        if ((f & GoEvents.TRACE) != 0 && (m = currentM()) != null && (own = m.p) != null) {
            // into the caller's own P's ring (any M runs any P's timers); P-less callers have none
            ExecTrace.put(own, ExecTrace.TIMER, m, fired, pp.id, Math.max(0, lateness));
        }
    }

    /**
     * Sched SPI: the clock of this runtime's timers: System.nanoTime, or a bubble's fake clock
     * ({@link Synctest}). Every deadline armed on this runtime's wheels is on this clock.
     */
    @Override
    public long nanoTime() {
        Bubble b = bubble;
        return b == null ? System.nanoTime() : b.nanoTime();
    }

    /** The wall clock of this runtime: Instant.now(), or a bubble's fake time. */
    java.time.Instant now() {
        Bubble b = bubble;
        return b == null ? java.time.Instant.now() : b.now();
    }

    /**
     * Sched SPI: the queue a new timer armed by the caller goes to: its own P's, else P0's
     * (every P's timers are run by whichever M finds them due, see {@link #checkTimers}). Any
     * thread.
     */
    @Override
    public TimerQueue timerQueue() {
        M m = currentM();
        P pp = m != null ? m.p : null;
        return (pp != null ? pp : allp[0]).timers;
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