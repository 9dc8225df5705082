package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A reader/writer mutual exclusion lock for goroutines (Go's {@code sync.RWMutex}): any number
 * of readers or one writer. A blocked {@link #lock} call excludes new readers, so a writer is
 * not starved by a stream of readers (and, as in Go, a reader must not rely on taking a second
 * read lock while a writer may be waiting: that deadlocks). Waiters park
 * ({@link WaitReason#SYNC_RWMUTEX_RLOCK}, {@link WaitReason#SYNC_RWMUTEX_LOCK}).
 *
 * <h2>The counters (Go's design)</h2>
 * {@code readerCount} is the number of readers holding or wanting the lock; a writer announces
 * itself by subtracting {@link #MAX_READERS}, which makes it negative, so later readers queue
 * on {@code readerSem}. {@code readerWait} is the number of readers the pending writer still
 * waits for (those that held the lock when it announced itself); the last of them to leave
 * wakes the writer on {@code writerSem}. Writers exclude each other with {@code w}.
 */
public final class RWMutex implements Locker {

    /** Upper bound on concurrent readers (Go's rwmutexMaxReaders). */
    static final int MAX_READERS = 1 << 30;

    private static final VarHandle READER_COUNT;
    private static final VarHandle READER_WAIT;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            READER_COUNT = l.findVarHandle(RWMutex.class, "readerCount", int.class);
            READER_WAIT = l.findVarHandle(RWMutex.class, "readerWait", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Held by a writer from lock() to unlock(): serialises writers. */
    private final Mutex w = new Mutex();
    /** A writer waits here for the departing readers. */
    private final Sema writerSem = new Sema(0);
    /** Readers wait here for the writer to finish. */
    private final Sema readerSem = new Sema(0);
    /** Readers holding or waiting; minus MAX_READERS while a writer is pending. Atomic. */
    private volatile int readerCount;
    /** Departing readers the pending writer still waits for. Atomic. */
    private volatile int readerWait;
    private final Locker rlocker = new Locker() {
        @Override
        public void lock() {
            rLock();
        }

        @Override
        public void unlock() {
            rUnlock();
        }
    };

    /** Locks for reading; waits while a writer holds or waits for the lock. */
    public void rLock() {
        if ((int) READER_COUNT.getAndAdd(this, 1) + 1 < 0) {
            // A writer is pending: wait for it.
            readerSem.acquire(false, WaitReason.SYNC_RWMUTEX_RLOCK);
        }
    }

    /** Locks for reading if that is possible now. */
    public boolean tryRLock() {
        for (;;) {
            int c = readerCount;
            if (c < 0) {
                return false;
            }
            if (READER_COUNT.compareAndSet(this, c, c + 1)) {
                return true;
            }
        }
    }

    /**
     * Undoes one {@link #rLock}.
     *
     * @throws IllegalStateException if the mutex is not read-locked
     */
    public void rUnlock() {
        int r = (int) READER_COUNT.getAndAdd(this, -1) - 1;
        if (r < 0) {
            rUnlockSlow(r);
        }
    }

    private void rUnlockSlow(int r) {
        if (r + 1 == 0 || r + 1 == -MAX_READERS) {
            READER_COUNT.getAndAdd(this, 1); // undo
            throw new IllegalStateException("sync: RUnlock of unlocked RWMutex");
        }
        // A writer is pending; the last reader it waits for wakes it.
        if ((int) READER_WAIT.getAndAdd(this, -1) - 1 == 0) {
            writerSem.release(false);
        }
    }

    /** Locks for writing; waits for other writers and for the readers holding the lock. */
    @Override
    public void lock() {
        w.lock();
        // Announce the writer; r is the number of readers active or queued before us.
        int r = (int) READER_COUNT.getAndAdd(this, -MAX_READERS);
        if (r != 0 && (int) READER_WAIT.getAndAdd(this, r) + r != 0) {
            writerSem.acquire(false, WaitReason.SYNC_RWMUTEX_LOCK);
        }
    }

    /** Locks for writing if that is possible now. */
    public boolean tryLock() {
        if (!w.tryLock()) {
            return false;
        }
        if (!READER_COUNT.compareAndSet(this, 0, -MAX_READERS)) {
            w.unlock();
            return false;
        }
        return true;
    }

    /**
     * Unlocks for writing and lets the queued readers in.
     *
     * @throws IllegalStateException if the mutex is not write-locked
     */
    @Override
    public void unlock() {
        int r = (int) READER_COUNT.getAndAdd(this, MAX_READERS) + MAX_READERS;
        if (r >= MAX_READERS) {
            READER_COUNT.getAndAdd(this, -MAX_READERS); // undo
            throw new IllegalStateException("sync: Unlock of unlocked RWMutex");
        }
        // Unblock the readers that queued while we held the lock.
        for (int i = 0; i < r; i++) {
            readerSem.release(false);
        }
        w.unlock();
    }

    /** A {@link Locker} whose lock/unlock are {@link #rLock}/{@link #rUnlock} (for a {@link Cond}). */
    public Locker rLocker() {
        return rlocker;
    }

    @Override
    public String toString() {
        int c = readerCount;
        return "RWMutex[" + (c < 0 ? "writer, readers=" + (c + MAX_READERS) : "readers=" + c) + "]";
    }
}
