package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import io.goloom.testkit.Stress;
import java.util.ArrayList;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
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
 *
 * <p>Ownership of the Gs is part of the model: a thief links what it stole through schedlink
 * (as the scheduler's global queue does once they yield) and reports that list, so a write by
 * the owner into a G it lost to the thief changes a result. The owner's overflow against a
 * steal gets a scenario of its own (modelCheckingOverflowAgainstSteal): random scenarios rarely
 * start the parallel part with a full ring.
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

    public RunQueueLincheckTest() {
        for (G g : GS) {
            SchedLinks.setSchedlink(g, null); // the Gs are shared by all invocations
        }
    }

    private static List<Long> drain(G chain) {
        List<Long> out = new ArrayList<>();
        for (G x = chain; x != null; x = SchedLinks.schedlink(x)) {
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

    /**
     * A thief steals into its own queue, then does with the Gs what the scheduler does: runs
     * them in the order it takes them (the G runqsteal returns, then its ring) and each yields
     * to the tail of a list linked through schedlink, as globrunqput links the global queue.
     * The result is that list read back. The Gs are the thief's alone from its CAS on, so the
     * list is exactly what it took in that order; a link written by anyone else after the CAS
     * shows as a different list. (runqsteal hands back the last G it grabbed first, so this
     * order is not the ring's: the owner's overflow linking its batch in ring order before its
     * own CAS, which the thief won, makes a cycle here.)
     */
    @Operation
    public List<Long> steal() {
        RunQueue mine = new RunQueue(4);
        G head = null, tail = null;
        for (G x = mine.runqsteal(q, false); x != null; x = mine.runqget()) {
            SchedLinks.setSchedlink(x, null);
            if (tail == null) {
                head = x;
            } else {
                SchedLinks.setSchedlink(tail, x);
            }
            tail = x;
        }
        List<Long> out = new ArrayList<>();
        for (G x = head; x != null && out.size() <= mine.capacity(); x = SchedLinks.schedlink(x)) {
            out.add(x.id);
        }
        return out;
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
                .iterations(12 * Stress.FACTOR)
                .invocationsPerIteration(250)
                .threads(3)
                .actorsPerThread(3)
                .check(RunQueueLincheckTest.class);
    }

    /**
     * The owner's overflow against a steal, as a fixed scenario: the ring (capacity 4) is
     * full, the owner puts one more (runqputslow takes the first half, two Gs) while a thief
     * steals (runqgrab takes the same two). Model checking tries the interleavings of the two
     * CASes on head with everything around them; a thief's list that is not the Gs it took
     * means someone wrote a G the thief owned.
     */
    @Test
    void modelCheckingOverflowAgainstSteal() throws NoSuchMethodException {
        Actor put = new Actor(RunQueueLincheckTest.class.getMethod("put"), List.of());
        Actor steal = new Actor(RunQueueLincheckTest.class.getMethod("steal"), List.of());
        Actor get = new Actor(RunQueueLincheckTest.class.getMethod("get"), List.of());
        new ModelCheckingOptions()
                .iterations(0)
                .invocationsPerIteration(2_000 * Stress.FACTOR)
                .addCustomScenario(new ExecutionScenario(
                        List.of(put, put, put, put),
                        List.of(List.of(put, get), List.of(steal)),
                        List.of(steal),
                        null))
                .check(RunQueueLincheckTest.class);
    }

    @Test
    void stress() {
        new StressOptions()
                .iterations(12 * Stress.FACTOR)
                .invocationsPerIteration(400)
                .threads(3)
                .actorsPerThread(3)
                .check(RunQueueLincheckTest.class);
    }
}
