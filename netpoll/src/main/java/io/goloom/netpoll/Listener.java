package io.goloom.netpoll;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;

/**
 * A listening TCP socket (Go's {@code net.TCPListener}). {@link #accept()} parks the calling
 * goroutine (or blocks a plain thread) until a connection arrives; several goroutines may
 * accept at once (they are served one at a time). Closing wakes blocked accepts with
 * {@link NetClosedException}, which every later accept throws too. A Listener dropped without
 * close is closed by a Cleaner, as a {@link Conn} is.
 */
public final class Listener implements AutoCloseable {

    private final NetFd fd;
    private final InetSocketAddress address;
    /** Closes {@link #fd} if this Listener is dropped unclosed; deregistered by {@link #close()}. */
    private final Cleaner.Cleanable cleanable;

    Listener(NetFd fd) throws IOException {
        this.fd = fd;
        this.address = fd.sock.localAddress();
        this.cleanable = fd.closeWhenUnreachable(this);
    }

    /** The next connection. TCP_NODELAY is on, as in Go. */
    public Conn accept() throws IOException {
        try {
            return new Conn(fd.accept());
        } finally {
            Reference.reachabilityFence(this); // see Conn's class comment
        }
    }

    /** The bound address (with the actual port when listening on port 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** Closes the listener; blocked and later accepts throw {@link NetClosedException}. Idempotent. */
    @Override
    public void close() {
        fd.close();
        cleanable.clean();
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    @Override
    public String toString() {
        return "Listener[" + address + (fd.isClosed() ? ", closed" : "") + "]";
    }
}
