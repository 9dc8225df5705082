package io.goloom.scheduler;

import io.goloom.core.Chan;
import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Go's {@code time.Timer}: fires once after a duration, either by sending the current time on
 * its channel {@link #c()} (capacity 1, a non-blocking send, as Go before 1.23) or by starting
 * {@code f} in its own goroutine ({@link Go#afterFunc}). It lives in a P's timer wheel: no
 * thread sleeps for it. Create with {@link Go#newTimer}, {@link Go#after} or {@link Go#afterFunc}.
 *
 * <p>{@link #stop()} and {@link #reset} may be called from any thread. Like Go's, a value sent
 * just before a stop or reset may still sit in the channel; stop and reset drain it when they
 * prevented nothing, so a receive after {@code stop()} does not see a stale fire in the common
 * case (a fire racing with the drain can still leave one value: test {@code stop()}'s result).
 */
public final class Timer {

    private final Scheduler sched;
    /** The wheel this timer belongs to; a node stays in one queue for life. Immutable. */
    private final TimerQueue queue;
    private final Chan<Instant> c;
    private final Runnable f;
    private final Node node = new Node();

    Timer(Scheduler sched, Chan<Instant> c, Runnable f) {
        this.sched = sched;
        this.queue = sched.timerQueue();
        this.c = c;
        this.f = f;
    }

    private final class Node extends TimerNode {
        @Override
        protected void fire() {
            if (f != null) {
                sched.newproc(f, "afterFunc");
            } else {
                c.trySend(Instant.now()); // never blocks; a full channel drops (cannot happen for a one-shot)
            }
        }
    }

    void start(Duration d) {
        queue.schedule(node, deadline(d));
    }

    static long deadline(Duration d) {
        Objects.requireNonNull(d, "duration");
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE / 2; // ~146 years: never in practice
        }
        return System.nanoTime() + Math.max(0, Math.min(nanos, Long.MAX_VALUE / 2));
    }

    /** The channel the timer sends the time on; null for an {@code afterFunc} timer (as Go's nil C). */
    public Chan<Instant> c() {
        return c;
    }

    /**
     * Stops the timer. Returns true if this call prevented the fire, false if it had already
     * fired or been stopped (Go's Timer.Stop).
     */
    public boolean stop() {
        boolean prevented = queue.cancel(node);
        if (!prevented && c != null) {
            c.tryReceive(); // drop a value delivered before the stop (Go 1.23 semantics, best effort)
        }
        return prevented;
    }

    /**
     * Re-arms the timer to fire after {@code d} (also after it fired or was stopped). Returns
     * true if it was pending (Go's Timer.Reset).
     */
    public boolean reset(Duration d) {
        long deadline = deadline(d);
        if (c != null && !node.isPending()) {
            c.tryReceive();
        }
        return queue.reset(node, deadline);
    }
}
