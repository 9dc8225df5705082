package io.goloom.sync;

import static io.goloom.sync.Rt.STRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.ChanClosedException;
import io.goloom.core.G;
import io.goloom.core.Recv;
import io.goloom.core.WaitGroup;
import io.goloom.core.WaitReason;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import io.goloom.testkit.Await;
import io.goloom.testkit.goroutines.AwaitParked;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Channels on the real G/M/P scheduler, at GOMAXPROCS 1, 2 and 4. */
class ChanIntegrationTest {

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void receiveFromClosedChannel(int procs) {
        Rt.run(procs, () -> {
            Chan<Integer> c = new Chan<>(3);
            Go.go(() -> {
                c.send(1);
                c.send(2);
                c.close();
            });
            assertEquals(1, c.receive());
            assertEquals(2, c.receive());
            assertNull(c.receive()); // closed and drained: at once, every time
            assertFalse(c.receiveOk().ok());
            assertNull(c.tryReceiveOk().value());
        });
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void closeWakesAllReceivers(int procs) {
        Rt.run(procs, () -> {
            Chan<String> c = new Chan<>();
            int n = 50;
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            AtomicInteger closedSeen = new AtomicInteger();
            List<G> receivers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                receivers.add(Go.go(() -> {
                    Recv<String> r = c.receiveOk();
                    if (!r.ok() && r.value() == null) {
                        closedSeen.incrementAndGet();
                    }
                    wg.done();
                }));
            }
            for (G g : receivers) {
                AwaitParked.awaitParkedFromGoroutine(g, WaitReason.CHAN_RECEIVE, Rt.TIMEOUT);
            }
            c.close();
            wg.await();
            assertEquals(n, closedSeen.get());
        });
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void sendOnClosedThrows(int procs) {
        Rt.run(procs, () -> {
            Chan<String> c = new Chan<>();
            int n = 10;
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            AtomicInteger threw = new AtomicInteger();
            List<G> senders = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                senders.add(Go.go(() -> {
                    try {
                        c.send("blocked");
                    } catch (ChanClosedException e) {
                        if (e.getMessage().equals("send on closed channel")) {
                            threw.incrementAndGet();
                        }
                    }
                    wg.done();
                }));
            }
            for (G g : senders) {
                AwaitParked.awaitParkedFromGoroutine(g, WaitReason.CHAN_SEND, Rt.TIMEOUT);
            }
            c.close();
            wg.await();
            assertEquals(n, threw.get()); // every blocked sender panics
            assertThrows(ChanClosedException.class, () -> c.send("late"));
            assertThrows(ChanClosedException.class, c::close);
        });
    }

    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void bufferedChannelIsFifo(int procs) {
        int n = 20_000 * STRESS;
        Rt.run(procs, () -> {
            Chan<Integer> c = new Chan<>(16);
            Go.go(() -> {
                for (int i = 0; i < n; i++) {
                    c.send(i);
                }
                c.close();
            });
            int expect = 0;
            for (Integer v : c) {
                assertEquals(expect++, v);
            }
            assertEquals(n, expect);
        });
    }

