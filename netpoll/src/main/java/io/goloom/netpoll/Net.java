package io.goloom.netpoll;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Go-style TCP for goloom (Go's {@code net.Listen("tcp", ...)} and {@code net.Dial}): blocking
 * calls that park the calling goroutine on the runtime's netpoller instead of blocking its
 * carrier. From a plain thread the same calls block the thread.
 *
 * <pre>{@code
 * Listener ln = Net.listen("127.0.0.1", 8080);
 * for (;;) {
 *     Conn c = ln.accept();
 *     Go.go(() -> {                      // a goroutine per connection
 *         try (c) {
 *             byte[] buf = new byte[4096];
 *             for (int n; (n = c.read(buf)) > 0; ) {
 *                 c.write(buf, 0, n);
 *             }
 *         } catch (IOException e) { ... }
 *     });
 * }
 * }</pre>
 *
 * Host names are resolved with {@link InetAddress#getByName}, which blocks its thread for the
 * lookup (getaddrinfo, or the installed JDK resolver); in a goroutine it runs as a blocking call
 * ({@code Go.blocking}: sysmon hands the goroutine's P to another M if the lookup takes longer
 * than a tick), as Go's cgo resolver runs getaddrinfo as a system call. Literal addresses
 * skip both. The poller backend is chosen once per
 * JVM: epoll on Linux, a {@link java.nio.channels.Selector} elsewhere, or as
 * {@code -Dgoloom.netpoll=epoll|selector} says.
 */
public final class Net {
    private Net() {
    }

    /** Backlog of listening sockets: Linux's default somaxconn (Go reads somaxconn too). */
    static final int BACKLOG = 4096;

    /**
     * Listens on {@code host:port}. A null or empty host means every IPv4 address (0.0.0.0);
     * port 0 picks a free port ({@link Listener#address()} tells which).
     */
    public static Listener listen(String host, int port) throws IOException {
        InetAddress a = host == null || host.isEmpty() ? InetAddress.getByAddress(new byte[4]) : resolve(host);
        return listen(new InetSocketAddress(a, port));
    }

    public static Listener listen(InetSocketAddress local) throws IOException {
        Poller p = Netpoll.poller();
        NetFd fd = NetFd.open(p.listen(local, BACKLOG), p);
        try {
            return new Listener(fd);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Connects to {@code host:port}. A refused connection throws {@link java.net.ConnectException}. */
    public static Conn dial(String host, int port) throws IOException {
        return dial(new InetSocketAddress(resolve(host), port), null);
    }

    /**
     * Connects to {@code host:port}, failing with {@link DeadlineExceededException} if the
     * connection is not established within {@code timeout} (null: no limit).
     */
    public static Conn dial(String host, int port, Duration timeout) throws IOException {
        return dial(new InetSocketAddress(resolve(host), port), timeout);
    }

    /**
     * {@code host} as an address: a literal (IPv4, IPv6, bracketed IPv6) parsed here; otherwise
     * {@link InetAddress#getByName} as a blocking call (see the class comment). A null or empty
     * host is the loopback address, as getByName says, with no lookup either.
     */
    static InetAddress resolve(String host) throws java.net.UnknownHostException {
        if (host == null || host.isEmpty()) {
            return InetAddress.getByName(host);
        }
        char c = host.charAt(0);
        if (Character.digit(c, 16) >= 0 || c == ':' || c == '[') { // a name starting so pays one exception
            try {
                return InetAddress.ofLiteral(host);
            } catch (IllegalArgumentException notALiteral) {
                // a name after all ("deadbeef.example"), or a literal only getByName takes ("fe80::1%lo")
            }
        }
        try {
            return Netpoll.blocking(() -> InetAddress.getByName(host));
        } catch (java.net.UnknownHostException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("goloom: netpoll: getByName threw " + e, e); // it throws nothing else checked
        }
    }

    public static Conn dial(InetSocketAddress remote, Duration timeout) throws IOException {
        return dial(remote, timeout, null);
    }

    /**
     * {@link #dial(InetSocketAddress, Duration)}, interruptible: once the connect is under way,
     * {@code onConnecting} receives an abort action that any thread may run, once or more, to
     * fail the pending connect at once with {@link DeadlineExceededException} (a deadline in the
     * past, Go's way of interrupting I/O; the socket is then closed). An abort run after the
     * connection was established sets a past write deadline on the returned Conn: the caller
     * that aborts decides what that Conn is worth (a context-bound dial closes it). This is how
     * a dial honours a context (the scheduler's {@code NetContext}), which netpoll cannot see.
     */
    public static Conn dial(InetSocketAddress remote, Duration timeout, java.util.function.Consumer<Runnable> onConnecting)
            throws IOException {
        long deadline = Conn.toDeadline(timeout);
        if (deadline < 0) {
            throw new DeadlineExceededException("dial " + remote + ": i/o timeout");
        }
        Poller p = Netpoll.poller();
        NetFd fd = NetFd.open(p.connect(remote), p);
        try {
            fd.finishConnect(deadline, onConnecting);
        } catch (DeadlineExceededException e) {
            fd.close();
            DeadlineExceededException d = new DeadlineExceededException("dial " + remote + ": i/o timeout");
            d.initCause(e);
            throw d;
        } catch (IOException | RuntimeException | Error e) {
            fd.close();
            throw e;
        }
        return new Conn(fd);
    }

    /** The netpoller backend of this JVM: "epoll" or "selector". Initialises it if needed. */
    public static String backend() throws IOException {
        return Netpoll.backend();
    }
}
