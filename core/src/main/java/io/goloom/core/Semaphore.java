package io.goloom.core;

/**
 * A counting (weighted) semaphore for goroutines, after Go's
 * {@code golang.org/x/sync/semaphore.Weighted}: {@code permits} units, acquired and released
 * in any amounts. Waiters park ({@link WaitReason#SEMAPHORE_ACQUIRE}); a plain thread blocks.
 *
 * <p>Strictly FIFO: an acquire waits while any earlier one waits, even if enough permits are
 * free for it. Letting small requests overtake a large one would starve the large one under
 * load; this way every request is served in order.
 */
public final class Semaphore {

    private final long size;
    /** Guards cur and waiters. A leaf lock. */
    private final ChanLock lock = new ChanLock();
    /** Permits held. Guarded by lock. */
    private long cur;
    /** Queued acquirers; each Waiter's ticket is the number of permits it wants. */
    private final WaitQ waiters = new WaitQ();

    /**
     * A semaphore with {@code permits} units, all available.
     *
     * @throws IllegalArgumentException if permits is negative
     */
    public Semaphore(long permits) {
        if (permits < 0) {
            throw new IllegalArgumentException("semaphore: permits must be >= 0, got " + permits);
        }
        this.size = permits;
    }

    /** Acquires one permit, waiting until it is available. */
    public void acquire() {
        acquire(1);
    }

    /**
     * Acquires {@code n} permits, waiting until they are available and every earlier waiter
     * has been served.
     *
     * @throws IllegalArgumentException if n is negative or larger than the semaphore (it could
     *         never be satisfied)
     */
    public void acquire(long n) {
        check(n);
        Waiter w = null;
        lock.lock();
        try {
            if (size - cur >= n && waiters.isEmpty()) {
                cur += n;
                return;
            }
            Waiter me = Waiter.forCurrent();
            me.ticket = n;
            waiters.enqueue(me);
            w = me; // from here on the park commit releases the lock
        } finally {
            if (w == null) {
                lock.word = 0;
                lock.signal();
            }
        }
        // release() moves the permits to us before it wakes us: nothing to do after.
        w.block(WaitReason.SEMAPHORE_ACQUIRE, ChanLock.UNLOCK, lock, waiters);
    }

    /** Acquires one permit if it is available now, with nobody waiting. */
    public boolean tryAcquire() {
        return tryAcquire(1);
    }

    /** Acquires {@code n} permits if they are available now, with nobody waiting. */
    public boolean tryAcquire(long n) {
        check(n);
        lock.lock();
        try {
            boolean ok = size - cur >= n && waiters.isEmpty();
            if (ok) {
                cur += n;
            }
            return ok;
        } finally {
            lock.word = 0;
            lock.signal();
        }
    }

    /** Releases one permit. */
    public void release() {
        release(1);
    }

    /**
     * Releases {@code n} permits and wakes the waiters at the front of the queue that now fit.
     *
     * @throws IllegalStateException if more permits would be released than are held
     */
    public void release(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("semaphore: negative release " + n);
        }
        Waiter head = null, tail = null;
        lock.lock();
        try {
            if (n > cur) {
                throw new IllegalStateException("semaphore: released more than held (" + n + " > " + cur + ")");
            }
            cur -= n;
            // Serve waiters in order while they fit. Stop at the first that does not: skipping
            // it for a smaller request behind it could starve it.
            for (Waiter w; (w = waiters.peek()) != null && size - cur >= w.ticket; ) {
                cur += w.ticket;
                waiters.dequeue();
                if (tail == null) {
                    head = w;
                } else {
                    tail.next = w;
                }
                tail = w;
            }
        } finally {
            lock.word = 0;
            lock.signal();
        }
        Waiter.wakeAll(head);
    }

    /** Permits available now (racy; for diagnostics). */
    public long available() {
        lock.lock();
        try {
            return size - cur;
        } finally {
            lock.word = 0;
            lock.signal();
        }
    }

    private void check(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("semaphore: negative acquire " + n);
        }
        if (n > size) {
            throw new IllegalArgumentException("semaphore: acquire of " + n + " permits can never succeed: the semaphore has "
                    + size);
        }
    }

    @Override
    public String toString() {
        return "Semaphore[size=" + size + ", available=" + available() + "]";
    }
}
