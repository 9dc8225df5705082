package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.Select;
import io.goloom.core.WaitGroup;
import io.goloom.testkit.Stress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jdk.internal.vm.Continuation;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Synctest}: Go 1.25's testing/synctest semantics (a bubble on a fake clock that moves
 * only when every goroutine of the bubble is durably blocked; await; deadlock reports; run waits
 * for every goroutine). Each test runs at GOMAXPROCS 1 and 2 where the number of Ps matters.
 */
@Timeout(30)
class SynctestTest {

    static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void clockStartsAtGoEpochAndStandsStillWhileGoroutinesRun(int procs) {
        AtomicReference<Instant> seen = new AtomicReference<>();
        Synctest.run(procs, () -> {
            Instant t0 = Go.now();
            for (int i = 0; i < 1000; i++) {
                Go.yield(); // runnable the whole time: not durably blocked
            }
            assertEquals(t0, Go.now());
            seen.set(t0);
        });
        assertEquals(EPOCH, seen.get());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void dayLongTimeoutFiresInMillisecondsExactlyADayLater(int procs) {
        AtomicReference<Instant> firedAt = new AtomicReference<>();
        long realStart = System.nanoTime();
        Synctest.run(procs, () -> {
            Context.Cancelable ctx = Context.withTimeout(Context.background(), Duration.ofHours(24));
            assertEquals(EPOCH.plus(Duration.ofHours(24)), ctx.deadline().orElseThrow());
            ctx.done().receiveOk(); // closed by the deadline
            firedAt.set(Go.now());
            assertSame(Context.DEADLINE_EXCEEDED, ctx.err());
        });
        long realMs = (System.nanoTime() - realStart) / 1_000_000;
        assertEquals(EPOCH.plus(Duration.ofHours(24)), firedAt.get());
        assertTrue(realMs < 10_000, "a fake day took " + realMs + " ms of real time");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void oneSecondTickerTicksExactly3600TimesInAFakeHour(int procs) {
        AtomicInteger ticks = new AtomicInteger();
        List<Instant> bad = Collections.synchronizedList(new ArrayList<>());
        Synctest.run(procs, () -> {
            Ticker t = Go.newTicker(Duration.ofSeconds(1));
            Chan<Instant> hour = Go.after(Duration.ofHours(1).plusMillis(500));
            Select s = Select.of().recv(t.c()).recv(hour);
            for (;;) {
                if (s.run() == 1) {
                    break;
                }
                int n = ticks.incrementAndGet();
                Instant at = s.received();
                if (!at.equals(EPOCH.plusSeconds(n)) || !Go.now().equals(at)) {
                    bad.add(at);
                }
            }
            t.stop();
        });
        assertEquals(3600, ticks.get());
        assertEquals(List.of(), bad, "ticks not at exact whole fake seconds");
    }

    /**
     * Pairs of goroutines hand a value back and forth while one goroutine sleeps an hour: at
     * every instant some goroutine of a pair is runnable, so the clock must not move until the
     * pairs are done, although at most instants most goroutines are WAITING and the Ms keep
     * going idle (each idle M kicks the driver). A driver that trusts a snapshot of G statuses
     * alone advances when it reads one partner WAITING just before the other readies it and
     * parks.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void pingPongPairsNeverLetTheClockJump(int procs) {
        int pairs = 8;
        int rounds = 5_000 * Stress.FACTOR;
        AtomicReference<Instant> sleeperWoke = new AtomicReference<>();
        AtomicReference<Instant> pairsDone = new AtomicReference<>();
        Synctest.run(procs, () -> {
            Go.go(() -> {
                Go.sleep(Duration.ofHours(1));
                sleeperWoke.set(Go.now());
            });
            WaitGroup wg = new WaitGroup();
            wg.add(pairs);
            for (int p = 0; p < pairs; p++) {
                Chan<Integer> ping = new Chan<>();
                Chan<Integer> pong = new Chan<>();
                Go.go(() -> {
                    for (int i = 0; i < rounds; i++) {
                        pong.send(ping.receive() + 1);
                    }
                });
                Go.go(() -> {
                    for (int i = 0; i < rounds; i++) {
                        ping.send(i);
                        pong.receive();
                    }
                    wg.done();
                });
            }
            wg.await();
            pairsDone.set(Go.now());
        });
        assertEquals(EPOCH, pairsDone.get(), "the clock moved while goroutines were handing values over");
        assertEquals(EPOCH.plus(Duration.ofHours(1)), sleeperWoke.get());
    }

    /**
     * A goroutine that parks while its continuation is pinned (a native frame; here
     * {@code Continuation.pin}, as SchedStressTest does) blocks its carrier in G.parkPinned, but
     * it is still durably blocked: only a goroutine or a timer of the bubble can wake it. The
     * clock must move for it (or run would hang).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aPinnedParkIsDurablyBlocked(int procs) {
        AtomicReference<Instant> woke = new AtomicReference<>();
        Synctest.run(procs, () -> {
            Go.go(() -> {
                Continuation.pin();
                try {
                    Go.sleep(Duration.ofMinutes(1));
                } finally {
                    Continuation.unpin();
                }
                woke.set(Go.now());
            });
        });
        assertEquals(EPOCH.plus(Duration.ofMinutes(1)), woke.get());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void sleepersWakeInDeadlineOrderAtExactFakeTimes(int procs) {
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        Synctest.run(procs, () -> {
            for (int s : new int[] {3, 1, 2}) {
                Go.go(() -> {
                    Go.sleep(Duration.ofSeconds(s));
                    order.add(s + "@" + Duration.between(EPOCH, Go.now()));
                });
            }
        });
        assertEquals(List.of("1@PT1S", "2@PT2S", "3@PT3S"), order);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void awaitSeesAGoroutineBlockedOnAChannel(int procs) {
        Synctest.run(procs, () -> {
            Chan<Integer> in = new Chan<>();
            AtomicInteger state = new AtomicInteger();
            Go.go(() -> {
                state.set(1);
                for (int i = 0; i < 10_000; i++) {
                    Go.yield(); // still running: await must not return yet
                }
                state.set(2);
                int v = in.receive(); // durably blocked here
                state.set(v);
            });
            Synctest.await();
            assertEquals(2, state.get(), "await returned before the goroutine blocked on the channel");
            in.send(7);
            Synctest.await(); // the goroutine has exited
            assertEquals(7, state.get());
            assertEquals(EPOCH, Go.now()); // no timer: the clock never moved
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void goBlockingIsNotDurablyBlockedTheClockWaits(int procs) {
        AtomicReference<Instant> sleeperWoke = new AtomicReference<>();
        AtomicReference<Instant> blockerBack = new AtomicReference<>();
        Synctest.run(procs, () -> {
            Bubble b = ((Scheduler) io.goloom.core.G.current().sched).bubble;
            Chan<Boolean> parked = new Chan<>(1);
            Go.go(() -> {
                parked.send(true);
                Go.sleep(Duration.ofSeconds(1));
                sleeperWoke.set(Go.now());
            });
            parked.receive();
            Go.blocking(() -> {
                // The sleeper is parked on its timer (or about to), we sit in a blocking call.
                // Wait until the driver has looked at the bubble DRIVER_LOOKS more times (kicked by
                // the Ms going idle, or by its backstop): each look must see us not durably
                // blocked and leave the clock alone.
                long r0 = b.rounds();
                awaitCondition("driver rounds", Duration.ofSeconds(30), () -> b.rounds() - r0 >= DRIVER_LOOKS);
            });
            blockerBack.set(Go.now());
            assertNull(sleeperWoke.get(), "the clock jumped while a goroutine was in Go.blocking");
        });
        assertEquals(EPOCH, blockerBack.get(), "the body came back from Go.blocking at the start time");
        assertEquals(EPOCH.plusSeconds(1), sleeperWoke.get());
    }

    /** Driver rounds a blocking call waits out in {@link #goBlockingIsNotDurablyBlockedTheClockWaits}. */
    static final int DRIVER_LOOKS = 5;

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void deadlockIsReportedWithTheBlockedGoroutines(int procs) {
        DeadlockException e = assertThrows(DeadlockException.class, () -> Synctest.run(procs, () -> {
            Chan<Integer> never = new Chan<>();
            Go.go(() -> {
                Go.sleep(Duration.ofMinutes(5)); // timers left: not a deadlock until they fire
                never.receive();
            });
            new Chan<String>().send("nobody");
        }));
        String m = e.getMessage();
        assertTrue(m.startsWith("deadlock: all goroutines in bubble are blocked\n"), m);
        assertTrue(m.contains("bubble time 2000-01-01T00:05:00Z"), m);
        assertTrue(m.contains("[chan send"), m);
        assertTrue(m.contains("[chan receive"), m);
        assertTrue(m.contains("goroutine "), m);
    }

    @Test
    void mainExitedWithBlockedGoroutinesIsReported() {
        DeadlockException e = assertThrows(DeadlockException.class,
                () -> Synctest.run(() -> Go.go(() -> {
                    WaitGroup wg = new WaitGroup();
                    wg.add(1);
                    wg.await();
                })));
        assertTrue(e.getMessage().startsWith("deadlock: main bubble goroutine has exited but blocked goroutines remain"),
                e.getMessage());
    }

    @Test
    void runWaitsForEveryGoroutineOfTheBubble() {
        AtomicInteger done = new AtomicInteger();
        Synctest.run(() -> {
            for (int i = 1; i <= 10; i++) {
                int s = i;
                Go.go(() -> {
                    Go.sleep(Duration.ofDays(s));
                    done.incrementAndGet();
                });
            }
        });
        assertEquals(10, done.get());
    }

    @Test
    void aPanicInTheBodyPropagates() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Synctest.run(() -> {
                    Go.sleep(Duration.ofSeconds(1));
                    throw new IllegalArgumentException("boom at " + Go.now());
                }));
        assertEquals("boom at 2000-01-01T00:00:01Z", e.getMessage());
    }

