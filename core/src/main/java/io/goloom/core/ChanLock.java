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
 *       signals. The park is timed only as a guard: a lock held for {@link #stuckNanos}
 *       (10 s) is broken, and the contender throws instead of blocking its carrier for good.</li>
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
 * order is in ARCHITECTURE.md, "Lock order"). Release it on every path, Errors included: a
 * StackOverflowError or OutOfMemoryError can be thrown by any call or allocation inside the
 * critical section, so every section is a {@code try/finally} (a blocking operation leaves
 * its {@code try} with the lock still held only once its Waiter is queued, and the park
 * commit releases it). Locking and unlocking happen on the same thread: a goroutine
 * never yields between the two, and a park releases the lock in its {@link ParkCommit}, which
 * runs on the same carrier right after the yield ({@link #UNLOCK}).
 *
 * <p>Memory: the state word is {@link #word}; a successful lock is a volatile CAS and an
 * unlock a volatile store, so each critical section happens-before the next one.
 */
final class ChanLock extends AbstractQueuedSynchronizer {

    private static final java.lang.invoke.VarHandle WORD;
    static {
        try {
            WORD = java.lang.invoke.MethodHandles.lookup().findVarHandle(ChanLock.class, "word", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The lock word: 0 free, 1 held (AQS's own state is not used; AQS only queues the parked
     * contenders). Acquired by CAS, released by a volatile store: package-private so that a
     * critical section's {@code finally} releases it without a call (see {@link #signal}).
     */
    volatile int word;

    /**
     * Spin rounds before blocking: each is one {@link Thread#onSpinWait()} plus a re-read.
     * A critical section is ~10-100 ns; 64 pauses (roughly 0.2-3 µs, as PAUSE takes 10 to
     * 140 cycles depending on the CPU) cover a holder that is running, and bound the waste
     * when its carrier has been descheduled.
     */
    static final int SPINS = 64;

    /** The park commit that releases a ChanLock (the {@code arg}) once the G has yielded. */
    static final ParkCommit UNLOCK;
    static {
        // The first class every channel and sync primitive initialises, and this lambda loads G
        // (a jdk.internal.vm.Continuation): name a missing JVM flag before that fails raw.
        JvmFlags.require();
        UNLOCK = (g, lock) -> {
            ((ChanLock) lock).unlock();
            return true;
        };
    }

    /**
     * Acquires the lock, spinning briefly, then blocking the calling thread. Holds the lock only
     * if it returns: an Error thrown after the CAS (the owner bookkeeping, assertions on) frees
     * the word again (markOwner).
     */
    void lock() {
        if (!WORD.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
        assert markOwner();
    }

    /**
     * How long a contender waits before it calls the lock broken. A holder keeps the lock for
     * O(1) work and every path out of a critical section releases it (try/finally, the
     * Errors included), so a lock held this long means a holder died inside {@link #unlock}
     * itself or a critical section lost its release: an invariant of the runtime is broken,
     * and the contender fails loudly instead of parking its carrier for good. Not final so a
     * test can shorten it.
     */
    static volatile long stuckNanos = 10_000_000_000L;

    /** A parked contender's re-check period (see {@link #lockSlow}). */
    private static final long RECHECK_NS = 10_000_000L;

    private void lockSlow() {
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if (word == 0 && WORD.compareAndSet(this, 0, 1)) {
                return;
            }
        }
        // Park in AQS's queue, in rounds of RECHECK_NS. A round that times out re-checks the
        // word: an unlock whose signal was lost (an Error thrown inside AQS's signalNext, after
        // the state was already 0) costs at most one round, not the carrier. After stuckNanos
        // in all the lock is broken. AQS's timed acquire is interruptible and this lock is
        // not: an interrupt of the carrier is remembered and put back once the lock is held,
        // so it is neither lost nor spun on.
        boolean interrupted = false;
        long start = System.nanoTime();
        try {
            for (;;) {
                try {
                    if (tryAcquireNanos(1, RECHECK_NS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                long waited = System.nanoTime() - start;
                if (waited > stuckNanos) {
                    throw new IllegalStateException("goloom: runtime lock " + this + " has been held for "
                            + waited / 1_000_000 + " ms: its holder died inside a critical section without"
                            + " releasing it (a goloom bug; report it with this stack trace)");
                }
            }
        } finally {
            if (interrupted) {
                Carrier.current().interrupt();
            }
        }
    }

    /**
     * Wakes one parked contender, if any, after the word was cleared. Critical sections end
     * with {@code finally { l.word = 0; l.signal(); }}: the release itself is a field store in
     * the caller's own frame, which no StackOverflowError can stop (any call can throw one, the
     * call to {@link #unlock} included); a lost signal costs a contender one re-check round.
     */
    void signal() {
        release(1);
    }

    /**
     * Releases the lock; wakes one blocked contender if there is one. The word is freed first, in
     * a finally, before any deeper call; a signal lost to an Error costs a parked contender one
     * re-check round (lockSlow).
     */
    void unlock() {
        try {
            assert clearOwner();
        } finally {
            // The release is this one store, made before any deeper call (AQS's release and
            // its signal), so an Error thrown in those loses at most the signal.
            word = 0;
            signal();
        }
    }

    /** Only meaningful with assertions enabled; {@code true} otherwise. */
    boolean isHeldByCurrentThread() {
        return word != 0 && (getExclusiveOwnerThread() == Carrier.current() || !assertionsOn());
    }

    private boolean markOwner() {
        try {
            setExclusiveOwnerThread(Carrier.current());
        } catch (Throwable t) {
            word = 0; // lock() throws, so it must not hold the lock; a parked contender sees it free at its next re-check
            throw t;
        }
        return true;
    }

    private boolean clearOwner() {
        if (word == 0) {
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
        return WORD.compareAndSet(this, 0, 1);
    }

    @Override
    protected boolean tryRelease(int ignored) {
        return true; // the word was cleared by the caller of signal()
    }

    @Override
    protected boolean isHeldExclusively() {
        return word != 0;
    }

    @Override
    public String toString() {
        return "ChanLock@" + Integer.toHexString(System.identityHashCode(this)) + "[word=" + word
                + (hasQueuedThreads() ? ", contenders parked]" : "]");
    }
}
