package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A goroutine-parking semaphore, the sleep/wake-up primitive under {@link Mutex},
 * {@link RWMutex} and {@link WaitGroup} (Go's runtime/sema.go). Not a user-facing counting
 * semaphore (that is {@link Semaphore}): as sema.go says, think of it as a way to implement
 * sleep and wake-up such that every sleep is paired with a single wake-up, even if, due to
 * races, the wake-up happens before the sleep.
 *
 * <p>Go keeps one global table of wait queues keyed by address; here each Sema owns its queue
 * and its {@link ChanLock}, which is simpler and contends less.
 *
 * <h2>The no-lost-wake-up protocol (Dekker style, both sides sequentially consistent)</h2>
 * <pre>
 *  acquire (slow path)                       release
 *  1. lock; nwait++         (volatile RMW)   1. count++              (volatile RMW)
 *  2. try count-- again     (volatile CAS)   2. nwait == 0 ? return  (volatile load)
 *  3. enqueue; park, unlocking in the commit 3. lock; dequeue one; nwait--; unlock; wake it
 * </pre>
 * Either the releaser's step 2 sees the acquirer's nwait++ (and then finds it queued: step 3
 * takes the lock the acquirer holds until it is enqueued), or the acquirer's step 2 sees the
 * releaser's count++. A woken acquirer retries the count unless the releaser handed the unit
 * over directly ({@code handoff}: the ticket), as Mutex's starvation mode needs.
 */
final class Sema {

    private static final VarHandle COUNT;
    private static final VarHandle NWAIT;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            COUNT = l.findVarHandle(Sema.class, "count", int.class);
            NWAIT = l.findVarHandle(Sema.class, "nwait", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Available units. Atomic via COUNT (any thread). */
    private volatile int count;
    /** Waiters queued or about to be. Atomic via NWAIT; changed only under lock, read without it. */
    private volatile int nwait;
    /** Guards q. A leaf lock. */
    private final ChanLock lock = new ChanLock();
    private final WaitQ q = new WaitQ();

    Sema(int initial) {
        count = initial;
    }

    /** Takes a unit if one is available (Go's cansemacquire). */
    boolean tryAcquire() {
        for (;;) {
            int v = count;
            if (v == 0) {
                return false;
            }
            if (COUNT.compareAndSet(this, v, v - 1)) {
                return true;
            }
        }
    }

    /**
     * Takes a unit, parking the caller until one is released (Go's semacquire1). {@code lifo}:
     * queue at the front (a waiter that has already waited, so it does not lose its place).
     */
    void acquire(boolean lifo, WaitReason reason) {
        if (tryAcquire()) {
            return;
        }
        Waiter w = Waiter.forBlockingOp();
        for (;;) {
            boolean queued = false;
            lock.lock();
            try {
                NWAIT.getAndAdd(this, 1); // disable release's "no waiters" fast path
                if (tryAcquire()) {
                    NWAIT.getAndAdd(this, -1);
                    return;
                }
                // Any release after the tryAcquire sees nwait > 0 and will find us queued.
                w.ticket = 0;
                w.woken = false;
                if (lifo) {
                    q.pushFront(w);
                } else {
                    q.enqueue(w);
                }
                queued = true; // from here on the park commit releases the lock
            } finally {
                if (!queued) {
                    lock.word = 0;
                    lock.signal();
                }
            }
            w.block(reason, ChanLock.UNLOCK, lock, q);
            if (w.ticket != 0 || tryAcquire()) {
                return;
            }
            lifo = true; // woken but beaten to the unit: keep our place at the front
        }
    }

    /**
     * Releases a unit and wakes one waiter, if any (Go's semrelease1). With {@code handoff}
     * the unit goes straight to the woken waiter, which then runs next on this P: the caller
     * yields its time slice to it (Go's direct G hand-off, used in Mutex's starvation mode).
     */
    void release(boolean handoff) {
        COUNT.getAndAdd(this, 1);
        // Must come after the increment (see the protocol above).
        if (nwait == 0) {
            return;
        }
        Waiter w = null;
        lock.lock();
        try {
            // nwait == 0 here: the unit was consumed by a waiter that re-checked; nobody to wake.
            if (nwait != 0 && (w = q.dequeue()) != null) {
                NWAIT.getAndAdd(this, -1);
            }
        } finally {
            lock.word = 0;
            lock.signal();
        }
        if (w == null) {
            return;
        }
        boolean handed = handoff && tryAcquire();
        if (handed) {
            w.ticket = 1;
        }
        w.wake(true);
        if (handed) {
            // The waiter is in our runnext: let it run now, on our time slice. Yield to the
            // tail of the local queue (Go's goyield), not the global one.
            G self = G.current();
            if (self != null) {
                self.yieldAs(G.EXEC_YIELD);
            }
        }
    }

    /** Waiters queued or about to queue; racy, for diagnostics and tests. */
    int waiters() {
        return nwait;
    }

    /** Available units; racy, for diagnostics and tests. */
    int available() {
        return count;
    }
}
