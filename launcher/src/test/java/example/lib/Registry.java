package example.lib;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Library-shaped code (as Jackson's caches): a loop run while holding a ReentrantLock, which
 * belongs to {@code Thread.currentThread()}. In a native goroutine that thread is the
 * carrier: a goroutine switched inside the loop leaves the lock to the next goroutine on that
 * carrier (its lock() is a reentrant acquire, and two callers are inside) or resumes on
 * another carrier, where unlock() throws IllegalMonitorStateException.
 */
public final class Registry {
    private final ReentrantLock lock = new ReentrantLock();
    private int inside;

    /** A mix of n steps under the lock; throws if another caller is inside at the same time. */
    public long update(long seed, int n) {
        lock.lock();
        try {
            if (inside++ != 0) {
                throw new IllegalStateException("two callers inside the lock (hold count " + lock.getHoldCount() + ")");
            }
            long x = seed;
            for (int i = 0; i < n; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            inside--;
            return x;
        } finally {
            lock.unlock();
        }
    }
}
