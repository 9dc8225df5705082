package io.goloom.scheduler;

import static io.goloom.testkit.goroutines.AwaitParked.awaitParkedFromThread;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.G;
import io.goloom.core.WaitReason;
import io.goloom.netpoll.Conn;
import io.goloom.netpoll.Listener;
import io.goloom.netpoll.Net;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link NetContext}: a context's cancellation interrupts a parked read, write or connect (each
 * test waits until the goroutine is parked on the poller before it cancels, so the interrupt,
 * not a pre-check, is what ends the call), its deadline bounds them, and a connection used
 * through it is left with no deadline afterwards.
 */
@Timeout(60)
class NetContextTest {

    private static final Duration PARKED = Duration.ofSeconds(20);

    /** A connected pair: [0] dialled (the test's side), [1] accepted (the peer). */
    private static Conn[] pair(Listener ln) throws Exception {
        CompletableFuture<Conn> accepted = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                accepted.complete(ln.accept());
            } catch (Throwable e) {
                accepted.completeExceptionally(e);
            }
        });
        Conn c = Net.dial(ln.address().getHostString(), ln.address().getPort());
        Conn peer = accepted.get(20, TimeUnit.SECONDS);
        t.join();
        return new Conn[] {c, peer};
    }

    /** Runs body as a goroutine of rt; returns its G and what it threw (or null). */
    private static G start(GoRuntime rt, AtomicReference<Throwable> thrown, CompletableFuture<Void> done, ThrowingRunnable body) {
        return rt.go(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                thrown.set(e);
            } finally {
                done.complete(null);
            }
        });
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Runs op (given a fresh cancelable context) in a goroutine, cancels once it is parked on the poller, returns what it threw. */
    private static Throwable cancelWhenParked(GoRuntime rt, java.util.function.Function<Context, ThrowingRunnable> op) throws Exception {
        Context.Cancelable ctx = Context.withCancel(Context.background());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        G g = start(rt, thrown, done, op.apply(ctx));
        awaitParkedFromThread(g, WaitReason.IO_WAIT, PARKED);
        ctx.cancel();
        done.get(20, TimeUnit.SECONDS);
        return thrown.get();
    }

    @Test
    void cancelInterruptsAParkedReadAndTheConnectionStaysUsable() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2); Listener ln = Net.listen("127.0.0.1", 0)) {
            Conn[] p = pair(ln);
            assertSame(Context.CANCELED, cancelWhenParked(rt, ctx -> () -> NetContext.read(ctx, p[0], new byte[16])),
                    "the parked read ends with the context's error");
            // No past deadline left behind: a plain read waits for the peer's bytes.
            p[1].write(new byte[] {7, 8});
            byte[] b = new byte[2];
            p[0].readFully(b, 0, 2);
            assertArrayEquals(new byte[] {7, 8}, b);
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void aContextDeadlineEndsAParkedReadWithDeadlineExceeded() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2); Listener ln = Net.listen("127.0.0.1", 0)) {
            Conn[] p = pair(ln);
            long t0 = System.nanoTime();
            Context.Cancelable ctx = Context.withTimeout(Context.background(), Duration.ofMillis(100));
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            start(rt, thrown, done, () -> NetContext.read(ctx, p[0], new byte[16]));
            done.get(20, TimeUnit.SECONDS);
            assertSame(Context.DEADLINE_EXCEEDED, thrown.get());
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(100), "not before the deadline");
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void aCompletedReadIsNotUndoneByALaterCancel() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2); Listener ln = Net.listen("127.0.0.1", 0)) {
            Conn[] p = pair(ln);
            Context.Cancelable ctx = Context.withCancel(Context.background());
            p[1].write(new byte[] {1});
            CompletableFuture<Integer> n = new CompletableFuture<>();
            rt.go(() -> {
                try {
                    n.complete(NetContext.read(ctx, p[0], new byte[16]));
                } catch (Throwable e) {
                    n.completeExceptionally(e);
                }
            });
            assertEquals(1, n.get(20, TimeUnit.SECONDS));
            ctx.cancel();
            p[1].write(new byte[] {2});
            assertEquals(1, p[0].read(new byte[16]), "the cancel after the call left no deadline on the connection");
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void cancelInterruptsAParkedWriteOnAFullSocket() throws Exception {
        try (GoRuntime rt = GoRuntime.create(2); Listener ln = Net.listen("127.0.0.1", 0)) {
            Conn[] p = pair(ln);
            byte[] big = new byte[64 << 20]; // more than both socket buffers: the write parks
            assertSame(Context.CANCELED, cancelWhenParked(rt, ctx -> () -> NetContext.write(ctx, p[0], big)));
            p[0].close();
            p[1].close();
        }
    }

    /**
     * A connect that cannot complete: the listener's accept queue (backlog 1, never accepted) is
     * full, so Linux drops the SYN and the connect stays pending (retransmitting) until the
     * cancel interrupts it.
     */
    @Test
    void cancelInterruptsAPendingConnect() throws Exception {
        List<SocketChannel> fillers = new ArrayList<>();
        try (GoRuntime rt = GoRuntime.create(2); ServerSocketChannel ss = ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            InetSocketAddress addr = (InetSocketAddress) ss.getLocalAddress();
            for (int i = 0; i < 8; i++) {
                SocketChannel sc = SocketChannel.open();
                sc.configureBlocking(false);
                sc.setOption(StandardSocketOptions.TCP_NODELAY, true);
                sc.connect(addr);
                fillers.add(sc);
            }
            Context.Cancelable ctx = Context.withCancel(Context.background());
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            G dialer = start(rt, thrown, done, () -> NetContext.dial(ctx, addr).close());
            try {
                awaitParkedFromThread(dialer, WaitReason.IO_WAIT, Duration.ofSeconds(5));
            } catch (AssertionError notParked) {
                Assumptions.assumeFalse(done.isDone() && thrown.get() == null,
                        "the connect completed at once: this kernel did not drop the SYN on a full accept queue");
                throw notParked;
            }
            ctx.cancel();
            done.get(20, TimeUnit.SECONDS);
            assertSame(Context.CANCELED, thrown.get(), "the pending connect ends with the context's error");
        } finally {
            for (SocketChannel sc : fillers) {
                sc.close();
            }
        }
    }

    @Test
    void anEndedContextFailsEveryCallAtOnceAndADialWithALiveOneConnects() throws Exception {
        try (GoRuntime rt = GoRuntime.create(1); Listener ln = Net.listen("127.0.0.1", 0)) {
            Conn[] p = pair(ln);
            Context.Cancelable ctx = Context.withCancel(Context.background());
            ctx.cancel();
            CompletableFuture<Void> checked = new CompletableFuture<>();
            rt.go(() -> {
                try {
                    assertSame(Context.CANCELED, assertThrows(CancellationException.class,
                            () -> NetContext.read(ctx, p[0], new byte[1])));
                    assertSame(Context.CANCELED, assertThrows(CancellationException.class,
                            () -> NetContext.write(ctx, p[0], new byte[1])));
                    assertSame(Context.CANCELED, assertThrows(CancellationException.class,
                            () -> NetContext.dial(ctx, ln.address())));
                    Context.Cancelable live = Context.withTimeout(Context.background(), Duration.ofSeconds(30));
                    CompletableFuture<Conn> acc = new CompletableFuture<>();
                    Thread t = Thread.ofPlatform().start(() -> {
                        try {
                            acc.complete(ln.accept());
                        } catch (IOException e) {
                            acc.completeExceptionally(e);
                        }
                    });
                    try (Conn c = NetContext.dial(live, ln.address()); Conn peer = acc.get(20, TimeUnit.SECONDS)) {
                        NetContext.write(live, c, new byte[] {5});
                        byte[] b = new byte[1];
                        assertEquals(1, NetContext.read(live, peer, b));
                        assertEquals(5, b[0]);
                    }
                    t.join();
                    live.cancel();
                    checked.complete(null);
                } catch (Throwable e) {
                    checked.completeExceptionally(e);
                }
            });
            checked.get(30, TimeUnit.SECONDS);
            p[0].close();
            p[1].close();
        }
    }
}
