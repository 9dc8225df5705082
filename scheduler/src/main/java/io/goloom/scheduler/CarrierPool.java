package io.goloom.scheduler;

import io.goloom.core.Carrier;
import io.goloom.core.G;
import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler the JDK sees for every virtual thread in transparent mode: a goloom runtime
 * dressed as the {@code ForkJoinPool} that {@code VirtualThread.DEFAULT_SCHEDULER} must be
 * (installed by {@link JdkBridge}). The JDK calls it in two places only:
 * <ul>
 *   <li>{@link #execute(Runnable)}: one mount of a virtual thread (the thread's
 *       {@code runContinuation}). It is queued as a direct task through
 *       {@link DirectTasks#submitMount}: the same run queues, runnext and stealing as goroutines.
 *       The task's G is a {@link Slot}, recycled between mounts (Go's gfget/gfput), so
 *       a dispatch allocates nothing once the carriers' caches are warm, and a parked virtual
 *       thread holds nothing of goloom's (its memory is the JDK's alone).</li>
 *   <li>{@link #schedule(Runnable, long, TimeUnit)}: the timeout of a timed park (sleep,
 *       parkNanos, timed Object.wait and joins), armed on the calling carrier's P's timer
 *       wheel; it fires on the M that runs that wheel, whose wake-up then lands in its runnext.
 *       No {@code VirtualThread-unparker} thread is involved.</li>
 * </ul>
 * The statistics that the JDK's {@code VirtualThreadSchedulerMXBean} reads (parallelism, pool
 * size, mounted and queued threads) and the other ForkJoinPool statistics (running threads,
 * steals, quiescence) report goloom's figures. Every other ForkJoinPool method is the plain
 * ForkJoinPool's (no worker is started unless someone submits ForkJoinTasks to this pool
 * directly, which the JDK never does).
 */
final class CarrierPool extends ForkJoinPool {

    /**
     * The runtime: the default one, built at the first virtual thread's first mount (or timed
     * park), not at premain. Other agents' premains run after ours and may add jars to the class
     * path (goloom's yield-point agent: the runtime links to its YieldPoint class when it is
     * built; built in premain it would find none and preemption at yield points would never
     * work). A holder class: after its initialisation the JIT reads the scheduler as a constant.
     */
    private static final class DefaultRuntime {
        static final GoRuntime RT = built = GoRuntime.getDefault();
        static final Scheduler SCHED = RT.sched;
    }

    /**
     * The default runtime once {@link DefaultRuntime} is initialised, else null: lets
     * {@link #getParallelism()} answer without building the runtime early (the JDK's
     * VirtualThreadSchedulerMXBean may ask at any time). Written once, by that initialisation.
     */
    private static volatile GoRuntime built;

    private final int procs;

