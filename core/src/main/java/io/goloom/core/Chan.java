package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/*
 * Invariants (Go's chan.go), checked by checkInvariants():
 *
 *   At least one of c.sendq and c.recvq is empty, except for an unbuffered channel with a
 *   single select blocked on both: a select with a send case and a receive case on this
 *   same channel enqueues on both queues, and nobody else can be in either queue then.
 *
 *   For buffered channels, also:
 *     c.qcount > 0 implies that c.recvq is empty.
 *     c.qcount < c.cap implies that c.sendq is empty.
 *
 *   A closed channel has both queues empty (close wakes every waiter; no one enqueues on a
 *   closed channel).
 *
 * "Empty" ignores nothing: a select Waiter left behind after its select was won through
 * another case (a stale Waiter, see WaitQ.dequeue) is popped by the first operation that
 * looks at the queue, and an operation only enqueues after popping every stale Waiter in
 * the opposite queue, so the invariants hold for stale Waiters too.
 */

/**
 * A Go channel: a typed conduit between goroutines (and plain threads), unbuffered
 * ({@code new Chan<>()}, capacity 0: every send meets a receive) or buffered (a FIFO of
 * {@code capacity} elements).
 *
 * <p>With a cancellation or a timeout: {@code ctx.receive(ch)}, {@code ctx.send(ch, v)},
 * {@code Context.receiveWithin(ch, d)}, {@code Context.sendWithin(ch, v, d)} in the scheduler
 * module (core cannot depend on its {@code Context}); each is a {@link Select} over the
 * channel and the context's done channel or a timer.
 *
 * <h2>Semantics (the Go spec's)</h2>
 * <ul>
 *   <li>{@link #send} blocks until a receiver takes the value (unbuffered) or there is room in
 *       the buffer; on a closed channel it throws {@link ChanClosedException}, and a sender
 *       blocked when the channel is closed throws it too.</li>
 *   <li>{@link #receive} blocks until a value is available; once the channel is closed and
 *       drained it returns {@code null} at once ({@link #receiveOk}: {@code ok == false}).
 *       {@link #close} wakes every blocked receiver with {@code (null, false)}.</li>
 *   <li>{@link #close} of a closed channel throws {@link ChanClosedException}.</li>
 *   <li>Values are delivered in FIFO order per sender; a sender that finds a receiver waiting
 *       copies the value straight into it (no buffer slot) and readies it into its own P's
 *       {@code runnext}, so the receiver runs next on the sender's time slice (Go's direct
 *       hand-off). A receiver that finds the buffer full with a sender waiting takes the head
 *       and moves that sender's value into the tail (chan.go's {@code recv}).</li>
 * </ul>
 * Deliberate difference: a channel does not carry {@code null} ({@link NullPointerException});
 * null is the "zero value" a closed channel yields, so {@code receive() == null} means closed.
 *
 * <h2>Blocking</h2>
 * In a goroutine, blocking parks the G (never the carrier), with wait reason
 * {@link WaitReason#CHAN_SEND} or {@link WaitReason#CHAN_RECEIVE}. On a plain thread (for
 * example {@code main}) it blocks the thread. Blocking operations are not interruptible.
 *
 * <h2>Implementation</h2>
 * After chan.go: a ring buffer, a receive queue and a send queue of {@link Waiter}s, all
 * guarded by one {@link ChanLock} held only for O(1) work. A blocking operation enqueues its
 * Waiter and parks with {@link ChanLock#UNLOCK} as the park commit, so the lock is released
 * only after the G has yielded and a waker can never find a G that is still running. Wakers
 * ready the woken G after they release the lock. {@link #trySend}, {@link #tryReceive} and the
 * closed-and-drained receive answer "would block" without the lock when a racy look shows the
 * channel not ready (chan.go's {@code full}/{@code empty} fast paths; the argument is at
 * {@link #full}).
 *
 * <p>Memory access: {@code qcount} and {@code closed} are written only under the lock and read
 * racily by the fast paths and {@link #len}: {@code qcount} with release stores (the unlock that
 * follows is a full fence), {@code closed} with a volatile store (rare). Everything else is
 * plain and guarded by the lock.
 */
