package io.goloom.core;

/**
 * Thrown by {@code Go.goexit()} to end the current goroutine after its {@code finally} blocks
 * have run (Go's {@code runtime.Goexit}, whose deferred calls are Java's finally blocks). The
 * runtime ends the goroutine quietly when it reaches the bottom of the stack: no panic report.
 * An Error, so that {@code catch (Exception e)} lets it through; code that catches
 * {@code Throwable} must rethrow it, or the goroutine goes on. Stackless: it is a control
 * transfer, not a failure.
 */
public final class GoExit extends Error {
    /** The one instance (no stack trace, no state). */
    public static final GoExit INSTANCE = new GoExit();

    private GoExit() {
        super("goroutine exit (Go.goexit)", null, false, false);
    }
}
