package io.goloom.netpoll;

import io.goloom.core.Mutex;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketException;
import java.nio.ByteBuffer;

/**
 * A socket in use (Go's {@code internal/poll.FD} with its {@code fdMutex}): the {@link Sock},
 * its {@link PollDesc}, a reference count that keeps the OS socket alive while operations run,
 * and one lock per direction. Every operation is the loop of {@code fd_unix.go}: try the
 * system call; on EAGAIN wait for readiness ({@link PollDesc#waitFor}) and try again.
 *
 * <h2>The state word</h2>
 * <pre>
 *  bit 63 ...................... 1 | 0
 *       references (operations     | CLOSED
 *       in progress, plus close's)
 *
 *  transition                 made by           how
 *  refs+1 (not CLOSED)        incref (each op)  CAS; CLOSED set: throw NetClosedException
 *  refs-1                     decref            getAndAdd; the one that leaves CLOSED with 0
 *                                               refs destroys the socket (exactly once)
 *  CLOSED, refs+1             close             CAS, once: later closes do nothing
 * </pre>
 * Close marks CLOSED, then wakes both waiters with an error ({@link PollDesc#evict}), then drops
 * its reference; so the socket is deregistered and closed by whoever finishes last, never under
 * a running system call, and exactly once on every path: no fd leaks, no fd is closed twice (a
 * closed fd number may already belong to another socket).
 *
 * <h2>Direction locks</h2>
 * Reads (and accepts) are serialised by {@link #rmu}, writes (and the connect) by {@link #wmu}
 * (Go's fdMutex rwlock): a semaphore of a pollDesc holds one waiter, and a write must go out
 * whole without interleaving with another. They are goroutine mutexes ({@link Mutex}): a
 * goroutine that waits for one parks, a plain thread blocks. A waiter for a lock at close time
 * gets the lock when the woken holder leaves, and then fails on the closing check.
 *
 * <h2>Owners dropped without close</h2>
 * The user-facing owner ({@link Conn}, {@link Listener}) registers with {@link #CLEANER}
 * ({@link #closeWhenUnreachable}); once the owner is phantom reachable the cleaner thread calls
 * {@link #close()}, Go's {@code runtime.SetFinalizer(fd, (*netFD).Close)} and NIO's Cleaner. It
 * goes through the same state word as every other close, so the fd number is closed exactly
 * once even if it races with an explicit close, and never after the kernel reused it. For the
 * owner to become unreachable, nothing the runtime keeps may point back at it:
 * <pre>
 *  poller table / selector key -> PollDesc -> Sock          (no NetFd, no owner)
 *  cleaner -> close action -> NetFd -> Sock, PollDesc, locks  (no owner)
 *  owner -> NetFd
 * </pre>
 * A goroutine blocked in a call on the owner is reachable from its PollDesc (rg/wg) or lock,
 * and its frame keeps the owner reachable: the owner's methods end with
 * {@code Reference.reachabilityFence(this)} (Go's {@code runtime.KeepAlive(fd)}), or a
 * compiled frame might drop {@code this} while the call is parked.
 */
final class NetFd {

