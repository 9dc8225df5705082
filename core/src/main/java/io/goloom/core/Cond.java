package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A condition variable for goroutines (Go's {@code sync.Cond}): a rendezvous point for
 * goroutines waiting for, or announcing, an event, used with a {@link Locker} (a
 * {@link Mutex}, or an {@link RWMutex} or its {@link RWMutex#rLocker()}).
 *
 * <pre>{@code
 * mu.lock();
 * while (!condition()) {
 *     cond.await();
 * }
 * ... use the condition ...
 * mu.unlock();
 * }</pre>
 *
 * <h2>The notify list (Go's ticket scheme, runtime/sema.go)</h2>
 * {@link #await} takes a ticket (an atomic increment of {@code wait}) <em>before</em> it
 * unlocks the Locker, then parks unless its ticket was already notified. {@link #signal}
 * notifies the oldest unnotified ticket ({@code notify}++), {@link #broadcast} all of them. A
 * notification that reaches a ticket whose owner has not parked yet is not lost: the owner sees
 * {@code ticket < notify} under the list lock and does not park. Tickets wrap; comparisons use
 * the signed difference (correct while fewer than 2^31 goroutines wait).
 */
public final class Cond {

    private static final VarHandle WAIT;
    static {
        try {
            WAIT = MethodHandles.lookup().findVarHandle(Cond.class, "wait", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Locker locker;
    /** The next ticket to hand out. Atomic via WAIT, outside the lock. */
    private volatile int wait;
    /** The next ticket to notify. Written under lock; read without it by the fast paths. */
    private volatile int notify;
    /** Guards q. A leaf lock. */
    private final ChanLock lock = new ChanLock();
    /** Parked waiters, each with its ticket. */
    private final WaitQ q = new WaitQ();

    public Cond(Locker locker) {
        this.locker = Objects.requireNonNull(locker, "locker");
    }

    /** The Locker held while observing or changing the condition (Go's {@code c.L}). */
    public Locker locker() {
        return locker;
    }

    /**
     * Atomically unlocks the Locker and parks until {@link #signal} or {@link #broadcast}
     * wakes this goroutine; locks it again before returning (Go's {@code Wait}). The caller
     * must hold the Locker. Wake-ups are not spurious, but the condition may have changed again
     * by the time the lock is re-taken: wait in a loop.
     */
    public void await() {
        int t = (int) WAIT.getAndAdd(this, 1);
        locker.unlock();
        Waiter w = null;
        lock.lock();
        try {
            if (t - notify >= 0) { // else: already notified
                Waiter me = Waiter.forCurrent();
                me.ticket = t;
                q.enqueue(me);
                w = me; // from here on the park commit releases the lock
            }
        } finally {
            if (w == null) {
                lock.word = 0;
                lock.signal();
            }
        }
        if (w != null) {
            w.block(WaitReason.SYNC_COND_WAIT, ChanLock.UNLOCK, lock, q);
        }
        locker.lock();
    }

    /** Wakes the longest-waiting goroutine, if any. Holding the Locker is allowed, not required. */
    public void signal() {
        // Fast path: no ticket handed out since the last notification.
        if (wait == notify) {
            return;
        }
        Waiter found = null;
        lock.lock();
        try {
            int t = notify;
            if (t == wait) {
                return;
            }
            notify = t + 1;
            // The ticket's owner may not have queued yet (it then sees itself notified); if it
            // has, it is usually at the front.
            for (Waiter w = q.peek(); w != null; w = w.next) {
                if ((int) w.ticket == t) {
                    q.remove(w);
                    found = w;
                    break;
                }
            }
        } finally {
            lock.word = 0;
            lock.signal();
        }
        if (found != null) {
            found.wake(true);
        }
    }

    /** Wakes every waiting goroutine, in the order they started waiting. */
    public void broadcast() {
        if (wait == notify) {
            return;
        }
        Waiter h;
        lock.lock();
        try {
            h = q.drain();
            notify = wait;
        } finally {
            lock.word = 0;
            lock.signal();
        }
        Waiter.wakeAll(h);
    }
}
