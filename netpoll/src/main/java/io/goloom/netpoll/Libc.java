package io.goloom.netpoll;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The Linux system calls the epoll backend makes, bound through the FFM API (no JNI, no
 * JDK-internal class, so no {@code --add-exports}). Only {@link EpollPoller} and
 * {@link EpollSocket} use it; loading this class on another OS fails, and {@link Netpoll} then
 * falls back to the Selector backend.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Pointers are passed as {@code long} addresses (declared {@code JAVA_LONG}: on the 64-bit
 *       ABIs goloom supports a pointer and a long travel in the same register), so a call
 *       allocates no {@link MemorySegment} wrapper. The caller owns the memory (malloc'd, see
 *       {@link #malloc}) and keeps it alive across the call.</li>
 *   <li>Except for memory the caller does not own: a direct {@code ByteBuffer} passed to
 *       {@link #RECV_SEG} or {@link #SEND_SEG} goes as its {@link MemorySegment} (declared
 *       {@code ADDRESS}). The linker then checks the segment's arena is alive and keeps it alive
 *       for the call (an {@code Arena.close()} meanwhile fails), and a closed one throws
 *       {@link IllegalStateException}, as NIO does; a raw address would let the kernel write
 *       into freed memory.</li>
 *   <li>Calls whose failure matters capture errno ({@link Linker.Option#captureCallState}) into a
 *       segment the caller passes first; read it with {@link #errno}. Each socket keeps one such
 *       segment per side, so the read and write hot paths allocate nothing.</li>
 *   <li>The constants below are the generic Linux ABI values, the same on x86-64 and AArch64
 *       (the only difference goloom meets, the {@code epoll_event} layout, is in EpollPoller).</li>
 * </ul>
 * Restricted FFM methods print a one-time warning unless the JVM runs with
 * {@code --enable-native-access=ALL-UNNAMED}; they work either way on JDK 25.
 */
@SuppressWarnings("restricted") // FFM downcalls and reinterpret: the point of this class
final class Libc {
    private Libc() {
    }

    // ---- errno values (asm-generic/errno-base.h, errno.h) ----
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EMFILE = 24;
    static final int ENFILE = 23;
    static final int EPIPE = 32;
    static final int ENOSYS = 38;
    static final int EADDRINUSE = 98;
    static final int EADDRNOTAVAIL = 99;
    static final int ENETUNREACH = 101;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;
    static final int EISCONN = 106;
    static final int ENOTCONN = 107;
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int EHOSTUNREACH = 113;
    static final int EALREADY = 114;
    static final int EINPROGRESS = 115;

    // ---- sockets (bits/socket.h, netinet/in.h, netinet/tcp.h) ----
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_ERROR = 4;
    static final int IPPROTO_TCP = 6;
    static final int TCP_NODELAY = 1;
    static final int SHUT_WR = 1;
    /** send(2) flag: EPIPE instead of SIGPIPE on a closed peer. */
    static final int MSG_NOSIGNAL = 0x4000;
    static final int SOCKADDR_IN_SIZE = 16;
    static final int SOCKADDR_IN6_SIZE = 28;
    /** Large enough for either sockaddr. */
    static final int SOCKADDR_MAX = 28;

    // ---- epoll and eventfd (sys/epoll.h, sys/eventfd.h) ----
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLLIN = 0x001;
    static final int EPOLLOUT = 0x004;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;
    static final int EPOLLRDHUP = 0x2000;
    static final int EPOLLET = 1 << 31;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    /** Bytes of an errno capture area. */
    static final long CAPTURE_SIZE = CAPTURE.byteSize();
    private static final long ERRNO_OFFSET = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private static final FunctionDescriptor I_I = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor I_II = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor I_III = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor I_ILI = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final FunctionDescriptor I_ILL = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG);

    // (capture, args...) -> result; pointers as long
    static final MethodHandle SOCKET = errnoCall("socket", I_III);
    static final MethodHandle BIND = errnoCall("bind", I_ILI);
    static final MethodHandle LISTEN = errnoCall("listen", I_II);
    static final MethodHandle ACCEPT4 = errnoCall("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    static final MethodHandle CONNECT = errnoCall("connect", I_ILI);
    static final MethodHandle RECV = errnoCall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    static final MethodHandle SEND = errnoCall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    /** recv and send into or from a segment the caller does not own (a direct ByteBuffer): see the class comment. */
    static final MethodHandle RECV_SEG = errnoCall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle SEND_SEG = errnoCall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle SHUTDOWN = errnoCall("shutdown", I_II);
    static final MethodHandle GETSOCKOPT = errnoCall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    static final MethodHandle SETSOCKOPT = errnoCall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
    static final MethodHandle GETSOCKNAME = errnoCall("getsockname", I_ILL);
    static final MethodHandle GETPEERNAME = errnoCall("getpeername", I_ILL);
    static final MethodHandle EPOLL_CREATE1 = errnoCall("epoll_create1", I_I);
    static final MethodHandle EPOLL_CTL = errnoCall("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    static final MethodHandle EPOLL_WAIT = errnoCall("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    /** epoll_pwait2 (Linux 5.11, glibc 2.35): a nanosecond timeout. Null when libc lacks it. */
    static final MethodHandle EPOLL_PWAIT2 = optionalErrnoCall("epoll_pwait2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    static final MethodHandle EVENTFD = errnoCall("eventfd", I_II);
    static final MethodHandle READ = errnoCall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    static final MethodHandle WRITE = errnoCall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    /** close(2) without errno: after close the fd is gone whatever it returns (Linux). */
    static final MethodHandle CLOSE = call("close", I_I);
    static final MethodHandle MALLOC = call("malloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    static final MethodHandle FREE = call("free", FunctionDescriptor.ofVoid(JAVA_LONG));

    private static MethodHandle errnoCall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(name), fd, ERRNO);
    }

    private static MethodHandle optionalErrnoCall(String name, FunctionDescriptor fd) {
        return LOOKUP.find(name).map(a -> LINKER.downcallHandle(a, fd, ERRNO)).orElse(null);
    }

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(name), fd);
    }

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("goloom: netpoll: no libc symbol " + name));
    }

    /** errno as captured by the last call that used {@code capture}. */
    static int errno(MemorySegment capture) {
        return capture.get(JAVA_INT, ERRNO_OFFSET);
    }

    /** malloc(size) as a segment of that size; throws OutOfMemoryError on failure. Free with {@link #free}. */
    static MemorySegment malloc(long size) {
        long a;
        try {
            a = (long) MALLOC.invokeExact(size);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (a == 0) {
            throw new OutOfMemoryError("goloom: netpoll: malloc(" + size + ") failed");
        }
        return MemorySegment.ofAddress(a).reinterpret(size);
    }

    static void free(MemorySegment s) {
        try {
            FREE.invokeExact(s.address());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void close(int fd) {
        try {
            int unused = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A short text for the errno values goloom reports (strerror without a native call). */
    static String strerror(int errno) {
        return switch (errno) {
            case EINTR -> "interrupted system call";
            case EBADF -> "bad file descriptor";
            case EAGAIN -> "resource temporarily unavailable";
            case EMFILE -> "too many open files";
            case ENFILE -> "too many open files in system";
            case EPIPE -> "broken pipe";
            case EADDRINUSE -> "address already in use";
            case EADDRNOTAVAIL -> "cannot assign requested address";
            case ENETUNREACH -> "network is unreachable";
            case ECONNABORTED -> "software caused connection abort";
            case ECONNRESET -> "connection reset by peer";
            case ENOTCONN -> "transport endpoint is not connected";
            case ETIMEDOUT -> "connection timed out";
            case ECONNREFUSED -> "connection refused";
            case EHOSTUNREACH -> "no route to host";
            default -> "errno " + errno;
        };
    }
}
