package io.goloom.netpoll;

import java.net.SocketTimeoutException;

/**
 * The read or write deadline of a {@link Conn} (or the timeout of a dial) passed (Go's
 * {@code os.ErrDeadlineExceeded}, "i/o timeout"). Transient: the connection stays usable, and
 * calls succeed again once the deadline is moved into the future or cleared. Until then every
 * call in that direction fails at once with this exception.
 *
 * <p>For a write, {@link #bytesTransferred} says how much of the buffer was written before the
 * deadline passed (the rest was not).
 */
public final class DeadlineExceededException extends SocketTimeoutException {
    private static final long serialVersionUID = 1L;

    public DeadlineExceededException() {
        super("i/o timeout");
    }

    public DeadlineExceededException(String message) {
        super(message);
    }
}
