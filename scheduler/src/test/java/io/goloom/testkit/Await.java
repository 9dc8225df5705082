package io.goloom.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.scheduler.Go;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests without sleeping: each helper watches the thing itself and fails with what it
 * waited for after a timeout (a hang is a failure, never a slow pass; the timeouts are not
 * performance bounds). Two contracts, two names: {@code ...FromThread} spins a plain (test)
 * thread, {@code ...FromGoroutine} yields the calling goroutine so the one it waits for can run
 * on its P (spinning there could starve it at GOMAXPROCS 1).
 */
public final class Await {
    private Await() {
    }

    /** From a plain thread: spins (onSpinWait, Thread.yield) until {@code cond} holds. */
    public static void awaitCondition(String what, Duration timeout, BooleanSupplier cond) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for: " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** {@link #awaitCondition(String, Duration, BooleanSupplier)} with the timeout in milliseconds. */
    public static void awaitCondition(String what, long timeoutMs, BooleanSupplier cond) {
        awaitCondition(what, Duration.ofMillis(timeoutMs), cond);
    }

    /** From a plain thread: spins until {@code g} is parked with {@code reason}. */
    public static void awaitParkedFromThread(G g, WaitReason reason, Duration timeout) {
        awaitCondition(g + " parked with " + reason, timeout, () -> parked(g, reason));
    }

    /** From a goroutine: yields ({@link Go#yield()}) until {@code g} is parked with {@code reason}. */
    public static void awaitParkedFromGoroutine(G g, WaitReason reason, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!parked(g, reason)) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + g + " to park with " + reason);
            }
            Go.yield();
        }
    }

    private static boolean parked(G g, WaitReason reason) {
        return g.status() == G.WAITING && g.waitReason() == reason;
    }
}
