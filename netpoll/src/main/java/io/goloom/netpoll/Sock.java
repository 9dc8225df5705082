package io.goloom.netpoll;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A non-blocking OS socket as a {@link Poller} backend opens it: the raw operations, without
 * waiting, locking or reference counting (those are {@link NetFd}'s). Every operation returns at
 * once; {@link #AGAIN} means "would block" (EAGAIN): wait for readiness and retry.
 *
 * <p>Threads: {@link NetFd} serialises the read side (read, accept) and the write side (write,
 * connect) separately, so a subclass may keep one scratch area per side; the other methods may
 * run concurrently with both. {@link #close} runs exactly once, after every other call returned.
 */
abstract class Sock {

    /** End of stream: the peer closed its side. */
    static final int EOF = -1;
    /** The operation would block (EAGAIN / EWOULDBLOCK); nothing was transferred. */
    static final int AGAIN = -2;

    /** Reads into {@code a[off, off+len)}, len > 0. Returns bytes read (> 0), {@link #EOF} or {@link #AGAIN}. */
    abstract int read(byte[] a, int off, int len) throws IOException;

    /** Reads into {@code dst} (writable, remaining > 0), advancing its position. Same results as {@link #read(byte[], int, int)}. */
    abstract int read(ByteBuffer dst) throws IOException;

    /**
     * Does the last successful read prove the receive queue empty, with every later arrival
     * bound to produce a new readiness report from this socket's poller? Then the next read may
     * wait for that report instead of trying its system call first. epoll with EPOLLET
     * ({@link EpollSocket}): a TCP recv that returned fewer bytes than it asked for (not fewer
     * than the caller asked: a read may ask less, one bounce buffer's worth) took all that was
     * queued, and each arrival calls the socket's data-ready callback, which queues an edge
     * (mio/Tokio clear readiness on a short read for the same reason). Backends with emulated
     * edges answer false. Reader only (the caller holds the read lock).
     */
    boolean lastReadDrained() {
        return false;
    }

    /** Writes from {@code a[off, off+len)}, len > 0. Returns bytes written (> 0; may be partial) or {@link #AGAIN}. */
    abstract int write(byte[] a, int off, int len) throws IOException;

    /** Writes from {@code src} (remaining > 0), advancing its position. Same results as {@link #write(byte[], int, int)}. */
    abstract int write(ByteBuffer src) throws IOException;

    /** A listening socket: the next connection (not yet registered with the poller), or null for {@link #AGAIN}. */
    abstract Sock accept() throws IOException;

    /**
     * A connecting socket after write readiness: true once connected, false if the connect is
     * still in progress (a spurious wake-up). Throws {@link java.net.ConnectException} (or
     * another IOException) if the connect failed.
     */
    abstract boolean finishConnect() throws IOException;

    /** Half-close: shutdown(SHUT_WR). The peer reads EOF; this side can still read. */
    abstract void shutdownOutput() throws IOException;

    /** TCP_NODELAY. */
    abstract void setNoDelay(boolean on) throws IOException;

    abstract InetSocketAddress localAddress() throws IOException;

    abstract InetSocketAddress remoteAddress() throws IOException;

    /** Releases the OS socket. Called once, after the poller's close and every other call. */
    abstract void close();
}
