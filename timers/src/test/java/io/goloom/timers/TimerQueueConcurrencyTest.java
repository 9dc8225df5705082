package io.goloom.timers;

import io.goloom.testkit.Stress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The inbox under contention: producer threads reset and cancel timers of a shared pool (so
 * producers race with each other on the same node, not only with the owner) while one owner
 * thread loops runExpired on a virtual clock and also arms and cancels through the local paths.
 *
 * <p>The check is an exact account per timer. Every arming ends in exactly one of: a fire, a
 * cancel that returned true, or a reset that returned true (it superseded a pending arming). So
 * once everything has settled, {@code fires == armings - cancels(true) - resets(true)} for every
 * timer: a lost or doubled fire, a cancel that lied (true but it fired anyway, or false but it
 * never fired), or a reset that lied all break the equation. fire() also asserts it is never
 * early. Producers and owner throttle each other loosely (a producer waits, yielding, only if the
 * owner has not run during its last burst of operations; the owner waits for a new burst), so
 * runs overlap bursts but neither side starves whatever the machine's load. Threads are joined
 * with timeouts; nothing sleeps.
 *
 * <p>Scale: {@code -Dgoloom.stress=N} multiplies the producers' operations (1: 3 producers x 40k, per case).
 */
class TimerQueueConcurrencyTest {

    static final int STRESS = Stress.FACTOR;
    static final int PRODUCERS = 3;
    static final int OPS_PER_PRODUCER = 40_000;
    /** Pool size (a parameter): small pools make threads hit the same node at the same time. */
    int nodesCount;
    static final long US = 1_000;
    static final long MS = 1_000_000;

    final AtomicLong clock = new AtomicLong(-123 * MS); // virtual time, advanced by the owner
    AtomicIntegerArray armings, cancelled, superseded;
    final AtomicLong wakes = new AtomicLong();
    /** Owner runs so far; producers wait for a new run after each burst of operations. */
    final AtomicLong ownerRuns = new AtomicLong();
    /** Producer bursts started so far; the owner waits for a new one before each run. */
    final AtomicLong producerBursts = new AtomicLong();
    /**
     * Producer operations between owner runs (a parameter): small bursts make arming and
     * stopping meet the claim of a due timer often; with free-running producers the owner fell
     * behind on 2 shared cores and few timers fired at all.
     */
    int burst;
    /** Owner-thread only until the owner is joined. */
    int[] fires;
    long ownerNow;

    final class N extends TimerNode {
        final int id;

        N(int id) {
            this.id = id;
        }

        @Override
        protected void fire() {
            if (deadline - ownerNow > 0) throw new AssertionError("fired early: " + id);
            fires[id]++;
        }
    }

