package io.goloom.scheduler;

import io.goloom.core.Chan;
import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import java.time.Duration;
import java.time.Instant;

/**
 * Go's {@code time.Ticker}: sends the time on {@link #c()} every period. The channel has
 * capacity 1 and the send never blocks, so a slow receiver loses ticks instead of piling them
 * up, and a late tick re-arms for the next multiple of the period (missed ticks are skipped,
 * not replayed), as Go does. Create with {@link Go#newTicker}; stop it when done.
 */
public final class Ticker {

    private final TimerQueue queue;
    private final Chan<Instant> c = new Chan<>(1);
    /** Written by reset (any thread) before the queue's reset publishes it; read by fire. */
    private volatile long period;
    private final Node node = new Node();

    Ticker(Scheduler sched, Duration period) {
        this.period = checkPeriod(period);
        this.queue = sched.timerQueueForCaller();
        queue.schedule(node, System.nanoTime() + this.period);
    }

    private static long checkPeriod(Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("non-positive interval for Ticker: " + d);
        }
        return Timer.deadline(d) - System.nanoTime() <= 0 ? 1 : d.toNanos();
    }

    private final class Node extends TimerNode {
        @Override
        protected void fire() {
            c.trySend(Instant.now()); // drop the tick if the receiver has not taken the last one
            long p = period;
            long now = System.nanoTime();
            long next = deadline() + p;
            if (next - now <= 0) {
                next += ((now - next) / p + 1) * p; // skip the ticks we are late for
            }
            queue.schedule(this, next);
        }
    }

    public Chan<Instant> c() {
        return c;
    }

    /** Stops the ticker; no more ticks are sent. A tick already in the channel stays there. */
    public void stop() {
        queue.cancel(node);
    }

    /** Stops and restarts the ticker with a new period. */
    public void reset(Duration period) {
        this.period = checkPeriod(period);
        queue.reset(node, System.nanoTime() + this.period);
    }
}
