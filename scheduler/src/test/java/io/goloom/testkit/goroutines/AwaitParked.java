package io.goloom.testkit.goroutines;

import static io.goloom.testkit.Await.awaitCondition;

import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.scheduler.Go;
import java.time.Duration;

/**
 * Waiting for a goroutine to park, on {@link io.goloom.testkit.Await}'s two contracts: from a
 * plain thread it spins; from a goroutine it yields ({@link Go#yield()}) so the goroutine it waits
 * for can run on its P. Here, not in the testkit module, because it names G (the testkit depends
 * on no goloom module, so that every module's tests can use it).
 */
public final class AwaitParked {
    private AwaitParked() {
    }

    /** From a plain thread: spins until {@code g} is parked with {@code reason}. */
    public static void awaitParkedFromThread(G g, WaitReason reason, Duration timeout) {
        awaitCondition(g + " parked with " + reason, timeout, () -> parked(g, reason));
    }

    /** From a goroutine: yields until {@code g} is parked with {@code reason}. */
    public static void awaitParkedFromGoroutine(G g, WaitReason reason, Duration timeout) {
        awaitCondition(g + " parked with " + reason, timeout, () -> parked(g, reason), Go::yield);
    }

    private static boolean parked(G g, WaitReason reason) {
        return g.status() == G.WAITING && g.waitReason() == reason;
    }
}
