package io.goloom.scheduler;

import io.goloom.core.G;
import java.util.ArrayList;
import java.util.List;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the local run queue under Lincheck: the owner's put/putNext/get (one
 * thread: they share a non-parallel group) against concurrent steals. The sequential
 * specification is the queue itself run sequentially (it is deterministic: a steal takes
 * ceil(n/2) from the head). Stealing runnext is left out on purpose: it is not linearizable
 * against putNext (see RunQueue's class comment) and is covered for exactly-once delivery by
 * RunQueueTest's stress test. Capacity 4, as Tokio's loom models shrink theirs, so overflow and
 * wrap-around are reached in a few operations.
 */
public class RunQueueLincheckTest {

    private static final G[] GS = new G[64];
    static {
        for (int i = 0; i < GS.length; i++) {
            GS[i] = new G(i, () -> { }, null);
        }
    }

    private final RunQueue q = new RunQueue(4);
    private int next; // owner-only: the next G to put

    private static List<Long> drain(G chain) {
        List<Long> out = new ArrayList<>();
        for (G x = chain; x != null; x = x.schedlink) {
            out.add(x.id);
        }
        return out;
    }

    /** Returns the overflow batch moved to the global queue (empty when it fit). */
    @Operation(nonParallelGroup = "owner")
    public List<Long> put() {
        return drain(q.runqput(GS[next++ % GS.length], false));
    }

    @Operation(nonParallelGroup = "owner")
    public List<Long> putNext() {
        return drain(q.runqput(GS[next++ % GS.length], true));
    }

    @Operation(nonParallelGroup = "owner")
    public Long get() {
        G g = q.runqget();
        return g == null ? null : g.id;
    }

    /** A thief steals into its own queue and reports everything it took, in order. */
    @Operation
    public List<Long> steal() {
        RunQueue mine = new RunQueue(4);
        List<Long> out = new ArrayList<>();
        G first = mine.runqsteal(q, false);
        if (first != null) {
            out.add(first.id);
            for (G x; (x = mine.runqget()) != null; ) {
                out.add(x.id);
            }
        }
        return out;
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
                .iterations(12 * Integer.getInteger("goloom.stress", 1))
                .invocationsPerIteration(250)
                .threads(3)
                .actorsPerThread(3)
                .check(RunQueueLincheckTest.class);
    }

    @Test
    void stress() {
        new StressOptions()
                .iterations(12 * Integer.getInteger("goloom.stress", 1))
                .invocationsPerIteration(400)
                .threads(3)
                .actorsPerThread(3)
                .check(RunQueueLincheckTest.class);
    }
}
