package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A StackOverflowError inside wakep, after its 0 -> 1 CAS of nmspinning, must not leave the
 * count at 1 with nobody spinning (every later wakep would then wake nobody, and a goroutine
 * started from a plain thread would wait for good). Provoked by a goroutine that starts a
 * goroutine at every level of a recursion until its stack overflows, with the other P idle, so
 * that newproc's wakep takes its slow path at many levels; the depth at which the error strikes
 * moves a little each round (a padding recursion of 0..PADS frames first). After each round:
 * once every P is idle, nmspinning must come back to 0, and a goroutine started from this thread
 * must run; closing the runtime checks the scheduler's invariants (SchedInvariants).
 *
 * <p>With wakep's stack check planted out, the randomized execution (SchedChaos) failed 3 runs of
 * 3, within 26 to 89 rounds: nmspinning=1 in a stopped runtime, or a P on no list (the overflow
 * struck in startm after pidleget); the default execution passed all three (its timing rarely
 * puts the overflow inside the slow path).
 */
class OverflowInWakepTest {

    static final int ROUNDS = 120;

    private static int sink;

    private static void spawnDeep(int n) {
        Go.go(() -> sink++);
        spawnDeep(n + 1);
    }

    private static void pad(int k, Runnable then) {
        if (k == 0) {
            then.run();
        } else {
            pad(k - 1, then);
        }
    }

    @Test
    void anOverflowInsideWakepLeavesNoSpinningCountBehind() throws Exception {
        int leaked = 0;
        int lost = 0;
        for (int round = 0; round < ROUNDS; round++) {
            AtomicInteger overflows = new AtomicInteger();
            try (GoRuntime rt = GoRuntime.builder().procs(2).deadlockDetection(false)
                    .panicHandler((g, t) -> {
                        if (t instanceof StackOverflowError) {
                            overflows.incrementAndGet();
                        }
                    }).build()) {
                int padding = round % 40;
                CountDownLatch died = new CountDownLatch(1);
                rt.go(() -> {
                    try {
                        pad(padding, () -> spawnDeep(0));
                    } finally {
                        died.countDown();
                    }
                });
                died.await();
                Scheduler s = rt.sched;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!(s.allIdle() && s.nmspinning.get() == 0) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                if (s.nmspinning.get() != 0) {
                    leaked++;
                }
                CountDownLatch ran = new CountDownLatch(1);
                rt.go(ran::countDown);
                if (!ran.await(5, TimeUnit.SECONDS)) {
                    lost++;
                }
            }
        }
        assertEquals(0, leaked + lost, "rounds with nmspinning left at 1: " + leaked + ", goroutines never run: " + lost);
    }
}
