package io.goloom.core;

/**
 * The second half of a park, run by the M on its own stack after the goroutine's
 * continuation has yielded and its status is WAITING (Go's {@code gopark} unlockf).
 *
 * <p>Return {@code true} to keep the goroutine parked: from that moment a waker may ready it
 * and another M may run it, so the commit must not touch {@code g} after publishing it.
 * Return {@code false} to abort the park (the wake-up it waits for has already happened):
 * the M makes the goroutine runnable again and resumes it at once.
 *
 * <p>Runs on the M with no G: it must not park, yield, or block for long. Implementations
 * should be non-capturing lambdas or shared instances so that a park allocates nothing.
 */
@FunctionalInterface
public interface ParkCommit {
    boolean commit(G g, Object arg);
}
