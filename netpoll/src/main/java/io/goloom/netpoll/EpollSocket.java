package io.goloom.netpoll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;

/**
 * A Linux TCP socket driven by direct system calls through FFM (the epoll backend's
 * {@link Sock}). Why not JDK NIO channels: their fd is not reachable without
 * {@code --add-exports java.base/sun.nio.ch}, and their read and write paths take
 * {@code ReentrantLock}s, which goroutine code must not use (a compiled goroutine frame may
 * hold a stale {@code Thread.currentThread()} after migrating; see {@code Carrier}). Here a read
 * is one {@code recv(2)} and a copy, with no lock, no allocation and no JDK-internal class.
 *
 * <h2>Native memory</h2>
 * Each socket mallocs one small control block, and lazily one read and one write buffer of
 * {@link #BUF} bytes; all are freed by {@link #close()}. The control block holds an errno
 * capture area and a scratch area per side, so the read side (read, accept) and the write side
 * (write, finishConnect), which {@link NetFd} serialises separately, never share memory:
 * <pre>
 *  offset  size  use                                       owner
 *  0       16    errno capture, read side                  the reader (NetFd read lock)
 *  16      16    errno capture, write side                 the writer (NetFd write lock)
 *  32      16    errno capture, misc calls                 synchronized (this)
 *  48      16    epoll_event for epoll_ctl                 synchronized (this)
 *  64      64    scratch, read side (unused)               the reader
 *  128     64    scratch, write side (SO_ERROR, peername)  the writer
 *  192     64    scratch, misc (sockaddr, sockopt values)  synchronized (this)
 * </pre>
 * Heap arrays are copied through the side's buffer (one copy, as NIO does for heap buffers);
 * direct ByteBuffers are passed to the kernel in place, as their {@link MemorySegment} and not
 * as a bare address: the downcall checks that the buffer's arena is alive and keeps it alive
 * until recv/send returns (see {@link Libc}). A buffer of a closed arena, including one closed
 * while a read waited for readiness (each retry after a wait derives the segment again), fails
 * with IllegalStateException, as NIO's; the kernel never writes into freed memory.
 */
final class EpollSocket extends Sock {

    /** Bytes per read or write system call for heap arrays: large enough that an 8 MB write takes 256 calls. */
    static final int BUF = 32 * 1024;

    static final long RCAP = 0;
    static final long WCAP = 16;
    static final long MCAP = 32;
    static final long EVT = 48;
    static final long WSCR = 128;
    static final long MSCR = 192;
    static final long CTL_SIZE = 256;

    static {
        if (Libc.CAPTURE_SIZE > 16) {
            throw new ExceptionInInitializerError("goloom: netpoll: errno capture area of " + Libc.CAPTURE_SIZE + " bytes > 16");
        }
    }

    /** Immutable. The file descriptor; closed by {@link #close()}. */
    final int fd;
    /** Immutable. AF_INET or AF_INET6. */
    private final int family;
    /** Immutable. The control block (see the class comment). */
    final MemorySegment ctl;
    private final MemorySegment rcap;
    private final MemorySegment wcap;
    final MemorySegment mcap;
    /** Read side only. Lazily malloc'd. */
    private MemorySegment rbuf;
    /** Write side only. Lazily malloc'd. */
    private MemorySegment wbuf;
    /** Cached once known (immutable for a bound or connected socket). */
    private volatile InetSocketAddress local;
    private volatile InetSocketAddress remote;
    /** Written by close() (once, after every other call). */
    private boolean closed;

    private EpollSocket(int fd, int family, MemorySegment ctl) {
        this.fd = fd;
        this.family = family;
        this.ctl = ctl;
        this.rcap = ctl.asSlice(RCAP, Libc.CAPTURE_SIZE);
        this.wcap = ctl.asSlice(WCAP, Libc.CAPTURE_SIZE);
        this.mcap = ctl.asSlice(MCAP, Libc.CAPTURE_SIZE);
    }

    // =====================================================================================
    // Creation

