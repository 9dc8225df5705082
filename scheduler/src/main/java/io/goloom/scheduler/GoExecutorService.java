package io.goloom.scheduler;

import io.goloom.core.G;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link java.util.concurrent.ExecutorService} over native goroutines: every accepted task
 * runs as its own goroutine ({@link GoRuntime#go}), with the JDK's contracts otherwise.
 * Made by {@link GoRuntime#executor()}; shutting it down does not close the runtime.
 *
 * <h2>What differs from a thread pool, and why</h2>
 * <ul>
 *   <li><b>No interruption.</b> A goroutine's {@code Thread.currentThread()} is its carrier,
 *       shared with other goroutines, so interrupting "the task's thread" would hit whatever
 *       runs on that carrier next. {@code Future.cancel(true)} therefore acts as
 *       {@code cancel(false)}: the future is cancelled and its result discarded, a task that has
 *       not started never runs, and a task already running keeps running (including one parked
 *       in a goloom primitive) until it returns on its own. {@link #shutdownNow} likewise
 *       returns the tasks that had not started and leaves running ones alone.</li>
 *   <li><b>Waiting never blocks a carrier.</b> Called from a goroutine, {@link #awaitTermination},
 *       {@link #close}, {@code Future.get} on this executor's futures, {@link #invokeAll} and
 *       {@link #invokeAny} park the goroutine ({@link GoWaiters}); from a plain or virtual
 *       thread they block as the JDK's do. A goroutine's wait cannot be interrupted.</li>
 *   <li><b>A task counts as started when its goroutine begins to run.</b> Until then
 *       {@link #shutdownNow} may claim it; a goroutine whose task was claimed ends at once.</li>
 * </ul>
 * Nothing accepted is dropped: every task that {@link #execute} accepted either runs to
 * completion or is returned by {@link #shutdownNow} (or was cancelled through its future).
 * One best-effort case, as in {@code ThreadPoolExecutor}: a task accepted concurrently with
 * {@code shutdownNow} may miss its list and run. If the runtime itself is closed underneath,
 * tasks not yet run are reported by {@link GoRuntime#shutdown()} among the live goroutines,
 * and this executor does not terminate.
 *
 * <h2>The control word</h2>
 * <pre>
 *   bits 63..62: run state    RUNNING 0, SHUTDOWN 1, STOP 2, TERMINATED 3
 *   bits 61..0 : tasks accepted and not yet finished (run to the end, or claimed by shutdownNow)
 *
 *   accept        RUNNING,n      -> RUNNING,n+1       CAS; refused in every other state
 *   finish/claim  s,n            -> s,n-1             then tryTerminate
 *   shutdown      RUNNING,n      -> SHUTDOWN,n
 *   shutdownNow   RUNNING|SHUTDOWN,n -> STOP,n
 *   tryTerminate  SHUTDOWN|STOP,0 -> TERMINATED,0     CAS: the one winner wakes the waiters
 * </pre>
 * State and count share one word so that "no more tasks will come" and "none is left" are
 * decided together: once the word reads (SHUTDOWN or STOP, 0) nothing can be accepted any
 * more, so the count stays 0 and TERMINATED is final.
 */
final class GoExecutorService extends AbstractExecutorService {

    private static final int RUNNING = 0, SHUTDOWN = 1, STOP = 2, TERMINATED = 3;
    private static final int STATE_SHIFT = 62;
    private static final long COUNT_MASK = (1L << STATE_SHIFT) - 1;
    private static final String[] STATE_NAMES = {"running", "shutdown", "stop", "terminated"};

    private static final VarHandle CTL;
    static {
        try {
            CTL = MethodHandles.lookup().findVarHandle(GoExecutorService.class, "ctl", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static int runState(long c) {
        return (int) (c >>> STATE_SHIFT);
    }

    private static long count(long c) {
        return c & COUNT_MASK;
    }

    private static long ctlOf(int state, long count) {
        return (long) state << STATE_SHIFT | count;
    }

    private final GoRuntime rt;
    /** Run state and task count, drawn above. Atomic via CTL. */
    private volatile long ctl;
    /** Accepted tasks whose goroutine has not begun. Concurrent set; a task leaves it when started or claimed. */
    private final Set<Task> pending = ConcurrentHashMap.newKeySet();
    /** Counted down once, by the winner of tryTerminate; plain and virtual threads wait here. */
    private final CountDownLatch terminated = new CountDownLatch(1);
    /** Goroutines waiting for termination. */
    private final GoWaiters terminationWaiters = new GoWaiters();

    GoExecutorService(GoRuntime rt) {
        this.rt = Objects.requireNonNull(rt, "rt");
    }

    // ------------------------------------------------------------------------------------
    // Tasks

    /** An accepted task, as its goroutine's body. */
    private final class Task implements Runnable {
        private static final VarHandle TSTATE;
        static {
            try {
                TSTATE = MethodHandles.lookup().findVarHandle(Task.class, "tstate", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        static final int NEW = 0, STARTED = 1, CLAIMED = 2;

        final Runnable command;
        /** NEW -> STARTED (its goroutine) or NEW -> CLAIMED (shutdownNow, or a failed start). Atomic via TSTATE. */
        private volatile int tstate;

        Task(Runnable command) {
            this.command = command;
        }

        boolean claim() {
            return TSTATE.compareAndSet(this, NEW, CLAIMED);
        }

        @Override
        public void run() {
            if (!TSTATE.compareAndSet(this, NEW, STARTED)) {
                return; // claimed by shutdownNow: it was returned to the caller there
            }
            pending.remove(this);
            try {
                command.run(); // an exception escapes to the runtime's panic handler, as from any goroutine
            } finally {
                finished();
            }
        }
    }

    /**
     * Runs {@code command} in a new goroutine of this executor's runtime. From a goroutine or
     * virtual thread of the same runtime the goroutine goes into the caller's runnext. An
     * exception thrown by {@code command} goes to the runtime's panic handler, as from any
     * goroutine (the task counts as finished; the executor and the carrier carry on).
     *
     * @throws RejectedExecutionException after {@link #shutdown}, or when the runtime is closed
     */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        for (;;) {
            long c = ctl;
            if (runState(c) != RUNNING) {
                throw new RejectedExecutionException("goloom: executor on runtime " + rt.name()
                        + " is " + STATE_NAMES[runState(c)] + "; task not accepted");
            }
            if (CTL.compareAndSet(this, c, c + 1)) {
                break;
            }
        }
        Task t = new Task(command);
        pending.add(t);
        try {
            rt.go(t);
        } catch (RuntimeException | Error e) {
            // The runtime refused the goroutine (closed): undo the accept, unless shutdownNow
            // already claimed the task and returned it (then it is accounted for there).
            if (t.claim()) {
                pending.remove(t);
                finished();
                throw e;
            }
        }
    }

    /** One accepted task is done (ran, or was claimed). */
    private void finished() {
        long c = (long) CTL.getAndAdd(this, -1L) - 1;
        if (count(c) == 0 && runState(c) != RUNNING) {
            tryTerminate();
        }
    }

    private void tryTerminate() {
        for (;;) {
            long c = ctl;
            int s = runState(c);
            if (s == RUNNING || s == TERMINATED || count(c) != 0) {
                return;
            }
            if (CTL.compareAndSet(this, c, ctlOf(TERMINATED, 0))) {
                terminated.countDown();
                terminationWaiters.wakeAll();
                return;
            }
        }
    }

    /** Moves the run state up to at least {@code target}. */
    private void advance(int target) {
        for (;;) {
            long c = ctl;
            if (runState(c) >= target || CTL.compareAndSet(this, c, ctlOf(target, count(c)))) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // Lifecycle

    /** No new tasks; accepted ones (queued or running) still run. Idempotent. */
    @Override
    public void shutdown() {
        advance(SHUTDOWN);
        tryTerminate();
    }

    /**
     * No new tasks, and returns the accepted tasks whose goroutine had not begun (they will
     * never run here). Running tasks keep running: goroutines cannot be interrupted (see the
     * class comment). The returned tasks of {@code submit}, {@code invokeAll} and
     * {@code invokeAny} are their futures, and those are cancelled, so that nobody waits for
     * them forever (as ForkJoinPool cancels its queued tasks); {@code execute}d Runnables are
     * returned as given.
     */
    @Override
    public List<Runnable> shutdownNow() {
        advance(STOP);
        List<Runnable> notStarted = new ArrayList<>();
        for (Task t : pending) {
            if (t.claim()) {
                pending.remove(t);
                notStarted.add(t.command);
                if (t.command instanceof GoFuture<?> f) {
                    f.cancel(false); // wakes its waiters; never run by anyone now
                }
                finished();
            }
        }
        tryTerminate();
        return notStarted;
    }

    @Override
    public boolean isShutdown() {
        return runState(ctl) != RUNNING;
    }

    @Override
    public boolean isTerminated() {
        return runState(ctl) == TERMINATED;
    }

    /**
     * Waits until every accepted task has finished after a shutdown, or the timeout elapses.
     * From a goroutine it parks the goroutine (never the carrier) and cannot be interrupted.
     */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = Math.max(0, unit.toNanos(timeout));
        G g = G.current();
        if (g != null) {
            return isTerminated() || terminationWaiters.await(g, this::isTerminated, nanos);
        }
        return terminated.await(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The JDK 19+ contract: shuts down and waits until every accepted task has finished; if the
     * waiting thread is interrupted, calls {@link #shutdownNow} once, keeps waiting, and
     * re-asserts the interrupt. From a goroutine the wait parks the goroutine. Calling it from
     * one of this executor's own tasks waits for itself forever, as with any executor.
     */
    @Override
    public void close() {
        if (isTerminated()) {
            return;
        }
        shutdown();
        G g = G.current();
        if (g != null) {
            terminationWaiters.await(g, this::isTerminated, -1);
            return;
        }
        boolean interrupted = false;
        while (!isTerminated()) {
            try {
                terminated.await();
            } catch (InterruptedException e) {
                if (!interrupted) {
                    shutdownNow();
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------
    // Futures

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        return new GoFuture<>(runnable, value);
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
        return new GoFuture<>(callable);
    }

    /**
     * The future of a submitted task: a FutureTask whose {@code cancel(true)} does not
     * interrupt (the runner "thread" is a shared carrier) and whose {@code get} parks a calling
     * goroutine instead of its carrier.
     */
    static class GoFuture<V> extends FutureTask<V> {
        private static final VarHandle WAITERS;
        static {
            try {
                WAITERS = MethodHandles.lookup().findVarHandle(GoFuture.class, "waiters", GoWaiters.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /**
         * Goroutines waiting in get; created by the first one. Written once by CAS; read by
         * done(). The write of {@code waiters} and done()'s read pair with FutureTask's volatile
         * state: a goroutine that published waiters and then saw "not done" will be woken.
         */
        private volatile GoWaiters waiters;

        GoFuture(Callable<V> callable) {
            super(callable);
        }

        GoFuture(Runnable runnable, V value) {
            super(runnable, value);
        }

        /** Cancels without interrupting, whatever {@code mayInterruptIfRunning} says (see the executor). */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return super.cancel(false);
        }

        @Override
        protected void done() {
            GoWaiters w = waiters;
            if (w != null) {
                w.wakeAll();
            }
        }

        private boolean awaitInGoroutine(G g, long nanos) {
            GoWaiters w = waiters;
            if (w == null) {
                GoWaiters fresh = new GoWaiters();
                w = WAITERS.compareAndSet(this, null, fresh) ? fresh : waiters;
            }
            return w.await(g, this::isDone, nanos);
        }

        @Override
        public V get() throws InterruptedException, ExecutionException {
            G g;
            if (!isDone() && (g = G.current()) != null) {
                awaitInGoroutine(g, -1);
            }
            return super.get();
        }

        @Override
        public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            G g;
            if (!isDone() && (g = G.current()) != null) {
                if (!awaitInGoroutine(g, Math.max(0, unit.toNanos(timeout)))) {
                    throw new TimeoutException();
                }
                return super.get();
            }
            return super.get(timeout, unit);
        }
    }

    // ------------------------------------------------------------------------------------
    // invokeAny: all tasks at once, the first success wins, the rest are cancelled

    /** The outcome of one invokeAny: the first success, or the last failure. */
    private static final class AnyOutcome<T> {
        private static final VarHandle RESULT;
        static {
            try {
                RESULT = MethodHandles.lookup().findVarHandle(AnyOutcome.class, "result", Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        private static final Object NULL = new Object();

        /** null until decided: a value (NULL for null), or a Failure. Set once by CAS. */
        private volatile Object result;
        private final AtomicInteger pendingTasks;
        private final CountDownLatch decidedLatch = new CountDownLatch(1);
        private final GoWaiters goroutines = new GoWaiters();

        private record Failure(Throwable cause) { }

        AnyOutcome(int n) {
            this.pendingTasks = new AtomicInteger(n);
        }

        boolean decided() {
            return result != null;
        }

        void succeeded(T value) {
            decide(value == null ? NULL : value);
        }

        void failed(Throwable cause) {
            if (pendingTasks.decrementAndGet() == 0) {
                decide(new Failure(cause)); // the last failure, when none succeeded
            }
        }

        private void decide(Object r) {
            if (RESULT.compareAndSet(this, null, r)) {
                decidedLatch.countDown();
                goroutines.wakeAll();
            }
        }

        @SuppressWarnings("unchecked")
        T await(long nanos) throws InterruptedException, ExecutionException, TimeoutException {
            G g = G.current();
            boolean done;
            if (g != null) {
                done = decided() || goroutines.await(g, this::decided, nanos);
            } else if (nanos < 0) {
                decidedLatch.await();
                done = true;
            } else {
                done = decidedLatch.await(nanos, TimeUnit.NANOSECONDS);
            }
            if (!done) {
                throw new TimeoutException();
            }
            Object r = result;
            if (r instanceof Failure f) {
                throw new ExecutionException(f.cause());
            }
            return r == NULL ? null : (T) r;
        }
    }

    /** A task of an invokeAny, reporting its outcome when done. */
    private static final class AnyFuture<T> extends GoFuture<T> {
        private final AnyOutcome<T> outcome;

        AnyFuture(Callable<T> c, AnyOutcome<T> outcome) {
            super(c);
            this.outcome = outcome;
        }

        @Override
        protected void done() {
            super.done();
            if (isCancelled()) {
                outcome.failed(new CancellationException());
                return;
            }
            try {
                outcome.succeeded(super.resultNow());
            } catch (IllegalStateException notSuccess) {
                outcome.failed(exceptionNow());
            }
        }
    }

    private <T> T doInvokeAny(Collection<? extends Callable<T>> tasks, long nanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        Objects.requireNonNull(tasks, "tasks");
        int n = tasks.size();
        if (n == 0) {
            throw new IllegalArgumentException("invokeAny: no tasks");
        }
        for (Callable<T> c : tasks) {
            Objects.requireNonNull(c, "invokeAny: null task");
        }
        AnyOutcome<T> outcome = new AnyOutcome<>(n);
        List<AnyFuture<T>> futures = new ArrayList<>(n);
        try {
            for (Callable<T> c : tasks) {
                AnyFuture<T> f = new AnyFuture<>(c, outcome);
                futures.add(f);
                execute(f);
            }
            return outcome.await(nanos);
        } finally {
            for (AnyFuture<T> f : futures) {
                f.cancel(true);
            }
        }
    }

    /**
     * Runs every task in its own goroutine at once and returns the first successful result;
     * the others are cancelled (see the class comment for what that means for a running one).
     */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        try {
            return doInvokeAny(tasks, -1);
        } catch (TimeoutException cannotHappen) {
            throw new AssertionError(cannotHappen);
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        return doInvokeAny(tasks, Math.max(0, unit.toNanos(timeout)));
    }

    @Override
    public String toString() {
        long c = ctl;
        return "GoExecutorService[" + rt.name() + ", " + STATE_NAMES[runState(c)] + ", tasks=" + count(c)
                + ", not started=" + pending.size() + "]";
    }
}
