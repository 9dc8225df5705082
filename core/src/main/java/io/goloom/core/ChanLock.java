package io.goloom.core;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The small internal lock of a channel, a {@link Sema}, a {@link Cond} or a {@link Semaphore}:
 * Go's runtime {@code mutex} (lock_futex.go), held only for O(1) work on the structure it
 * guards. Not reentrant; not fair.
 *
 * <h2>Why this lock, and not another</h2>
 * <ul>
 *   <li><b>Not a goroutine lock.</b> It is held for a few field writes, never across a park,
 *       so a contender can afford to wait for it on its carrier; parking the G instead would
 *       cost more than the critical section (and would need the scheduler, which core may not
 *       assume). Like Go's runtime lock it blocks the M, not the G.</li>
 *   <li><b>Spin first, then block the carrier.</b> A pure CAS spin lock burns a whole OS time
 *       slice when the holder's carrier is descheduled (the machines are shared; see STYLE
 *       anti-pattern 2). So a contender re-checks the word for {@link #SPINS} rounds and then
 *       parks its thread in the {@link AbstractQueuedSynchronizer} queue, which the unlocker
 *       signals. No timed park anywhere.</li>
 *   <li><b>Not {@link java.util.concurrent.locks.ReentrantLock}.</b> Same AQS queue, but
 *       ReentrantLock parks on first contention (JDK 25 spins only after a wake-up) and pays
 *       owner bookkeeping on every acquire. Reentrancy would also be wrong here: a G that
 *       yielded while holding the lock (a bug) would let the next G on the same carrier walk
 *       into the critical section. And ReentrantLock checks its owner against
 *       {@code Thread.currentThread()}, which a compiled goroutine frame may read stale after
 *       migrating to another carrier (see {@link Carrier}): a perfectly paired unlock could
 *       throw. This lock has no owner; the owner is recorded only when assertions are on, for
 *       {@link #isHeldByCurrentThread}, and read with {@link Carrier#current()}.</li>
 * </ul>
 *
 * <p>AQS itself reads {@code Thread.currentThread()} only inside its large {@code acquire}
 * (the parked thread to signal later). That method is far over the JIT's inlining budget
 * and never yields, so it always runs in its own frame on the thread that will park; no
 * goroutine frame that spans a yield can carry a stale copy into it.
 *
 * <h2>Rules for holders</h2>
 * Never park, yield, call user code or take a lock of lower rank while holding it (the lock
 * order is in core/README.md). Locking and unlocking happen on the same thread: a goroutine
 * never yields between the two, and a park releases the lock in its {@link ParkCommit}, which
 * runs on the same carrier right after the yield ({@link #UNLOCK}).
 *
 * <p>Memory: the state word is AQS's volatile int; a successful lock is a volatile CAS and an
 * unlock a volatile store, so each critical section happens-before the next one.
 */
final class ChanLock extends AbstractQueuedSynchronizer {

    /**
     * Spin rounds before blocking: each is one {@link Thread#onSpinWait()} plus a re-read.
     * A critical section is ~10-100 ns; 64 pauses (roughly 0.2-3 µs, as PAUSE takes 10 to
     * 140 cycles depending on the CPU) cover a holder that is running, and bound the waste
     * when its carrier has been descheduled.
     */
    static final int SPINS = 64;

    /** The park commit that releases a ChanLock (the {@code arg}) once the G has yielded. */
    static final ParkCommit UNLOCK = (g, lock) -> {
        ((ChanLock) lock).unlock();
        return true;
    };

    /** Acquires the lock, spinning briefly, then blocking the calling thread. */
    void lock() {
        if (!compareAndSetState(0, 1)) {
            lockSlow();
        }
        assert markOwner();
    }

    private void lockSlow() {
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if (getState() == 0 && compareAndSetState(0, 1)) {
                return;
            }
        }
        acquire(1);
    }

    /** Releases the lock; wakes one blocked contender if there is one. */
    void unlock() {
        assert clearOwner();
        release(1);
    }

    /** Only meaningful with assertions enabled; {@code true} otherwise. */
    boolean isHeldByCurrentThread() {
        return getState() != 0 && (getExclusiveOwnerThread() == Carrier.current() || !assertionsOn());
    }

    private boolean markOwner() {
        setExclusiveOwnerThread(Carrier.current());
        return true;
    }

    private boolean clearOwner() {
        if (getState() == 0) {
            throw new IllegalStateException("goloom: unlock of unlocked ChanLock");
        }
        Thread self = Carrier.current();
        if (getExclusiveOwnerThread() != self) {
            throw new IllegalStateException("goloom: ChanLock unlocked by " + self.getName()
                    + " but held by " + getExclusiveOwnerThread());
        }
        setExclusiveOwnerThread(null);
        return true;
    }

    private static boolean assertionsOn() {
        boolean on = false;
        assert on = true;
        return on;
    }

    @Override
    protected boolean tryAcquire(int ignored) {
        return compareAndSetState(0, 1);
    }

    @Override
    protected boolean tryRelease(int ignored) {
        setState(0);
        return true;
    }

    @Override
    protected boolean isHeldExclusively() {
        return getState() != 0;
    }
}
