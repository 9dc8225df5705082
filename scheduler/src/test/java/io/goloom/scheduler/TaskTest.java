package io.goloom.scheduler;

import static io.goloom.testkit.Await.awaitParkedFromThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.Select;
import io.goloom.core.WaitReason;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Task handles: value, failure, cancellation through the context, done() in a Select. */
@Timeout(60)
class TaskTest {

    private static final Duration HANG = Duration.ofSeconds(30);

    @Test
    void joinGivesTheValueOrTheFailureWhichNeverReachesThePanicHandler() throws Exception {
        CopyOnWriteArrayList<Throwable> panics = new CopyOnWriteArrayList<>();
        try (GoRuntime rt = GoRuntime.builder().procs(2).panicHandler((g, t) -> panics.add(t)).build()) {
            rt.run(() -> {
                Task<Integer> ok = Go.spawn(() -> 6 * 7);
                assertEquals(42, ok.join());
                assertTrue(ok.isDone());
                IOException io = new IOException("no");
                Task<String> bad = Go.spawn(() -> {
                    throw io;
                });
                CompletionException e = assertThrows(CompletionException.class, bad::join);
                assertSame(io, e.getCause());
                assertTrue(bad.toString().contains("failed"), bad.toString());
            });
            assertEquals(0, panics.size(), panics.toString());
        }
    }

    @Test
    void cancelReachesABodyThatWatchesItsContextAndJoinFromAPlainThreadWaits() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2)) {
            Chan<Integer> never = new Chan<>();
            Task<Integer>[] t = new Task[1];
            rt.run(() -> t[0] = Task.spawn(Context.background(), ctx -> {
                int which = new Select().recv(ctx.done()).recv(never).run();
                if (which == 0) {
                    throw ctx.err();
                }
                return 1;
            }));
            awaitParkedFromThread(t[0].goroutine(), WaitReason.SELECT, HANG);
            assertFalse(t[0].isDone());
            t[0].cancel();
            CompletionException e = assertThrows(CompletionException.class, t[0]::join); // a plain thread blocks
            assertSame(Context.CANCELED, e.getCause());
        }
    }

    @Test
    void theParentsCancelReachesTheTaskAndDoneWorksInSelect() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                Context.Cancelable parent = Context.withCancel(Context.background());
                Task<String> t = Task.spawn(parent, ctx -> {
                    ctx.done().receive();
                    return "stopped: " + ctx.err().getMessage();
                });
                Chan<Integer> other = new Chan<>();
                parent.cancel();
                int which = new Select().recv(t.done()).recv(other).run();
                assertEquals(0, which);
                assertEquals("stopped: context canceled", t.join());
                assertThrows(NullPointerException.class, () -> Task.spawn(null, c -> 1));
                assertThrows(NullPointerException.class, () -> Go.spawn(null));
            });
        }
    }

    @Test
    void anUncheckedFailureIsKeptAsIs() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                UncheckedIOException u = new UncheckedIOException(new IOException("x"));
                Task<Void> t = Go.spawn(() -> {
                    throw u;
                });
                assertSame(u, assertThrows(CompletionException.class, t::join).getCause());
            });
        }
    }
}
