package io.goloom.netpoll;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;

/**
 * A TCP connection (Go's {@code net.TCPConn}). Blocking calls park the calling goroutine (its
 * carrier runs other goroutines meanwhile); called from a plain thread they block the thread.
 * One goroutine may read while another writes; concurrent reads (or writes) are serialised.
 *
 * <h2>Errors</h2>
 * <ul>
 *   <li>{@code read} returns -1 at end of stream (the peer closed or called closeWrite).</li>
 *   <li>{@link ConnectionResetException}: the peer reset the connection (permanent).</li>
 *   <li>{@link NetClosedException}: this Conn was closed, before the call or while it was
 *       blocked (permanent).</li>
 *   <li>{@link DeadlineExceededException}: the deadline of that direction passed (transient:
 *       the connection stays usable once the deadline is moved or cleared).</li>
 * </ul>
 * A Conn must be closed; close is idempotent and never blocks. The socket is released when the
 * last call running on it returns. A Conn that becomes unreachable unclosed is closed by a
 * Cleaner (Go's finalizer on netFD), which releases its fd and native memory some time after a
 * GC: a safety net, not a substitute for close. The calls that may block end with
 * {@code Reference.reachabilityFence(this)} (Go's {@code runtime.KeepAlive}): a Conn is never
 * found unreachable while one of its calls runs (see NetFd, "Owners dropped without close").
 */
public final class Conn implements AutoCloseable {

    final NetFd fd;
    /** Closes {@link #fd} if this Conn is dropped unclosed; deregistered by {@link #close()}. */
    private final Cleaner.Cleanable cleanable;

    Conn(NetFd fd) {
        this.fd = fd;
        this.cleanable = fd.closeWhenUnreachable(this);
    }

    /** Reads at least one byte into {@code b}; returns the count, 0 if {@code b} is empty, or -1 at end of stream. */
    public int read(byte[] b) throws IOException {
        try {
            return fd.read(b, 0, b.length);
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Reads at least one byte into {@code b[off, off+len)}; returns the count, 0 if len is 0, or -1 at end of stream. */
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return fd.read(b, off, len);
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Reads at least one byte into {@code dst} (advancing its position); returns the count, 0 if it has no room, or -1 at end of stream. */
    public int read(ByteBuffer dst) throws IOException {
        try {
            return fd.read(dst);
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Reads exactly {@code len} bytes; throws {@link java.io.EOFException} if the stream ends first. */
    public void readFully(byte[] b, int off, int len) throws IOException {
        try {
            while (len > 0) {
                int n = fd.read(b, off, len);
                if (n < 0) {
                    throw new java.io.EOFException("end of stream with " + len + " bytes left to read");
                }
                off += n;
                len -= n;
            }
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Writes all of {@code b}. A partial write parks until the peer has drained enough. */
    public void write(byte[] b) throws IOException {
        try {
            fd.write(b, 0, b.length);
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Writes all of {@code b[off, off+len)}. */
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            fd.write(b, off, len);
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Writes all remaining bytes of {@code src} (advancing its position). */
    public void write(ByteBuffer src) throws IOException {
        try {
            fd.write(src);
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Half-close (Go's CloseWrite): the peer reads end of stream; this side can still read. */
    public void closeWrite() throws IOException {
        try {
            fd.closeWrite();
        } finally {
            Reference.reachabilityFence(this); // see the class comment
        }
    }

    /** Closes the connection and wakes calls blocked on it with {@link NetClosedException}. Idempotent. */
    @Override
    public void close() {
        fd.close(); // first: isClosed() holds when any close() returns
        cleanable.clean(); // deregisters; its own fd.close() finds the fd closed
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    public InetSocketAddress localAddress() throws IOException {
        return fd.query(Sock::localAddress);
    }

    public InetSocketAddress remoteAddress() throws IOException {
        return fd.query(Sock::remoteAddress);
    }

    // ---- deadlines (Go's SetDeadline family): absolute instants; null clears ----

    /** Sets the read and the write deadline. See {@link #setReadDeadline(Instant)}. */
    public void setDeadline(Instant t) throws IOException {
        fd.setDeadline(toDeadline(t), true, true);
    }

    /**
     * Sets the read deadline: a pending read and every later one fail with
     * {@link DeadlineExceededException} once {@code t} has passed, until the deadline is moved
     * (a later instant, or null for none). An instant in the past fails them at once.
     */
    public void setReadDeadline(Instant t) throws IOException {
        fd.setDeadline(toDeadline(t), true, false);
    }

    /** Sets the write deadline, as {@link #setReadDeadline(Instant)} for writes. */
    public void setWriteDeadline(Instant t) throws IOException {
        fd.setDeadline(toDeadline(t), false, true);
    }

    /** {@link #setDeadline(Instant)} at {@code d} from now (null clears). */
    public void setDeadline(Duration d) throws IOException {
        fd.setDeadline(toDeadline(d), true, true);
    }

    /** {@link #setReadDeadline(Instant)} at {@code d} from now (null clears). */
    public void setReadDeadline(Duration d) throws IOException {
        fd.setDeadline(toDeadline(d), true, false);
    }

    /** {@link #setWriteDeadline(Instant)} at {@code d} from now (null clears). */
    public void setWriteDeadline(Duration d) throws IOException {
        fd.setDeadline(toDeadline(d), false, true);
    }

    static long toDeadline(Instant t) {
        if (t == null) {
            return 0;
        }
        return toDeadline(Duration.between(Instant.now(), t));
    }

    static long toDeadline(Duration d) {
        if (d == null) {
            return 0;
        }
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException overflow) {
            nanos = d.isNegative() ? -1 : Long.MAX_VALUE;
        }
        return Netpoll.deadlineIn(nanos);
    }

    @Override
    public String toString() {
        return "Conn[" + fd.sock + (fd.isClosed() ? ", closed" : "") + "]";
    }
}
