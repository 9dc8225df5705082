package io.goloom.scheduler;

import io.goloom.core.Chan;
import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Go's {@code time.Timer} with Go 1.23's semantics: fires once after a duration, either by
 * sending the current time on its channel {@link #c()} or by starting {@code f} in its own
 * goroutine ({@link Go#afterFunc}). It lives in a P's timer wheel: no thread sleeps for it.
 * Create with {@link Go#newTimer}, {@link Go#after} or {@link Go#afterFunc}.
 *
 * <h2>Stop and reset (Go 1.23)</h2>
 * A channel timer counts as active from its arming until its value is received: {@link #stop()}
 * and {@link #reset} return true also after a fire whose value nobody has received, and they
 * discard that value. After either returns, no value of an earlier arming is ever received
 * (Go 1.23's "no stale values"; before 1.23 a fire racing with Stop could leave one). The
 * channel keeps capacity 1 underneath, so {@code len()} may say 1 where Go's timer channels
 * report 0.
 *
 * <h2>Unreferenced timers</h2>
 * The wheel holds the channel weakly: a timer nobody references (neither the {@code Timer}
 * nor its channel, for example a dropped {@code Go.after(1h)}) can be garbage collected before
 * it fires, as Go 1.23's can; its wheel node (a few words) stays until its deadline and then
 * fires into nothing. A goroutine blocked on the channel references it, so that timer fires.
 * {@code afterFunc} timers always run.
 *
 * <h2>Fire against stop and reset</h2>
 * As in {@link Ticker}: the fire runs on the owner of the node's queue with the node FIRING;
 * stop and reset first cancel (a CAS from FIRING or ARMED); the send is guarded by a Dekker
 * pair on {@code sending} and the node's word:
 * <pre>
 *  fire (owner)                               stop / reset (any thread, under this monitor)
 *  1. sending = true          (volatile)      a. cancel: CAS the node's word
 *  2. stillFiring?            (volatile load) b. wait while sending     (volatile load)
 *       yes: trySend(now)                     c. drain the channel      (tryReceive)
 *  3. sending = false         (volatile)      d. reset only: arm the new deadline
 * </pre>
 * If (2) comes before (a) in the order of volatile accesses, so does (1), hence (b) sees
 * {@code sending} until (3): the value is in the channel (or received) before (c), which
 * drains it. Otherwise (2) sees the changed word and sends nothing. A value received before
 * (c) was received before the stop: stop then returns false, as Go's. The new arming (d) comes
 * after the drain, so a reset never discards a value of its own arming. A fire under way
 * whose (2) came after (a) sends nothing, and the timer was still active: the node's
 * {@code delivered} flag (written before (3), read after (b)) tells that case from a fire that
 * sent a value someone has received. Stop and reset hold this timer's monitor (Go's
 * {@code t.mu}): a leaf before the channel's lock.
 */
public final class Timer {

    private final TimerQueue queue;
    private final Scheduler sched;
    private final Chan<Instant> c;
    private final Node node;
    /** Armed by start or reset and not stopped since. Guarded by this. */
    private boolean armed;

    Timer(Scheduler sched, Chan<Instant> c, Runnable f) {
        this.queue = sched.timerQueue();
        this.sched = sched;
        this.c = c;
        this.node = new Node(queue, c, f, sched);
    }

    /** The wheel's entry: the channel weakly (see the class comment), f and its scheduler strongly. */
    private static final class Node extends TimerNode {
        private final TimerQueue queue;
        private final WeakReference<Chan<Instant>> c;
        private final Runnable f;
        private final Scheduler sched;
        /** True from (1) to (3) of the class comment. Written only by the queue's owner in fire(). */
        volatile boolean sending;
        /**
         * The current arming's value went into the channel. Set by fire() before (3); cleared by
         * reset under the timer's monitor, after its drain, before the new arming.
         */
        volatile boolean delivered;

        Node(TimerQueue queue, Chan<Instant> c, Runnable f, Scheduler sched) {
            this.queue = queue;
            this.c = c != null ? new WeakReference<>(c) : null;
            this.f = f;
            this.sched = sched;
        }

        @Override
        protected void fire() {
            if (f != null) {
                sched.newproc(f, "afterFunc");
                return;
            }
            Chan<Instant> ch = c.get();
            if (ch == null) {
                return; // collected: nobody can receive the value
            }
            sending = true; // (1)
            try {
                if (queue.stillFiring(this)) { // (2)
                    ch.trySend(sched.now()); // capacity 1 and one value per arming: never full
                    delivered = true;
                }
            } finally {
                sending = false; // (3)
            }
        }
    }

    void start(Duration d) {
        synchronized (this) {
            armed = true;
        }
        queue.schedule(node, deadline(sched.nanoTime(), d));
    }

    /** {@code now} (the scheduler's clock) plus {@code d}, clamped to [now, now + ~146 years]. */
    static long deadline(long now, Duration d) {
        Objects.requireNonNull(d, "duration");
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE / 2; // ~146 years: never in practice
        }
        return now + Math.max(0, Math.min(nanos, Long.MAX_VALUE / 2));
    }

    /** The channel the timer sends the time on; null for an {@code afterFunc} timer (as Go's nil C). */
    public Chan<Instant> c() {
        return c;
    }

    /**
     * Stops the timer (Go 1.23's {@code Timer.Stop}). Returns true if the timer was active: its
     * fire was prevented, or it fired and nobody had received the value, which is discarded.
     * False if the value was received, or the timer was stopped already. For an afterFunc
     * timer: true if this call kept {@code f} from starting. Any thread.
     */
    public boolean stop() {
        synchronized (this) {
            boolean active = deactivate();
            armed = false;
            return active;
        }
    }

    /**
     * Re-arms the timer to fire after {@code d}, also after it fired or was stopped (Go 1.23's
     * {@code Timer.Reset}). Returns true if it was active (as {@link #stop()} defines it); a
     * value of the earlier arming is discarded and never received. Any thread.
     */
    public boolean reset(Duration d) {
        long deadline = deadline(sched.nanoTime(), d);
        synchronized (this) {
            boolean active = deactivate();
            node.delivered = false;
            armed = true;
            queue.reset(node, deadline); // (d)
            return active;
        }
    }

    /**
     * (a), (b), (c) under the monitor: cancels the arming, waits out its send, drains. True if
     * the timer was active: armed and not stopped since, and its value not received by anyone
     * (its fire prevented, its value drained here, or a fire under way that the cancel kept
     * from sending). For an afterFunc timer: true if f was kept from starting.
     */
    private boolean deactivate() {
        boolean prevented = queue.cancel(node); // (a)
        if (c == null) {
            return prevented;
        }
        boolean drained = drain(); // (b), (c)
        return armed && (prevented || drained || !node.delivered);
    }

    /** (b) and (c): waits out a send that passed its check before the cancel, then drains; true if a value was discarded. */
    private boolean drain() {
        for (int spins = 0; node.sending; spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the sender is a descheduled thread: one non-blocking send away
            }
        }
        return c.tryReceive() != null;
    }
}
