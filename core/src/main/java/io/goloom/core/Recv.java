package io.goloom.core;

/**
 * The result of a receive that reports whether a value was delivered (Go's {@code v, ok := <-ch}).
 * {@code ok} is false exactly when the channel was closed and drained; {@code value} is then
 * null.
 *
 * @param value the received value, or null when {@code ok} is false
 * @param ok    true when a send delivered {@code value}; false when the channel is closed
 */
public record Recv<T>(T value, boolean ok) {

    private static final Recv<?> CLOSED = new Recv<>(null, false);

    /** The shared result of a receive from a closed, drained channel. */
    @SuppressWarnings("unchecked")
    static <T> Recv<T> closed() {
        return (Recv<T>) CLOSED;
    }
}