public final class Chan<T> implements Iterable<T> {

    private static final VarHandle QCOUNT;
    static {
        try {
            QCOUNT = MethodHandles.lookup().findVarHandle(Chan.class, "qcount", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Source of {@link #id}: the global lock order of channels in a select. */
    private static final AtomicLong IDS = new AtomicLong();

    /** What {@link #recv} returns for a closed, drained channel. */
    static final Object CLOSED = new Object() {
        @Override
        public String toString() {
            return "CLOSED";
        }
    };
    /** What {@link #recv} returns when a non-blocking receive would block. */
    static final Object EMPTY = new Object() {
        @Override
        public String toString() {
            return "EMPTY";
        }
    };

    private static final String NULL_VALUE = "a Chan does not carry null (receive() returns null for a closed channel)";

    /** Immutable. Select locks channels in increasing id order (Go sorts by address). */
    final long id;
    /** Immutable. Guards everything below except where a field says otherwise. */
    final ChanLock lock = new ChanLock();
    /** Immutable. The capacity (Go's dataqsiz); 0 for an unbuffered channel. */
    private final int dataqsiz;
    /** Immutable reference; elements guarded by lock. Null when unbuffered. */
    private final Object[] buf;
    /** Elements in buf. Written under lock (release store); read racily by fast paths and len(). */
    private volatile int qcount;
    private int sendx;
    private int recvx;
    /** Written once, under lock (volatile store); read racily by the fast paths. */
    volatile boolean closed;
    /** Blocked receivers. */
    final WaitQ recvq = new WaitQ();
    /** Blocked senders; each Waiter's elem holds the value it sends. */
    final WaitQ sendq = new WaitQ();

    /**
     * The largest buffer: the JDK's own bound on array lengths (ArraysSupport.SOFT_MAX_ARRAY_LENGTH;
     * HotSpot refuses a few elements more with "Requested array size exceeds VM limit").
     */
    static final int MAX_CAPACITY = Integer.MAX_VALUE - 8;
    /** The least a buffer slot can take: one compressed reference. */
    private static final int MIN_REF_BYTES = 4;
    /** The heap's maximum (-Xmx): fixed for the JVM's life, read once (a native call). */
    private static final long MAX_HEAP = Runtime.getRuntime().maxMemory();

    /** An unbuffered channel: every send waits for a receive. */
    public Chan() {
        this(0);
    }

    /**
     * A channel with room for {@code capacity} elements (0: unbuffered). The buffer is allocated
     * here, as Go's makechan does.
     *
     * @throws IllegalArgumentException if capacity is negative, or so large that its buffer could
     *         never be allocated (beyond the JVM's largest array, or larger than the heap's maximum
     *         size): Go's "makechan: size out of range" panic. A capacity that could fit but does not
     *         fit now throws OutOfMemoryError, as Go's allocation fails with "out of memory".
     */
    public Chan(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("makechan: size out of range: channel capacity must be >= 0, got " + capacity);
        }
        if (capacity > MAX_CAPACITY || (long) capacity * MIN_REF_BYTES > MAX_HEAP) {
            throw new IllegalArgumentException("makechan: size out of range: a buffer of " + capacity
                    + " elements needs at least " + (long) capacity * MIN_REF_BYTES + " bytes; the JVM's largest array has "
                    + MAX_CAPACITY + " elements and its heap's maximum (-Xmx) is " + MAX_HEAP + " bytes");
        }
        this.id = IDS.incrementAndGet();
        this.dataqsiz = capacity;
        this.buf = capacity > 0 ? new Object[capacity] : null;
    }

    // =====================================================================================
    // Send

    /**
     * Sends {@code v}, blocking until a receiver takes it or the buffer has room.
     *
     * @throws ChanClosedException  if the channel is closed, now or while this send waits
     * @throws NullPointerException if v is null
     */
    public void send(T v) {
        Objects.requireNonNull(v, NULL_VALUE);
        // A yield point (DESIGN section 4): without it two goroutines that keep readying each
        // other into runnext through a channel could hold their P forever, never parking long.
        G.checkpoint();
        ChanLock l = lock;
        Waiter r = null, w = null;
        boolean wasClosed = false;
        l.lock();
        try {
            if (closed) {
                wasClosed = true;
            } else if ((r = recvq.dequeue()) != null) {
                handTo(r, v);
            } else if (qcount < dataqsiz) {
                bufPut(v);
            } else {
                Waiter me = Waiter.forBlockingOp();
                me.elem = v;
                sendq.enqueue(me);
                w = me; // from here on the park commit releases the lock
            }
        } finally {
            if (w == null) {
                l.word = 0;
                l.signal();
            }
        }
        if (wasClosed) {
            throw ChanClosedException.send();
        }
        if (r != null) {
            r.wake(true);
            return;
        }
        if (w == null) {
            return; // buffered
        }
        w.block(WaitReason.CHAN_SEND, ChanLock.UNLOCK, l, sendq);
        w.forgetElem();
        // A receiver took the value (success) or close woke us.
        if (!w.success) {
            throw ChanClosedException.send();
        }
    }

    /**
     * Sends {@code v} if that is possible without blocking: a receiver is waiting or the buffer
     * has room. Returns false otherwise (Go's {@code select { case ch <- v: default: }}).
     *
     * @throws ChanClosedException  if the channel is closed
     * @throws NullPointerException if v is null
     */
    public boolean trySend(T v) {
        Objects.requireNonNull(v, NULL_VALUE);
        G.checkpoint();
        // Fast path: not closed, then not ready for sending; see full().
        if (!closed && full()) {
            return false;
        }
        ChanLock l = lock;
        Waiter r = null;
        boolean wasClosed = false, done = false;
        l.lock();
        try {
            if (closed) {
                wasClosed = true;
            } else if ((r = recvq.dequeue()) != null) {
                handTo(r, v);
                done = true;
            } else if (qcount < dataqsiz) {
                bufPut(v);
                done = true;
            }
        } finally {
            l.word = 0;
            l.signal();
        }
        if (wasClosed) {
            throw ChanClosedException.send();
        }
        if (r != null) {
            r.wake(true);
        }
        return done;
    }

    // =====================================================================================
    // Receive

    /**
     * Receives a value, blocking until one is available. Returns null once the channel is
     * closed and drained.
     */
    @SuppressWarnings("unchecked")
    public T receive() {
        Object v = recv(true);
        return v == CLOSED ? null : (T) v;
    }

    /**
     * Receives a value and whether it came from a send ({@code ok}) or from the channel being
     * closed and drained ({@code ok == false}, value null). Allocates the result for a value;
     * the closed result is shared.
     */
    @SuppressWarnings("unchecked")
    public Recv<T> receiveOk() {
        Object v = recv(true);
        return v == CLOSED ? Recv.closed() : new Recv<>((T) v, true);
    }

    /**
     * Receives a value if one is available without blocking; returns null if none is (the
     * channel is empty, or closed and drained). Use {@link #tryReceiveOk} to tell those apart.
     */
    @SuppressWarnings("unchecked")
    public T tryReceive() {
        Object v = recv(false);
        return v == CLOSED || v == EMPTY ? null : (T) v;
    }

    /**
     * A non-blocking receive that distinguishes all three outcomes: null when a receive would
     * block; {@code Recv(null, false)} when the channel is closed and drained;
     * {@code Recv(v, true)} for a value.
     */
    @SuppressWarnings("unchecked")
    public Recv<T> tryReceiveOk() {
        Object v = recv(false);
        if (v == EMPTY) {
            return null;
        }
        return v == CLOSED ? Recv.closed() : new Recv<>((T) v, true);
    }

    /**
     * Go's chanrecv. Returns the value, {@link #CLOSED} when the channel is closed and drained,
     * or (only if {@code !block}) {@link #EMPTY} when a receive would block.
     */
    Object recv(boolean block) {
        G.checkpoint();
        if (!block && empty()) {
            // Fast path. The channel looked not ready; if it is also not closed, report "would
            // block" as of the moment of the empty() read. The order matters: a channel cannot
            // be reopened, so "not closed" now implies "not closed" at that moment too.
            if (!closed) {
                return EMPTY;
            }
            // Closed for good. Look again: a value sent before the close may have arrived
            // between the two reads above, and it must be received first.
            if (empty()) {
                return CLOSED;
            }
        }
        ChanLock l = lock;
        Waiter s = null, w = null;
        Object v = EMPTY;
        l.lock();
        try {
            if (closed && qcount == 0) {
                v = CLOSED;
            } else if (!closed && (s = sendq.dequeue()) != null) {
                v = takeFrom(s);
            } else if (qcount > 0) {
                // Also a closed channel with values left (sendq is empty once closed).
                v = bufTake();
            } else if (block) {
                Waiter me = Waiter.forBlockingOp();
                recvq.enqueue(me);
                w = me; // from here on the park commit releases the lock
            }
        } finally {
            if (w == null) {
                l.word = 0;
                l.signal();
            }
        }
        if (w == null) {
            if (s != null) {
                s.wake(true);
            }
            return v;
        }
        w.block(WaitReason.CHAN_RECEIVE, ChanLock.UNLOCK, l, recvq);
        Object got = w.success ? w.elem : CLOSED;
        w.forgetElem();
        return got;
    }

    // =====================================================================================
    // Close

    /**
     * Closes the channel: no more sends. Every blocked receiver wakes with {@code (null, false)}
     * (buffered values remain receivable first), every blocked sender throws
     * {@link ChanClosedException}. Woken goroutines are readied in queue order, receivers
     * first, after the lock is released.
     *
     * @throws ChanClosedException if the channel is already closed
     */
    public void close() {
        ChanLock l = lock;
        Waiter head = null, tail = null;
        l.lock();
        try {
            if (closed) {
                throw ChanClosedException.close();
            }
            closed = true;
            // Collect everyone while holding the lock; ready them after (as Go's closechan).
            // The list reuses Waiter.next: a dequeued Waiter is in no queue, and nobody else
            // can reach it until wake().
            for (int q = 0; q < 2; q++) {
                WaitQ wq = q == 0 ? recvq : sendq;
                for (Waiter w; (w = wq.dequeue()) != null; ) {
                    w.elem = null;
                    w.success = false;
                    if (tail == null) {
                        head = w;
                    } else {
                        tail.next = w;
                    }
                    tail = w;
                }
            }
        } finally {
            l.word = 0;
            l.signal();
        }
        Waiter.wakeAll(head);
    }

    // =====================================================================================
    // Queries

    /** Number of elements queued in the buffer (Go's {@code len(ch)}); a racy snapshot. */
    public int len() {
        return qcount;
    }

    /** The buffer capacity (Go's {@code cap(ch)}); 0 for an unbuffered channel. */
    public int cap() {
        return dataqsiz;
    }

    /**
     * Iterates over received values until the channel is closed and drained (Go's
     * {@code for v := range ch}). {@code hasNext()} blocks. One iterator per consumer.
     */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private Object next = EMPTY;

            @Override
            public boolean hasNext() {
                if (next == EMPTY) {
                    next = recv(true);
                }
                return next != CLOSED;
            }

            @Override
            @SuppressWarnings("unchecked")
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("channel closed");
                }
                Object v = next;
                next = EMPTY;
                return (T) v;
            }
        };
    }

    /** Receives and handles values until the channel is closed and drained. */
    @Override
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        for (Object v; (v = recv(true)) != CLOSED; ) {
            action.accept((T) v);
        }
    }

    @Override
    public String toString() {
        return "Chan[" + id + ", cap=" + dataqsiz + ", len=" + qcount + (closed ? ", closed" : "") + "]";
    }

    // =====================================================================================
    // Lock-held helpers, shared with Select

    /**
     * Would a send block? Lock-free; may be called without the lock.
     *
     * <p>The fast-path argument (chan.go): the caller first observes "not closed", then "not
     * ready" ({@code full()}), each a single read. A closed channel never goes from ready to
     * not ready for sending, so even if it was closed between the two reads there was a moment
     * between them when it was both open and not ready, and reporting "would block" as of
     * that moment is linearizable. For receive ({@link #empty}) the reads go the other way
     * round: a channel is never reopened.
     */
    boolean full() {
        return dataqsiz == 0 ? recvq.peek() == null : qcount == dataqsiz;
    }

    /** Would a receive block (ignoring closed)? Lock-free; see {@link #full}. */
    boolean empty() {
        return dataqsiz == 0 ? sendq.peek() == null : qcount == 0;
    }

    int capacity() {
        return dataqsiz;
    }

    /** qcount, read under the lock. */
    int count() {
        return qcount;
    }

    /** Go's send: the receiver r (just dequeued) gets v directly. Lock held. */
    static void handTo(Waiter r, Object v) {
        r.elem = v;
        r.success = true;
    }

    /**
     * Go's recv: takes the value of the sender s (just dequeued). Unbuffered: s's value itself.
     * Buffered (then full): the head of the buffer, and s's value goes to the tail, which is
     * the same slot. Lock held.
     */
    Object takeFrom(Waiter s) {
        assert lock.isHeldByCurrentThread();
        Object v;
        if (dataqsiz == 0) {
            v = s.elem;
        } else {
            int i = recvx;
            v = buf[i];
            buf[i] = s.elem;
            if (++i == dataqsiz) {
                i = 0;
            }
            recvx = i;
            sendx = i; // the buffer is full: sendx == recvx
        }
        s.elem = null;
        s.success = true;
        return v;
    }

    /** Appends v to the buffer, which has room. Lock held. */
    void bufPut(Object v) {
        assert lock.isHeldByCurrentThread() && qcount < dataqsiz;
        int i = sendx;
        buf[i] = v;
        sendx = i + 1 == dataqsiz ? 0 : i + 1;
        QCOUNT.setRelease(this, qcount + 1);
    }

    /** Takes the head of the buffer, which is not empty. Lock held. */
    Object bufTake() {
        assert lock.isHeldByCurrentThread() && qcount > 0;
        int i = recvx;
        Object v = buf[i];
        buf[i] = null;
        recvx = i + 1 == dataqsiz ? 0 : i + 1;
        QCOUNT.setRelease(this, qcount - 1);
        return v;
    }

    // =====================================================================================
    // Invariants (for tests)

    /**
     * Checks the invariants at the top of this file, plus the ring's bookkeeping and the
     * queues' links, under the lock.
     *
     * @throws IllegalStateException with the observed state if one is broken
     */
    void checkInvariants() {
        lock.lock();
        try {
            int ns = sendq.checkLinks("chan sendq");
            int nr = recvq.checkLinks("chan recvq");
            int q = qcount;
            String state = this + " sendq=" + ns + " recvq=" + nr + " sendx=" + sendx + " recvx=" + recvx;
            if (ns > 0 && nr > 0) {
                if (dataqsiz > 0) {
                    throw broken("both wait queues non-empty on a buffered channel", state);
                }
                Waiter group = sendq.peek().sel;
                if (group == null) {
                    throw broken("both wait queues non-empty (not a single select)", state);
                }
                for (WaitQ wq : new WaitQ[] {sendq, recvq}) {
                    for (Waiter w = wq.peek(); w != null; w = w.next) {
                        if (w.sel != group) {
                            throw broken("both wait queues non-empty with Waiters of different operations", state);
                        }
                    }
                }
            }
            if (closed && (ns > 0 || nr > 0)) {
                throw broken("closed channel with waiters", state);
            }
            if (q < 0 || q > dataqsiz) {
                throw broken("qcount out of range", state);
            }
            if (dataqsiz > 0) {
                if (q > 0 && nr > 0) {
                    throw broken("qcount > 0 but recvq is not empty", state);
                }
                if (q < dataqsiz && ns > 0) {
                    throw broken("qcount < cap but sendq is not empty", state);
                }
                if ((recvx + q) % dataqsiz != sendx) {
                    throw broken("sendx != recvx + qcount (mod cap)", state);
                }
                for (int k = 0; k < dataqsiz; k++) {
                    boolean live = ((k - recvx + dataqsiz) % dataqsiz) < q;
                    if (live != (buf[k] != null)) {
                        throw broken("buffer slot " + k + (live ? " should hold a value" : " should be cleared"), state);
                    }
                }
            }
        } finally {
            lock.word = 0;
            lock.signal();
        }
    }

    private static IllegalStateException broken(String what, String state) {
        return new IllegalStateException("goloom: chan invariant broken: " + what + ": " + state);
    }
}
