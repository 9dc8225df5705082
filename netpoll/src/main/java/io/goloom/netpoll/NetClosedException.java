package io.goloom.netpoll;

import java.net.SocketException;

/**
 * An operation on a {@link Conn} or {@link Listener} that was closed by this process: the call
 * came after {@code close()}, or it was blocked when {@code close()} ran and was woken with this
 * (Go's {@code net.ErrClosed}, "use of closed network connection"). Permanent: the object stays
 * closed.
 */
public final class NetClosedException extends SocketException {
    private static final long serialVersionUID = 1L;

    public NetClosedException() {
        super("use of closed network connection");
    }
}