    @Test
    void aPanicInAChildGoroutinePropagates() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Synctest.run(() -> Go.go(() -> {
                    throw new IllegalStateException("child");
                })));
        assertEquals("child", e.getMessage());
    }

    @Test
    void timersAfterFuncErrGroupAndContextsInsideUseTheFakeClock() {
        Synctest.run(() -> {
            Timer t = Go.newTimer(Duration.ofMinutes(10));
            Chan<Instant> fired = new Chan<>(1);
            Go.afterFunc(Duration.ofMinutes(3), () -> fired.send(Go.now()));
            assertEquals(EPOCH.plus(Duration.ofMinutes(3)), fired.receive());
            assertEquals(EPOCH.plus(Duration.ofMinutes(10)), t.c().receive());
            assertTrue(t.reset(Duration.ofSeconds(5)) == false);
            Go.sleep(Duration.ofSeconds(4));
            assertTrue(t.stop());
            Context.Cancelable ctx = Context.withDeadline(Context.background(), EPOCH.plus(Duration.ofHours(1)));
            ErrGroup g = ErrGroup.withContext(ctx);
            g.go(() -> g.context().done().receiveOk());
            assertNull(g.await());
            assertEquals(EPOCH.plus(Duration.ofHours(1)), Go.now());
            Task<Instant> task = Go.spawn(() -> {
                Go.sleep(Duration.ofSeconds(2));
                return Go.now();
            });
            assertEquals(EPOCH.plus(Duration.ofHours(1)).plusSeconds(2), task.join());
            Chan<Instant> afterCtx = new Chan<>(1);
            Context.Cancelable short1 = Context.withTimeout(Context.background(), Duration.ofMillis(1));
            Context.afterFunc(short1, () -> afterCtx.send(Go.now()));
            assertEquals(EPOCH.plus(Duration.ofHours(1)).plusSeconds(2).plusMillis(1), afterCtx.receive());
        });
    }

    /** A goroutine's timed executor waits (GoWaiters) are on the bubble's clock too. */
    @Test
    void executorTimedWaitsUseTheFakeClock() {
        Synctest.run(() -> {
            java.util.concurrent.ExecutorService ex = GoRuntime.current().executor();
            Chan<Boolean> release = new Chan<>();
            ex.execute(release::receive);
            ex.shutdown();
            try {
                assertFalse(ex.awaitTermination(1, java.util.concurrent.TimeUnit.HOURS));
                assertEquals(EPOCH.plus(Duration.ofHours(1)), Go.now());
                release.send(true);
                assertTrue(ex.awaitTermination(1, java.util.concurrent.TimeUnit.HOURS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertEquals(EPOCH.plus(Duration.ofHours(1)), Go.now());
        });
    }

    @Test
    void awaitOutsideABubbleAndNestedRunAreRejected() throws Exception {
        GoRuntime rt = GoRuntime.create(1);
        try {
            rt.run(() -> {
                IllegalStateException e = assertThrows(IllegalStateException.class, Synctest::await);
                assertTrue(e.getMessage().contains("outside a synctest bubble"), e.getMessage());
                assertFalse(Synctest.inBubble());
                Synctest.run(() -> {
                    assertTrue(Synctest.inBubble());
                    IllegalStateException n = assertThrows(IllegalStateException.class, () -> Synctest.run(() -> {}));
                    assertTrue(n.getMessage().contains("within a synctest bubble"), n.getMessage());
                });
            });
        } finally {
            rt.close();
        }
    }
}
