package io.goloom.core;

import io.goloom.timers.TimerQueue;

/**
 * The one SPI through which core, and netpoll, reach a scheduler. Implemented by the G/M/P
 * scheduler (module {@code scheduler}) and, in core's own tests, by a deterministic
 * single-thread scheduler, so channels and locks are testable without threads. A goroutine
 * carries its scheduler from construction ({@link G#sched}), so code holding a G reaches its
 * scheduler's run queues ({@link #ready}), timers ({@link #timerQueue}) and blocking-call
 * section ({@link #blocking}) through here, with no downcast and no process-wide callback.
 *
 * <p>Every method may be called from any thread unless it says otherwise.
 */
public interface Sched {

    /**
     * Puts {@code g}, already moved WAITING -> RUNNABLE by {@link G#ready}, on a run queue.
     * If the caller is a goroutine running on a P of this scheduler and {@code next} is true,
     * {@code g} goes into that P's runnext slot (it inherits the waker's time slice, as Go's
     * {@code ready(gp, traceskip, next=true)}); otherwise to the global queue, followed by a
     * wakep so an idle M notices it.
     */
    void ready(G g, boolean next);

    /**
     * An exception escaped {@code g}'s body. Called on the M's stack after the continuation
     * finished; must not throw. The default handler prints a Go-style panic report.
     */
    void panicked(G g, Throwable t);

    /**
     * A coarse monotonic clock (nanos) for bookkeeping such as "waiting since"; cheaper than
     * {@link System#nanoTime()} and accurate to a sysmon tick or better.
     */
    long coarseNanos();

    /**
     * May a goroutine that found a {@link Mutex} locked spin for it instead of parking, on its
     * {@code iter}-th spin round (from 0)? Go's {@code sync_runtime_canSpin}: spinning pays
     * only on a multicore machine, for a few rounds, while another P is running (the holder is
     * likely running and about to unlock) and this P has no other work queued (spinning would
     * delay it). Called by the spinning goroutine itself on its own carrier.
     *
     * <p>Default {@code false}: never spin, always park (correct everywhere, and what a
     * single-thread scheduler wants).
     */
    default boolean canSpin(int iter) {
        return false;
    }

    /**
     * A precise monotonic clock (nanos) for measurements that need better than
     * {@link #coarseNanos()}'s resolution, such as {@link Mutex}'s 1 ms starvation threshold.
     * Default {@link System#nanoTime()}; a test scheduler injects its own clock here.
     */
    default long nanoTime() {
        return System.nanoTime();
    }

    /**
     * The timer queue a timer armed by the calling thread goes to (Go arms a timer on the
     * current P): the queue of the caller's P when the caller is one of this scheduler's
     * carriers holding a P, else a queue of this scheduler's that some carrier runs. Null when
     * this scheduler runs no timers (the default): then {@code Go.sleep} sleeps the thread and
     * netpoll's deadlines rely on the check at the start of each operation. Any thread; the
     * timer's callback runs on one of this scheduler's carriers.
     */
    default TimerQueue timerQueue() {
        return null;
    }

    /**
     * Runs {@code call}, which may block its carrier thread in code goloom cannot park (a host
     * name lookup, an FFM downcall), as Go's entersyscall/exitsyscall: the caller's P is lent to
     * the scheduler's hand-off while the call runs. Called by a goroutine of this scheduler on
     * its own carrier; returns or throws what {@code call} does. Default: run the call.
     */
    default <T> T blocking(java.util.concurrent.Callable<T> call) throws Exception {
        return call.call();
    }
}