    /** socket(2), non-blocking and close-on-exec, into a fresh control block. */
    private static EpollSocket open(int family) throws IOException {
        MemorySegment ctl = Libc.malloc(CTL_SIZE);
        int fd;
        try {
            fd = (int) Libc.SOCKET.invokeExact(ctl.asSlice(MCAP, Libc.CAPTURE_SIZE), family,
                    Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        } catch (Throwable t) {
            Libc.free(ctl);
            throw rethrow(t);
        }
        if (fd < 0) {
            int e = Libc.errno(ctl.asSlice(MCAP, Libc.CAPTURE_SIZE));
            Libc.free(ctl);
            throw error(e, "socket");
        }
        return new EpollSocket(fd, family, ctl);
    }

    static EpollSocket listen(InetSocketAddress local, int backlog) throws IOException {
        EpollSocket s = open(familyOf(local));
        try {
            synchronized (s) {
                s.setIntOpt(Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
                int len = putSockaddr(s.ctl, MSCR, local);
                int r = (int) Libc.BIND.invokeExact(s.mcap, s.fd, s.ctl.address() + MSCR, len);
                if (r < 0) {
                    throw error(Libc.errno(s.mcap), "bind " + local);
                }
                r = (int) Libc.LISTEN.invokeExact(s.mcap, s.fd, backlog);
                if (r < 0) {
                    throw error(Libc.errno(s.mcap), "listen " + local);
                }
            }
            return s;
        } catch (Throwable t) {
            s.close();
            throw rethrow(t);
        }
    }

    static EpollSocket connect(InetSocketAddress remote) throws IOException {
        EpollSocket s = open(familyOf(remote));
        try {
            synchronized (s) {
                int len = putSockaddr(s.ctl, MSCR, remote);
                int r = (int) Libc.CONNECT.invokeExact(s.mcap, s.fd, s.ctl.address() + MSCR, len);
                if (r < 0) {
                    int e = Libc.errno(s.mcap);
                    // EINTR: the connect goes on asynchronously, as EINPROGRESS (Go does the same).
                    if (e != Libc.EINPROGRESS && e != Libc.EINTR && e != Libc.EAGAIN) {
                        throw connectError(e, remote);
                    }
                }
            }
            return s;
        } catch (Throwable t) {
            s.close();
            throw rethrow(t);
        }
    }

    // =====================================================================================
    // Read side

    private MemorySegment rbuf() {
        MemorySegment b = rbuf;
        if (b == null) {
            b = Libc.malloc(BUF);
            rbuf = b;
        }
        return b;
    }

    @Override
    int read(byte[] a, int off, int len) throws IOException {
        MemorySegment b = rbuf();
        int n = recv(null, b.address(), Math.min(len, BUF));
        if (n > 0) {
            MemorySegment.copy(b, JAVA_BYTE, 0, a, off, n);
        }
        return n;
    }

    @Override
    int read(ByteBuffer dst) throws IOException {
        int pos = dst.position();
        int rem = dst.limit() - pos;
        int n;
        if (dst.isDirect()) {
            n = recv(MemorySegment.ofBuffer(dst), 0, rem); // the segment, not its address: see the class comment
        } else {
            n = read(dst.array(), dst.arrayOffset() + pos, rem);
        }
        if (n > 0) {
            dst.position(pos + n);
        }
        return n;
    }

    /** The last recv returned fewer bytes than it asked for. Reader only (under NetFd's read lock). */
    private boolean lastReadShort;

    @Override
    boolean lastReadDrained() {
        return lastReadShort; // see Sock: a short TCP recv emptied the queue; EPOLLET reports what comes next
    }

    /**
     * recv(2) into native memory: bytes, EOF or AGAIN. Into {@code seg} (a caller's direct
     * buffer, liveness-checked by the call) or, when it is null, into {@code addr} (this
     * socket's own buffer).
     */
    private int recv(MemorySegment seg, long addr, int len) throws IOException {
        for (;;) {
            long n;
            try {
                n = seg == null
                        ? (long) Libc.RECV.invokeExact(rcap, fd, addr, (long) len, 0)
                        : (long) Libc.RECV_SEG.invokeExact(rcap, fd, seg, (long) len, 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (n > 0) {
                lastReadShort = n < len;
                return (int) n;
            }
            if (n == 0) {
                return EOF;
            }
            int e = Libc.errno(rcap);
            if (e == Libc.EAGAIN) {
                return AGAIN;
            }
            if (e != Libc.EINTR) {
                throw error(e, "read");
            }
        }
    }

    @Override
    Sock accept() throws IOException {
        for (;;) {
            int nfd;
            try {
                nfd = (int) Libc.ACCEPT4.invokeExact(rcap, fd, 0L, 0L, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (nfd >= 0) {
                MemorySegment c;
                try {
                    c = Libc.malloc(CTL_SIZE);
                } catch (OutOfMemoryError oom) {
                    Libc.close(nfd);
                    throw oom;
                }
                return new EpollSocket(nfd, family, c);
            }
            int e = Libc.errno(rcap);
            if (e == Libc.EAGAIN) {
                return null;
            }
            // A connection that was reset while queued, or a signal: try the next one (Go does).
            if (e != Libc.ECONNABORTED && e != Libc.EINTR) {
                throw error(e, "accept");
            }
        }
    }

    // =====================================================================================
    // Write side

    private MemorySegment wbuf() {
        MemorySegment b = wbuf;
        if (b == null) {
            b = Libc.malloc(BUF);
            wbuf = b;
        }
        return b;
    }

    @Override
    int write(byte[] a, int off, int len) throws IOException {
        MemorySegment b = wbuf();
        int n = Math.min(len, BUF);
        MemorySegment.copy(a, off, b, JAVA_BYTE, 0, n);
        return send(null, b.address(), n);
    }

    @Override
    int write(ByteBuffer src) throws IOException {
        int pos = src.position();
        int rem = src.limit() - pos;
        int n;
        if (src.isDirect()) {
            n = send(MemorySegment.ofBuffer(src), 0, rem); // the segment, not its address: see the class comment
        } else if (src.hasArray()) {
            n = write(src.array(), src.arrayOffset() + pos, rem);
        } else {
            // A read-only heap buffer: copy through the write buffer.
            MemorySegment b = wbuf();
            int c = Math.min(rem, BUF);
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, b, 0, c);
            n = send(null, b.address(), c);
        }
        if (n > 0) {
            src.position(pos + n);
        }
        return n;
    }

    /** send(2) with MSG_NOSIGNAL: bytes written or AGAIN. From {@code seg} or {@code addr}, as {@link #recv}. */
    private int send(MemorySegment seg, long addr, int len) throws IOException {
        for (;;) {
            long n;
            try {
                n = seg == null
                        ? (long) Libc.SEND.invokeExact(wcap, fd, addr, (long) len, Libc.MSG_NOSIGNAL)
                        : (long) Libc.SEND_SEG.invokeExact(wcap, fd, seg, (long) len, Libc.MSG_NOSIGNAL);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (n >= 0) {
                return (int) n;
            }
            int e = Libc.errno(wcap);
            if (e == Libc.EAGAIN) {
                return AGAIN;
            }
            if (e != Libc.EINTR) {
                throw error(e, "write");
            }
        }
    }

    @Override
    boolean finishConnect() throws IOException {
        int soError;
        try {
            ctl.set(JAVA_INT, WSCR + 4, 4);
            int r = (int) Libc.GETSOCKOPT.invokeExact(wcap, fd, Libc.SOL_SOCKET, Libc.SO_ERROR,
                    ctl.address() + WSCR, ctl.address() + WSCR + 4);
            if (r < 0) {
                throw error(Libc.errno(wcap), "getsockopt");
            }
            soError = ctl.get(JAVA_INT, WSCR);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        switch (soError) {
            case Libc.EINPROGRESS, Libc.EALREADY, Libc.EINTR -> {
                return false;
            }
            case Libc.EISCONN -> {
                return true;
            }
            case 0 -> {
                // No error yet may also mean "not done yet": connected iff the peer has a name.
                try {
                    ctl.set(JAVA_INT, WSCR + 32, Libc.SOCKADDR_MAX);
                    int r = (int) Libc.GETPEERNAME.invokeExact(wcap, fd, ctl.address() + WSCR, ctl.address() + WSCR + 32);
                    if (r == 0) {
                        remote = getSockaddr(ctl, WSCR);
                        return true;
                    }
                    int e = Libc.errno(wcap);
                    if (e == Libc.ENOTCONN) {
                        return false;
                    }
                    throw error(e, "getpeername");
                } catch (Throwable t) {
                    throw rethrow(t);
                }
            }
            default -> throw connectError(soError, null);
        }
    }

    // =====================================================================================
    // Misc (synchronized: they share the misc area)

    @Override
    synchronized void shutdownOutput() throws IOException {
        try {
            int r = (int) Libc.SHUTDOWN.invokeExact(mcap, fd, Libc.SHUT_WR);
            if (r < 0) {
                throw error(Libc.errno(mcap), "shutdown");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    synchronized void setNoDelay(boolean on) throws IOException {
        setIntOpt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY, on ? 1 : 0);
    }

    private void setIntOpt(int level, int opt, int value) throws IOException {
        ctl.set(JAVA_INT, MSCR + 60, value);
        try {
            int r = (int) Libc.SETSOCKOPT.invokeExact(mcap, fd, level, opt, ctl.address() + MSCR + 60, 4);
            if (r < 0) {
                throw error(Libc.errno(mcap), "setsockopt");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    InetSocketAddress localAddress() throws IOException {
        InetSocketAddress a = local;
        if (a == null) {
            a = name(Libc.GETSOCKNAME, "getsockname");
            local = a;
        }
        return a;
    }

    @Override
    InetSocketAddress remoteAddress() throws IOException {
        InetSocketAddress a = remote;
        if (a == null) {
            a = name(Libc.GETPEERNAME, "getpeername");
            remote = a;
        }
        return a;
    }

    private synchronized InetSocketAddress name(java.lang.invoke.MethodHandle call, String what) throws IOException {
        try {
            ctl.set(JAVA_INT, MSCR + 32, Libc.SOCKADDR_MAX);
            int r = (int) call.invokeExact(mcap, fd, ctl.address() + MSCR, ctl.address() + MSCR + 32);
            if (r < 0) {
                throw error(Libc.errno(mcap), what);
            }
            return getSockaddr(ctl, MSCR);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    synchronized void close() {
        if (closed) {
            throw new IllegalStateException("goloom: netpoll: double close of fd " + fd);
        }
        closed = true;
        Libc.close(fd);
        if (rbuf != null) {
            Libc.free(rbuf);
        }
        if (wbuf != null) {
            Libc.free(wbuf);
        }
        Libc.free(ctl);
    }

    @Override
    public String toString() {
        return "fd " + fd;
    }

    // =====================================================================================
    // sockaddr and errors

    private static int familyOf(InetSocketAddress a) throws IOException {
        InetAddress ia = a.getAddress();
        if (ia == null) {
            throw new java.net.UnknownHostException(a.getHostString());
        }
        return ia instanceof Inet4Address ? Libc.AF_INET : Libc.AF_INET6;
    }

    /** Writes {@code a} as a sockaddr_in or sockaddr_in6 at {@code off}; returns its length. */
    static int putSockaddr(MemorySegment m, long off, InetSocketAddress a) throws IOException {
        InetAddress ia = a.getAddress();
        if (ia == null) {
            throw new java.net.UnknownHostException(a.getHostString());
        }
        int port = a.getPort();
        byte[] addr = ia.getAddress();
        m.asSlice(off, Libc.SOCKADDR_MAX).fill((byte) 0);
        m.set(JAVA_SHORT, off, (short) (ia instanceof Inet4Address ? Libc.AF_INET : Libc.AF_INET6));
        m.set(JAVA_BYTE, off + 2, (byte) (port >>> 8));
        m.set(JAVA_BYTE, off + 3, (byte) port);
        if (ia instanceof Inet4Address) {
            MemorySegment.copy(addr, 0, m, JAVA_BYTE, off + 4, 4);
            return Libc.SOCKADDR_IN_SIZE;
        }
        MemorySegment.copy(addr, 0, m, JAVA_BYTE, off + 8, 16);
        m.set(JAVA_INT, off + 24, ((Inet6Address) ia).getScopeId());
        return Libc.SOCKADDR_IN6_SIZE;
    }

    static InetSocketAddress getSockaddr(MemorySegment m, long off) throws IOException {
        int fam = m.get(JAVA_SHORT, off);
        int port = (m.get(JAVA_BYTE, off + 2) & 0xff) << 8 | (m.get(JAVA_BYTE, off + 3) & 0xff);
        byte[] addr;
        if (fam == Libc.AF_INET) {
            addr = new byte[4];
            MemorySegment.copy(m, JAVA_BYTE, off + 4, addr, 0, 4);
        } else if (fam == Libc.AF_INET6) {
            addr = new byte[16];
            MemorySegment.copy(m, JAVA_BYTE, off + 8, addr, 0, 16);
        } else {
            throw new SocketException("unexpected address family " + fam);
        }
        return new InetSocketAddress(InetAddress.getByAddress(addr), port);
    }

    /** The typed exception for a failed system call. */
    static IOException error(int errno, String op) {
        return switch (errno) {
            case Libc.ECONNRESET -> new ConnectionResetException("connection reset by peer");
            case Libc.EPIPE -> new ConnectionResetException("broken pipe: the peer closed the connection");
            case Libc.ECONNREFUSED -> new ConnectException("connection refused");
            default -> new SocketException(op + ": " + Libc.strerror(errno));
        };
    }

    private static IOException connectError(int errno, InetSocketAddress remote) {
        String to = remote == null ? "" : " (" + remote + ")";
        return switch (errno) {
            case Libc.ECONNREFUSED -> new ConnectException("connection refused" + to);
            case Libc.ETIMEDOUT -> new ConnectException("connection timed out" + to);
            case Libc.EHOSTUNREACH, Libc.ENETUNREACH -> new java.net.NoRouteToHostException(Libc.strerror(errno) + to);
            default -> error(errno, "connect" + to);
        };
    }

    /** invokeExact declares Throwable: pass IOExceptions and unchecked ones through. */
    static IOException rethrow(Throwable t) {
        if (t instanceof IOException e) {
            return e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new AssertionError(t);
    }
}