    /**
     * Slots beyond the carriers' caches, shared: a stack of batches of BATCH slots (each batch
     * linked through Slot.next and ending in null, batches linked through Slot.nextBatch), so a
     * carrier moves a whole batch in O(1) without touching slots another core wrote last.
     * Guarded by {@link #spareLock}, a try-lock: a carrier never waits for it (a carrier blocked
     * on a monitor is what sysmon hands off), it allocates or drops a batch instead.
     */
    private Slot spare;
    private int spareBatches;
    private volatile int spareLock;
    private static final java.lang.invoke.VarHandle SPARE_LOCK;
    static {
        try {
            SPARE_LOCK = java.lang.invoke.MethodHandles.lookup().findVarHandle(CarrierPool.class, "spareLock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The CAS (volatile semantics) acquires: it pairs with the previous holder's release store in
     * {@link #unlockSpare}, so the holder sees every write made to {@link #spare} and
     * {@link #spareBatches} under the lock before. The plain read first only avoids a CAS on a
     * held lock; takeSpareBatch's unlocked {@code spare == null} peek is a hint, re-read under the lock.
     */
    private boolean tryLockSpare() {
        return spareLock == 0 && SPARE_LOCK.compareAndSet(this, 0, 1);
    }

    private void unlockSpare() {
        SPARE_LOCK.setRelease(this, 0);
    }

    /** Slots a carrier keeps for itself (M.slots), and the batch moved to or from {@link #spare}. */
    static final int CACHE = 64;
    static final int BATCH = CACHE / 2;
    /** Batches kept in {@link #spare} at most; beyond, they are left to the GC. */
    static final int SPARE_MAX_BATCHES = 128;

    /** A pool for the default runtime, which will be built with {@code procs} Ps (goloom.procs). */
    CarrierPool(int procs) {
        super(procs);
        this.procs = procs;
    }

    /**
     * A direct-task G that is also the record of the mount it runs (one object per queue entry:
     * the M that dequeues it reaches the mount without a further hop), recycled. Ownership: a
     * slot belongs to whoever took it from a cache (the submitter) until it is queued; then to
     * the run queue; then to the M that dequeued it, which runs the mount and, once the mount
     * has returned, puts the slot in its own cache. The JDK never sees a slot, so a virtual
     * thread re-submitted while its previous mount is still returning gets another one.
     * {@code mount} is written before the queue publishes the G and read after the dequeue (the
     * run queue's release/acquire pair).
     */
    static final class Slot extends G {
        /** The slot's directTask: a slot runs only through {@link #runOn}. */
        private static final Runnable RUN_ON_ONLY = () -> {
            throw new IllegalStateException("goloom: a virtual thread's mount slot was run outside DirectTasks.run");
        };
        /** The virtual thread's runContinuation for the dispatch under way. */
        Runnable mount;
        /** The mount being run now, for the self re-submission test (owner M only). */
        Runnable running;
        /** Link in a carrier's cache or within a spare batch. */
        Slot next;
        /** Link between spare batches (on a batch's first slot only). */
        Slot nextBatch;
        private final CarrierPool pool;

        Slot(CarrierPool pool) {
            super(0, DefaultRuntime.SCHED, RUN_ON_ONLY);
            this.pool = pool;
            markRunnable(); // a mount G's status stays RUNNABLE: the JDK's thread state is the real one
        }

        /** Runs the mount on m, the M that dequeued this slot's G; then the slot goes to m's cache. */
        void runOn(M m) {
            Runnable r = mount;
            mount = null;
            running = r;
            try {
                r.run();
            } finally {
                running = null;
                pool.release(this, m);
            }
        }
    }

    /**
     * LinkedTransferQueue/SynchronousQueue ask this before spinning: true on one of our carriers
     * whose P has runnable work (the partner the spin would wait for is likely queued right
     * here, behind the spinner).
     */
    static boolean carrierHasQueuedWork() {
        return Carrier.current() instanceof M m && m.p instanceof P pp && !pp.runqempty();
    }

    /** Queues one mount of a virtual thread. */
    @Override
    public void execute(Runnable mount) {
        if (mount == null) {
            throw new NullPointerException("task");
        }
        Scheduler sched = DefaultRuntime.SCHED;
        M m = Carrier.current() instanceof M cm && cm.sched == sched ? cm : null;
        boolean self = m != null && m.task instanceof Slot running && running.running == mount;
        Slot s = acquire(m);
        s.mount = mount;
        if (self && m.resubmit == null && !sched.isStopping()) {
            // The thread re-submits itself from its own carrier, its continuation already
            // yielded (Thread.yield, or a park unparked while parking): m files it once this
            // mount has returned (Scheduler.execute), at the tail of its ring.
            m.resubmit = s;
            return;
        }
        try {
            sched.directTasks.submitMount(s, self);
        } catch (RuntimeException | Error e) {
            s.mount = null;
            throw e;
        }
    }

    /**
     * A slot from m's cache, else (a submitter that is not one of our carriers) from the
     * platform thread's own cache, else from the spare list, else a new one.
     */
    private Slot acquire(M m) {
        if (m != null) {
            Slot s = m.slots;
            if (s == null && (s = takeSpareBatch()) != null) {
                m.slotCount = BATCH;
            }
            if (s != null) {
                m.slots = s.next;
                m.slotCount--;
                s.next = null;
                return s;
            }
        } else if (!Thread.currentThread().isVirtual()) {
            ExternalSlots c = external.get();
            Slot s = c.head;
            if (s == null) {
                s = takeSpareBatch();
            }
            if (s != null) {
                c.head = s.next;
                s.next = null;
                return s;
            }
        }
        slotsMade.increment();
        return new Slot(this);
    }

    /**
     * Slots of a platform thread that submits mounts: the JDK's HttpServer dispatcher starting a
     * virtual thread per exchange, the read poller and the monitor unblocker waking parked
     * ones. Without it each of those dispatches allocated a slot and its G (about 200 bytes).
     * A batch comes from the spare list, which the carriers' caches overflow into as those
     * mounts return. Platform threads only: a virtual thread on another scheduler's carrier
     * allocates, since a cache per virtual thread would outlive its few submissions.
     */
    private static final class ExternalSlots {
        Slot head;
    }

    private final ThreadLocal<ExternalSlots> external = ThreadLocal.withInitial(ExternalSlots::new);

    /** Slots allocated so far (a warm pool allocates none per dispatch): tests and diagnostics. */
    final java.util.concurrent.atomic.LongAdder slotsMade = new java.util.concurrent.atomic.LongAdder();

    /** One spare batch (BATCH slots linked through next), or null: none, or another thread holds the spare list. */
    private Slot takeSpareBatch() {
        if (spare == null || !tryLockSpare()) {
            return null;
        }
        Slot batch;
        try {
            batch = spare;
            if (batch == null) {
                return null;
            }
            spare = batch.nextBatch;
            spareBatches--;
        } finally {
            unlockSpare();
        }
        batch.nextBatch = null;
        return batch;
    }

    /** After a mount returned, on m, the M that ran it: into its cache; a full cache gives BATCH away. */
    private void release(Slot s, M m) {
        s.next = m.slots;
        m.slots = s;
        if (++m.slotCount > CACHE) {
            Slot first = m.slots;
            Slot last = first;
            for (int i = 1; i < BATCH; i++) {
                last = last.next;
            }
            m.slots = last.next;
            m.slotCount -= BATCH;
            last.next = null; // the batch goes to the GC unless the spare list takes it
            if (tryLockSpare()) {
                try {
                    if (spareBatches < SPARE_MAX_BATCHES) {
                        first.nextBatch = spare;
                        spare = first;
                        spareBatches++;
                    }
                } finally {
                    unlockSpare();
                }
            }
        }
    }

    /**
     * Arms the timeout of a virtual thread's timed park on the caller's P (the carrier the
     * thread is unmounting from, in {@code VirtualThread.afterYield}); fires on an M.
     */
    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        if (command == null || unit == null) {
            throw new NullPointerException();
        }
        long nanos = Math.max(0, Math.min(unit.toNanos(delay), Long.MAX_VALUE / 2));
        Timeout t = new Timeout(command, DefaultRuntime.SCHED.timerQueue());
        t.queue.schedule(t, System.nanoTime() + nanos);
        return t;
    }

    /** A timed park's timeout in a P's wheel; fire() runs the JDK's command on the firing M. */
    static final class Timeout extends TimerNode implements ScheduledFuture<Object> {
        private final Runnable command;
        final TimerQueue queue;
        private volatile int outcome; // 0 pending, 1 fired, 2 cancelled

        Timeout(Runnable command, TimerQueue queue) {
            this.command = command;
            this.queue = queue;
        }

        @Override
        protected void fire() {
            outcome = 1;
            command.run();
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (queue.cancel(this)) {
                outcome = 2;
                return true;
            }
            return false;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(deadline() - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean isCancelled() {
            return outcome == 2;
        }

        @Override
        public boolean isDone() {
            return outcome != 0;
        }

        /** Not waitable: the JDK only cancels these. */
        @Override
        public Object get() {
            throw new UnsupportedOperationException("goloom: a virtual thread's park timeout has no result to wait for");
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return get();
        }
    }

    /** GOMAXPROCS of the default runtime (what it was built with until then). */
    @Override
    public int getParallelism() {
        GoRuntime rt = built;
        return rt != null ? rt.procs() : procs;
    }

    @Override
    public int getPoolSize() {
        return DefaultRuntime.SCHED.threadCount();
    }

    /**
     * Sets GOMAXPROCS of the default runtime ({@link GoRuntime#setMaxProcs}: Ps added or retired
     * while it runs, nothing lost) and returns the previous value, as ForkJoinPool's does; the
     * JDK's {@code jdk.management:type=VirtualThreadScheduler} MXBean calls it (JConsole, JMC).
     * As an explicit setting, it stops the runtime from following the container's CPU limit.
     *
     * @throws IllegalArgumentException if {@code size} is below 1 or above the runtime's thread limit
     */
    @Override
    public int setParallelism(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("goloom: parallelism (GOMAXPROCS) must be at least 1, got " + size);
        }
        return DefaultRuntime.RT.setMaxProcs(size);
    }

    /**
     * Virtual threads mounted right now: carriers running a mount (what the JDK's
     * VirtualThreadSchedulerMXBean reports as mounted). 0 before the runtime is built. Racy, as
     * ForkJoinPool's own figure is.
     */
    @Override
    public int getActiveThreadCount() {
        GoRuntime rt = built;
        return rt != null ? rt.sched.mountedTasks() : 0;
    }

    /** The same figure: a goloom carrier is either running a mount, or looking for one, or parked. */
    @Override
    public int getRunningThreadCount() {
        return getActiveThreadCount();
    }

    /** No carrier runs a mount. */
    @Override
    public boolean isQuiescent() {
        return getActiveThreadCount() == 0;
    }

    /**
     * Mounts waiting in the Ps' run queues (runnext included), as ForkJoinPool counts its workers'
     * queues; the global queue is {@link #getQueuedSubmissionCount()}. The JDK's MXBean reports
     * their sum as queued virtual threads. Racy.
     */
    @Override
    public long getQueuedTaskCount() {
        GoRuntime rt = built;
        return rt != null ? rt.sched.localQueued() : 0;
    }

    /** Mounts waiting in the global queue (those made by plain threads, and overflow), as ForkJoinPool counts external submissions. Racy. */
    @Override
    public int getQueuedSubmissionCount() {
        GoRuntime rt = built;
        return rt != null ? rt.sched.globalQueueSize() : 0;
    }

    @Override
    public boolean hasQueuedSubmissions() {
        return getQueuedSubmissionCount() > 0;
    }

    /** Steals between Ps so far (each moves up to half a ring). */
    @Override
    public long getStealCount() {
        GoRuntime rt = built;
        if (rt == null) {
            return 0;
        }
        long n = 0;
        for (P p : rt.sched.allp) {
            n += p.steals;
        }
        return n;
    }

    @Override
    public String toString() {
        return "goloom's default runtime (procs=" + getParallelism() + ") as the virtual-thread scheduler";
    }
}
