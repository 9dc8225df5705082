package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.goloom.core.Chan;
import io.goloom.core.ChanClosedException;
import io.goloom.core.Recv;
import io.goloom.core.Select;
import io.goloom.testkit.Stress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Channel operations bounded by a context or a timeout ({@link Context#receive},
 * {@link Context#send}, {@link Context#receiveWithin}, {@link Context#sendWithin}). The timing
 * cases run in a {@link Synctest} bubble, where "blocked" ({@link Synctest#await}) and "after 5 s"
 * are exact; the race of a cancel with a send runs on a real runtime.
 */
@Timeout(60)
class ContextChanTest {

    static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    @Test
    void receiveAndSendPassValuesWhileTheContextIsLive() {
        Synctest.run(() -> {
            Context.Cancelable ctx = Context.withCancel(Context.background());
            Chan<String> ch = new Chan<>();
            Go.go(() -> ctx.send(ch, "a"));
            assertEquals("a", ctx.receive(ch));
            Chan<String> buf = new Chan<>(1);
            ctx.send(buf, "b");
            assertEquals(new Recv<>("b", true), ctx.receiveOk(buf));
            buf.close();
            assertEquals(new Recv<String>(null, false), ctx.receiveOk(buf));
            assertNull(ctx.receive(buf));
            assertThrows(ChanClosedException.class, () -> ctx.send(buf, "c"));
            // background: never done, so these are plain channel operations
            Chan<Integer> ints = new Chan<>(1);
            Context.background().send(ints, 1);
            assertEquals(1, Context.background().receive(ints));
            assertThrows(NullPointerException.class, () -> ctx.send(ints, null));
        });
    }

    @Test
    void cancelWakesABlockedReceiveWithCanceledAndTakesNothing() {
        Synctest.run(() -> {
            Context.Cancelable ctx = Context.withCancel(Context.background());
            Chan<Integer> ch = new Chan<>(1);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Go.go(() -> {
                try {
                    ctx.receive(ch);
                } catch (CancellationException e) {
                    thrown.set(e);
                }
            });
            Synctest.await(); // the receiver is blocked in its select
            ctx.cancel();
            Synctest.await();
            assertSame(Context.CANCELED, thrown.get());
            ch.send(5); // nothing was taken: the value stays for the next receiver
            assertEquals(5, ch.tryReceive());
        });
    }

    @Test
    void aDeadlineEndsABlockedSendAtExactlyItsTime() {
        Synctest.run(() -> {
            Context.Cancelable ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(30));
            Chan<Integer> full = new Chan<>(1);
            full.send(0);
            CancellationException e = assertThrows(CancellationException.class, () -> ctx.send(full, 1));
            assertSame(Context.DEADLINE_EXCEEDED, e);
            assertEquals(EPOCH.plusSeconds(30), Go.now());
            assertEquals(0, full.tryReceive());
            assertNull(full.tryReceive(), "the send that timed out left no value");
        });
    }

    @Test
    void timeoutsOnTheFakeClock() {
        Synctest.run(() -> {
            Chan<Integer> ch = new Chan<>();
            assertSame(Context.DEADLINE_EXCEEDED,
                    assertThrows(CancellationException.class, () -> Context.receiveWithin(ch, Duration.ofSeconds(5))));
            assertEquals(EPOCH.plusSeconds(5), Go.now());
            assertSame(Context.DEADLINE_EXCEEDED,
                    assertThrows(CancellationException.class, () -> Context.sendWithin(ch, 1, Duration.ofSeconds(5))));
            assertEquals(EPOCH.plusSeconds(10), Go.now());
            Go.afterFunc(Duration.ofSeconds(3), () -> ch.send(42));
            assertEquals(42, Context.receiveWithin(ch, Duration.ofSeconds(5)));
            assertEquals(EPOCH.plusSeconds(13), Go.now());
            Go.go(() -> {
                Go.sleep(Duration.ofSeconds(1));
                assertEquals(7, ch.receive());
            });
            Context.sendWithin(ch, 7, Duration.ofSeconds(5));
            assertEquals(EPOCH.plusSeconds(14), Go.now());
            // the timers of the calls that won were stopped: nothing is left to fire
            Synctest.await();
            assertEquals(EPOCH.plusSeconds(14), Go.now());
        });
    }

    /**
     * A cancel racing a send: the value is delivered (the send returns) or the send reports the
     * cancel (and no receiver ever gets it), never both and never neither. The receiver and the
     * canceller start together; the receiver stops looking once the sender has returned.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void cancelRacingASendNeverLosesNorDuplicatesTheValue(int capacity) throws Exception {
        int rounds = 2_000 * Stress.FACTOR;
        GoRuntime rt = GoRuntime.create(4);
        try {
            AtomicInteger delivered = new AtomicInteger(), canceled = new AtomicInteger();
            AtomicReference<String> bad = new AtomicReference<>();
            rt.run(() -> {
                for (int i = 0; i < rounds; i++) {
                    int round = i;
                    Context.Cancelable ctx = Context.withCancel(Context.background());
                    Chan<Integer> ch = new Chan<>(capacity);
                    Chan<Void> senderDone = new Chan<>();
                    Chan<Boolean> result = new Chan<>(2);
                    Go.go(() -> { // the sender
                        boolean sent;
                        try {
                            ctx.send(ch, round);
                            sent = true;
                        } catch (CancellationException e) {
                            sent = false;
                        }
                        senderDone.close();
                        result.send(sent);
                    });
                    Go.go(ctx::cancel); // the canceller
                    Go.go(() -> { // the receiver: takes the value if it is (or gets) there
                        Select s = Select.of().recv(ch).recv(senderDone);
                        boolean got = s.run() == 0 && s.ok();
                        if (!got) {
                            got = ch.tryReceive() != null; // buffered: a value sent before senderDone closed
                        }
                        result.send(got);
                    });
                    boolean a = result.receive(), b = result.receive();
                    if (a != b) {
                        bad.compareAndSet(null, "round " + round + ": sender and receiver disagree (one says delivered, the other not)");
                    }
                    (a ? delivered : canceled).incrementAndGet();
                }
            });
            assertNull(bad.get(), bad.get());
            assertEquals(rounds, delivered.get() + canceled.get());
            System.out.printf("cancel vs send, capacity %d: %d delivered, %d canceled%n", capacity, delivered.get(), canceled.get());
        } finally {
            rt.close();
        }
    }
}
