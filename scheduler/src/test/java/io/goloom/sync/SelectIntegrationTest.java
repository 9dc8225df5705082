package io.goloom.sync;

import static io.goloom.sync.Rt.STRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.Select;
import io.goloom.core.WaitGroup;
import io.goloom.core.WaitReason;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import io.goloom.scheduler.GoroutineInfo;
import io.goloom.testkit.Await;
import io.goloom.testkit.goroutines.AwaitParked;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Select on the real G/M/P scheduler, at GOMAXPROCS 1, 2 and 4. */
class SelectIntegrationTest {

    /**
     * Uniform choice among ready cases: 4 always-ready cases, a fixed seed, chi-square over
     * the counts. With 3 degrees of freedom P(chi2 > 16.27) = 0.001; the seed makes the outcome
     * reproducible, the bound says the shuffle is not grossly biased.
     */
    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void fairAmongReadyCases(int procs) {
        int k = 4;
        int rounds = 8_000 * STRESS;
        int[] counts = new int[k];
        Rt.run(procs, () -> {
            Chan<Integer>[] chans = newChans(k, 1);
            Select sel = Select.of().withSeed(20240611L + procs);
            for (int i = 0; i < k; i++) {
                chans[i].send(i);
                sel.recv(chans[i]);
            }
            for (int r = 0; r < rounds; r++) {
                int i = sel.run();
                counts[i]++;
                chans[i].send(i);
            }
        });
        double expected = (double) rounds / k;
        double chi2 = 0;
        for (int c : counts) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        assertTrue(chi2 < 16.27, "chi2=" + chi2 + " counts=" + Arrays.toString(counts));
    }

    /**
     * Uniform choice among blocked senders (the pass-1 path that dequeues a parked sender): two
     * producers, each parked in a select on its channel before every round, so both cases are
     * ready each time. Chi-square with 1 degree of freedom: P(chi2 > 10.83) = 0.001.
     *
     * <p>Why wait for both to park: without that, on one P the consumer and whichever producer
     * it last readied keep handing the P to each other through runnext and the other producer
     * never runs (Go behaves the same until sysmon preempts the pair after 10 ms); that would
     * measure the scheduler, not select.
     */
    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void fairAmongBlockedSenders(int procs) {
        int rounds = 2_000 * STRESS;
        int[] counts = new int[2];
        Rt.run(procs, () -> {
            Chan<Integer> a = new Chan<>();
            Chan<Integer> b = new Chan<>();
            Chan<Integer> quit = new Chan<>();
            G[] producers = new G[2];
            int p = 0;
            for (Chan<Integer> c : List.of(a, b)) {
                producers[p++] = Go.go(() -> {
                    Select s = Select.of().send(c, 1).recv(quit);
                    while (s.run() == 0) {
                        // sent one; go again until quit is closed
                    }
                });
            }
            Select sel = Select.of().withSeed(7L * procs).recv(a).recv(b);
            for (int r = 0; r < rounds; r++) {
                AwaitParked.awaitParkedFromGoroutine(producers[0], WaitReason.SELECT, Rt.TIMEOUT);
                AwaitParked.awaitParkedFromGoroutine(producers[1], WaitReason.SELECT, Rt.TIMEOUT);
                counts[sel.run()]++;
            }
            quit.close();
        });
        double expected = rounds / 2.0;
        double chi2 = 0;
        for (int c : counts) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        assertTrue(chi2 < 10.83, "chi2=" + chi2 + " counts=" + Arrays.toString(counts));
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void selectWithDefaultNeverBlocks(int procs) {
        Rt.run(procs, () -> {
            Chan<Integer> empty = new Chan<>();
            Chan<Integer> full = new Chan<>(1);
            full.send(0);
            AtomicInteger defaults = new AtomicInteger();
            Select sel = Select.of().recv(empty).send(full, 1).recv(null).orDefault(defaults::incrementAndGet);
            for (int i = 0; i < 10_000; i++) {
                assertEquals(Select.DEFAULT, sel.run());
            }
            assertEquals(10_000, defaults.get());
        });
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void nilChannelCasesNeverFire(int procs) {
        int n = 5_000 * STRESS;
        Rt.run(procs, () -> {
            Chan<Integer> real = new Chan<>();
            Go.go(() -> {
                for (int i = 0; i < n; i++) {
                    real.send(i);
                }
            });
            Select sel = Select.of().recv(null).send(null, 7).recv(real).recvOk(null, (v, ok) -> {
                throw new AssertionError("nil channel fired");
            });
            for (int i = 0; i < n; i++) {
                assertEquals(2, sel.run());
                assertEquals(i, (int) sel.received());
            }
        });
    }

    /** A select with no cases parks forever (and the runtime reports it), it does not spin. */
    @Test
    void selectWithNoCasesParksForever() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            G[] g = new G[2];
            rt.run(() -> {
                g[0] = Go.go(() -> Select.of().run());
                g[1] = Go.go(() -> Select.of().recv(null).run());
                AwaitParked.awaitParkedFromGoroutine(g[0], WaitReason.SELECT_NO_CASES, Rt.TIMEOUT);
                AwaitParked.awaitParkedFromGoroutine(g[1], WaitReason.SELECT, Rt.TIMEOUT);
            });
            List<GoroutineInfo> alive = rt.shutdown();
            assertEquals(2, alive.size(), alive.toString());
        }
    }

