package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One blocked operation: a goroutine, or a plain JVM thread, waiting in a {@link WaitQ} of a
 * channel, a semaphore or a condition (Go's {@code sudog}). A G may sit in several queues at
 * once (one Waiter per select case); a queue may hold many Waiters.
 *
 * <h2>Who waits: a G or a thread</h2>
 * Exactly one of {@link #g} and {@link #thread} is set. A G blocks with {@link G#gopark}: the
 * {@link ParkCommit} releases the queue's lock after the G has yielded, and the one waker
 * calls {@link G#ready}. A plain thread (e.g. {@code main} receiving from a channel) runs the
 * same commit itself and then parks with {@link LockSupport} until the waker sets
 * {@link #woken}; the flag, not the permit, is the condition, so stray unparks are harmless.
 * Thread waits ignore interrupts (as Go's channel operations cannot be interrupted) and
 * restore the interrupt status on return.
 *
 * <h2>The hand-over protocol</h2>
 * <pre>
 *  owner (under the queue's lock)         waker (under the same lock)
 *  1. fill elem/ticket, enqueue           3. dequeue (for a select: win the CAS on sel.done)
 *  2. block: the commit unlocks           4. write elem / success / ticket, unlock
 *                                         5. wake(): ready the G, or set woken and unpark
 *  6. read elem / success / ticket
 * </pre>
 * Step 4 happens-before step 6: for a G through {@link G#ready}'s status CAS and the run
 * queue that publishes it; for a thread through the volatile {@link #woken} store (written
 * last). After step 3 the waker owns the Waiter exclusively: the owner cannot run until step
 * 5, and no other waker can find it (it left the queue, or lost its select).
 *
 * <h2>Select bookkeeping</h2>
 * The Waiters of one select form a group; {@link #sel} points at the group's leader (the
 * first one, whose own {@code sel} is itself). The leader carries the group's {@link #done}
 * word, Go's {@code g.selectDone}: a waker that dequeues a select Waiter must win the CAS
 * 0 -> 1 on it, else the select has already been won through another case and the Waiter is
 * a stale leftover the waker drops (it is unlinked; the select would unlink it later anyway).
 * The winner records itself in the leader's {@link #winner} (Go's {@code gp.param}).
 *
 * <h2>Allocation</h2>
 * A goroutine's blocking channel send or receive, and its blocking {@link Sema} acquire (Mutex,
 * RWMutex, WaitGroup), reuse the goroutine's own Waiter ({@link #forBlockingOp}; Go keeps a
 * per-P sudog cache for the same reason). Before, a Waiter per blocking operation (128 bytes
 * per chan-pingpong round trip) made a long run touch fresh heap pages as G1's eden grew (page
 * faults: 770 against 385 ns per round trip in alternating phases) and collect every few
 * seconds. A reused {@link Select} keeps its Waiters. {@link Semaphore}, {@link Cond} and plain
 * threads allocate one Waiter per blocking operation.
 */
final class Waiter {

    private static final VarHandle DONE;
    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(Waiter.class, "done", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The waiting goroutine, or null for a plain thread. Written by the owner before enqueue. */
    G g;
    /** The waiting plain thread, or null for a goroutine. Written by the owner before enqueue. */
    Thread thread;

    /**
     * Channels: the value to send (written by the owner before enqueue), or the value received
     * (written by the waker in step 4). Null after a close.
     */
    Object elem;
    /** True when a communication completed the operation, false when a close did. Step 4. */
    boolean success;
    /**
     * {@link Sema}: 1 when the waker handed the semaphore over directly (Go's ticket).
     * {@link Cond}: the notify ticket. {@link Semaphore}: the permits wanted. Owner-written
     * before enqueue, or waker-written in step 4.
     */
    long ticket;

    /** Links in a {@link WaitQ}. Guarded by the lock of the queue the Waiter is in. */
    Waiter prev, next;

    /** Select only: the leader of this Waiter's group (itself for the leader); null otherwise. */
    Waiter sel;
    /** Select only: the index of the case this Waiter stands for. Owner-written before enqueue. */
    int caseIndex;
    /**
     * Leader only: 0 while the select is open, 1 once a waker won it. Atomic via DONE: the CAS
     * in {@link #tryWin} is the only write besides the owner's reset before the group is
     * published.
     */
    volatile int done;
    /** Leader only: the Waiter that won. Written by the winning waker in step 4. */
    Waiter winner;
    /**
     * Plain threads: set by the waker after every other field (step 5); the thread parks until
     * it sees it. On the leader for a select group. Reset by the owner before each enqueue.
     */
    volatile boolean woken;

    /**
     * A Waiter for one blocking channel send or receive, or {@link Sema} acquire, of the calling
     * goroutine: the G's own, reused, with its result reset. Sound because a goroutine is in at
     * most one such operation at a time (none of them blocks inside another: their locks are
     * {@link ChanLock}s, which never park on a Waiter), and its Waiter is in no queue once the
     * goroutine runs again: the waker dequeued it before readying it (step 3 before 5), a close
     * dequeues every Waiter first, and a park that fails unqueues it ({@link #block}) or drops it
     * from the G. {@link #forgetElem} clears the value a channel operation carried. A plain
     * thread or a direct task (a JDK virtual thread on goloom's carriers) gets a new Waiter, as
     * from {@link #forCurrent}.
     */
    static Waiter forBlockingOp() {
        G cur = G.current();
        if (cur == null || cur.directTask != null) {
            return forCurrent();
        }
        Waiter w = cur.ownWaiter;
        if (w == null) {
            w = new Waiter();
            w.g = cur;
            cur.ownWaiter = w;
        } else {
            w.success = false;
        }
        return w;
    }

    /** After the operation: the reused Waiter keeps no reference to the value it carried. */
    void forgetElem() {
        elem = null;
    }

    /** A Waiter for the calling goroutine, or for the calling thread when it is not in one. */
    static Waiter forCurrent() {
        Waiter w = new Waiter();
        w.bindCurrent();
        return w;
    }

    /**
     * Wakes, in order, a list of dequeued Waiters linked through {@code next} (collected under
     * a lock, woken after it is released), each with {@code wake(false)}.
     */
    static void wakeAll(Waiter head) {
        while (head != null) {
            Waiter w = head;
            head = w.next; // read before wake: the owner may reuse w once woken
            w.next = null;
            w.wake(false);
        }
    }

    /** Makes the calling goroutine (or thread) the owner of this Waiter. */
    void bindCurrent() {
        G cur = G.current();
        g = cur;
        thread = cur == null ? Thread.currentThread() : null;
    }

    /**
     * Blocks the owner until {@link #wake}. Called by the owner with the queue's lock held;
     * {@code commit} (with {@code arg}) must release it. For a G the commit runs after its
     * yield, on the M; for a thread it runs here, before the thread parks. {@code queuedOn}:
     * the queue this Waiter is on, unqueued again (and the commit run here) if the G's yield
     * throws before the M took the park; null for a select, which undoes its Waiters itself.
     */
    void block(WaitReason reason, ParkCommit commit, Object arg, WaitQ queuedOn) {
        G gp = g;
        if (gp != null) {
            try {
                gp.gopark(reason, commit, arg);
            } catch (Throwable t) {
                // The yield itself failed (an Error): if the M never took the park, this Waiter
                // is still queued and the lock still held. Unqueue it and release the lock, so
                // the failure costs this operation only (a select undoes its own Waiters).
                if (queuedOn != null && gp.forgetUntakenPark()) {
                    queuedOn.remove(this);
                    commit.commit(gp, arg);
                } else if (gp.ownWaiter == this) {
                    gp.ownWaiter = null; // may still be queued: never reuse it
                }
                throw t;
            }
            return;
        }
        if (!commit.commit(null, arg)) {
            return;
        }
        boolean interrupted = false;
        while (!woken) { // volatile load; pairs with the store in wake()
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true; // else park would return at once, forever
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Step 5: wakes the owner. Called by the one waker that took this Waiter off its queue,
     * after writing the results and releasing the queue's lock. {@code next}: run the woken G
     * next on the waker's P (Go's direct hand-off).
     */
    void wake(boolean next) {
        G gp = g;
        if (gp != null) {
            gp.ready(next);
            return;
        }
        Waiter flag = sel != null ? sel : this; // a select thread waits on its leader's flag
        Thread t = thread; // read before the flag: once it is set the owner may reuse us
        flag.woken = true;
        LockSupport.unpark(t);
    }

    /**
     * Tries to win this Waiter's select for it: the CAS 0 -> 1 on the leader's done word (Go's
     * {@code selectDone}). Caller holds the lock of the queue it just took this Waiter from.
     */
    boolean tryWin() {
        Waiter leader = sel;
        if (!DONE.compareAndSet(leader, 0, 1)) {
            return false;
        }
        leader.winner = this;
        return true;
    }

    /** Whether this Waiter belongs to a select that is already won (a stale leftover). */
    boolean isStale() {
        return sel != null && sel.done != 0;
    }

    @Override
    public String toString() {
        return "Waiter[" + (g != null ? g : thread) + (sel != null ? ", case " + caseIndex + (isStale() ? ", stale" : "") : "")
                + "]";
    }
}
