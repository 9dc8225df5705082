package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.*;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import io.goloom.testkit.Stress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Unit tests of the local run queue: put/get, runnext, overflow, steal (Go's RunSchedLocalQueue*Test). */
class RunQueueTest {

    static G g(long id) {
        return new G(id, () -> { }, null);
    }

    static List<Long> ids(G chain) {
        List<Long> out = new ArrayList<>();
        for (G x = chain; x != null; x = SchedLinks.schedlink(x)) {
            out.add(x.id);
        }
        return out;
    }

    @Test
    void putGetIsFifo() {
        RunQueue q = new RunQueue(256);
        assertTrue(q.runqempty());
        for (int i = 0; i < 200; i++) {
            assertNull(q.runqput(g(i), false));
        }
        assertFalse(q.runqempty());
        for (int i = 0; i < 200; i++) {
            G x = q.runqget();
            assertEquals(i, x.id);
            assertFalse(q.lastGetInheritsTime);
        }
        assertNull(q.runqget());
        assertTrue(q.runqempty());
    }

    @Test
    void runnextIsTakenFirstAndKicksTheOldOneToTheTail() {
        RunQueue q = new RunQueue(8);
        q.runqput(g(1), false);
        q.runqput(g(2), true);
        q.runqput(g(3), true); // 2 is kicked to the tail
        G x = q.runqget();
        assertEquals(3, x.id);
        assertTrue(q.lastGetInheritsTime, "a G from runnext inherits the time slice");
        assertEquals(1, q.runqget().id);
        assertEquals(2, q.runqget().id);
        assertNull(q.runqget());
    }

    /** runqroom is exactly how many runqput(next=true) calls fit before one spills (timers fire that many). */
    @Test
    void roomCountsTheFreeRingSlotsAndAnEmptyRunnext() {
        int cap = 8;
        RunQueue q = new RunQueue(cap);
        assertEquals(cap + 1, q.runqroom());
        for (int i = 0; i < cap + 1; i++) {
            assertEquals(cap + 1 - i, q.runqroom());
            assertNull(q.runqput(g(i), true), "put " + i + " spilled within the room");
        }
        assertEquals(0, q.runqroom());
        assertNotNull(q.runqput(g(99), true), "one past the room spills half the ring");
        q = new RunQueue(cap);
        for (int i = 0; i < cap; i++) {
            q.runqput(g(i), false); // a full ring of other work, runnext empty
        }
        assertEquals(1, q.runqroom(), "a full ring with an empty runnext still takes one, into runnext");
        assertNull(q.runqput(g(50), true));
        assertEquals(0, q.runqroom());
        assertEquals(50, q.runqget().id);
        assertEquals(1, q.runqroom());
    }

    @Test
    void overflowMovesHalfPlusTheNewGInOneBatch() {
        int cap = 8;
        RunQueue q = new RunQueue(cap);
        for (int i = 0; i < cap; i++) {
            assertNull(q.runqput(g(i), false));
        }
        G batch = q.runqput(g(100), false);
        assertNotNull(batch);
        assertEquals(List.of(0L, 1L, 2L, 3L, 100L), ids(batch));
        assertEquals(5, q.lastOverflowSize);
        for (int i = 4; i < cap; i++) {
            assertEquals(i, q.runqget().id);
        }
        assertNull(q.runqget());
    }

    @Test
    void stealTakesHalfRoundedUp() {
        for (int n = 0; n <= 16; n++) {
            RunQueue victim = new RunQueue(16);
            RunQueue thief = new RunQueue(16);
            for (int i = 0; i < n; i++) {
                victim.runqput(g(i), false);
            }
            G first = thief.runqsteal(victim, false);
            int stolen = first == null ? 0 : 1 + thief.runqsize();
            int want = n - n / 2;
            assertEquals(want, stolen, "bad steal of " + n);
            // exactly once: stolen + remaining = all, no duplicates
            Set<Long> seen = new HashSet<>();
            if (first != null) {
                seen.add(first.id);
            }
            for (G x; (x = thief.runqget()) != null; ) {
                assertTrue(seen.add(x.id));
            }
            for (G x; (x = victim.runqget()) != null; ) {
                assertTrue(seen.add(x.id));
            }
            assertEquals(n, seen.size());
        }
    }

    @Test
    void runnextIsStolenOnlyWhenAsked() {
        RunQueue victim = new RunQueue(8);
        RunQueue thief = new RunQueue(8);
        victim.runqput(g(7), true);
        assertNull(thief.runqsteal(victim, false));
        G x = thief.runqsteal(victim, true);
        assertEquals(7, x.id);
        assertTrue(victim.runqempty());
    }

    @Test
    void badCapacityIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RunQueue(6));
        assertThrows(IllegalArgumentException.class, () -> new RunQueue(0));
    }

    /**
     * The owner puts and gets while thieves steal, for many rounds: every G is seen exactly once
     * (Tokio's loom "basic" and "steal_overflow" models, as a stress test).
     */
    @Test
    void concurrentPutGetStealSeesEveryGExactlyOnce() throws Exception {
        int rounds = 200 * Stress.FACTOR;
        int perRound = 1000;
        int thieves = 2;
        for (int round = 0; round < rounds; round++) {
            RunQueue q = new RunQueue(16);
            int total = perRound;
            G[] gs = new G[total];
            for (int i = 0; i < total; i++) {
                gs[i] = g(i);
            }
            int[] seen = new int[total];
            Object seenLock = new Object();
            AtomicBoolean ownerDone = new AtomicBoolean();
            CyclicBarrier start = new CyclicBarrier(thieves + 1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < thieves; t++) {
                Thread th = new Thread(() -> {
                    RunQueue mine = new RunQueue(16);
                    await(start);
                    while (true) {
                        boolean done = ownerDone.get();
                        G x = mine.runqsteal(q, true);
                        if (x == null) {
                            if (done) {
                                break;
                            }
                            continue;
                        }
                        synchronized (seenLock) {
                            seen[(int) x.id]++;
                            for (G y; (y = mine.runqget()) != null; ) {
                                seen[(int) y.id]++;
                            }
                        }
                    }
                });
                th.start();
                ts.add(th);
            }
            await(start);
            List<G> overflow = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                G batch = q.runqput(gs[i], (i & 3) == 0);
                for (G x = batch; x != null; x = SchedLinks.schedlink(x)) {
                    overflow.add(x);
                }
                if ((i & 1) == 0) {
                    G x = q.runqget();
                    if (x != null) {
                        synchronized (seenLock) {
                            seen[(int) x.id]++;
                        }
                    }
                }
            }
            for (G x; (x = q.runqget()) != null; ) {
                synchronized (seenLock) {
                    seen[(int) x.id]++;
                }
            }
            ownerDone.set(true);
            for (Thread th : ts) {
                th.join(TimeUnit.SECONDS.toMillis(30));
                assertFalse(th.isAlive(), "thief did not finish");
            }
            for (G x : overflow) {
                seen[(int) x.id]++;
            }
            for (int i = 0; i < total; i++) {
                assertEquals(1, seen[i], "round " + round + ": G " + i + " seen " + seen[i] + " times");
            }
        }
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
