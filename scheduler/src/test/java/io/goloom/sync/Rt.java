package io.goloom.sync;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import io.goloom.scheduler.GoRuntime;
import io.goloom.scheduler.GoroutineInfo;
import io.goloom.testkit.Await;
import io.goloom.testkit.Stress;
import java.time.Duration;

/** Helpers for the sync integration tests: real runtimes, public API only. */
final class Rt {
    private Rt() {
    }

    /** The one knob for every stress test (-Dgoloom.stress=N). */
    static final int STRESS = Stress.FACTOR;
    /** Generous: a hang is a failure, never a slow pass. Not a performance bound. */
    static final Duration TIMEOUT = Duration.ofSeconds(90);

    /**
     * Runs {@code main} as the main goroutine of a fresh runtime with {@code procs} Ps, fails
     * if it does not return within {@link #TIMEOUT}, and checks that no goroutine is left.
     */
    static void run(int procs, Runnable main) {
        try (GoRuntime rt = GoRuntime.create(procs)) {
            assertTimeoutPreemptively(TIMEOUT, () -> rt.run(main), () -> "deadlock or hang; goroutines: " + dump(rt));
            Await.awaitCondition("goroutines to exit", TIMEOUT, () -> rt.numGoroutine() == 0);
        }
    }

    static String dump(GoRuntime rt) {
        StringBuilder sb = new StringBuilder();
        for (GoroutineInfo gi : rt.goroutines()) {
            sb.append('\n').append(gi);
        }
        return sb.toString();
    }

    static void assertAllOnce(java.util.concurrent.atomic.AtomicIntegerArray seen) {
        for (int i = 0; i < seen.length(); i++) {
            if (seen.get(i) != 1) {
                fail("value " + i + " was received " + seen.get(i) + " times");
            }
        }
    }
}