    /**
     * Selects on both sides of shared channels, listed in opposite orders so that a lock order
     * taken from the case order would deadlock: every value moves exactly once.
     */
    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void selectsOnBothSidesMoveEveryValueOnce(int procs) {
        int workers = 50;
        int perWorker = 200 * STRESS;
        int total = workers * perWorker;
        AtomicIntegerArray seen = new AtomicIntegerArray(total);
        Rt.run(procs, () -> {
            Chan<Integer> a = new Chan<>();
            Chan<Integer> b = new Chan<>(8);
            WaitGroup producers = new WaitGroup();
            WaitGroup consumers = new WaitGroup();
            producers.add(workers);
            consumers.add(workers);
            for (int w = 0; w < workers; w++) {
                int base = w * perWorker;
                boolean flip = w % 2 == 0;
                Go.go(() -> { // producer: whichever channel is ready
                    Select s = flip ? Select.of().send(a, 0).send(b, 0) : Select.of().send(b, 0).send(a, 0);
                    for (int i = 0; i < perWorker; i++) {
                        s.sendValue(0, base + i).sendValue(1, base + i);
                        s.run();
                    }
                    producers.done();
                });
                Go.go(() -> { // consumer: whichever has a value, until both are closed
                    Chan<Integer> x = flip ? a : b;
                    Chan<Integer> y = flip ? b : a;
                    boolean xOpen = true;
                    boolean yOpen = true;
                    Select s = new Select();
                    while (xOpen || yOpen) {
                        s.clear().recv(xOpen ? x : null).recv(yOpen ? y : null);
                        int i = s.run();
                        if (!s.ok()) {
                            if (i == 0) {
                                xOpen = false;
                            } else {
                                yOpen = false;
                            }
                            continue;
                        }
                        seen.incrementAndGet(s.<Integer>received());
                    }
                    consumers.done();
                });
            }
            producers.await();
            a.close();
            b.close();
            consumers.await();
        });
        Rt.assertAllOnce(seen);
    }

    /** A plain thread blocks in a select until a goroutine makes a case ready. */
    @Test
    void plainThreadSelect() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            Chan<String> a = new Chan<>();
            Chan<String> b = new Chan<>();
            rt.go(() -> {
                for (int i = 0; i < 100; i++) {
                    (i % 2 == 0 ? a : b).send("v" + i);
                }
            });
            Select sel = Select.of().recv(a).recv(b);
            for (int i = 0; i < 100; i++) {
                assertEquals(i % 2, sel.run());
                assertEquals("v" + i, sel.received());
            }
            Await.awaitCondition("goroutines to exit", Rt.TIMEOUT, () -> rt.numGoroutine() == 0);
        }
    }

    @SuppressWarnings("unchecked")
    private static Chan<Integer>[] newChans(int n, int capacity) {
        Chan<Integer>[] out = new Chan[n];
        for (int i = 0; i < n; i++) {
            out[i] = new Chan<>(capacity);
        }
        return out;
    }
}
