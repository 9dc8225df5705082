package io.goloom.scheduler;

import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import io.goloom.core.G;
import io.goloom.core.ParkCommit;
import io.goloom.core.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;

/**
 * Goroutines parked until a condition holds, optionally with a timeout: how
 * {@link GoExecutorService} waits (termination, futures, invokeAny) without blocking a
 * carrier. Plain and virtual threads do not come here; they block as the JDK does.
 *
 * <h2>Protocol</h2>
 * The condition is monotonic (once true, it stays true) and its owner calls {@link #wakeAll}
 * after the volatile write that makes it true. A waiter parks with {@link G#park}; its
 * commit, on the M's stack with the G already WAITING, publishes a {@link Waiter} node and then
 * re-reads the condition:
 * <pre>
 *  waker:                          waiter's commit:
 *   1. cond := true (volatile)      1. queue.add(node)        (a CAS: volatile write)
 *   2. poll every node, and for     2. if cond: claim(node) and abort the park
 *      each claim(node) -> ready
 * </pre>
 * Sequential consistency of the volatile accesses means either the waker's poll finds the node
 * or the commit sees the condition. Exactly one party claims a node (a CAS 0 -> 1): the waker,
 * the timer, or the commit itself (which then aborts the park: {@code return false}); only a
 * claimer other than the commit calls {@link G#ready}, so a G is readied at most once per park.
 *
 * <h2>Timeouts</h2>
 * A timed wait arms the node itself as a timer in the caller's P's timer wheel (no timer
 * thread): its fire claims the node and readies the G. The timer is armed inside the commit,
 * after the G is WAITING (a fire before that would find a running G). The woken G stops it;
 * if the G ran before the commit armed it, the commit stops it itself (it re-reads the claim
 * after arming).
 */
final class GoWaiters {

    /** Nodes of parked goroutines. Lock-free; a node is removed by whoever finds it claimed. */
    private final ConcurrentLinkedQueue<Waiter> queue = new ConcurrentLinkedQueue<>();

    /**
     * Readies every goroutine parked here (into the caller's runnext when the caller is a
     * goroutine of the same runtime, as Go's ready(next=true)). Call after making the condition
     * true.
     */
    void wakeAll() {
        for (Waiter w; (w = queue.poll()) != null; ) {
            if (w.claim()) {
                w.g.ready(true);
            }
        }
    }

    /**
     * Parks the current goroutine until {@code cond} holds or {@code nanos} elapse
     * ({@code nanos < 0}: no timeout). Returns {@code cond}'s final value. Goroutines cannot be
     * interrupted: there is no InterruptedException here.
     */
    boolean await(G g, BooleanSupplier cond, long nanos) {
        if (cond.getAsBoolean()) {
            return true;
        }
        boolean timed = nanos >= 0;
        long deadline = timed ? g.sched.nanoTime() + nanos : 0L; // the runtime's clock: a Synctest bubble's is fake
        for (;;) {
            long left = -1;
            if (timed) {
                left = deadline - g.sched.nanoTime();
                if (left <= 0) {
                    return cond.getAsBoolean();
                }
            }
            Waiter w = new Waiter(g, this, cond, left);
            g.gopark(WaitReason.JOIN, COMMIT, w);
            // Resumed: claimed by a waker, the timer, or our own commit.
            TimerQueue t = w.timerQueue;
            if (t != null) {
                t.cancel(w);
            }
            queue.remove(w); // usually gone already (polled); O(queue) otherwise
            if (cond.getAsBoolean()) {
                return true;
            }
        }
    }

    private static final ParkCommit COMMIT = (g, arg) -> ((Waiter) arg).commit();

    /** One park of one goroutine. */
    private static final class Waiter extends TimerNode {
        private static final VarHandle STATE;
        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final G g;
        final GoWaiters owner;
        final BooleanSupplier cond;
        /** Timeout of this park, or -1. Immutable. */
        final long nanos;
        /** 0 = parked, 1 = claimed. Atomic via STATE; see the protocol. */
        private volatile int state;
        /** The queue the timeout is armed on. Written by the commit; read by the woken G (volatile: see the header). */
        volatile TimerQueue timerQueue;

        Waiter(G g, GoWaiters owner, BooleanSupplier cond, long nanos) {
            this.g = g;
            this.owner = owner;
            this.cond = cond;
            this.nanos = nanos;
        }

        boolean claim() {
            return STATE.compareAndSet(this, 0, 1);
        }

        /** The timeout fired (on an M running timers). */
        @Override
        protected void fire() {
            if (claim()) {
                g.ready(false);
            }
        }

        /** On the M's stack, g is WAITING. Must not throw. True: stay parked. */
        boolean commit() {
            try {
                owner.queue.add(this);
                if (cond.getAsBoolean()) {
                    return !claim(); // we claimed: abort the park; else a waker readies g
                }
                if (nanos >= 0) {
                    TimerQueue q = g.sched.timerQueue();
                    timerQueue = q;
                    q.schedule(this, g.sched.nanoTime() + nanos);
                    if (state != 0) {
                        q.cancel(this); // already claimed: g may have run before we armed it
                    }
                }
                return true;
            } catch (Throwable t) {
                // No timer (out of memory, say): do not park without a way out; g re-checks.
                return !claim();
            }
        }
    }
}
