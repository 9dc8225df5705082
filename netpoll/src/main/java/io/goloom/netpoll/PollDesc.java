package io.goloom.netpoll;

import io.goloom.core.G;
import io.goloom.core.ParkCommit;
import io.goloom.core.WaitReason;
import io.goloom.timers.TimerNode;
import io.goloom.timers.TimerQueue;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Go's {@code pollDesc}: what the netpoller knows about one socket. Two binary semaphores
 * ({@link #rg} for readers, {@link #wg} for writers), a closing flag, and a read and a write
 * deadline enforced by timers in the scheduler's per-P queues.
 *
 * <h2>The semaphores</h2>
 * Each of rg and wg holds one of (Go's netpoll.go, with a plain thread as a second kind of
 * waiter):
 * <pre>
 *  value     meaning                                     who moves it next
 *  null      nothing pending, nobody waiting             the waiter (-> WAIT), the poller (-> READY)
 *  READY     an I/O readiness notification is pending    the waiter consumes it (-> null)
 *  WAIT      a waiter is about to park, not parked yet   its park commit (-> the G), the poller
 *                                                        (-> READY), a deadline or close (-> null)
 *  a G       that goroutine is parked                    the poller (-> READY), a deadline or
 *                                                        close (-> null); the winner readies it
 *  a Thread  that plain thread is parked (or polling)    as for a G; the winner unparks it, or the
 *                                                        thread itself times out (-> null)
 *
 *  transition             made by                       how
 *  null  -> WAIT          the waiter (block)            CAS; anything else but READY: "double wait"
 *  READY -> null          the waiter (block, prepare)   plain volatile store: only the waiter
 *                                                       leaves READY (unblock returns on READY)
 *  WAIT  -> G             the G's park commit           CAS; fails iff a notification won, then
 *                                                       the park aborts and the G resumes at once
 *  WAIT  -> Thread        the thread itself             CAS; same
 *  WAIT|G|Thread -> READY the poller (I/O ready)        CAS in unblock(ioready=true)
 *  null  -> READY         the poller                    CAS (a notification nobody waits for yet)
 *  WAIT|G|Thread -> null  deadline / close / setDeadline CAS in unblock(ioready=false)
 *  any   -> null          the waiter, when it resumes   getAndSet: reads READY or null (or WAIT
 *                                                       if it never parked) and keeps nothing
 * </pre>
 * Invariants: at most one waiter per semaphore (NetFd's read and write locks serialise
 * operations, so a second waiter is a bug: "double wait"); whoever CASes a G or Thread out of a
 * semaphore owns the wake-up of that waiter and decrements {@link Netpoll}'s waiter count.
 *
 * <h2>Publish-then-check (why no notification is lost)</h2>
 * <pre>
 *  waiter (block)                         closer / deadline / setDeadline
 *  1. CAS sem null -> WAIT                1. store closing / rd / wd (volatile)
 *  2. read closing, rd, wd (volatile):    2. read sem (volatile, in unblock's CAS loop):
 *     error? do not park                     WAIT -> null makes the commit fail; a G or Thread
 *  3. commit: CAS WAIT -> G                  -> null wakes it
 * </pre>
 * One side sees the other. An I/O notification needs no such pair: the poller's CAS either
 * finds WAIT/G/Thread (and wakes or pre-empts the park) or null (and leaves READY behind).
 *
 * <h2>Deadlines</h2>
 * {@link #rd}/{@link #wd} are absolute times on {@link Netpoll#nanotime()}'s clock: 0 none, -1
 * expired, > 0 pending. An operation checks them when it starts ({@link #checkErr}: a pending
 * deadline that has passed by the clock counts as expired, so a deadline that passes while
 * nobody waits needs no timer at all) and they are enforced on a parked waiter by a timer:
 * <ul>
 *   <li>A parked goroutine: its park commit arms a {@link DeadlineTimer} on its M's P (through
 *       its scheduler's {@link io.goloom.core.Sched#timerQueue}) unless one is armed for the current sequence number; so does
 *       {@link #setDeadline} when it finds a G parked. The fire expires the deadline (-1) and
 *       readies the waiter with an error.</li>
 *   <li>A parked plain thread: it parks (or polls) no longer than the deadline and re-checks it;
 *       setDeadline unparks it to re-read the deadline.</li>
 * </ul>
 * Each change of a deadline, and close, bumps that side's sequence number ({@link #rseq},
 * {@link #wseq}; Go's "protects from stale read timers") and cancels the armed timer; a timer
 * carries the sequence number it was armed for, so a fire that raced with a change is ignored.
 * A timer is allocated per arming (an immutable sequence number per fire, and free to go to any
 * P's queue); arming happens only on the first park after a deadline change, so reads and writes
 * without deadlines, or repeated parks under one deadline, allocate nothing.
 *
 * <h2>Locks</h2>
 * {@code synchronized (this)} is Go's {@code pd.lock}: it guards the sequence numbers and the
 * timers, and orders setDeadline, close and deadline fires among themselves. The semaphores are
 * lock-free. Under it we may arm a timer (TimerQueue takes no lock; its waker may take
 * sched.lock): pollDesc < sched.lock in goloom's lock order (ARCHITECTURE.md). No G is readied and no thread is
 * unparked while it is held (Go's "do not ready a G under a lock"): the waiter taken out of a
 * semaphore is woken after the monitor is released.
 */
final class PollDesc {

    /** Semaphore values besides null, a G and a Thread. Identity matters, not the class. */
    private static final class Sentinel {
        private final String name;

        Sentinel(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final Object READY = new Sentinel("pdReady");
    static final Object WAIT = new Sentinel("pdWait");

    /** {@link #checkErr} results (Go's pollNoError, pollErrClosing, pollErrTimeout). */
    static final int OK = 0;
    static final int CLOSING = 1;
    static final int TIMEOUT = 2;

    private static final VarHandle RG;
    private static final VarHandle WG;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RG = l.findVarHandle(PollDesc.class, "rg", Object.class);
            WG = l.findVarHandle(PollDesc.class, "wg", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Park commits, shared: parking allocates nothing. Run on the M after the G is WAITING. */
    private static final ParkCommit COMMIT_READ = (g, a) -> ((PollDesc) a).commit(g, Poller.READ);
    private static final ParkCommit COMMIT_WRITE = (g, a) -> ((PollDesc) a).commit(g, Poller.WRITE);

    /** Immutable. The socket. */
    final Sock sock;
    /** Immutable. The backend this descriptor is registered with. */
    final Poller poller;
    /**
     * Immutable. A process-unique number (Go's {@code fdseq}): the epoll backend puts it next to
     * the fd in the event's data and drops an event whose tag does not match the descriptor now
     * registered for that fd (the fd was closed and reused while the event was in flight).
     */
    final int tag;
    /**
     * The backend's handle for this registration (the Selector backend's SelectionKey). Written
     * once by {@link Poller#open} before the first report can happen; read by the backend.
     */
    volatile Object key;

    /** Reader semaphore; see the table. Atomic via RG. */
    @SuppressWarnings("unused")
    private volatile Object rg;
    /**
     * The poller reported the peer's FIN or a socket error (a final state, kept for good, as
     * Tokio keeps READ_CLOSED). After it, a short read no longer proves the socket drained: the
     * EOF or the error is still to be read, and no new edge will announce it once an
     * operation's prepare dropped the report that did. Written by the poller before the report
     * (volatile); read by the reader in NetFd.startRead. All accesses here and to rg are
     * volatile, so if the reader's prepare dropped that READY (its store after the poller's CAS
     * in the synchronization order), its later read of this flag sees true.
     */
    private volatile boolean readEnded;
    /** Writer semaphore; see the table. Atomic via WG. */
    @SuppressWarnings("unused")
    private volatile Object wg;
    /** Set once by {@link #evict} (under this); read lock-free by every operation. */
    private volatile boolean closing;
    /** Read deadline: 0 none, -1 expired, > 0 pending (Netpoll.nanotime). Written under this. */
    private volatile long rd;
    /** Write deadline, as rd. */
    private volatile long wd;

    // ---- guarded by this (Go's pd.lock) ----
    private int rseq;
    private int wseq;
    /** The armed read-deadline timer, or null. Its seq is always rseq. */
    private DeadlineTimer rt;
    private DeadlineTimer wt;

    PollDesc(Sock sock, Poller poller) {
        this.sock = sock;
        this.poller = poller;
        this.tag = TAGS.incrementAndGet();
    }

    /** Source of {@link #tag}s; wrapping after 2^32 registrations is harmless (a stale event would need the same fd and tag). */
    private static final java.util.concurrent.atomic.AtomicInteger TAGS = new java.util.concurrent.atomic.AtomicInteger();

    // =====================================================================================
    // Operations (the NetFd side): prepare, wait

    /** The poller saw the peer's FIN or an error on this socket. Poller thread. */
    void markReadEnded() {
        readEnded = true;
    }

    /** See {@link #readEnded}. */
    boolean readEnded() {
        return readEnded;
    }

    /**
     * Go's {@code pollReset}: at the start of an operation in {@code mode}, fails if the
     * descriptor is closing or the deadline passed, and drops a stale readiness notification
     * (the operation's own system call will see whatever it announced).
     */
    void prepare(int mode) throws IOException {
        throwErr(checkErr(mode));
        sem(mode).setVolatile(this, null);
    }

    /**
     * Go's {@code pollWait}: the operation hit EAGAIN; waits until the socket may be ready for
     * {@code mode}. Returns normally on readiness (possibly spurious: the caller retries its
     * system call); throws {@link NetClosedException} or {@link DeadlineExceededException}.
     */
    void waitFor(int mode) throws IOException {
        throwErr(checkErr(mode));
        poller.arm(this, mode);
        while (!block(mode)) {
            // Woken without readiness: by close or a deadline, or by a deadline that has been
            // moved again since it fired (then retry, as Go does).
            throwErr(checkErr(mode));
        }
        if (closing) {
            // Readiness that raced with close (the peer's FIN after our evict): close wins, so a
            // call blocked at close time always fails (Go would run the system call once more).
            throw new NetClosedException();
        }
    }

    /** Go's {@code netpollcheckerr}. Lock-free; the deadline part reads the clock only when one is pending. */
    int checkErr(int mode) {
        if (closing) {
            return CLOSING;
        }
        long d = mode == Poller.READ ? rd : wd;
        if (d < 0 || (d > 0 && Netpoll.nanotime() - d >= 0)) {
            return TIMEOUT;
        }
        return OK;
    }

    private static void throwErr(int err) throws IOException {
        if (err == CLOSING) {
            throw new NetClosedException();
        }
        if (err == TIMEOUT) {
            throw new DeadlineExceededException();
        }
    }

    /**
     * Go's {@code netpollblock}: returns true if I/O readiness was notified, false if woken by
     * close or a deadline. Parks the current goroutine, or blocks the current plain thread.
     */
    boolean block(int mode) {
        VarHandle sem = sem(mode);
        for (;;) {
            Object old = sem.getVolatile(this);
            if (old == READY) {
                sem.setVolatile(this, null);
                return true;
            }
            if (old != null) {
                throw new IllegalStateException("goloom: netpoll: double wait on " + this + " (" + modeName(mode)
                        + " semaphore holds " + old + ")");
            }
            if (sem.compareAndSet(this, null, WAIT)) {
                break;
            }
        }
        // Publish-then-check: re-read closing and the deadline after publishing WAIT.
        if (checkErr(mode) == OK) {
            G g = G.current();
            if (g != null) {
                g.gopark(WaitReason.IO_WAIT, mode == Poller.READ ? COMMIT_READ : COMMIT_WRITE, this);
            } else {
                threadWait(sem, mode);
            }
        }
        // Keep nothing: a READY that raced in is consumed here, as Go's "be careful to not lose
        // concurrent pdReady notification".
        Object old = sem.getAndSet(this, null);
        if (old != null && old != READY && old != WAIT) {
            throw new IllegalStateException("goloom: netpoll: corrupted polldesc " + this + ": resumed with "
                    + modeName(mode) + " semaphore holding " + old);
        }
        return old == READY;
    }

    /**
     * The park commit (Go's {@code netpollblockcommit}), on the M after the G is WAITING: WAIT -> G.
     * Then arms the deadline timer if a deadline is pending: after the CAS, so setDeadline either
     * sees the G (and arms itself) or ran before our read of the deadline (which then sees its
     * value); both arm under the lock with a sequence check, so one timer is armed. The G may
     * already have been readied by then; arming for it is still right (the deadline is real).
     */
    private boolean commit(G g, int mode) {
        if (!sem(mode).compareAndSet(this, WAIT, g)) {
            return false; // a notification, a deadline or close came first: resume at once
        }
        Netpoll.waiterAdded();
        if ((mode == Poller.READ ? rd : wd) > 0) {
            synchronized (this) {
                armLocked(mode, g);
            }
        }
        return true;
    }

    /**
     * A plain thread (or a JDK virtual thread) waits: WAIT -> this thread, then, until it is
     * taken out of the semaphore, poll as the netpoller's token holder or park (Netpoll.
     * pollOrPark), never past the deadline. Interrupts are ignored (as for channels) and
     * restored on return.
     */
    private void threadWait(VarHandle sem, int mode) {
        Thread me = Thread.currentThread(); // not a goroutine: no carrier switch can happen here
        if (!sem.compareAndSet(this, WAIT, me)) {
            return;
        }
        Netpoll.waiterAdded();
        boolean polled = false;
        boolean interrupted = false;
        try {
            while (sem.getVolatile(this) == me) {
                long d = mode == Poller.READ ? rd : wd;
                long left = -1;
                if (d != 0) {
                    left = d < 0 ? 0 : d - Netpoll.nanotime();
                    if (left <= 0) {
                        // Our deadline: take ourselves out, unless a notifier just did.
                        if (sem.compareAndSet(this, me, null)) {
                            Netpoll.waiterDone();
                        }
                        break;
                    }
                }
                polled |= Netpoll.pollOrPark(this, mode, me, left);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
        } finally {
            if (polled) {
                Netpoll.kick(); // we held the poll token and will not come back for it
            }
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    /** The waiter of {@code mode} now (null, READY, WAIT, a G or a Thread). Racy. */
    Object waiter(int mode) {
        return sem(mode).getVolatile(this);
    }

    // =====================================================================================
    // Notifications

    /**
     * Go's {@code netpollunblock}: takes the waiter out of the {@code mode} semaphore. With
     * {@code ioready} leaves READY behind (I/O notification), else null (deadline, close).
     * Returns the G or Thread that was parked, which the caller must wake (and count out with
     * {@link Netpoll#waiterDone()}), or null.
     */
    Object unblock(int mode, boolean ioready) {
        VarHandle sem = sem(mode);
        for (;;) {
            Object old = sem.getVolatile(this);
            if (old == READY) {
                return null;
            }
            if (old == null && !ioready) {
                return null; // only I/O leaves a notification; the waiter checks errors itself
            }
            if (sem.compareAndSet(this, old, ioready ? READY : null)) {
                return old == WAIT || old == null ? null : old;
            }
        }
    }

    /**
     * Sets the deadline of the read side, the write side or both (Go's
     * {@code poll_runtime_pollSetDeadline}): {@code d} is 0 (none), negative (already passed:
     * pending operations fail now), or an absolute {@link Netpoll#nanotime()}. Any thread.
     */
    void setDeadline(long d, boolean read, boolean write) {
        Object rw = null;
        Object ww = null;
        Thread rthread = null;
        Thread wthread = null;
        synchronized (this) {
            if (closing) {
                return;
            }
            if (read) {
                rd = d < 0 ? -1 : d;
                rseq++;
                cancel(rt);
                rt = null;
            }
            if (write) {
                wd = d < 0 ? -1 : d;
                wseq++;
                cancel(wt);
                wt = null;
            }
            // The stores above are volatile, the reads below too: the pair with block() in the
            // class comment.
            if (read) {
                if (d < 0) {
                    rw = unblock(Poller.READ, false);
                } else if (waiter(Poller.READ) instanceof G g) {
                    armLocked(Poller.READ, g);
                } else if (waiter(Poller.READ) instanceof Thread t) {
                    rthread = t; // it re-reads the deadline
                }
            }
            if (write) {
                if (d < 0) {
                    ww = unblock(Poller.WRITE, false);
                } else if (waiter(Poller.WRITE) instanceof G g) {
                    armLocked(Poller.WRITE, g);
                } else if (waiter(Poller.WRITE) instanceof Thread t) {
                    wthread = t;
                }
            }
        }
        Netpoll.wake(rw, true);
        Netpoll.wake(ww, true);
        if (rthread != null) {
            Netpoll.nudge(rthread);
        }
        if (wthread != null) {
            Netpoll.nudge(wthread);
        }
    }

    /** The deadline of {@code mode} (racy; for tests and toString). */
    long deadline(int mode) {
        return mode == Poller.READ ? rd : wd;
    }

    /**
     * Go's {@code poll_runtime_pollUnblock}: marks the descriptor closing and wakes both waiters
     * with an error. Once; operations that start later fail with {@link NetClosedException}.
     */
    void evict() {
        Object rw;
        Object ww;
        synchronized (this) {
            if (closing) {
                throw new IllegalStateException("goloom: netpoll: evict of a closing polldesc " + this);
            }
            closing = true;
            rseq++;
            wseq++;
            // closing (volatile) is stored before unblock reads the semaphores: see the class comment.
            rw = unblock(Poller.READ, false);
            ww = unblock(Poller.WRITE, false);
            cancel(rt);
            cancel(wt);
            rt = null;
            wt = null;
        }
        Netpoll.wake(rw, true);
        Netpoll.wake(ww, true);
    }

    boolean isClosing() {
        return closing;
    }

    /** A deadline timer fired (Go's {@code netpolldeadlineimpl}); on the M running its P's timers. */
    void deadlineFired(DeadlineTimer t) {
        Object w;
        synchronized (this) {
            int seq = t.mode == Poller.READ ? rseq : wseq;
            if (t.seq != seq || closing) {
                return; // stale: the deadline moved or the descriptor closed after the arming
            }
            if (t.mode == Poller.READ) {
                rd = -1;
                rt = null;
            } else {
                wd = -1;
                wt = null;
            }
            w = unblock(t.mode, false);
        }
        Netpoll.wake(w, true); // Go's netpollgoready: the woken G runs next on this P
    }

    /** Arms the {@code mode} deadline timer for the current sequence number if none is. Holds this. */
    private void armLocked(int mode, G g) {
        long d = mode == Poller.READ ? rd : wd;
        int seq = mode == Poller.READ ? rseq : wseq;
        DeadlineTimer armed = mode == Poller.READ ? rt : wt;
        if (d <= 0 || closing || (armed != null && armed.seq == seq)) {
            return;
        }
        TimerQueue q = g.sched.timerQueue(); // the goroutine's scheduler's timers (Sched SPI)
        if (q == null) {
            return; // not a goloom scheduler: only the start-of-operation clock check applies
        }
        DeadlineTimer t = new DeadlineTimer(this, mode, seq, q);
        if (mode == Poller.READ) {
            rt = t;
        } else {
            wt = t;
        }
        q.schedule(t, Netpoll.toNanoTime(d));
    }

    private static void cancel(DeadlineTimer t) {
        if (t != null) {
            t.queue.cancel(t);
        }
    }

    private static VarHandle sem(int mode) {
        return mode == Poller.READ ? RG : WG;
    }

    private static String modeName(int mode) {
        return mode == Poller.READ ? "read" : "write";
    }

    @Override
    public String toString() {
        return "pollDesc[" + sock + " tag=" + tag + " rg=" + waiter(Poller.READ) + " wg=" + waiter(Poller.WRITE)
                + (closing ? " closing" : "") + " rd=" + rd + " wd=" + wd + "]";
    }

    /**
     * A read or write deadline timer: immutable per arming (the sequence number it enforces and
     * the queue it sits in), so a stale fire is recognised without any shared mutable state.
     */
    static final class DeadlineTimer extends TimerNode {
        final PollDesc pd;
        final int mode;
        final int seq;
        final TimerQueue queue;

        DeadlineTimer(PollDesc pd, int mode, int seq, TimerQueue queue) {
            this.pd = pd;
            this.mode = mode;
            this.seq = seq;
            this.queue = queue;
        }

        @Override
        protected void fire() {
            pd.deadlineFired(this);
        }
    }
}
