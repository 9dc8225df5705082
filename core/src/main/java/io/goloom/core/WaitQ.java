package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An intrusive doubly-linked FIFO of {@link Waiter}s (Go's {@code waitq}). Every method except
 * {@link #peek} must be called with the owning structure's lock held; the queue has no lock
 * of its own.
 *
 * <p>{@link #remove} unlinks a given Waiter in O(1): a select uses it to take its losing
 * Waiters off the other channels. It also accepts a Waiter that is no longer in the queue
 * (a waker already dropped it as stale), which is why {@link #dequeue} clears the links of
 * what it takes out (Go's {@code dequeueSudoG} relies on the same).
 */
final class WaitQ {

    private static final VarHandle FIRST;
    static {
        try {
            FIRST = MethodHandles.lookup().findVarHandle(WaitQ.class, "first", Waiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Head. Written under the owner's lock with release stores; read with a volatile load by
     * the owner's lock-free fast paths ({@link #peek}), which need only "empty or not".
     */
    private volatile Waiter first;
    /** Tail. Guarded by the owner's lock. */
    private Waiter last;

    /**
     * The head, or null. May be called without the lock: then the answer is a racy snapshot
     * (an empty queue is reported only if it was empty at some moment during the call).
     */
    Waiter peek() {
        return first;
    }

    boolean isEmpty() {
        return first == null;
    }

    private void setFirst(Waiter w) {
        FIRST.setRelease(this, w);
    }

    /** Appends w (FIFO). Lock held. */
    void enqueue(Waiter w) {
        w.next = null;
        Waiter x = last;
        if (x == null) {
            w.prev = null;
            last = w;
            setFirst(w);
            return;
        }
        w.prev = x;
        x.next = w;
        last = w;
    }

    /** Prepends w (LIFO: a waiter that already waited goes back to the front). Lock held. */
    void pushFront(Waiter w) {
        Waiter y = first;
        w.prev = null;
        w.next = y;
        if (y == null) {
            last = w;
        } else {
            y.prev = w;
        }
        setFirst(w);
    }

    /**
     * Takes the first Waiter that can be woken, or returns null. A select Waiter is taken only
     * if this call wins its select ({@link Waiter#tryWin}); stale ones are unlinked and
     * skipped. The returned Waiter is out of the queue with cleared links. Lock held.
     */
    Waiter dequeue() {
        for (;;) {
            Waiter w = first;
            if (w == null) {
                return null;
            }
            Waiter y = w.next;
            if (y == null) {
                last = null;
                setFirst(null);
            } else {
                y.prev = null;
                setFirst(y);
                w.next = null;
            }
            // A select Waiter stays queued between the moment another case wins its select and
            // the moment the select takes the channel locks again to unlink it. The CAS tells
            // us which side of that window we are on.
            if (w.sel != null && !w.tryWin()) {
                continue;
            }
            return w;
        }
    }

    /**
     * Unlinks w if it is still in this queue; does nothing if a {@link #dequeue} already took
     * it out. w must never have been in another queue since. Lock held. O(1).
     */
    void remove(Waiter w) {
        Waiter x = w.prev;
        Waiter y = w.next;
        if (x != null) {
            if (y != null) {
                x.next = y;
                y.prev = x;
                w.next = null;
                w.prev = null;
                return;
            }
            x.next = null; // w was the last
            last = x;
            w.prev = null;
            return;
        }
        if (y != null) { // w was the first
            y.prev = null;
            setFirst(y);
            w.next = null;
            return;
        }
        // No links: w is the only element, or it is no longer in the queue.
        if (first == w) {
            last = null;
            setFirst(null);
        }
    }

    /**
     * Empties the queue and returns its Waiters as a list linked by {@link Waiter#next}, in
     * queue order. Only for queues without select Waiters. Lock held.
     */
    Waiter drain() {
        Waiter h = first;
        for (Waiter w = h; w != null; w = w.next) {
            w.prev = null;
        }
        last = null;
        setFirst(null);
        return h;
    }

    /**
     * Checks the links and returns the number of Waiters. For invariant checks; lock held.
     *
     * @throws IllegalStateException with the observed state if the links are broken
     */
    int checkLinks(String name) {
        int n = 0;
        Waiter prev = null;
        for (Waiter w = first; w != null; w = w.next) {
            if (w.prev != prev) {
                throw new IllegalStateException("goloom: " + name + ": broken prev link at position " + n + ": " + w
                        + ".prev=" + w.prev + ", expected " + prev);
            }
            prev = w;
            if (++n > 1_000_000_000) {
                throw new IllegalStateException("goloom: " + name + ": cycle in wait queue");
            }
        }
        if (last != prev) {
            throw new IllegalStateException("goloom: " + name + ": last=" + last + " but the final element is " + prev);
        }
        return n;
    }
}
