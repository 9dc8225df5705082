package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import io.goloom.testkit.Stress;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One producer overflowing its ring while an otherwise idle thief steals from it: the shape in
 * which runqputslow and runqgrab race for the same head. (With every P busy a thief rarely
 * finds a full ring, so RunQueueTest's exactly-once stress does not get here.)
 *
 * <p>The owner puts Gs in a tight loop into a production-sized ring; the thief waits for the
 * ring to be full, when the owner's next put overflows, and grabs half of it then (runqgrab,
 * what runqsteal does), handing what it took back to the owner's pool. Both take the first half of the ring, so
 * whoever wins the CAS on head owns those Gs. The property checked is ownership: a G the thief
 * won comes back exactly as it was in the ring, its {@code schedlink} null. The scheduler links
 * a stolen G into the global queue as soon as it yields, and a link the owner writes into it
 * afterwards corrupts that list (the bug: runqputslow linked its batch before its CAS, so a
 * losing owner had already written links into the thief's Gs). Because the owner writes before
 * it looks at a returned G, every race the thief wins against an overflow is caught, not just
 * the rare ones where the write lands after the scheduler's own. Exactly-once is checked too:
 * each G is handed out once per trip and comes back once (overflow batch, thief, or the ring).
 *
 * <p>No blocking handshake: before an overflowing put the owner spins a bounded while for the
 * thief to say it saw the ring full (so both go for the same half at once), and goes on alone
 * if the thief is off its core, as on a loaded two-core machine.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RunQueueOverflowStealTest {

    static final int STRESS = Stress.FACTOR;
    static final int CAP = RunQueue.DEFAULT_CAPACITY;

    /** Set by the thief when it saw the ring full and is about to grab; cleared by the owner. */
    private volatile boolean thiefReady;

    @Test
    void aGTheThiefWonIsNeverWrittenByTheOwnersOverflow() throws Exception {
        long budget = TimeUnit.SECONDS.toNanos(2L * STRESS);
        int total = 4 * CAP;
        RunQueue victim = new RunQueue(CAP);
        AtomicIntegerArray out = new AtomicIntegerArray(total); // 1 while handed out (ring or thief)
        ConcurrentLinkedQueue<G> pool = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<G> fromThief = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < total; i++) {
            pool.add(new G(i, () -> { }, null));
        }
        long[] steals = new long[1];
        Throwable[] thiefFailure = new Throwable[1];
        Thread thief = new Thread(() -> {
            G[] stolen = new G[CAP];
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    if (victim.runqsize() < CAP) {
                        Thread.onSpinWait(); // wait for a full ring: the owner's next put overflows
                        continue;
                    }
                    thiefReady = true; // the owner may overflow now: we grab at the same time
                    int n = victim.runqgrab(stolen, 0, false);
                    for (int i = 0; i < n; i++) {
                        fromThief.add(stolen[i]);
                        stolen[i] = null;
                    }
                    if (n > 0) {
                        steals[0]++;
                    }
                }
            } catch (Throwable t) {
                thiefFailure[0] = t;
            }
        }, "thief");
        thief.setDaemon(true);
        thief.start();

        long start = System.nanoTime();
        long puts = 0, overflows = 0;
        try {
            while (System.nanoTime() - start < budget && thief.isAlive()) {
                for (G x; (x = fromThief.poll()) != null; ) {
                    if (SchedLinks.schedlink(x) != null) {
                        fail("after " + puts + " puts (" + overflows + " overflows): G " + x.id
                                + " came back from the thief linked to G " + SchedLinks.schedlink(x).id
                                + ": the owner's overflow wrote a G it did not own");
                    }
                    back(out, x, "the thief");
                    pool.add(x);
                }
                G g = pool.poll();
                if (g == null) {
                    g = victim.runqget();
                    if (g == null) {
                        continue; // all in the thief's hands
                    }
                    back(out, g, "runqget");
                }
                if (out.getAndSet((int) g.id, 1) != 0) {
                    fail("G " + g.id + " handed out twice");
                }
                if (victim.runqsize() == CAP) {
                    // This put overflows: give the thief a moment to see the ring full, so both
                    // go for its first half together. Bounded: a thief off its core is not waited for.
                    for (int spins = 0; !thiefReady && spins < 20_000; spins++) {
                        Thread.onSpinWait();
                    }
                    thiefReady = false;
                }
                G batch = victim.runqput(g, false);
                puts++;
                if (batch != null) {
                    overflows++;
                    int n = victim.lastOverflowSize, walked = 0;
                    for (G x = batch, next; x != null; x = next) {
                        assertTrue(++walked <= n, "overflow batch longer than " + n);
                        next = SchedLinks.schedlink(x);
                        SchedLinks.setSchedlink(x, null); // ours: it came off the ring by our CAS
                        back(out, x, "the overflow batch");
                        pool.add(x);
                    }
                    assertEquals(n, walked, "overflow batch length");
                }
            }
        } finally {
            thief.interrupt();
            thief.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertFalse(thief.isAlive(), "thief did not stop");
        assertNull(thiefFailure[0]);
        for (G x; (x = fromThief.poll()) != null; ) {
            assertNull(SchedLinks.schedlink(x), "G " + x.id + " came back from the thief linked");
            back(out, x, "the thief");
        }
        for (G x; (x = victim.runqget()) != null; ) {
            back(out, x, "runqget");
        }
        for (int i = 0; i < total; i++) {
            assertEquals(0, out.get(i), "G " + i + " was handed out and never came back");
        }
        System.out.printf("RunQueueOverflowStealTest: %d puts, %d overflows, %d steals%n", puts, overflows, steals[0]);
        assertTrue(overflows > 0, "the ring never overflowed: the test did not test");
    }

    private static void back(AtomicIntegerArray out, G x, String from) {
        if (out.getAndSet((int) x.id, 0) != 1) {
            fail("G " + x.id + " came back from " + from + " but was not handed out (twice?)");
        }
    }
}
