package io.goloom.netpoll;

import java.net.SocketException;

/**
 * The peer reset the connection (ECONNRESET: it closed with unread data, or aborted with
 * SO_LINGER 0). Permanent for this connection: close it.
 */
public final class ConnectionResetException extends SocketException {
    private static final long serialVersionUID = 1L;

    public ConnectionResetException(String message) {
        super(message);
    }
}
