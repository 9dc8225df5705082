package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * A goroutine: a one-shot {@link Continuation} plus the scheduling state Go keeps in its
 * {@code g} struct. G extends Continuation so a goroutine is one object (plus its stack
 * chunk) rather than a wrapper around one.
 *
 * <h2>Status: the transition table</h2>
 *
 * The status word acts like a lock on the goroutine's stack (as in Go's runtime2.go): whoever
 * moves a G out of a state owns the G until it publishes it again. "Mounted" means the
 * continuation is running on a carrier.
 *
 * <pre>
 *  state      mounted  on a run queue  who owns the G (its stack) in this state
 *  IDLE       no       no              the creator, until it queues the G
 *  RUNNABLE   no       yes (or about   the run queue; whoever dequeues it (an M) owns it.
 *                      to be)          After a pinned park: never queued, its carrier owns it
 *  RUNNING    yes      no              the M running it; only that M's thread touches it
 *  SYSCALL    yes      no              the M running it, which may have given up its P
 *  WAITING    no       no              nobody: the structure it waits on holds it, and
 *                                      exactly one waker wins the CAS that readies it
 *  PREEMPTED  no       no              the M it was running on, until it queues it globally
 *  DEAD       no       no              nobody; the G is garbage once unreferenced
 *
 *  transition                 made by                        how
 *  IDLE      -> RUNNABLE      creator (newproc)              plain store, then queue publish
 *  RUNNABLE  -> RUNNING       the M that dequeued it         release store (M owns it)
 *  RUNNING   -> RUNNABLE      its M, after a yield           release store, then queue publish
 *  RUNNING   -> PREEMPTED     its M, after a preempt yield   release store
 *  PREEMPTED -> RUNNABLE      its M                          release store, then queue publish
 *  RUNNING   -> WAITING       its M, after a park yield,     release store BEFORE the commit
 *                             on the M's own stack           publishes the G to wakers
 *  WAITING   -> RUNNING       its M, when the commit aborts  release store (no waker saw it)
 *  WAITING   -> RUNNABLE      the one waker (ready)          CAS; a second ready is a bug. The
 *                                                            waker reads pinnedCarrier before
 *                                                            the CAS (see parkPinned)
 *  RUNNING   -> WAITING       the G itself, pinned           release store after publishing
 *                             (parkPinned)                   pinnedCarrier, before the commit
 *  RUNNABLE  -> RUNNING       the pinned carrier, once it    release store (never queued)
 *                             sees RUNNABLE
 *  RUNNING   -> SYSCALL       the G itself (entersyscall)    release store
 *  SYSCALL   -> RUNNING       the G itself (exitsyscall)     release store
 *  RUNNING   -> DEAD          its M, after the body ended    release store
 *  WAITING   -> WAITING|SCAN  a dump (parkedStackTrace)      CAS; back to WAITING by CAS after
 *                                                            the walk. Meanwhile ready and an
 *                                                            aborted park spin (Go's _Gscan)
 * </pre>
 *
 * <h2>Park: why the commit runs after the yield</h2>
 *
 * {@link #park} stores what to do and yields; only when the continuation is fully unmounted
 * does the M set WAITING and run the {@link ParkCommit} (Go's gopark/park_m). A waker can only
 * find the G through what the commit publishes (a wait queue under a lock the commit releases,
 * a CAS on a semaphore word), and the status store precedes that publication, so a waker never
 * sees a G that is still running on its stack. A wake that races ahead of the commit makes the
 * commit fail (it finds the semaphore already signalled) and the M resumes the G at once:
 * no wake-up is lost and none is delivered twice.
 *
 * <h2>Fields and their guards</h2>
 * See each field. "G-private" fields are written by the goroutine itself or by the M running
 * it, which is the same carrier thread; the M reads them after {@code run()} returns.
 */
public class G extends io.goloom.core.spi.SchedLinks {

    /** The continuation scope of every goroutine. */
    public static final ContinuationScope SCOPE = new ContinuationScope("goloom");

    // ---- status values (see the table above) ----
    public static final int IDLE = 0;
    public static final int RUNNABLE = 1;
    public static final int RUNNING = 2;
    public static final int SYSCALL = 3;
    public static final int WAITING = 4;
    public static final int PREEMPTED = 5;
    public static final int DEAD = 6;

    /**
     * Go's {@code _Gscan} bit, on WAITING only: a dump holds a parked G as {@code WAITING | SCAN}
     * while it walks the G's stack ({@link #parkedStackTrace}), and nothing mounts the G
     * meanwhile: {@link #ready} and the M's aborted park wait it out (a few microseconds) before
     * their CAS, as Go's casgstatus spins on {@code _Gscan}. {@link #status()} hides the bit.
     */
    private static final int SCAN = 0x1000;

    private static final String[] STATUS_NAMES =
            {"idle", "runnable", "running", "syscall", "waiting", "preempted", "dead"};

    // ---- what execute() reports to the M: why run() returned ----
    /** The body returned or threw; the G is DEAD. */
    public static final int EXEC_DEAD = 0;
    /** The G parked and the commit kept it parked; the G is WAITING and no longer the M's. */
    public static final int EXEC_PARKED = 1;
    /** {@code Go.yield}: the G is RUNNABLE; put it at the tail of the local run queue. */
    public static final int EXEC_YIELD = 2;
    /** {@code Go.gosched}: the G is RUNNABLE; put it on the global queue (Go's Gosched). */
    public static final int EXEC_GOSCHED = 3;
    /** A preemption request was honoured: the G is PREEMPTED; queue it globally. */
    public static final int EXEC_PREEMPT = 4;
    /**
     * The first yield kind a scheduler may define for itself (e.g. goloom's blocking-call exit
     * without a P); core never returns one. ("EXEC_": what {@link Machine#runG} returns, not
     * where the M is, which is M's IN_USER/IN_SCHED/... word.)
     */
    public static final int EXEC_SCHED_BASE = 8;

    private static final VarHandle STATUS;
    private static final VarHandle PERMIT;
    private static final VarHandle PREEMPT;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATUS = l.findVarHandle(G.class, "status", int.class);
            PERMIT = l.findVarHandle(G.class, "permit", int.class);
            PREEMPT = l.findVarHandle(G.class, "preempt", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Immutable. Unique within the owning scheduler. */
    public final long id;
    /** Immutable. The scheduler this goroutine belongs to. */
    public final Sched sched;
    /** Atomic via STATUS; transitions as in the table above. */
    private volatile int status;
    /** Atomic via PERMIT: the {@link #parkPermit}/{@link #unpark} permit (0 none, 1 available, 2 parked). */
    private volatile int permit;
    /**
     * Set by sysmon (any thread) to ask this G to yield at its next yield point; cleared by the
     * G when it honours the request, and by its M whenever the G stops running for any reason.
     * Both transitions are CASes ({@link #requestPreempt}, {@link #clearPreempt}), and only
     * those, so {@link #preemptRequests} and the agent's request counter stay exact (see
     * {@link AgentHook}). A request that lands just after the G yielded anyway only costs one
     * extra yield.
     */
    private volatile boolean preempt;

    /** Is a preemption request pending for this G? Any thread (racy). */
    public final boolean preemptRequested() {
        return preempt;
    }

    // ---- G-private (the G itself or its M: the same carrier thread) ----
    private int yieldKind;
    /** The pending park's commit, until the M takes it; package-private for Select's Error path (field stores, no call). */
    ParkCommit parkCommit;
    Object parkArg;
    /** Last pin reason seen by a failed yield, for diagnostics. G-private. */
    private Pinned lastPinned;

    // ---- written by the G before it parks; read racily by dumps ----
    private WaitReason waitReason = WaitReason.NONE;
    private long waitSince;
    /** The carrier blocked in a pinned park (see {@link #parkPinned}); published by the commit. */
    private Thread pinnedCarrier;

    // ---- scheduler-owned (schedlink, allPrev/allNext, readiedAt): in SchedLinks, this class's
    // superclass, behind accessors that core's module exports to the scheduler and netpoll only ----
    /** Optional label shown in dumps. Written before start. */
    public String name;
    /**
     * Non-null for a <em>direct task</em>: a plain Runnable the M runs on its own stack, never
     * mounting this G's continuation (used to run JDK virtual threads' continuations on
     * goloom's carriers through the same run queues). Immutable.
     */
    public final Runnable directTask;

    /**
     * This goroutine's Waiter for its blocking channel sends and receives and semaphore
     * acquires (Mutex, RWMutex, WaitGroup), made at its first one and reused after
     * ({@link Waiter#forBlockingOp}). Read and written only by this goroutine.
     */
    Waiter ownWaiter;

    private static final Runnable NOTHING = () -> { };

    public G(long id, Runnable body, Sched sched) {
        super(SCOPE, body);
        this.id = id;
        this.sched = sched;
        this.directTask = null;
    }

    /**
     * A direct task (see {@link #directTask}). Protected for a subclass that is its own task's
     * record (the scheduler's mount slots in transparent mode: one object per queue entry, so a
     * dispatch follows one reference fewer); others use {@link #directTask(long, Runnable, Sched)}.
     */
    protected G(long id, Sched sched, Runnable directTask) {
        super(SCOPE, NOTHING);
        this.id = id;
        this.sched = sched;
        this.directTask = directTask;
    }

    /** A direct task (see {@link #directTask}): queued like a goroutine, run on the M's stack. */
    public static G directTask(long id, Runnable task, Sched sched) {
        return new G(id, sched, java.util.Objects.requireNonNull(task, "task"));
    }

    // ------------------------------------------------------------------------------------
    // Queries

    /** The goroutine running on the current carrier, or null on a thread that is not in one. */
    public static G current() {
        // Carrier.current(), not Thread.currentThread(): see Carrier for the JIT hazard.
        return Carrier.current() instanceof Machine m ? m.curg : null;
    }

    /** The current goroutine; throws a clear exception when called from a plain thread. */
    public static G currentOrThrow(String op) {
        G g = current();
        if (g == null) {
            throw new IllegalStateException(op + " must be called from a goroutine, not from thread "
                    + Thread.currentThread().getName());
        }
        return g;
    }

    /** The status; a parked G whose stack a dump is walking reads as WAITING. */
    public final int status() {
        return status & ~SCAN;
    }

    public static String statusName(int s) {
        return s >= 0 && s < STATUS_NAMES.length ? STATUS_NAMES[s] : "status(" + s + ")";
    }

    public final WaitReason waitReason() {
        return waitReason;
    }

    /** {@link Sched#coarseNanos()} when the G last parked. */
    public final long waitSince() {
        return waitSince;
    }

    @Override
    public String toString() {
        int s = status();
        return "goroutine " + id + (name != null ? " \"" + name + "\"" : "") + " [" + statusName(s)
                + (s == WAITING ? ", " + waitReason : "") + "]";
    }

    // ------------------------------------------------------------------------------------
    // Transitions made by the scheduler

    /** IDLE -> RUNNABLE. Called by the creator before it queues the G. */
    public final void markRunnable() {
        int s = status;
        if (s != IDLE && s != PREEMPTED) {
            throw new IllegalStateException("goloom: markRunnable: bad g status " + statusName(s) + " for " + this);
        }
        STATUS.setRelease(this, RUNNABLE);
    }

    /**
     * Runs this G on {@code m} until it parks, yields or ends (Go's execute plus park_m).
     * Called only from {@link Machine#runG}; see the transition table for what each return
     * value leaves behind.
     */
    final int execute(Machine m) {
        for (;;) {
            STATUS.setRelease(this, RUNNING);
            try {
                run();
            } catch (GoExit exit) {
                // Go.goexit: the finally blocks have run on the way down; end quietly.
                STATUS.setRelease(this, DEAD);
                return EXEC_DEAD;
            } catch (Throwable t) {
                // The body threw: the continuation is done; the M survives.
                STATUS.setRelease(this, DEAD);
                try {
                    sched.panicked(this, t);
                } catch (Throwable ignored) {
                    // a broken handler must not take the carrier down
                }
                return EXEC_DEAD;
            }
            if (isDone()) {
                STATUS.setRelease(this, DEAD);
                return EXEC_DEAD;
            }
            int kind = yieldKind;
            if (kind == EXEC_PARKED) {
                ParkCommit c = parkCommit;
                Object a = parkArg;
                parkCommit = null;
                parkArg = null;
                // Release store: ordered before whatever the commit publishes (a lock release or
                // a CAS), so a waker that finds the G through it sees WAITING.
                STATUS.setRelease(this, WAITING);
                if (c.commit(this, a)) {
                    return EXEC_PARKED; // from here on another M may own this G
                }
                // The wake-up already happened: resume at once (Go: park_m -> execute). No
                // waker can have the G (the commit did not publish it), but a dump may hold it
                // WAITING|SCAN while walking its stack: wait that out before mounting it. A CAS
                // on this rare path only.
                while (!STATUS.compareAndSet(this, WAITING, RUNNING)) {
                    Thread.onSpinWait();
                }
                continue;
            }
            STATUS.setRelease(this, kind == EXEC_PREEMPT ? PREEMPTED : RUNNABLE);
            return kind;
        }
    }

    /**
     * WAITING -> RUNNABLE, then hands the G to its scheduler. Called by the one waker that
     * took the G off whatever it waited on. {@code next}: run it next on the waker's P.
     *
     * @throws IllegalStateException if the G is not WAITING: two wakers, or a wake of a G that
     *         never parked, is a bug in the caller's protocol.
     */
    public final void ready(boolean next) {
        // Decide "pinned carrier or run queue" BEFORE the CAS (see parkPinned for the whole
        // argument). The volatile read of WAITING acquires the parker's release store of it, so
        // pinnedCarrier is this park's value: non-null iff the G parks pinned. The parker clears
        // it only after it has seen our CAS below, so this read (program order before the CAS)
        // cannot see the clear. Reading it after the CAS, as goloom once did, lets a pinned
        // carrier that returns from LockSupport.park spuriously see RUNNABLE, clear the field
        // and run on; the waker then read null and queued a G that was still running.
        int s;
        Thread carrier;
        for (;;) {
            s = status;
            carrier = pinnedCarrier;
            // CAS pairs with the release store of WAITING in execute() or parkPinned (seen through
            // the commit's publication): exactly one waker wins.
            if (s == WAITING) {
                if (STATUS.compareAndSet(this, WAITING, RUNNABLE)) {
                    break;
                }
                continue; // lost to a dump's SCAN (wait it out below) or to a second waker (fails below)
            }
            if (s != (WAITING | SCAN)) {
                throw new IllegalStateException("goloom: ready: bad g status " + statusName(s) + " for " + this);
            }
            Thread.onSpinWait(); // a dump is walking the parked stack: wait it out (Go's casgstatus on _Gscan)
        }
        if (carrier != null) {
            // The G is its pinned carrier's from here on, whether or not that carrier is still
            // blocked: the unpark may be a stale permit for a carrier already running it.
            LockSupport.unpark(carrier);
            return;
        }
        sched.ready(this, next);
    }

    // ------------------------------------------------------------------------------------
    // Called by the goroutine itself

    /**
     * Parks this goroutine, which must be the current one (Go's gopark; not to be confused with
     * {@code Go.park()}, a permit park for users, built on this). The continuation yields; then,
     * on the M's stack, the status becomes WAITING and {@code commit.commit(g, arg)} runs.
     * Returns when a waker has called {@link #ready}, or at once if the commit returned false.
     */
    public final void gopark(WaitReason reason, ParkCommit commit, Object arg) {
        if (commit == null) {
            throw new NullPointerException("commit");
        }
        waitReason = reason;
        waitSince = sched.coarseNanos();
        parkCommit = commit;
        parkArg = arg;
        yieldKind = EXEC_PARKED;
        if (!Continuation.yield(SCOPE)) {
            parkPinned(commit, arg);
        }
    }

    /**
     * After {@link #gopark} threw: whether it threw before the M took the park, so the commit
     * never ran and the G never left RUNNING (a StackOverflowError or OutOfMemoryError from the
     * yield itself). Then the park is forgotten and this returns true: the caller still holds
     * what the commit would have released and must undo what it published before parking
     * (its queued Waiter). False if the M took the park (the commit ran). Owner-only: the M
     * clears {@code parkCommit} before it runs the commit, and after a yield that threw no M
     * has the G.
     */
    final boolean forgetUntakenPark() {
        if (parkCommit == null) {
            return false;
        }
        parkCommit = null;
        parkArg = null;
        return true;
    }

    /**
     * The continuation could not yield (a native frame or a class initializer on the stack):
     * park the carrier itself. The M stays blocked with its P until the G is readied; sysmon's
     * handoff is what keeps the rest of the runtime going meanwhile.
     *
     * <h3>Who owns a G readied out of a pinned park</h3>
     * The G never leaves its carrier's stack, so after WAITING -> RUNNABLE it belongs to that
     * carrier, never to a run queue. The waker must therefore know, when it wins the CAS, that
     * the G parks pinned; and it must know it without looking at anything the carrier changes
     * after the CAS, because the carrier may resume at any moment after it: LockSupport.park
     * returns spuriously, and stale permits exist on an M's thread (its note's unpark, an
     * earlier ready's unpark that arrived after the carrier had already run on).
     * <pre>
     *  pinned carrier (this method)             waker (ready)
     *  1. pinnedCarrier = me        (plain)     a. s = status            (volatile: WAITING)
     *  2. status = WAITING          (release)   b. c = pinnedCarrier     (plain)
     *  3. commit publishes the G                c. CAS WAITING -> RUNNABLE (one waker wins)
     *  4. park until status != WAITING          d. c != null ? unpark(c) : sched.ready(g)
     *  5. pinnedCarrier = null; RUNNING
     * </pre>
     * (a) acquires (2), so (b) sees (1) of this park; (5) follows the carrier's read of the
     * value (c) wrote, so (b), before (c), cannot see (5). Hence the waker hands the G to the
     * run queue iff it parked unpinned, whatever the carrier does after (c). A carrier that
     * wakes spuriously before (c) sees WAITING and parks again; after (c), it runs on, and the
     * waker's unpark becomes a stale permit, which every park loop in goloom tolerates.
     * A later unpinned park writes WAITING after (5), so its waker reads null.
     */
    private void parkPinned(ParkCommit commit, Object arg) {
        parkCommit = null;
        parkArg = null;
        pinnedCarrier = Carrier.current(); // (1): published by the release store below
        STATUS.setRelease(this, WAITING); // (2)
        if (commit.commit(this, arg)) {
            // ready() CASes WAITING -> RUNNABLE and then unparks us; any other return is
            // spurious. A park cannot be interrupted (as Go's): an interrupt status is kept for
            // after the wait (as Waiter's thread waits do), not left set inside it, where park
            // returns at once.
            boolean interrupted = false;
            while ((status & ~SCAN) == WAITING) { // a dump's SCAN bit: still parked
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            int s = status;
            if (s != RUNNABLE) {
                throw new IllegalStateException("goloom: parkPinned: bad g status " + statusName(s) + " for " + this);
            }
        }
        pinnedCarrier = null;
        STATUS.setRelease(this, RUNNING);
    }

    /**
     * Any thread, racy: whether this G is parked pinned (WAITING in {@link #parkPinned}, its
     * carrier blocked until a {@link #ready}). The volatile read of WAITING acquires the
     * parker's release store, which follows its write of pinnedCarrier (1, 2 above). Not
     * true during an ordinary park's commit, which runs with the continuation yielded.
     */
    public final boolean parkedPinned() {
        return (status & ~SCAN) == WAITING && pinnedCarrier != null;
    }

    /**
     * For dumps, from any thread: the stack of this G if it is parked (WAITING), else null.
     * Walking a continuation's frames while an M mounts it can crash the JVM (seen: SIGSEGV
     * in the stack walker), so the walk holds the G as {@code WAITING | SCAN} (Go's
     * suspendG): a CAS that fails unless the G is parked, and that makes the G's one waker,
     * or its M after an aborted park, wait before moving it on. Released by a CAS back to
     * WAITING. A G parked pinned is mounted on its blocked carrier: its frames are the
     * carrier's, walked through {@link Thread#getStackTrace} (safe on a live thread) and cut at
     * the continuation's entry.
     */
    public final StackTraceElement[] parkedStackTrace() {
        if (status != WAITING || !STATUS.compareAndSet(this, WAITING, WAITING | SCAN)) {
            return null;
        }
        Thread carrier;
        StackTraceElement[] st = null;
        try {
            // After the CAS: it acquired this park's release store of WAITING, so this is this
            // park's pinnedCarrier (see parkPinned).
            carrier = pinnedCarrier;
            if (carrier == null) {
                st = getStackTrace();
            }
        } finally {
            // A CAS, not a store: a pinned carrier whose commit failed stores RUNNING over our
            // bit (it never left its stack, and we did not walk the continuation); keep that.
            STATUS.compareAndSet(this, WAITING | SCAN, WAITING);
        }
        if (carrier == null) {
            return st;
        }
        StackTraceElement[] all = carrier.getStackTrace();
        int n = 0;
        while (n < all.length && !(all[n].getClassName().equals("jdk.internal.vm.Continuation")
                && (all[n].getMethodName().equals("run") || all[n].getMethodName().startsWith("enter")))) {
            n++;
        }
        return java.util.Arrays.copyOf(all, n);
    }

    /** RUNNING -> SYSCALL: the G itself, entering a blocking call (Go's entersyscall). */
    public final void enterSyscall() {
        STATUS.setRelease(this, SYSCALL);
    }

    /** SYSCALL -> RUNNING: the G itself, leaving the blocking call. */
    public final void exitSyscall() {
        STATUS.setRelease(this, RUNNING);
    }

    /**
     * Yields the current continuation with {@code kind} (one of the EXEC_* yield kinds) and
     * returns when the scheduler runs it again. Returns false, without yielding, if the
     * continuation is pinned: the caller simply continues (a preemption request stays pending).
     * Must be called by this G on itself.
     */
    public final boolean yieldAs(int kind) {
        yieldKind = kind;
        return Continuation.yield(SCOPE);
    }

    /**
     * A yield point: one volatile read (of {@link #preemptRequests}) when no preemption is
     * requested anywhere; when sysmon asked the
     * current goroutine to yield, it yields to the global queue (as Go's preempted Gs). A no-op on
     * a plain thread. If the goroutine cannot yield (pinned), the request stays pending.
     */
    public static void checkpoint() {
        if (preemptRequests == 0) {
            return; // the common case: one plain load of a static, no carrier lookup
        }
        G g = current();
        if (g != null && g.preempt && g.clearPreempt()) {
            if (!g.yieldAs(EXEC_PREEMPT)) {
                g.requestPreempt(); // pinned: keep the request for the next yield point
            }
        }
    }

    /**
     * Pending preemption requests of all goroutines in the process: incremented after a
     * {@link #preempt} flag goes false -> true and decremented after it goes true -> false (both
     * by CAS, so every increment has exactly one decrement). {@link #checkpoint()} reads it first
     * and looks up the current G only when it is non-zero: a yield point then costs one load
     * instead of a carrier lookup and a G's field when nobody is asked to yield, which is
     * nearly always. A checkpoint that runs between a request's CAS and its
     * increment misses it once; the next checkpoint sees it. Volatile: the read must not be
     * hoisted out of a loop. Atomic via PREEMPT_REQUESTS.
     */
    private static volatile int preemptRequests;
    private static final VarHandle PREEMPT_REQUESTS;
    static {
        try {
            PREEMPT_REQUESTS = MethodHandles.lookup().findStaticVarHandle(G.class, "preemptRequests", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Pending requests as counted (racy while requests change); for tests. */
    static int pendingPreemptRequests() {
        return preemptRequests;
    }

    /** Asks this G to yield at its next yield point. Returns false if a request was pending. Any thread. */
    public final boolean requestPreempt() {
        if (PREEMPT.compareAndSet(this, false, true)) {
            PREEMPT_REQUESTS.getAndAdd(1);
            AgentHook.requested();
            return true;
        }
        return false;
    }

    /** Withdraws a pending request. Returns false if none was pending. Any thread. */
    public final boolean clearPreempt() {
        if (PREEMPT.compareAndSet(this, true, false)) {
            PREEMPT_REQUESTS.getAndAdd(-1);
            AgentHook.honoured();
            return true;
        }
        return false;
    }

    /** Pinned yields do not throw: the yield returns false and the G keeps running. */
    @Override
    protected void onPinned(Pinned reason) {
        lastPinned = reason;
    }

    /** Why the last yield of this G failed, or null. G-private; for diagnostics. */
    public final Pinned lastPinned() {
        return lastPinned;
    }

    // ------------------------------------------------------------------------------------
    // A LockSupport-style permit: park until unparked, with the unpark remembered if it comes
    // first. Built on park/ready; used by Go.park/Go.unpark and by the park-unpark workload.

    private static final ParkCommit PERMIT_COMMIT = (g, arg) -> {
        // 0 -> 2: announce we are parked; pairs with the CAS 2 -> 0 in unpark().
        if (PERMIT.compareAndSet(g, 0, 2)) {
            return true;
        }
        // An unpark landed between parkPermit's check and here: consume it, don't park.
        PERMIT.setVolatile(g, 0);
        return false;
    };

    /** Parks the current goroutine until its permit is available, then consumes it. */
    public static void parkPermit() {
        G g = currentOrThrow("park");
        if (PERMIT.compareAndSet(g, 1, 0)) {
            return;
        }
        g.gopark(WaitReason.PARK, PERMIT_COMMIT, null);
    }

    /**
     * Makes this goroutine's permit available; if it is parked in {@link #parkPermit}, readies
     * it (into the caller's runnext when the caller is a goroutine). Any thread.
     */
    public final void unpark() {
        for (;;) {
            int p = permit;
            if (p == 1) {
                return;
            }
            if (p == 0 && PERMIT.compareAndSet(this, 0, 1)) {
                return;
            }
            if (p == 2 && PERMIT.compareAndSet(this, 2, 0)) {
                ready(true);
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------

    /** A Go-style panic report: the exception, then the goroutine's id and stack. */
    public static String panicReport(G g, Throwable t) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("panic: ").append(t).append("\n\ngoroutine ").append(g.id);
        if (g.name != null) {
            sb.append(" \"").append(g.name).append('"');
        }
        sb.append(" [running]:\n");
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals("jdk.internal.vm.Continuation")) {
                break; // below this frame is the scheduler, not the goroutine
            }
            sb.append("\t").append(e).append('\n');
        }
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append("caused by: ").append(c).append('\n');
            for (StackTraceElement e : c.getStackTrace()) {
                sb.append("\t").append(e).append('\n');
            }
        }
        return sb.toString();
    }
}
