package io.goloom.netpoll;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Linux backend (Go's {@code netpoll_epoll.go}): one epoll instance, every socket
 * registered once, edge-triggered, for {@code EPOLLIN | EPOLLOUT | EPOLLRDHUP}, and an eventfd
 * (level-triggered) to break a blocked {@code epoll_wait}. All system calls go through FFM
 * ({@link Libc}).
 *
 * <h2>Finding the pollDesc of an event</h2>
 * Go puts a pointer to the pollDesc in the event's 64-bit data; Java cannot, so the data is
 * {@code tag << 32 | fd} and a table indexed by fd maps back to the {@link PollDesc}. The table
 * is chunked ({@value #CHUNK} entries per chunk, chunks never move), so a lookup is two acquire
 * loads and registration never copies. An fd is reused by the kernel as soon as it is closed;
 * an event fetched for the old socket but handled after a new one took the fd carries the old
 * tag and is dropped (Go's fdseq check).
 *
 * <p>Ordering between registration and an event: {@link #open} publishes the table entry
 * (release) before {@code epoll_ctl(ADD)}; the polling thread reads it (acquire) after
 * {@code epoll_wait} returned the event. The kernel's locking makes the two system calls a
 * happens-before edge in practice (Go relies on the same for its plain pd pointer).
 *
 * <h2>Buffers</h2>
 * At most one blocking and one non-blocking poll run at a time ({@link Poller}), so each kind
 * has its own event array and errno area, malloc'd once: a poll allocates nothing.
 */
final class EpollPoller extends Poller {

    /** x86-64 packs struct epoll_event (12 bytes, data at offset 4); other ABIs align it (16, at 8). */
    private static final boolean PACKED = isX86();
    private static final int EVENT_SIZE = PACKED ? 12 : 16;
    private static final long DATA_OFFSET = PACKED ? 4 : 8;
    /** Events per epoll_wait, as Go (128) times two: one call drains a burst of 100+ connections. */
    private static final int MAX_EVENTS = 256;
    /** Event data of the break eventfd: no fd is -1. */
    private static final long BREAK_DATA = -1L;
    private static final int REGISTER_EVENTS = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;
    private static final int READ_EVENTS = Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR;
    private static final int WRITE_EVENTS = Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR;
    /** The peer closed its side, or the socket failed: final states (see PollDesc.readEnded). */
    private static final int READ_END_EVENTS = Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR;

    private static final int CHUNK_BITS = 10;
    static final int CHUNK = 1 << CHUNK_BITS;
    /** 2,097,152 fds: beyond any ulimit goloom meets; a larger fd is refused at open. */
    private static final int MAX_CHUNKS = 1 << 11;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(PollDesc[].class);
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(PollDesc[][].class);

    private final int epfd;
    private final int evfd;
    /** Event array + errno area + timespec + eventfd scratch, one per kind of poll. */
    private final PollArea blocking;
    private final PollArea nonBlocking;
    /** Shared by wakeup callers: the constant 1 to write and an errno area nobody reads. */
    private final MemorySegment wake;
    /** Go's netpollWakeSig: a break is in flight; reset by the blocking poll that drains it. */
    private final AtomicBoolean wakeSig = new AtomicBoolean();
    /** epoll_pwait2 works (nanosecond timeouts); cleared on ENOSYS. */
    private volatile boolean pwait2 = Libc.EPOLL_PWAIT2 != null;
    /** fd -> pollDesc; chunks created under the array's monitor, entries CAS'd. */
    private final PollDesc[][] table = new PollDesc[MAX_CHUNKS][];

    private EpollPoller(int epfd, int evfd, MemorySegment wake) {
        this.epfd = epfd;
        this.evfd = evfd;
        this.wake = wake;
        this.blocking = new PollArea();
        this.nonBlocking = new PollArea();
    }

    /** Go's netpollinit: epoll_create1, an eventfd for breaks, registered level-triggered. */
    static EpollPoller create() throws IOException {
        MemorySegment m = Libc.malloc(32);
        MemorySegment cap = m.asSlice(0, Libc.CAPTURE_SIZE);
        try {
            int ep = (int) Libc.EPOLL_CREATE1.invokeExact(cap, Libc.EPOLL_CLOEXEC);
            if (ep < 0) {
                throw new IOException("goloom: netpoll: epoll_create1 failed: " + Libc.strerror(Libc.errno(cap)));
            }
            int ev = (int) Libc.EVENTFD.invokeExact(cap, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            if (ev < 0) {
                Libc.close(ep);
                throw new IOException("goloom: netpoll: eventfd failed: " + Libc.strerror(Libc.errno(cap)));
            }
            // The epoll_event for the eventfd, at offset 16 of m.
            m.set(JAVA_INT_UNALIGNED, 16, Libc.EPOLLIN);
            m.set(JAVA_LONG_UNALIGNED, 16 + DATA_OFFSET, BREAK_DATA);
            int r = (int) Libc.EPOLL_CTL.invokeExact(cap, ep, Libc.EPOLL_CTL_ADD, ev, m.address() + 16);
            if (r < 0) {
                Libc.close(ev);
                Libc.close(ep);
                throw new IOException("goloom: netpoll: epoll_ctl(eventfd) failed: " + Libc.strerror(Libc.errno(cap)));
            }
            m.set(JAVA_LONG, 16, 1L); // from now on: the value wakeup() writes
            return new EpollPoller(ep, ev, m);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    String name() {
        return "epoll";
    }

    // =====================================================================================
    // Registration

    @Override
    void open(PollDesc pd) throws IOException {
        EpollSocket s = (EpollSocket) pd.sock;
        int fd = s.fd;
        if (fd < 0 || fd >= MAX_CHUNKS * CHUNK) {
            throw new IOException("goloom: netpoll: fd " + fd + " beyond the poller's table");
        }
        PollDesc[] c = chunk(fd >>> CHUNK_BITS);
        SLOT.setRelease(c, fd & (CHUNK - 1), pd); // before epoll_ctl: see the class comment
        synchronized (s) {
            s.ctl.set(JAVA_INT_UNALIGNED, EpollSocket.EVT, REGISTER_EVENTS);
            s.ctl.set(JAVA_LONG_UNALIGNED, EpollSocket.EVT + DATA_OFFSET, (long) pd.tag << 32 | (fd & 0xffff_ffffL));
            int r;
            try {
                r = (int) Libc.EPOLL_CTL.invokeExact(s.mcap, epfd, Libc.EPOLL_CTL_ADD, fd, s.ctl.address() + EpollSocket.EVT);
            } catch (Throwable t) {
                throw EpollSocket.rethrow(t);
            }
            if (r < 0) {
                int e = Libc.errno(s.mcap);
                SLOT.compareAndSet(c, fd & (CHUNK - 1), pd, null);
                throw new IOException("goloom: netpoll: epoll_ctl(ADD, " + fd + ") failed: " + Libc.strerror(e));
            }
        }
    }

    @Override
    void close(PollDesc pd) {
        EpollSocket s = (EpollSocket) pd.sock;
        int fd = s.fd;
        synchronized (s) {
            try {
                int unused = (int) Libc.EPOLL_CTL.invokeExact(s.mcap, epfd, Libc.EPOLL_CTL_DEL, fd, s.ctl.address() + EpollSocket.EVT);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }
        PollDesc[] c = (PollDesc[]) CHUNKS.getAcquire(table, fd >>> CHUNK_BITS);
        SLOT.compareAndSet(c, fd & (CHUNK - 1), pd, null);
    }

    @Override
    void arm(PollDesc pd, int mode) {
        // Edge-triggered: nothing to re-arm.
    }

    private PollDesc[] chunk(int i) {
        PollDesc[] c = (PollDesc[]) CHUNKS.getAcquire(table, i);
        if (c != null) {
            return c;
        }
        synchronized (table) {
            c = table[i];
            if (c == null) {
                c = new PollDesc[CHUNK];
                CHUNKS.setRelease(table, i, c);
            }
            return c;
        }
    }

    private PollDesc lookup(int fd) {
        if (fd < 0 || fd >= MAX_CHUNKS * CHUNK) {
            return null;
        }
        PollDesc[] c = (PollDesc[]) CHUNKS.getAcquire(table, fd >>> CHUNK_BITS);
        return c == null ? null : (PollDesc) SLOT.getAcquire(c, fd & (CHUNK - 1));
    }

    // =====================================================================================
    // Polling

    @Override
    int poll(long timeoutNanos, Sink sink) throws IOException {
        boolean block = timeoutNanos != 0;
        PollArea a = block ? blocking : nonBlocking;
        int n = wait(a, timeoutNanos);
        if (n < 0) {
            int e = Libc.errno(a.cap);
            if (e == Libc.EINTR) {
                return 0; // a signal: the caller recomputes its timeout, as Go does
            }
            throw new IOException("epoll_wait failed: " + Libc.strerror(e));
        }
        int reported = 0;
        MemorySegment ev = a.events;
        for (int i = 0; i < n; i++) {
            long base = (long) i * EVENT_SIZE;
            int events = ev.get(JAVA_INT_UNALIGNED, base);
            long data = ev.get(JAVA_LONG_UNALIGNED, base + DATA_OFFSET);
            if (data == BREAK_DATA) {
                if (block) {
                    drainBreak(a); // only a blocking poll consumes a break (Go)
                }
                continue;
            }
            PollDesc pd = lookup((int) data);
            if (pd == null || pd.tag != (int) (data >>> 32)) {
                continue; // closed, or the fd was reused: a stale event
            }
            int modes = 0;
            if ((events & READ_EVENTS) != 0) {
                modes |= READ;
            }
            if ((events & WRITE_EVENTS) != 0) {
                modes |= WRITE;
            }
            if ((events & READ_END_EVENTS) != 0) {
                pd.markReadEnded(); // before the report: see PollDesc.readEnded
            }
            if (modes != 0) {
                sink.netpollready(pd, modes);
                reported++;
            }
        }
        return reported;
    }

    private int wait(PollArea a, long timeoutNanos) throws IOException {
        try {
            if (timeoutNanos > 0 && pwait2) {
                a.ts.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
                a.ts.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
                int n = (int) Libc.EPOLL_PWAIT2.invokeExact(a.cap, epfd, a.events.address(), MAX_EVENTS, a.ts.address(), 0L);
                if (n >= 0 || Libc.errno(a.cap) != Libc.ENOSYS) {
                    return n;
                }
                pwait2 = false; // libc has it, the kernel does not: use epoll_wait from now on
            }
            int ms;
            if (timeoutNanos < 0) {
                ms = -1;
            } else if (timeoutNanos == 0) {
                ms = 0;
            } else {
                // Round up: never wake before a timer is due (a wheel tick is >= 1 ms anyway).
                ms = (int) Math.min((timeoutNanos + 999_999L) / 1_000_000L, 1_000_000_000L);
            }
            return (int) Libc.EPOLL_WAIT.invokeExact(a.cap, epfd, a.events.address(), MAX_EVENTS, ms);
        } catch (Throwable t) {
            throw EpollSocket.rethrow(t);
        }
    }

    private void drainBreak(PollArea a) {
        try {
            long unused = (long) Libc.READ.invokeExact(a.cap, evfd, a.scratch.address(), 8L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        wakeSig.set(false);
    }

    @Override
    void wakeup() {
        // Failing the CAS means a break is in flight: done (Go's netpollWakeSig).
        if (!wakeSig.compareAndSet(false, true)) {
            return;
        }
        try {
            // EAGAIN (counter at its maximum) cannot happen with one write per drain; errno is not read.
            long unused = (long) Libc.WRITE.invokeExact(wake.asSlice(0, Libc.CAPTURE_SIZE), evfd, wake.address() + 16, 8L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    // =====================================================================================
    // Sockets

    @Override
    Sock listen(InetSocketAddress local, int backlog) throws IOException {
        return EpollSocket.listen(local, backlog);
    }

    @Override
    Sock connect(InetSocketAddress remote) throws IOException {
        return EpollSocket.connect(remote);
    }

    private static boolean isX86() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86") || arch.equals("i386");
    }

    /** Native memory of one kind of poll, malloc'd once and kept for the life of the process. */
    private static final class PollArea {
        final MemorySegment events = Libc.malloc((long) MAX_EVENTS * EVENT_SIZE);
        final MemorySegment misc = Libc.malloc(64);
        final MemorySegment cap = misc.asSlice(0, Libc.CAPTURE_SIZE);
        final MemorySegment ts = misc.asSlice(16, 16);
        final MemorySegment scratch = misc.asSlice(32, 8);
    }
}
