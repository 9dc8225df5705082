package io.goloom.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests without sleeping: each helper watches the thing itself and fails with what it
 * waited for after a timeout (a hang is a failure, never a slow pass; the timeouts are not
 * performance bounds). Two contracts: {@link #awaitCondition(String, Duration, BooleanSupplier)}
 * spins a plain (test) thread; {@link #awaitCondition(String, Duration, BooleanSupplier, Runnable)}
 * runs a caller-given pause between checks (a goroutine passes {@code Go::yield}, so the one it
 * waits for can run on its P: spinning there could starve it at GOMAXPROCS 1). The goroutine
 * helpers built on these (awaitParked...) live with the scheduler's tests, which can name G.
 */
public final class Await {
    private Await() {
    }

    /** From a plain thread: spins (onSpinWait, Thread.yield) until {@code cond} holds. */
    public static void awaitCondition(String what, Duration timeout, BooleanSupplier cond) {
        awaitCondition(what, timeout, cond, () -> {
            Thread.onSpinWait();
            Thread.yield();
        });
    }

    /** {@link #awaitCondition(String, Duration, BooleanSupplier)} with the timeout in milliseconds. */
    public static void awaitCondition(String what, long timeoutMs, BooleanSupplier cond) {
        awaitCondition(what, Duration.ofMillis(timeoutMs), cond);
    }

    /** Runs {@code pause} until {@code cond} holds; fails naming {@code what} after {@code timeout}. */
    public static void awaitCondition(String what, Duration timeout, BooleanSupplier cond, Runnable pause) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for: " + what);
            }
            pause.run();
        }
    }
}
