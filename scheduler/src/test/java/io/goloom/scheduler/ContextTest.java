package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitCondition;
import static io.goloom.testkit.goroutines.AwaitParked.awaitParkedFromThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.G;
import io.goloom.core.Recv;
import io.goloom.core.Select;
import io.goloom.core.WaitGroup;
import io.goloom.core.WaitReason;
import io.goloom.testkit.Stress;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Go's context package semantics: cancellation down the tree, deadlines, causes, values, afterFunc. */
@Timeout(60)
class ContextTest {

    private static final Duration HANG = Duration.ofSeconds(30);

    private static boolean closed(Chan<Void> c) {
        Recv<Void> r = c.tryReceiveOk();
        return r != null && !r.ok();
    }

    @Test
    void cancelClosesDoneOnceSetsErrAndIsIdempotent() {
        Context.Cancelable ctx = Context.withCancel(Context.background());
        assertNull(ctx.err());
        assertFalse(closed(ctx.done()));
        assertNull(Context.cause(ctx));
        ctx.cancel();
        ctx.cancel(); // no second close (Chan.close would throw)
        ctx.close();
        assertTrue(closed(ctx.done()));
        assertSame(Context.CANCELED, ctx.err());
        assertSame(Context.CANCELED, Context.cause(ctx));
        assertEquals("context canceled", ctx.err().getMessage());
        assertEquals("context.Background.WithCancel", ctx.toString());
    }

    @Test
    void cancelReachesEveryDescendantAndNeverTheParent() {
        Context.Cancelable root = Context.withCancel(Context.background());
        Context.Cancelable a = Context.withCancel(root);
        Context v = Context.withValue(a, "k", "v");
        Context.Cancelable b = Context.withCancel(v);
        Context.Cancelable c = Context.withTimeout(b, Duration.ofHours(1));
        Context.Cancelable sibling = Context.withCancel(root);
        a.cancel();
        for (Context x : List.of(a, v, b, c)) {
            assertTrue(closed(x.done()), x.toString());
            assertSame(Context.CANCELED, x.err(), x.toString());
        }
        assertNull(root.err());
        assertNull(sibling.err());
        assertEquals("v", c.value("k"), "values survive cancellation");
        root.cancel();
        assertSame(Context.CANCELED, sibling.err());
    }

    @Test
    void aChildOfACanceledParentIsCanceledAtOnce() {
        Context.Cancelable parent = Context.withCancelCause(Context.background());
        IOException why = new IOException("disk gone");
        parent.cancel(why);
        Context.Cancelable child = Context.withTimeout(Context.withValue(parent, 1, 2), Duration.ofHours(1));
        assertSame(Context.CANCELED, child.err());
        assertSame(why, Context.cause(child));
        assertTrue(closed(child.done()));
    }

    @Test
    void theFirstCauseStaysAndDescendantsInheritIt() {
        Context.Cancelable parent = Context.withCancelCause(Context.background());
        Context.Cancelable child = Context.withCancelCause(parent);
        IllegalStateException first = new IllegalStateException("first");
        parent.cancel(first);
        parent.cancel(new IllegalStateException("second"));
        child.cancel(new IllegalStateException("child's own, too late"));
        assertSame(first, Context.cause(parent));
        assertSame(first, Context.cause(child));
        assertSame(Context.CANCELED, child.err());
        assertNull(Context.cause(Context.background()));
    }