    @ParameterizedTest(name = "burst={0} nodes={1}")
    @CsvSource({"4, 16", "16, 128", "256, 64"})
    void everyArmingFiresExactlyOnceUnlessStoppedOrSuperseded(int burst, int nodesCount) throws Exception {
        this.burst = burst;
        this.nodesCount = nodesCount;
        armings = new AtomicIntegerArray(nodesCount);
        cancelled = new AtomicIntegerArray(nodesCount);
        superseded = new AtomicIntegerArray(nodesCount);
        fires = new int[nodesCount];
        TimerQueue q = new TimerQueue(new TimerWheel(clock.get(), 100 * US, 6), d -> wakes.incrementAndGet());
        N[] nodes = new N[nodesCount];
        for (int i = 0; i < nodesCount; i++) nodes[i] = new N(i);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] producers = new Thread[PRODUCERS];
        for (int p = 0; p < PRODUCERS; p++) {
            long seed = 1000 + p;
            producers[p] = new Thread(() -> {
                try {
                    go.await();
                    SplittableRandom rnd = new SplittableRandom(seed);
                    long seen = ownerRuns.get();
                    for (int i = 0; i < OPS_PER_PRODUCER * STRESS; i++) {
                        if (i > 0 && i % burst == 0) {
                            // Wait only if the owner has not run at all during this burst: runs
                            // and bursts overlap, but neither side can starve the other.
                            producerBursts.incrementAndGet();
                            while (ownerRuns.get() == seen) Thread.yield();
                            seen = ownerRuns.get();
                        }
                        N n = nodes[rnd.nextInt(nodesCount)];
                        if (rnd.nextInt(100) < 65) {
                            long d = clock.get() + rnd.nextLong(-MS, MS / 4); // mostly due: races with the claim
                            armings.incrementAndGet(n.id);
                            if (q.reset(n, d)) superseded.incrementAndGet(n.id);
                        } else if (q.cancel(n)) {
                            cancelled.incrementAndGet(n.id);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "producer-" + p);
            producers[p].start();
        }
        CountDownLatch producersDone = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            try {
                go.await();
                SplittableRandom rnd = new SplittableRandom(7);
                int localOps = 0;
                long seenBursts = -1;
                while (producersDone.getCount() > 0) {
                    long bursts;
                    while ((bursts = producerBursts.get()) == seenBursts && producersDone.getCount() > 0) {
                        Thread.yield(); // at most one run per producer burst
                    }
                    seenBursts = bursts;
                    ownerNow = clock.addAndGet(rnd.nextLong(0, 200 * US));
                    q.runExpired(ownerNow);
                    ownerRuns.incrementAndGet();
                    // The owner's own calls, racing with the producers; capped, as the owner
                    // runs far more often than the producers operate.
                    if (rnd.nextInt(4) == 0 && localOps++ < OPS_PER_PRODUCER * STRESS) {
                        N n = nodes[rnd.nextInt(nodesCount)];
                        if (rnd.nextBoolean()) {
                            armings.incrementAndGet(n.id);
                            if (q.resetLocal(n, ownerNow + rnd.nextLong(-MS, 2 * MS))) superseded.incrementAndGet(n.id);
                        } else if (q.cancelLocal(n)) {
                            cancelled.incrementAndGet(n.id);
                        }
                    }
                }
                // Producers are joined (happens-before the latch): settle everything.
                for (int i = 0; q.size() > 0; i++) {
                    if (i == 1_000) throw new AssertionError("timers never settle: " + q.size());
                    ownerNow = clock.addAndGet(10 * MS);
                    q.runExpired(ownerNow);
                }
                q.runExpired(ownerNow); // publish the final hint
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }, "owner");
        owner.start();
        go.countDown();
        for (Thread p : producers) {
            p.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(p.isAlive(), "producer stuck: " + p.getName());
        }
        producersDone.countDown();
        owner.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(owner.isAlive(), "owner stuck");
        assertNull(failure.get(), () -> "failed: " + failure.get());

        long totalFires = 0, totalCancelled = 0, totalSuperseded = 0;
        for (int i = 0; i < nodesCount; i++) {
            int expected = armings.get(i) - cancelled.get(i) - superseded.get(i);
            assertEquals(expected, fires[i], "timer " + i + ": armings " + armings.get(i) + ", cancelled "
                    + cancelled.get(i) + ", superseded " + superseded.get(i));
            assertFalse(nodes[i].isPending());
            totalFires += fires[i];
            totalCancelled += cancelled.get(i);
            totalSuperseded += superseded.get(i);
        }
        // The run must have exercised every outcome, or it proves little.
        assertTrue(totalFires > 1_000 && totalCancelled > 1_000 && totalSuperseded > 1_000,
                "fires " + totalFires + " cancels " + totalCancelled + " supersedes " + totalSuperseded);
        assertEquals(TimerQueue.NONE, q.earliestHint());
        assertEquals(0, q.inboxLength());
        System.out.printf("timers concurrency [burst=%d nodes=%d]: %d owner runs, %d fires, %d cancels, %d supersedes, %d wakes%n",
                burst, nodesCount, ownerRuns.get(), totalFires, totalCancelled, totalSuperseded, wakes.get());
    }
}
