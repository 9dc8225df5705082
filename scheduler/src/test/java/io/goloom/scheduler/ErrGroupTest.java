package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** errgroup's semantics: the first failure kept and canceling the rest, the limit, TryGo. */
@Timeout(60)
class ErrGroupTest {

    private static final Duration HANG = Duration.ofSeconds(30);

    /** The failure comes while the nine others are parked on the group's context: they wake, canceled. */
    @Test
    void theFirstFailureCancelsTheOthersAndAwaitReturnsIt() throws Exception {
        CopyOnWriteArrayList<Throwable> panics = new CopyOnWriteArrayList<>();
        try (GoRuntime rt = GoRuntime.builder().procs(2).panicHandler((g, t) -> panics.add(t)).build()) {
            IOException boom = new IOException("boom");
            AtomicInteger waiting = new AtomicInteger();
            AtomicInteger sawCancel = new AtomicInteger();
            Throwable[] result = new Throwable[1];
            ErrGroup[] group = new ErrGroup[1];
            rt.run(() -> {
                ErrGroup g = ErrGroup.withContext(Context.background());
                group[0] = g;
                for (int i = 0; i < 9; i++) {
                    g.go(() -> {
                        waiting.incrementAndGet();
                        g.context().done().receive();
                        if (g.context().err() == Context.CANCELED) {
                            sawCancel.incrementAndGet();
                        }
                        throw new IllegalStateException("a later failure, dropped");
                    });
                }
                g.go(() -> {
                    awaitCondition("the nine others to wait", HANG, () -> waiting.get() == 9, Go::yield); // a goroutine: yield, do not hold the carrier
                    throw boom;
                });
                result[0] = g.await();
            });
            assertSame(boom, result[0]);
            assertEquals(9, sawCancel.get());
            assertSame(Context.CANCELED, group[0].context().err());
            assertSame(boom, Context.cause(group[0].context()));
            assertEquals(0, panics.size(), "a subtask's failure reached the panic handler: " + panics);
        }
    }

    @Test
    void withoutFailuresAwaitReturnsNullAndStillCancelsTheContext() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            AtomicInteger ran = new AtomicInteger();
            ErrGroup g = ErrGroup.withContext(Context.background());
            rt.run(() -> {
                for (int i = 0; i < 100; i++) {
                    g.go(ran::incrementAndGet);
                }
                assertNull(g.await());
            });
            assertEquals(100, ran.get());
            assertSame(Context.CANCELED, g.context().err());
            ErrGroup plain = ErrGroup.create();
            assertSame(Context.background(), plain.context());
            plain.go(() -> { });
            assertNull(plain.await());
        }
    }

    /**
     * Twenty subtasks, limit 3: the fourth go() waits, TryGo says no, and never more than three
     * run; each holds its slot until the test lets it go (not a timing argument).
     */
    @Test
    void theLimitBoundsHowManyRunAtOnce() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            ErrGroup g = ErrGroup.create();
            g.setLimit(3);
            AtomicInteger active = new AtomicInteger();
            AtomicInteger maxActive = new AtomicInteger();
            AtomicInteger finished = new AtomicInteger();
            Chan<Boolean> release = new Chan<>();
            AtomicInteger started = new AtomicInteger();
            rt.go(() -> {
                for (int i = 0; i < 20; i++) {
                    g.go(() -> {
                        maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                        release.receive();
                        active.decrementAndGet();
                        finished.incrementAndGet();
                    });
                    started.incrementAndGet();
                }
            });
            awaitCondition("three subtasks to run", HANG, () -> active.get() == 3);
            assertFalse(g.tryGo(() -> { }), "tryGo at the limit");
            assertThrows(IllegalStateException.class, () -> g.setLimit(5), "setLimit while subtasks are active");
            assertEquals(3, started.get(), "go() did not wait at the limit");
            for (int i = 0; i < 20; i++) {
                release.send(true);
            }
            awaitCondition("all twenty to finish", HANG, () -> finished.get() == 20);
            rt.run(() -> assertNull(g.await()));
            assertEquals(3, maxActive.get());
            // From a goroutine of rt: from the test thread, Go.go would start the subtask on the
            // default runtime, which rt's deadlock check cannot see (a false "all asleep" report
            // when that runtime is slow to run it, seen in a full suite run).
            rt.run(() -> {
                assertTrue(g.tryGo(() -> { }));
                assertNull(g.await());
            });
        }
    }
}
