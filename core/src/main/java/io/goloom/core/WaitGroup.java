package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Waits for a collection of goroutines to finish (Go's {@code sync.WaitGroup}): {@link #add}
 * the number to wait for, each calls {@link #done} when it finishes, and {@link #await} parks
 * until the counter is zero ({@link WaitReason#SYNC_WAITGROUP_WAIT}; a plain thread blocks).
 *
 * <p>As in Go, calls to {@code add} with a positive delta that start when the counter is zero
 * must happen before an {@code await}; a WaitGroup may be reused once every previous await has
 * returned.
 *
 * <h2>The state word</h2>
 * <pre>
 *   bits 63..32: counter (signed)      bits 31..0: waiters (unsigned)
 * </pre>
 * One 64-bit word so that "counter reached zero" and "how many to wake" are read together.
 * When the counter drops to zero with waiters, the last {@code done} owns the word: it resets
 * it to zero and releases the semaphore once per waiter.
 */
public final class WaitGroup {

    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(WaitGroup.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Counter and waiters, drawn above. Atomic via STATE. */
    private volatile long state;
    private final Sema sema = new Sema(0);

    /**
     * Adds {@code delta} (which may be negative) to the counter; when it reaches zero, every
     * goroutine blocked in {@link #await} is released.
     *
     * @throws IllegalStateException if the counter would go below zero
     *         ("sync: negative WaitGroup counter"); the counter is left unchanged
     */
    public void add(int delta) {
        long st;
        for (;;) {
            long old = state;
            long v = (old >> 32) + delta;
            int waiters = (int) old;
            if (v < 0) {
                throw new IllegalStateException("sync: negative WaitGroup counter");
            }
            if (v > Integer.MAX_VALUE) {
                throw new IllegalStateException("sync: WaitGroup counter overflow");
            }
            if (waiters != 0 && delta > 0 && v == delta) {
                throw new IllegalStateException("sync: WaitGroup misuse: Add called concurrently with Wait");
            }
            st = (v << 32) | (old & 0xFFFF_FFFFL);
            if (STATE.compareAndSet(this, old, st)) {
                break;
            }
        }
        int v = (int) (st >> 32);
        int waiters = (int) st;
        if (v > 0 || waiters == 0) {
            return;
        }
        // Counter is 0 and there are waiters. Nobody may change the state now: no add (the
        // counter is 0, adds must not race with waits) and no new waiter (it would see 0).
        if (state != st) {
            throw new IllegalStateException("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        state = 0;
        for (; waiters != 0; waiters--) {
            sema.release(false);
        }
    }

    /** Decrements the counter by one. */
    public void done() {
        add(-1);
    }

    /**
     * Blocks until the counter is zero (Go's {@code Wait}; named so as not to clash with
     * {@link Object#wait()}).
     */
    public void await() {
        for (;;) {
            long st = state;
            if ((st >> 32) == 0) {
                return;
            }
            if (STATE.compareAndSet(this, st, st + 1)) { // one more waiter
                sema.acquire(false, WaitReason.SYNC_WAITGROUP_WAIT);
                if (state != 0) {
                    throw new IllegalStateException("sync: WaitGroup is reused before previous Wait has returned");
                }
                return;
            }
        }
    }

    /** The counter now (racy; for diagnostics). */
    public int count() {
        return (int) (state >> 32);
    }

    @Override
    public String toString() {
        long st = state;
        return "WaitGroup[count=" + (st >> 32) + ", waiters=" + (int) st + "]";
    }
}