    /**
     * 1,000 producers and 1,000 consumers move every value exactly once, through an
     * unbuffered and a buffered channel.
     */
    @ParameterizedTest(name = "procs={0}, cap={1}")
    @CsvSource({"1,0", "2,0", "4,0", "1,64", "2,64", "4,64"})
    void thousandProducersThousandConsumersExactlyOnce(int procs, int capacity) {
        int producers = 1_000;
        int consumers = 1_000;
        int perProducer = 20 * STRESS;
        int total = producers * perProducer;
        AtomicIntegerArray seen = new AtomicIntegerArray(total);
        Rt.run(procs, () -> {
            Chan<Integer> c = new Chan<>(capacity);
            WaitGroup sent = new WaitGroup();
            WaitGroup received = new WaitGroup();
            sent.add(producers);
            received.add(consumers);
            for (int p = 0; p < producers; p++) {
                int base = p * perProducer;
                Go.go(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        c.send(base + i);
                    }
                    sent.done();
                });
            }
            for (int k = 0; k < consumers; k++) {
                Go.go(() -> {
                    for (Integer v; (v = c.receive()) != null; ) {
                        seen.incrementAndGet(v);
                    }
                    received.done();
                });
            }
            sent.await();
            c.close();
            received.await();
        });
        Rt.assertAllOnce(seen);
    }

    /** Go's concurrent prime sieve: a daisy chain of filter goroutines. */
    @ParameterizedTest(name = "procs={0}")
    @ValueSource(ints = {1, 2, 4})
    void primeSieve(int procs) {
        int count = 200;
        List<Integer> primes = new ArrayList<>();
        Rt.run(procs, () -> {
            Chan<Integer> src = new Chan<>();
            Go.go(() -> { // generate 2, 3, 4, ... until the consumer is done
                try {
                    for (int i = 2; ; i++) {
                        src.send(i);
                    }
                } catch (ChanClosedException done) {
                    // the pipeline was torn down
                }
            });
            List<Chan<Integer>> stages = new ArrayList<>();
            stages.add(src);
            Chan<Integer> ch = src;
            for (int i = 0; i < count; i++) {
                int prime = ch.receive();
                primes.add(prime);
                Chan<Integer> in = ch;
                Chan<Integer> out = new Chan<>();
                stages.add(out);
                Go.go(() -> { // filter: copy the values from in to out, dropping multiples of prime
                    try {
                        for (Integer v; (v = in.receive()) != null; ) {
                            if (v % prime != 0) {
                                out.send(v);
                            }
                        }
                        out.close();
                    } catch (ChanClosedException done) {
                        // downstream closed
                    }
                });
                ch = out;
            }
            // Tear down from the end: each closed channel makes its writer's send throw.
            for (int i = stages.size() - 1; i >= 0; i--) {
                stages.get(i).close();
            }
        });
        assertEquals(simpleSieve(count), primes);
    }

    private static List<Integer> simpleSieve(int count) {
        List<Integer> out = new ArrayList<>();
        for (int n = 2; out.size() < count; n++) {
            boolean prime = true;
            for (int p : out) {
                if (p * p > n) {
                    break;
                }
                if (n % p == 0) {
                    prime = false;
                    break;
                }
            }
            if (prime) {
                out.add(n);
            }
        }
        return out;
    }

    /** main (a plain JVM thread) receives from, and sends to, goroutines. */
    @Test
    void plainThreadReceivesFromGoroutines() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            Chan<Integer> out = new Chan<>();
            Chan<Integer> in = new Chan<>(4);
            rt.go(() -> {
                for (Integer v; (v = in.receive()) != null; ) {
                    out.send(v * 10);
                }
                out.close();
            });
            List<Integer> got = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                in.send(i); // may block this thread when the buffer is full
                got.add(out.receive()); // blocks this thread until the goroutine answers
            }
            in.close();
            assertNull(out.receive());
            for (int i = 0; i < 100; i++) {
                assertEquals(i * 10, got.get(i));
            }
            Await.awaitCondition("goroutines to exit", Rt.TIMEOUT, () -> rt.numGoroutine() == 0);
        }
    }

    /**
     * Blocking parks the G, not the carrier: on one P, 200 goroutines block on channels and a
     * last one releases them all. A blocked carrier would deadlock at once.
     */
    @Test
    void blockingParksTheGoroutineNotTheCarrier() {
        Rt.run(1, () -> {
            int n = 200;
            Chan<Integer> gate = new Chan<>();
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    assertTrue(gate.receive() != null);
                    wg.done();
                });
            }
            for (int i = 0; i < n; i++) {
                gate.send(i);
            }
            wg.await();
        });
    }
}
