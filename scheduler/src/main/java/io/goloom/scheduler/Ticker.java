package io.goloom.scheduler;

import io.goloom.core.Chan;
import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;

/**
 * Go's {@code time.Ticker}: sends the time on {@link #c()} every period. The channel has
 * capacity 1 and the send never blocks, so a slow receiver loses ticks instead of piling them
 * up, and a late tick re-arms for the next multiple of the period (missed ticks are skipped,
 * not replayed), as Go does. Create with {@link Go#newTicker}; stop it when done.
 *
 * <h2>Stop and reset: Go 1.23 semantics</h2>
 * After {@link #stop()} returns, the ticker sends nothing more and the channel holds no tick:
 * a receive started after stop() blocks until a {@link #reset} restarts the ticker (Go 1.23's
 * {@code Ticker.Stop} with its synchronous timer channels: Stop discards a buffered tick).
 * After {@link #reset} returns, no tick of the old arming is sent or left in the channel, and
 * the next tick comes one new period after the reset, also when the reset raced with a fire.
 * A receive that runs concurrently with stop() or reset() may still get a tick: that receive
 * is ordered before them.
 *
 * <h2>Fire against stop and reset</h2>
 * The node's phases are {@link TimerNode}'s (ARMED, FIRING, CANCELLED...). A fire runs on the
 * owner of the node's timer queue with the node FIRING; stop (cancel) and reset CAS the node's
 * word away from FIRING, so the fire's closing {@link TimerQueue#rearm} (a CAS from the claim's
 * word) fails and the stop or reset wins (TimerNode interleaving 8). The send itself is guarded
 * by a Dekker pair on {@link #sending} and the node's word, as Go guards it with the timer's
 * {@code seq} and {@code sendLock}:
 * <pre>
 *  fire (owner)                               stop / reset (any thread)
 *  1. sending = true          (volatile)      a. CAS the node's word    (cancel / arm)
 *  2. stillFiring?            (volatile load) b. wait while sending     (volatile load)
 *       yes: trySend(now)                     c. drain the channel      (tryReceive)
 *  3. sending = false         (volatile)
 *  4. rearm: CAS from the claim's word; fails after (a)
 * </pre>
 * If (2) comes before (a) in the order of volatile accesses, so does (1), hence (b) sees
 * {@code sending} until (3): the tick is in the channel (or taken) before (c), which drains it.
 * Otherwise (2) sees the changed word and nothing is sent. The wait in (b) lasts one
 * non-blocking channel send; (c) can drain a tick of the new arming only if it fires within
 * that window (Go has the same window after its sendLock is released).
 *
 * <h2>Unreferenced tickers</h2>
 * The wheel holds the channel weakly: a ticker nobody references (neither the {@code Ticker}
 * nor its channel) and nobody stopped can be garbage collected, as Go 1.23's can; its next
 * fire finds the channel gone and does not re-arm, so the node leaves the wheel.
 */
public final class Ticker {

    private final TimerQueue queue;
    private final Scheduler sched;
    private final Chan<Instant> c = new Chan<>(1);
    private final Node node;

    Ticker(Scheduler sched, Duration period) {
        long p = checkPeriod(period);
        this.queue = sched.timerQueue();
        this.sched = sched;
        this.node = new Node(queue, c, p, sched);
        queue.schedule(node, sched.nanoTime() + p);
    }

    private static long checkPeriod(Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("non-positive interval for Ticker: " + d);
        }
        return Timer.deadline(0, d) <= 0 ? 1 : d.toNanos();
    }

    /** The wheel's entry: the channel weakly (see the class comment). */
    private static final class Node extends TimerNode {
        private final TimerQueue queue;
        private final WeakReference<Chan<Instant>> c;
        private final Scheduler sched;
        /** Written by reset (any thread) before its arming CAS; read by fire. */
        volatile long period;
        /**
         * True while a fire is between its stillFiring check and the end of its send (1..3 in
         * the class comment). Written only by the queue's owner inside fire(); read by stop and
         * reset.
         */
        volatile boolean sending;

        Node(TimerQueue queue, Chan<Instant> c, long period, Scheduler sched) {
            this.queue = queue;
            this.sched = sched;
            this.c = new WeakReference<>(c);
            this.period = period;
        }

        @Override
        protected void fire() {
            Chan<Instant> ch = c.get();
            if (ch == null) {
                return; // collected: no re-arm, the node leaves the wheel
            }
            sending = true; // (1)
            try {
                if (queue.stillFiring(this)) { // (2)
                    ch.trySend(sched.now()); // drop the tick if the receiver has not taken the last one
                }
            } finally {
                sending = false; // (3)
            }
            queue.rearm(this, period); // (4): false if a stop or reset won; it owns the node
        }
    }

    public Chan<Instant> c() {
        return c;
    }

    /**
     * Stops the ticker: no tick is sent after this returns, and a tick still in the channel is
     * discarded (Go 1.23). Any thread; a stopped ticker can be restarted with {@link #reset}.
     */
    public void stop() {
        queue.cancel(node); // (a); also stops a fire under way from re-arming
        quiesce();
    }

    /**
     * Restarts the ticker with a new period: the next tick comes {@code period} after this call,
     * and no tick of the old arming is sent or left in the channel after it returns (Go 1.23).
     * Any thread; also restarts a stopped ticker.
     */
    public void reset(Duration period) {
        long p = checkPeriod(period);
        node.period = p;
        queue.reset(node, sched.nanoTime() + p); // (a); wins over the re-arm of a fire under way
        quiesce();
    }

    /** (b) and (c): waits out a send that passed its check before our CAS, then drains. */
    private void quiesce() {
        for (int spins = 0; node.sending; spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the sender is a descheduled thread: one non-blocking send away
            }
        }
        c.tryReceive();
    }
}
