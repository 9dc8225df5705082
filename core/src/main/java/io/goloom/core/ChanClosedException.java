package io.goloom.core;

/**
 * A send on a closed channel, or a close of a closed channel: Go's
 * {@code panic("send on closed channel")} and {@code panic("close of closed channel")}. Caller
 * misuse, and permanent: the channel stays closed, so a retry fails the same way.
 *
 * <p>Unchecked, unlike {@link java.nio.channels.ClosedChannelException}: in Go this is a panic,
 * a program bug rather than a condition to handle.
 */
public final class ChanClosedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public ChanClosedException(String message) {
        super(message);
    }

    static ChanClosedException send() {
        return new ChanClosedException("send on closed channel");
    }

    static ChanClosedException close() {
        return new ChanClosedException("close of closed channel");
    }
}
