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
 *   <li>{@link #execute(Runnable)}: one mount of a virtual thread, whose Runnable is the
 *       thread's {@link Mount} (made once per thread by the bridge's constructor hook). Its G is
 *       queued as is through {@link Scheduler#submitMount}: the same run queues, runnext and
 *       stealing as goroutines, no allocation per dispatch.</li>
 *   <li>{@link #schedule(Runnable, long, TimeUnit)}: the timeout of a timed park (sleep,
 *       parkNanos, timed Object.wait and joins), armed on the calling carrier's P's timer
 *       wheel; it fires on the M that runs that wheel, whose wake-up then lands in its runnext.
 *       No {@code VirtualThread-unparker} thread is involved.</li>
 * </ul>
 * Every other ForkJoinPool method is the plain ForkJoinPool's (no worker is started unless
 * someone submits ForkJoinTasks to this pool directly, which the JDK never does); the
 * statistics a {@code VirtualThreadSchedulerMXBean} reads report goloom's figures.
 */
final class CarrierPool extends ForkJoinPool {

    private final GoRuntime runtime;
    private final Scheduler sched;

    CarrierPool(GoRuntime runtime) {
        super(runtime.procs());
        this.runtime = runtime;
        this.sched = runtime.sched;
    }

    /**
     * A virtual thread's mount task: the Runnable the JDK stores in the thread's
     * {@code runContinuation} field and hands to {@link #execute} at every mount. Its G is a
     * direct task reused for the thread's whole life. The JDK submits a thread again only after
     * its previous mount has yielded the continuation (one winner of the thread's own state
     * CAS), so the G is on at most one queue at a time; the M that ran the previous mount may
     * still be returning from it while another M runs the next one, and touches nothing of the
     * G after the run (Scheduler.execute, direct tasks).
     */
    static final class Mount implements Runnable {
        final CarrierPool pool;
        final G g;

        Mount(CarrierPool pool, Runnable runContinuation) {
            this.pool = pool;
            this.g = G.directTask(0, runContinuation, pool.sched);
            g.markRunnable(); // a mount task's status stays RUNNABLE: the JDK's thread state is the real one
        }

        @Override
        public void run() {
            g.directTask.run();
        }
    }

    /** The bridge's constructor hook: a Mount for our threads, the JDK's Runnable for others. */
    Runnable mountFor(Runnable runContinuation, Executor scheduler) {
        return scheduler == this ? new Mount(this, runContinuation) : runContinuation;
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
    public void execute(Runnable task) {
        if (task instanceof Mount mount && mount.pool == this) {
            sched.submitMount(mount.g);
        } else {
            sched.submitTask(task);
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
        Timeout t = new Timeout(command, sched.timerQueueForCaller());
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

    @Override
    public int getParallelism() {
        return runtime.procs();
    }

    @Override
    public int getPoolSize() {
        return sched.threadCount();
    }

    @Override
    public int setParallelism(int size) {
        throw new UnsupportedOperationException("goloom: the number of Ps is fixed when the runtime is built (-javaagent:goloom.jar=scheduler,procs=N)");
    }

    @Override
    public String toString() {
        return "goloom " + runtime + " as the virtual-thread scheduler";
    }
}
