package io.goloom.netpoll;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The platform SPI of the netpoller, written once (Go: the functions {@code netpoll.go} says
 * every {@code netpoll_*.go} "must define"). Each backend is one class in its own file, plus the
 * {@link Sock} type it opens, because what a backend can poll is tied to what it opens:
 * <ul>
 *   <li>{@link EpollPoller} (Linux): epoll through the FFM API, sockets are raw fds driven by
 *       direct system calls ({@link EpollSocket}, bindings in {@link Libc});</li>
 *   <li>{@link SelectorPoller} (anywhere, or {@code -Dgoloom.netpoll=selector}): a
 *       {@link java.nio.channels.Selector} over JDK NIO channels in non-blocking mode
 *       ({@link ChannelSocket}).</li>
 * </ul>
 * Both pass the same test suite ({@code io.goloom.net.NetSuite}).
 *
 * <h2>Semantics every backend provides</h2>
 * <ul>
 *   <li><b>Edge-triggered readiness</b> ({@link #open}): after a readiness report for a mode,
 *       the same mode is reported again only after a new edge, that is after an operation on the
 *       socket has failed with EAGAIN and {@link #arm} has been called for the mode. Spurious
 *       reports are allowed (the caller retries its operation), lost ones are not: a readiness
 *       that exists when {@code arm} is called, or that appears after it, is reported by a poll
 *       that starts later. epoll with {@code EPOLLET} does this natively ({@code arm} is a no-op);
 *       a level-triggered backend drops a mode from its interest set when it reports it and
 *       adds it back in {@code arm} (Go's {@code netpollarm} on Solaris and AIX).</li>
 *   <li><b>Polling</b> ({@link #poll}): a negative timeout blocks until an event or a
 *       {@link #wakeup}, zero does not block, a positive one blocks for at most that many
 *       nanoseconds (a backend may round it up to its clock's resolution, never down to zero).
 *       Each ready descriptor is reported to the sink once per poll with the modes that are
 *       ready. At most two polls run at a time: one with a non-zero timeout (the thread holding
 *       {@link Netpoll}'s poll token) and one with timeout zero (guarded by Netpoll too);
 *       backends rely on that to keep one event buffer per kind of poll and allocate nothing
 *       per poll.</li>
 *   <li><b>Break</b> ({@link #wakeup}): a blocked poll returns soon; if no poll is blocked the
 *       next blocking poll returns at once. Coalescing several wake-ups into one is allowed.
 *       Any thread.</li>
 *   <li><b>Deregistration</b> ({@link #close}): called once per descriptor, after every waiter
 *       has left and before the socket is closed; afterwards no report for it reaches the sink
 *       (a report already in flight is filtered by a sequence tag, see {@link PollDesc#tag}).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * {@link #open}, {@link #close} and {@link #arm} may be called from any thread, including
 * goroutines (so they must not block for long and must not park: they run on a carrier).
 * {@link #poll} runs on an M in the scheduler loop, on sysmon, or on a plain thread that waits
 * for I/O; never inside a goroutine.
 */
abstract class Poller {

    /** Mode bit: readable (or acceptable, or the peer closed, or an error is pending). */
    static final int READ = 1;
    /** Mode bit: writable (or a connect finished, or an error is pending). */
    static final int WRITE = 2;

    /** Receives readiness reports during a {@link #poll}. Runs on the polling thread. */
    interface Sink {
        /** {@code pd} is ready for {@code modes} (a combination of {@link #READ} and {@link #WRITE}). */
        void netpollready(PollDesc pd, int modes);
    }

    /** The backend's name as {@code -Dgoloom.netpoll} spells it: "epoll" or "selector". */
    abstract String name();

    /**
     * Go's {@code netpollopen}: starts edge-triggered read and write reports for {@code pd}'s
     * socket (the sink receives {@code pd}). The first report reflects the socket's state at
     * this call.
     */
    abstract void open(PollDesc pd) throws IOException;

    /** Go's {@code netpollclose}: no more reports for {@code pd}. Once per descriptor; see the class comment. */
    abstract void close(PollDesc pd);

    /**
     * Go's {@code netpollarm}: the caller's operation on {@code pd} for {@code mode} just hit
     * EAGAIN and it is about to wait. A no-op for natively edge-triggered backends.
     */
    abstract void arm(PollDesc pd, int mode);

    /**
     * Go's {@code netpoll(delay)}: waits for readiness as the class comment says and reports it
     * to {@code sink}. Returns how many descriptors were reported (0 after a timeout, a
     * {@link #wakeup}, or an interrupted wait).
     */
    abstract int poll(long timeoutNanos, Sink sink) throws IOException;

    /** Go's {@code netpollBreak}. Any thread; never blocks. */
    abstract void wakeup();

    // ---- the sockets of this backend: non-blocking, registered by the caller with open() ----

    /** A listening TCP socket bound to {@code local} (port 0: an ephemeral port). */
    abstract Sock listen(InetSocketAddress local, int backlog) throws IOException;

    /**
     * A TCP socket with a non-blocking connect to {@code remote} started; finish it with
     * {@link Sock#finishConnect()} after write readiness. Throws at once if the connect failed
     * synchronously (e.g. {@link java.net.ConnectException} for a refused loopback connect).
     */
    abstract Sock connect(InetSocketAddress remote) throws IOException;
}
