package io.goloom.core;

import io.goloom.testkit.Stress;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of a buffered channel's non-blocking operations from plain threads:
 * trySend, tryReceive (three outcomes: value, empty, closed), close and len. The sequential
 * specification is the channel itself run sequentially. Capacity 2, so "full", "empty" and
 * wrap-around are all reached within a few operations; these are also the operations with
 * lock-free fast paths (chan.go's full()/empty()), which is what model checking exercises.
 * Results are strings, so a ChanClosedException is an ordinary outcome.
 *
 * <p>Random scenarios at this budget rarely contain the exact races of the fast paths, so the
 * model checker also gets them as custom scenarios (each found a planted bug in the fast path
 * within a second; random scenarios needed about a minute).
 */
@Param(name = "v", gen = IntGen.class, conf = "1:3")
public class ChanLincheckTest {

    private final Chan<Integer> c = new Chan<>(2);

    @Operation
    public String trySend(@Param(name = "v") int v) {
        try {
            return c.trySend(v) ? "sent" : "full";
        } catch (ChanClosedException e) {
            return "closed";
        }
    }

    @Operation
    public String tryReceive() {
        Recv<Integer> r = c.tryReceiveOk();
        if (r == null) {
            return "empty";
        }
        return r.ok() ? "got " + r.value() : "closed";
    }

    @Operation
    public String close() {
        try {
            c.close();
            return "closed now";
        } catch (ChanClosedException e) {
            return "already closed";
        }
    }

    @Operation
    public int len() {
        return c.len();
    }

    /** An actor for operation {@code name} of this class, for custom scenarios. */
    private static Actor actor(String name, Object... args) {
        for (Method m : ChanLincheckTest.class.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == args.length) {
                return new Actor(m, Arrays.asList(args), false, false, false, false, false);
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static ExecutionScenario scenario(List<Actor> init, List<List<Actor>> parallel, List<Actor> post) {
        return new ExecutionScenario(init, parallel, post, null);
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
                // Receive fast path: "empty" read, then a send and a close, then "closed" read.
                .addCustomScenario(scenario(List.of(),
                        List.of(List.of(actor("tryReceive")), List.of(actor("trySend", 1), actor("close"))),
                        List.of(actor("tryReceive"))))
                // Send fast path on a full channel against a receive and a close.
                .addCustomScenario(scenario(List.of(actor("trySend", 1), actor("trySend", 2)),
                        List.of(List.of(actor("trySend", 3), actor("len")), List.of(actor("tryReceive"), actor("close"))),
                        List.of(actor("tryReceive"), actor("tryReceive"))))
                .iterations(5 * Stress.FACTOR)
                .invocationsPerIteration(100)
                .threads(3)
                .actorsPerThread(3)
                .check(ChanLincheckTest.class);
    }

    @Test
    void stress() {
        new StressOptions()
                .iterations(5 * Stress.FACTOR)
                .invocationsPerIteration(200)
                .threads(3)
                .actorsPerThread(3)
                .check(ChanLincheckTest.class);
    }
}