    /** Closes the NetFds of owners dropped without close (see the class comment). One daemon thread. */
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().name("goloom-netpoll-cleaner").daemon().factory());

    private static final long CLOSED = 1;
    private static final long REF = 2;

    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(NetFd.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Sock sock;
    final PollDesc pd;
    /** The state word above. Atomic via STATE. */
    @SuppressWarnings("unused")
    private volatile long state;
    private final Mutex rmu = new Mutex();
    private final Mutex wmu = new Mutex();
    /**
     * The last read proved the receive queue empty ({@link Sock#lastReadDrained()}): the next
     * read waits for readiness first instead of trying a recv that would fail with EAGAIN (one
     * system call less per request/response round trip). Guarded by {@link #rmu}.
     */
    private boolean readDrained;
    /** closeWrite was called: later writes fail (EPIPE would otherwise read as a peer reset). */
    private volatile boolean writeShut;

    private NetFd(Sock sock, Poller poller) {
        this.sock = sock;
        this.pd = new PollDesc(sock, poller);
    }

    /** Registers {@code sock} with {@code poller}; closes the socket if that fails. */
    static NetFd open(Sock sock, Poller poller) throws IOException {
        NetFd fd = new NetFd(sock, poller);
        try {
            poller.open(fd.pd);
        } catch (IOException | RuntimeException | Error e) {
            sock.close();
            throw e;
        }
        return fd;
    }

    // =====================================================================================
    // References

    private void incref() throws NetClosedException {
        for (;;) {
            long s = state;
            if ((s & CLOSED) != 0) {
                throw new NetClosedException();
            }
            if (STATE.compareAndSet(this, s, s + REF)) {
                return;
            }
        }
    }

    private void decref() {
        long s = (long) STATE.getAndAdd(this, -REF) - REF;
        if (s == CLOSED) {
            destroy(); // closed and we were the last: nobody can incref again
        } else if (s < 0) {
            throw new IllegalStateException("goloom: netpoll: negative reference count on " + pd);
        }
    }

    private void destroy() {
        try {
            pd.poller.close(pd); // Go's pollClose: deregister, then close(2)
        } finally {
            sock.close();
        }
    }

    private void readLock() throws NetClosedException {
        incref();
        rmu.lock();
    }

    private void readUnlock() {
        rmu.unlock();
        decref();
    }

    private void writeLock() throws NetClosedException {
        incref();
        wmu.lock();
    }

    private void writeUnlock() {
        wmu.unlock();
        decref();
    }

    /** Go's FD.Close: returns false if already closed. Wakes blocked operations with NetClosedException. */
    boolean close() {
        for (;;) {
            long s = state;
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (STATE.compareAndSet(this, s, (s | CLOSED) + REF)) {
                break;
            }
        }
        pd.evict();
        decref();
        return true;
    }

    /**
     * Closes this fd once {@code owner} is unreachable, unless closed before. The owner's
     * close() calls {@link #close()} and then {@code clean()} on the result, which deregisters
     * it (its second close returns false). The action holds this NetFd, never the owner.
     */
    Cleaner.Cleanable closeWhenUnreachable(Object owner) {
        return CLEANER.register(owner, this::close);
    }

    boolean isClosed() {
        return (state & CLOSED) != 0;
    }

    // =====================================================================================
    // Operations

    int read(byte[] a, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, a.length);
        readLock();
        try {
            if (len == 0) {
                return 0;
            }
            startRead();
            for (;;) {
                int n = sock.read(a, off, len);
                if (n != Sock.AGAIN) {
                    readDrained = n > 0 && sock.lastReadDrained();
                    return n;
                }
                pd.waitFor(Poller.READ);
            }
        } finally {
            readUnlock();
        }
    }

    int read(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) {
            // Refused before anything else, as NIO does: a read that waited first would fail
            // only once data or the deadline came.
            throw new IllegalArgumentException("goloom: netpoll: read into a read-only ByteBuffer");
        }
        readLock();
        try {
            if (!dst.hasRemaining()) {
                return 0;
            }
            startRead();
            for (;;) {
                int n = sock.read(dst);
                if (n != Sock.AGAIN) {
                    readDrained = n > 0 && sock.lastReadDrained();
                    return n;
                }
                pd.waitFor(Poller.READ);
            }
        } finally {
            readUnlock();
        }
    }

    /**
     * The start of a read (under rmu). Normally Go's pollReset: drop a stale readiness report
     * (the recv that follows sees what it announced). After a draining short read, keep it and
     * wait for one instead: a report pending now came after that read (or is a spurious one for
     * bytes it already took, which costs the EAGAIN we would have paid anyway). Not once the
     * peer's FIN or an error was reported: those stay readable with no new edge.
     */
    private void startRead() throws IOException {
        if (readDrained && !pd.readEnded()) {
            readDrained = false; // cleared first: a deadline or close thrown below must not leave it set
            pd.waitFor(Poller.READ);
        } else {
            readDrained = false;
            pd.prepare(Poller.READ);
        }
    }

    void write(byte[] a, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, a.length);
        writeLock();
        int done = 0;
        try {
            checkWrite();
            pd.prepare(Poller.WRITE);
            while (done < len) {
                int n = sock.write(a, off + done, len - done);
                if (n == Sock.AGAIN) {
                    pd.waitFor(Poller.WRITE); // a partial write: park until the peer drains
                } else {
                    done += n;
                }
            }
        } catch (DeadlineExceededException e) {
            e.bytesTransferred = done;
            throw e;
        } finally {
            writeUnlock();
        }
    }

    void write(ByteBuffer src) throws IOException {
        writeLock();
        int start = src.position();
        try {
            checkWrite();
            pd.prepare(Poller.WRITE);
            while (src.hasRemaining()) {
                if (sock.write(src) == Sock.AGAIN) {
                    pd.waitFor(Poller.WRITE);
                }
            }
        } catch (DeadlineExceededException e) {
            e.bytesTransferred = src.position() - start;
            throw e;
        } finally {
            writeUnlock();
        }
    }

    private void checkWrite() throws SocketException {
        if (writeShut) {
            throw new SocketException("write after closeWrite");
        }
    }

    /** Accepts the next connection, registered with the same poller. */
    NetFd accept() throws IOException {
        readLock();
        try {
            pd.prepare(Poller.READ);
            for (;;) {
                Sock s = sock.accept();
                if (s != null) {
                    NetFd c = open(s, pd.poller);
                    try {
                        s.setNoDelay(true); // Go's default for TCP
                    } catch (IOException e) {
                        c.close();
                        throw e;
                    }
                    return c;
                }
                pd.waitFor(Poller.READ);
            }
        } finally {
            readUnlock();
        }
    }

    /** Finishes a connect started by the backend; {@code deadline} as Netpoll.deadlineIn (0: none). */
    /**
     * Waits for the connect to complete. {@code onConnecting} (may be null) gets the abort: a
     * past write deadline, set after this method's own deadline, so it wins over it; run before
     * the wait it fails the first wait at once, run during it wakes the waiter (PollDesc).
     */
    void finishConnect(long deadline, java.util.function.Consumer<Runnable> onConnecting) throws IOException {
        writeLock();
        try {
            if (deadline != 0) {
                pd.setDeadline(deadline, false, true);
            }
            if (onConnecting != null) {
                onConnecting.accept(() -> {
                    try {
                        setDeadline(-1, false, true);
                    } catch (NetClosedException closed) {
                        // the dial failed and closed the socket already: nothing to abort
                    }
                });
            }
            pd.prepare(Poller.WRITE);
            while (!sock.finishConnect()) {
                pd.waitFor(Poller.WRITE);
            }
            if (deadline != 0) {
                pd.setDeadline(0, false, true);
            }
            sock.setNoDelay(true);
        } finally {
            writeUnlock();
        }
    }

    void closeWrite() throws IOException {
        incref();
        try {
            writeShut = true;
            sock.shutdownOutput();
        } finally {
            decref();
        }
    }

    /** Runs a query that needs the socket open (addresses). */
    <T> T query(IoQuery<T> q) throws IOException {
        incref();
        try {
            return q.get(sock);
        } finally {
            decref();
        }
    }

    void setDeadline(long d, boolean read, boolean write) throws NetClosedException {
        incref();
        try {
            pd.setDeadline(d, read, write);
        } finally {
            decref();
        }
    }

    @FunctionalInterface
    interface IoQuery<T> {
        T get(Sock s) throws IOException;
    }

    @Override
    public String toString() {
        return pd.toString();
    }
}
