package io.goloom.netpoll;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A listening TCP socket (Go's {@code net.TCPListener}). {@link #accept()} parks the calling
 * goroutine (or blocks a plain thread) until a connection arrives; several goroutines may
 * accept at once (they are served one at a time). Closing wakes blocked accepts with
 * {@link NetClosedException}, which every later accept throws too.
 */
public final class Listener implements AutoCloseable {

    private final NetFd fd;
    private final InetSocketAddress address;

    Listener(NetFd fd) throws IOException {
        this.fd = fd;
        this.address = fd.sock.localAddress();
    }

    /** The next connection. TCP_NODELAY is on, as in Go. */
    public Conn accept() throws IOException {
        return new Conn(fd.accept());
    }

    /** The bound address (with the actual port when listening on port 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** Closes the listener; blocked and later accepts throw {@link NetClosedException}. Idempotent. */
    @Override
    public void close() {
        fd.close();
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    @Override
    public String toString() {
        return "Listener[" + address + (fd.isClosed() ? ", closed" : "") + "]";
    }
}
