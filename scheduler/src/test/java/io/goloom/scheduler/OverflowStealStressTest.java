package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import io.goloom.testkit.Stress;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The run-queue overflow path in the whole runtime: one producer goroutine spawns children in
 * a tight loop (newproc: runnext, the displaced G to the ring, a full ring to the global queue
 * in one batch) while the other Ps, with nothing of their own, steal from it. Every child must
 * run exactly once and never on two Ms at a time, no goroutine may panic and no M may die.
 *
 * <p>This is the shape that broke when runqputslow linked its batch before its CAS on head: a
 * thief that won the race ran Gs whose schedlink the owner was writing, and a link landing
 * after the thief's globrunqput corrupted the global list (children that never ran, a child
 * run twice, an NPE in globrunqget killing Ms). Some children therefore go through the global
 * queue (Go.gosched); most return at once, so the thieves stay idle and keep stealing from the
 * producer, which is what the race needs. The late landing itself needs an OS preemption at
 * the wrong moment, so each child also checks the invariant the corruption starts from: a G
 * that is running is on no list, its schedlink is null; a G the owner linked and a thief won
 * starts running with a link. The tests' tiny ring (4) overflows every few spawns; the
 * production ring (256) has the long linking loop.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OverflowStealStressTest {

    static final int STRESS = Stress.FACTOR;
    static final int PROCS = 4;
    static final int PER_ROUND = 20_000;
    /** One child in this many goes through the global queue twice. */
    static final int YIELDING = 4;

    @ParameterizedTest(name = "runq={0}")
    @ValueSource(ints = {4, RunQueue.DEFAULT_CAPACITY})
    void oneProducerOverflowingWhileIdlePsStealRunsEveryChildExactlyOnce(int runqCapacity) throws Exception {
        long budget = TimeUnit.MILLISECONDS.toNanos(2_000L * STRESS);
        ConcurrentLinkedQueue<String> panics = new ConcurrentLinkedQueue<>();
        try (GoRuntime rt = GoRuntime.builder().procs(PROCS).runqCapacity(runqCapacity)
                .deadlockDetection(false).panicHandler((g, t) -> panics.add(g + ": " + t)).build()) {
            long start = System.nanoTime();
            int round = 0;
            do {
                runRound(rt, round++, panics);
            } while (System.nanoTime() - start < budget);
        }
    }

    private static void runRound(GoRuntime rt, int round, ConcurrentLinkedQueue<String> panics)
            throws InterruptedException {
        int n = PER_ROUND;
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        AtomicIntegerArray inside = new AtomicIntegerArray(n);
        AtomicLong overlaps = new AtomicLong();
        AtomicLong linked = new AtomicLong();
        ConcurrentLinkedQueue<String> firstLinked = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(n);
        rt.go(() -> {
            for (int i = 0; i < n; i++) {
                int id = i;
                Go.go(() -> {
                    G me = Go.current();
                    G link = SchedLinks.schedlink(me);
                    if (link != null && linked.getAndIncrement() == 0) {
                        firstLinked.add("G " + me.id + " started running linked to G " + link.id);
                    }
                    if (inside.getAndIncrement(id) != 0) {
                        overlaps.incrementAndGet();
                    }
                    if (id % YIELDING == 0) {
                        Go.gosched();
                        Go.gosched();
                    }
                    inside.decrementAndGet(id);
                    runs.incrementAndGet(id);
                    done.countDown();
                });
            }
        });
        boolean finished = done.await(60, TimeUnit.SECONDS);
        int neverRan = 0, ranTwice = 0;
        for (int i = 0; i < n; i++) {
            int r = runs.get(i);
            if (r == 0) {
                neverRan++;
            } else if (r > 1) {
                ranTwice++;
            }
        }
        StringBuilder dead = new StringBuilder();
        for (P pp : rt.sched.allp) {
            if ((pp.status() & P.STATE_MASK) == P.PDEAD) {
                dead.append(' ').append(pp);
            }
        }
        if (!finished || neverRan != 0 || ranTwice != 0 || overlaps.get() != 0 || linked.get() != 0
                || !panics.isEmpty() || dead.length() != 0) {
            fail("round " + round + ": " + (n - done.getCount()) + "/" + n + " children finished, "
                    + neverRan + " never ran, " + ranTwice + " ran twice, " + overlaps.get()
                    + " ran on two Ms at once, " + linked.get() + " started running on a list ("
                    + String.join("; ", firstLinked) + "), " + panics.size() + " panics "
                    + panics.stream().limit(3).toList() + ", dead Ps:" + (dead.length() == 0 ? " none" : dead)
                    + ", global queue " + rt.sched.globalQueueSize());
        }
    }
}
