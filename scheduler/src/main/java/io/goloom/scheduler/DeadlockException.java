package io.goloom.scheduler;

/**
 * Thrown by {@link GoRuntime#run} when every goroutine of the runtime is asleep and nothing the
 * runtime knows of can wake one (Go's "all goroutines are asleep - deadlock!"). The message
 * holds the report: each goroutine's id, wait reason and stack.
 */
public final class DeadlockException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    DeadlockException(String report) {
        super(report);
    }
}
