package io.goloom.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.Mutex;
import io.goloom.core.WaitGroup;
import io.goloom.scheduler.Go;
import io.goloom.testkit.Allocation;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Blocking channel operations and Mutex waits of goroutines allocate nothing in steady state:
 * each goroutine reuses its own Waiter (Go's sudog cache does this for Go). Before, every
 * blocking send or receive allocated one: 128 bytes per ping-pong round trip, which made a long
 * ping-pong touch fresh heap pages as the young generation grew and run at half speed in those
 * phases. Also checks that reuse keeps every result right: values in order, then a close seen
 * as a close by a goroutine whose reused Waiter last completed with success.
 */
@Timeout(60)
class BlockingOpAllocationTest {

    static final int WARM = 50_000;
    static final int MEASURED = 200_000;

    @Test
    void pingPongOverUnbufferedChannelsAllocatesNothingPerRoundTrip() {
        double[] perRoundTrip = new double[1];
        AtomicLong wrong = new AtomicLong();
        Rt.run(1, () -> {
            Chan<Integer> a = new Chan<>();
            Chan<Integer> b = new Chan<>();
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            Go.go(() -> {
                for (;;) {
                    Integer v = a.receive(); // null once closed
                    if (v == null) {
                        break; // the close seen as a close after many successful receives
                    }
                    b.send(v);
                }
                wg.done();
            });
            Integer[] boxes = new Integer[256];
            for (int i = 0; i < boxes.length; i++) {
                boxes[i] = i + 1000; // outside Integer's cache, made before measuring
            }
            for (int round = 0; round < 2; round++) {
                int n = round == 0 ? WARM : MEASURED;
                long before = Allocation.bytesSoFar();
                for (int i = 0; i < n; i++) {
                    Integer v = boxes[i & 255];
                    a.send(v);
                    if (b.receive() != v) {
                        wrong.incrementAndGet();
                    }
                }
                perRoundTrip[0] = (double) (Allocation.bytesSoFar() - before) / n;
            }
            a.close();
            wg.await();
        });
        System.out.println("BlockingOpAllocationTest: bytes allocated per blocking round trip: " + perRoundTrip[0]);
        assertEquals(0, wrong.get(), "a receive returned another value than the one sent");
        assertTrue(perRoundTrip[0] < 16, "bytes allocated per round trip: " + perRoundTrip[0]);
    }

    /**
     * Two goroutines on one P take a Mutex in turns, each yielding while holding it, so the
     * other's lock always waits on the Mutex's semaphore (a blocking acquire per turn).
     */
    @Test
    void contendedMutexAllocatesNothingPerWait() {
        double[] perTurn = new double[1];
        long[] count = new long[1];
        Rt.run(1, () -> {
            Mutex mu = new Mutex();
            WaitGroup wg = new WaitGroup();
            for (int round = 0; round < 2; round++) {
                int n = round == 0 ? WARM : MEASURED;
                wg.add(2);
                long before = Allocation.bytesSoFar();
                for (int k = 0; k < 2; k++) {
                    Go.go(() -> {
                        for (int i = 0; i < n; i++) {
                            mu.lock();
                            count[0]++;
                            Go.yield(); // the other goroutine runs and waits for the Mutex
                            mu.unlock();
                        }
                        wg.done();
                    });
                }
                wg.await();
                perTurn[0] = (double) (Allocation.bytesSoFar() - before) / (2L * n);
            }
        });
        System.out.println("BlockingOpAllocationTest: bytes allocated per contended Mutex turn: " + perTurn[0]);
        assertEquals(2L * (WARM + MEASURED), count[0], "turns under the Mutex");
        assertTrue(perTurn[0] < 16, "bytes allocated per contended Mutex turn: " + perTurn[0]);
    }
}