    /**
     * One cancel wakes 100,000 goroutines parked in a Select on done() (and on a channel nobody
     * sends on), each exactly once, with err() already set when they wake.
     */
    @Test
    void oneCancelWakesAHundredThousandGoroutinesInSelectOnceEach() throws Exception {
        int n = 100_000 * Stress.FACTOR;
        try (GoRuntime rt = GoRuntime.create(2)) {
            Context.Cancelable ctx = Context.withCancel(Context.background());
            Chan<Integer> never = new Chan<>();
            AtomicInteger woke = new AtomicInteger();
            AtomicInteger sawErr = new AtomicInteger();
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            List<G> gs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                gs.add(rt.go(() -> {
                    int which = new Select().recv(ctx.done()).recv(never).run();
                    if (which == 0) {
                        woke.incrementAndGet();
                    }
                    if (ctx.err() == Context.CANCELED) {
                        sawErr.incrementAndGet();
                    }
                    wg.done();
                }));
            }
            for (G g : gs) {
                awaitParkedFromThread(g, WaitReason.SELECT, HANG);
            }
            ctx.cancel(); // from a plain thread
            wg.await();
            assertEquals(n, woke.get());
            assertEquals(n, sawErr.get());
        }
    }

    @Test
    void aDeadlineCancelsWithDeadlineExceededNoEarlier() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            AtomicInteger checks = new AtomicInteger();
            rt.run(() -> {
                long t0 = System.nanoTime();
                Context.Cancelable ctx = Context.withTimeout(Context.background(), Duration.ofMillis(50));
                assertTrue(ctx.deadline().isPresent());
                ctx.done().receive();
                long waited = System.nanoTime() - t0;
                assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(50), "done after " + waited + " ns");
                assertSame(Context.DEADLINE_EXCEEDED, ctx.err());
                assertSame(Context.DEADLINE_EXCEEDED, Context.cause(ctx));
                checks.incrementAndGet();
            });
            assertEquals(1, checks.get());
        }
    }

    @Test
    void aDeadlineInThePastIsDoneAtOnceAndTheParentsEarlierDeadlineWins() throws Exception {
        Context.Cancelable past = Context.withDeadline(Context.background(), Instant.now().minusSeconds(1));
        assertTrue(closed(past.done()));
        assertSame(Context.DEADLINE_EXCEEDED, past.err());
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                Context.Cancelable parent = Context.withTimeout(Context.background(), Duration.ofMillis(20));
                Context.Cancelable child = Context.withTimeout(parent, Duration.ofHours(1));
                assertEquals(parent.deadline(), child.deadline());
                child.done().receive();
                assertSame(Context.DEADLINE_EXCEEDED, child.err());
            });
        }
    }

    @Test
    void afterFuncRunsOnceWhenDoneAndStopKeepsItFromRunning() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            rt.run(() -> {
                Context.Cancelable ctx = Context.withCancel(Context.background());
                AtomicInteger stoppedRuns = new AtomicInteger();
                CountDownLatch ran = new CountDownLatch(1);
                AtomicInteger runs = new AtomicInteger();
                Context.Stop stopped = Context.afterFunc(ctx, stoppedRuns::incrementAndGet);
                Context.Stop kept = Context.afterFunc(ctx, () -> {
                    runs.incrementAndGet();
                    ran.countDown();
                });
                assertTrue(stopped.stop());
                assertFalse(stopped.stop(), "a second stop prevents nothing");
                ctx.cancel();
                ctx.cancel();
                try {
                    assertTrue(ran.await(30, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                assertFalse(kept.stop(), "it ran: stop is too late");
                // Every goroutine the cancel could have started has ended (only this one is left).
                awaitCondition("the afterFunc goroutines to end", HANG, () -> GoRuntime.current().numGoroutine() == 1, Go::yield);
                assertEquals(1, runs.get());
                assertEquals(0, stoppedRuns.get());
                // On a context that is done already, f runs at once (in its own goroutine).
                CountDownLatch late = new CountDownLatch(1);
                Context.afterFunc(ctx, late::countDown);
                try {
                    assertTrue(late.await(30, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
        }
    }

    @Test
    void valuesResolveToTheNearestBindingAndWithoutCancelKeepsThemButNotTheCancel() {
        Context a = Context.withValue(Context.background(), "user", "ann");
        Context.Cancelable c = Context.withCancel(a);
        Context b = Context.withValue(c, "user", "bob");
        Context d = Context.withValue(b, "trace", 7);
        assertEquals("bob", d.value("user"));
        assertEquals(7, d.value("trace"));
        assertEquals("ann", c.value("user"));
        assertNull(d.value("nope"));
        Context detached = Context.withoutCancel(d);
        c.cancel();
        assertSame(Context.CANCELED, d.err());
        assertNull(detached.err());
        assertFalse(closed(detached.done()));
        assertEquals("bob", detached.value("user"));
        assertTrue(detached.deadline().isEmpty());
    }

    @Test
    void badInputNamesTheProblem() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> Context.withCancel(null));
        assertEquals("cannot create context from null parent", e.getMessage());
        e = assertThrows(NullPointerException.class, () -> Context.withValue(Context.background(), null, 1));
        assertEquals("context key must not be null", e.getMessage());
        assertThrows(NullPointerException.class, () -> Context.afterFunc(Context.background(), null));
    }

    @Test
    void backgroundIsNeverDone() {
        Context bg = Context.background();
        assertNull(bg.err());
        assertFalse(closed(bg.done()));
        assertTrue(bg.deadline().isEmpty());
        assertEquals("context.Background", bg.toString());
        assertEquals("context.TODO", Context.todo().toString());
        AtomicBoolean ranNow = new AtomicBoolean();
        Context.Stop s = Context.afterFunc(bg, () -> ranNow.set(true));
        assertTrue(s.stop());
        assertFalse(ranNow.get());
    }
}
