package io.goloom.net;

import static io.goloom.testkit.Await.awaitCondition;
import static io.goloom.testkit.goroutines.AwaitParked.awaitParkedFromGoroutine;
import static io.goloom.testkit.goroutines.AwaitParked.awaitParkedFromThread;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.goloom.core.G;
import io.goloom.core.WaitGroup;
import io.goloom.core.WaitReason;
import io.goloom.netpoll.Conn;
import io.goloom.netpoll.ConnectionResetException;
import io.goloom.netpoll.DeadlineExceededException;
import io.goloom.netpoll.Listener;
import io.goloom.netpoll.Net;
import io.goloom.netpoll.NetClosedException;
import io.goloom.netpoll.Netpoll;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import io.goloom.scheduler.GoroutineInfo;
import io.goloom.testkit.Allocation;
import io.goloom.testkit.Stress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The netpoll suite, written once and run against each backend: {@link EpollNetTest} runs it in
 * the surefire JVM (epoll on Linux); {@link SelectorNetTest} runs {@link SelectorNetSuite} in a
 * child JVM started with {@code -Dgoloom.netpoll=selector}, because the backend is chosen once
 * per JVM.
 *
 * <p>Timing: no test asserts an upper wall-clock bound tighter than seconds; every deadline test
 * asserts only "not before the deadline" (goloom's timers never fire early) and that the call
 * fails eventually. Hangs are caught by {@link Timeout}s.
 */
abstract class NetSuite {

    /** Hang detection, not a performance bound. */
    static final Duration HANG = Duration.ofSeconds(30);
    static final String LOOPBACK = "127.0.0.1";

    GoRuntime rt;

    @BeforeEach
    void startRuntime() {
        rt = GoRuntime.builder().procs(2).name("net-test").build();
    }

    @AfterEach
    void stopRuntime() {
        // Servers finish on their own once their peers close (EOF); give them the time to get
        // there (waiting on the count itself, not sleeping), then nothing may be left.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (rt.numGoroutine() != 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        List<GoroutineInfo> alive = rt.shutdown();
        assertTrue(alive.isEmpty(), () -> "goroutines left behind: " + alive);
    }

    // =====================================================================================
    // Echo

    /** 1,000 concurrent connections on loopback, goroutine per connection on both sides; every byte comes back in order. */
    @Test
    @Timeout(60)
    void echoWithAThousandConcurrentConnections() throws Exception {
        int conns = 1000;
        int bytesPerConn = 8 * 1024;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Listener ln = Net.listen(LOOPBACK, 0)) {
            int port = ln.address().getPort();
            rt.run(() -> {
                WaitGroup served = new WaitGroup();
                served.add(conns);
                Go.go(() -> {
                    for (int i = 0; i < conns; i++) {
                        Conn c = accept(ln);
                        Go.go(() -> {
                            try (c) {
                                echo(c);
                            } catch (Throwable t) {
                                failure.compareAndSet(null, t);
                            } finally {
                                served.done();
                            }
                        });
                    }
                });
                WaitGroup clients = new WaitGroup();
                clients.add(conns);
                for (int i = 0; i < conns; i++) {
                    int id = i;
                    Go.go(() -> {
                        try (Conn c = Net.dial(LOOPBACK, port)) {
                            byte[] out = pattern(id, bytesPerConn);
                            // Write in uneven chunks, then half-close: the server echoes to EOF.
                            for (int off = 0; off < out.length; ) {
                                int n = Math.min(out.length - off, 1 + (id * 31 + off) % 3000);
                                c.write(out, off, n);
                                off += n;
                            }
                            c.closeWrite();
                            byte[] in = new byte[bytesPerConn];
                            c.readFully(in, 0, in.length);
                            assertEquals(-1, c.read(new byte[1]), "EOF after the echo");
                            assertArrayEquals(out, in, "conn " + id);
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        } finally {
                            clients.done();
                        }
                    });
                }
                clients.await();
                served.await();
            });
        }
        if (failure.get() != null) {
            throw new AssertionError("an echo failed", failure.get());
        }
    }

    /** Partial writes park and resume: one 8 MB write to a reader that drains slowly. */
    @Test
    @Timeout(60)
    void eightMegabyteWriteToASlowReaderCompletes() throws Exception {
        int size = 8 * 1024 * 1024;
        byte[] data = pattern(7, size);
        AtomicBoolean writerParked = new AtomicBoolean();
        try (Listener ln = Net.listen(LOOPBACK, 0)) {
            rt.run(() -> {
                Conn server = accept(ln, ln.address());
                Conn client = accept(ln);
                G writer = Go.go(() -> {
                    try {
                        server.write(data); // one call: it must park on partial writes
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                // Do not read until the writer is parked on the full socket buffers.
                awaitParkedFromGoroutine(writer, WaitReason.IO_WAIT, HANG);
                writerParked.set(true);
                byte[] buf = new byte[64 * 1024];
                long got = 0;
                long sum = 0;
                int chunks = 0;
                try {
                    while (got < size) {
                        int n = client.read(buf, 0, (int) Math.min(buf.length, size - got));
                        assertTrue(n > 0, "read " + n + " after " + got);
                        for (int i = 0; i < n; i++) {
                            assertEquals(data[(int) (got + i)], buf[i]);
                        }
                        got += n;
                        sum += n;
                        if (++chunks % 16 == 0) {
                            Go.sleep(Duration.ofMillis(1)); // slow reader
                        }
                    }
                    client.close();
                    server.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                assertEquals(size, sum);
            });
        }
        assertTrue(writerParked.get());
    }

    // =====================================================================================
    // Deadlines

    @Test
    @Timeout(60)
    void readDeadlineFiresThenFailsLaterReadsUntilMovedAndTheConnStaysUsable() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            rt.run(() -> {
                try {
                    long t0 = System.nanoTime();
                    p.client.setReadDeadline(Duration.ofMillis(100));
                    assertThrows(DeadlineExceededException.class, () -> p.client.read(new byte[16]));
                    long waited = System.nanoTime() - t0;
                    assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(100), "fired early: " + waited + " ns");
                    // Expired: later reads fail at once, even with data available.
                    p.server.write(new byte[] {42});
                    assertThrows(DeadlineExceededException.class, () -> p.client.read(new byte[16]));
                    // Moved: usable again, and the byte is still there.
                    p.client.setReadDeadline((Instant) null);
                    byte[] b = new byte[16];
                    assertEquals(1, p.client.read(b));
                    assertEquals(42, b[0]);
                    // A deadline that passes while nobody reads also counts.
                    p.client.setReadDeadline(Duration.ofMillis(20));
                    Go.sleep(Duration.ofMillis(40));
                    assertThrows(DeadlineExceededException.class, () -> p.client.read(b));
                    p.client.setReadDeadline(Duration.ofSeconds(30));
                    p.server.write(new byte[] {7});
                    assertEquals(1, p.client.read(b));
                    assertEquals(7, b[0]);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** A deadline extended while the read is parked: the stale timer of the first deadline is ignored. */
    @Test
    @Timeout(60)
    void readDeadlineCanBeExtendedWhileBlocked() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            AtomicReference<Object> result = new AtomicReference<>();
            p.client.setReadDeadline(Duration.ofMillis(150));
            long t0 = System.nanoTime();
            G reader = rt.go(() -> {
                try {
                    byte[] b = new byte[4];
                    int n = p.client.read(b);
                    result.set(n == 1 ? (Object) b[0] : (Object) ("read " + n));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            awaitParkedFromThread(reader, WaitReason.IO_WAIT, HANG);
            p.client.setReadDeadline(Duration.ofSeconds(30));
            // Past the first deadline (its timer fires, stale), then send.
            Thread.sleep(Math.max(0, 300 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)));
            assertEquals(null, result.get(), "the first deadline fired although it was moved");
            p.server.write(new byte[] {5});
            awaitCondition("reader result", HANG, () -> result.get() != null);
            assertEquals((byte) 5, result.get());
        }
    }

    /** A deadline moved into the past fails the parked read at once. */
    @Test
    @Timeout(60)
    void deadlineInThePastWakesABlockedRead() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            AtomicReference<Throwable> result = new AtomicReference<>();
            G reader = rt.go(() -> {
                try {
                    p.client.read(new byte[4]);
                    result.set(new AssertionError("read returned"));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            awaitParkedFromThread(reader, WaitReason.IO_WAIT, HANG);
            p.client.setReadDeadline(Instant.now().minusSeconds(1));
            awaitCondition("reader woken", HANG, () -> result.get() != null);
            assertTrue(result.get() instanceof DeadlineExceededException, String.valueOf(result.get()));
        }
    }

    /** A write to a peer that does not read times out; bytesTransferred says how much went out. */
    @Test
    @Timeout(60)
    void writeDeadlineFiresOnAFullSocket() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            byte[] big = new byte[64 * 1024 * 1024];
            AtomicReference<Throwable> result = new AtomicReference<>();
            // The deadline is set once the writer is parked on the full socket (not before the
            // write: on a busy machine a short deadline could pass before the first byte, and
            // Go's write then fails at once with nothing transferred).
            G writer = rt.go(() -> {
                try {
                    p.client.write(big);
                    result.set(new AssertionError("the 64 MiB write completed with nobody reading"));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            awaitParkedFromThread(writer, WaitReason.IO_WAIT, HANG);
            p.client.setWriteDeadline(Duration.ofMillis(100));
            awaitCondition("writer result", HANG, () -> result.get() != null);
            DeadlineExceededException e = assertInstanceOf(DeadlineExceededException.class, result.get());
            assertTrue(e.bytesTransferred > 0 && e.bytesTransferred < big.length, "transferred " + e.bytesTransferred);
            // Still usable after moving the deadline: the peer drains, a small write goes out.
            rt.run(() -> {
                try {
                    p.client.setWriteDeadline((Duration) null);
                    long drained = 0;
                    byte[] buf = new byte[256 * 1024];
                    while (drained < e.bytesTransferred) {
                        int n = p.server.read(buf);
                        assertTrue(n > 0);
                        drained += n;
                    }
                    p.client.write(new byte[] {1, 2, 3});
                    p.server.readFully(buf, 0, 3);
                    assertEquals(3, buf[2]);
                } catch (IOException x) {
                    throw new UncheckedIOException(x);
                }
            });
        }
    }

    // =====================================================================================
    // Close and errors

    @Test
    @Timeout(60)
    void closeWakesAGoroutineBlockedInReadAndAcceptWithAnError() throws Exception {
        Listener ln = Net.listen(LOOPBACK, 0);
        Pair p = pair(ln);
        AtomicReference<Throwable> readResult = new AtomicReference<>();
        AtomicReference<Throwable> acceptResult = new AtomicReference<>();
        G reader = rt.go(() -> {
            try {
                p.client.read(new byte[4]);
                readResult.set(new AssertionError("read returned"));
            } catch (Throwable t) {
                readResult.set(t);
            }
        });
        G acceptor = rt.go(() -> {
            try {
                ln.accept().close();
                acceptResult.set(new AssertionError("accept returned"));
            } catch (Throwable t) {
                acceptResult.set(t);
            }
        });
        awaitParkedFromThread(reader, WaitReason.IO_WAIT, HANG);
        awaitParkedFromThread(acceptor, WaitReason.IO_WAIT, HANG);
        p.client.close();
        ln.close();
        awaitCondition("reader and acceptor woken", HANG, () -> readResult.get() != null && acceptResult.get() != null);
        assertTrue(readResult.get() instanceof NetClosedException, String.valueOf(readResult.get()));
        assertTrue(acceptResult.get() instanceof NetClosedException, String.valueOf(acceptResult.get()));
        p.close();
    }

    @Test
    @Timeout(60)
    void closeWakesAPlainThreadBlockedInRead() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            AtomicReference<Throwable> result = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    p.client.read(new byte[4]);
                    result.set(new AssertionError("read returned"));
                } catch (Throwable e) {
                    result.set(e);
                }
            });
            awaitCondition("thread waiting in the poller", HANG, () -> Netpoll.waiters() > 0);
            rt.run(p.client::close); // closed from a goroutine
            t.join(HANG.toMillis());
            assertTrue(result.get() instanceof NetClosedException, String.valueOf(result.get()));
        }
    }

    @Test
    @Timeout(60)
    void peerResetIsReported() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0)) {
            Socket peer = new Socket(LOOPBACK, ln.address().getPort());
            Conn c = ln.accept();
            AtomicReference<Throwable> result = new AtomicReference<>();
            G reader = rt.go(() -> {
                try {
                    c.read(new byte[4]);
                    result.set(new AssertionError("read returned"));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            awaitParkedFromThread(reader, WaitReason.IO_WAIT, HANG);
            peer.setSoLinger(true, 0);
            peer.close(); // RST
            awaitCondition("reader woken", HANG, () -> result.get() != null);
            assertTrue(result.get() instanceof ConnectionResetException, String.valueOf(result.get()));
            // Writing to the reset connection fails too.
            rt.run(() -> assertThrows(ConnectionResetException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    c.write(new byte[1024]);
                }
            }));
            c.close();
        }
    }

    /**
     * A read that returns fewer bytes than asked lets the next read wait for readiness without
     * trying recv first (on epoll). The peer's FIN (or RST) queued behind those bytes is no new
     * edge, so it must still be seen: the next read returns EOF (or throws), it does not park.
     */
    @Test
    @Timeout(60)
    void aShortReadDoesNotHideTheFinOrTheResetBehindIt() throws Exception {
        for (boolean reset : new boolean[] {false, true}) {
            try (Listener ln = Net.listen(LOOPBACK, 0); Socket peer = new Socket(LOOPBACK, ln.address().getPort())) {
                Conn c = ln.accept();
                AtomicReference<Object> result = new AtomicReference<>();
                G reader = rt.go(() -> {
                    try {
                        byte[] one = new byte[1];
                        assertEquals(1, c.read(one)); // parks first, then exactly what it asked
                        byte[] big = new byte[1024];
                        assertEquals(9, c.read(big)); // short: the receive queue is drained
                        result.set(c.read(big)); // the FIN (-1) or the RST (throws)
                    } catch (Throwable t) {
                        result.set(t);
                    } finally {
                        c.close();
                    }
                });
                awaitParkedFromThread(reader, WaitReason.IO_WAIT, HANG);
                peer.getOutputStream().write(new byte[10]);
                if (reset) {
                    peer.setSoLinger(true, 0);
                    peer.close();
                } else {
                    peer.shutdownOutput();
                }
                awaitCondition("the reader saw the " + (reset ? "reset" : "FIN"), HANG, () -> result.get() != null);
                if (reset) {
                    assertTrue(result.get() instanceof ConnectionResetException, String.valueOf(result.get()));
                } else {
                    assertEquals(-1, result.get());
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void errorsAreTyped() throws Exception {
        Listener ln = Net.listen(LOOPBACK, 0);
        int port = ln.address().getPort();
        rt.run(() -> {
            try {
                Pair p = pair(ln);
                // EOF returns -1.
                p.server.close();
                assertEquals(-1, p.client.read(new byte[8]));
                assertEquals(-1, p.client.read(ByteBuffer.allocate(8)));
                // After close: read, write, deadlines and addresses throw; close again is a no-op.
                p.client.close();
                assertThrows(NetClosedException.class, () -> p.client.read(new byte[8]));
                assertThrows(NetClosedException.class, () -> p.client.write(new byte[8]));
                assertThrows(NetClosedException.class, () -> p.client.setDeadline(Duration.ofSeconds(1)));
                assertThrows(NetClosedException.class, p.client::localAddress);
                p.client.close();
                assertTrue(p.client.isClosed());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ln.close();
            assertThrows(NetClosedException.class, ln::accept);
            // The listener is gone: dialing its port is refused.
            assertThrows(ConnectException.class, () -> Net.dial(LOOPBACK, port));
        });
    }

    // =====================================================================================
    // Buffers the caller cannot lend (issue #19)

    /**
     * A direct buffer of a closed {@link Arena} is refused with IllegalStateException, as NIO
     * refuses it, whether the arena was closed before the call or while the read waited for
     * data; the bytes stay queued for the next read. The epoll backend used to hand recv/send the
     * buffer's bare address, so the kernel wrote into freed memory that a live segment could
     * own. The buffers are read at their middle, so a regression writes into the freed chunk
     * (or fails with EFAULT if malloc unmapped it) rather than over malloc's bookkeeping.
     */
    @Test
    @Timeout(60)
    void aBufferOfAClosedArenaIsRefusedEvenWhenClosedWhileTheReadWaits() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            rt.run(() -> {
                try {
                    Arena before = Arena.ofShared();
                    ByteBuffer closed = before.allocate(1 << 20).asByteBuffer().position(512 << 10); // a regression writes mid-chunk
                    before.close();
                    p.client.write(new byte[] {1, 2, 3});
                    assertThrows(IllegalStateException.class, () -> p.server.read(closed), "read into a closed arena's buffer");
                    assertThrows(IllegalStateException.class, () -> p.client.write(closed), "write from a closed arena's buffer");
                    byte[] got = new byte[3];
                    p.server.readFully(got, 0, 3);
                    assertArrayEquals(new byte[] {1, 2, 3}, got, "the refused read consumed nothing");

                    Arena during = Arena.ofShared();
                    ByteBuffer buf = during.allocate(1 << 20).asByteBuffer().position(512 << 10);
                    AtomicReference<Throwable> outcome = new AtomicReference<>();
                    WaitGroup done = new WaitGroup();
                    done.add(1);
                    G reader = Go.go(() -> {
                        try {
                            outcome.set(new AssertionError("the read returned " + p.server.read(buf)));
                        } catch (Throwable t) {
                            outcome.set(t);
                        } finally {
                            done.done();
                        }
                    });
                    awaitParkedFromGoroutine(reader, WaitReason.IO_WAIT, HANG);
                    during.close(); // no recv is running: the close succeeds
                    p.client.write(new byte[] {4});
                    done.await();
                    assertTrue(outcome.get() instanceof IllegalStateException,
                            () -> "a read whose arena was closed while it waited: " + outcome.get());
                    byte[] one = new byte[1];
                    assertEquals(1, p.server.read(one));
                    assertEquals(4, one[0], "the byte the refused read left queued");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /**
     * A read into a read-only buffer fails at once with IllegalArgumentException (NIO's
     * answer), even after a draining short read, where the epoll backend's next read waits for
     * readiness before its recv: it used to wait for data or the deadline first.
     */
    @Test
    @Timeout(60)
    void aReadIntoAReadOnlyBufferFailsAtOnce() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            rt.run(() -> {
                try {
                    p.client.write(new byte[] {7});
                    assertEquals(1, p.server.read(new byte[16]), "a short read");
                    p.server.setReadDeadline(Duration.ofSeconds(2)); // a regression fails here, not at the test's timeout
                    assertThrows(IllegalArgumentException.class, () -> p.server.read(ByteBuffer.allocate(8).asReadOnlyBuffer()));
                    assertThrows(IllegalArgumentException.class, () -> p.server.read(ByteBuffer.allocateDirect(8).asReadOnlyBuffer()));
                    p.server.setReadDeadline((Duration) null);
                    p.client.write(new byte[] {8});
                    assertEquals(1, p.server.read(new byte[16]), "the conn is still usable");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /**
     * The read and write hot path allocates nothing: a goroutine ping-pongs 64-byte messages with
     * an echo goroutine (each round trip parks and readies both through the poller); after a
     * warm-up, the bytes allocated by every thread of the process, per round trip, stay near 0.
     * Tolerance 64 B per round trip: room for a rare allocation outside the path (sysmon, a
     * JIT deoptimisation), far below one object per operation (a byte[] wrapper or a lambda
     * per call would show as 16-40 B per call, a few hundred per round trip).
     */
    @Test
    @Timeout(60)
    void readAndWriteAllocateNothingOnTheHotPath() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            double[] perRoundTrip = new double[1];
            rt.run(() -> {
                Go.go(() -> {
                    try {
                        echo(p.server);
                    } catch (IOException ignored) {
                        // closed at the end
                    }
                });
                byte[] req = new byte[64];
                byte[] resp = new byte[64];
                try {
                    for (int round = 0; round < 3; round++) { // the last round is measured, after JIT warm-up
                        int n = 20_000;
                        long before = Allocation.bytesSoFar();
                        for (int i = 0; i < n; i++) {
                            p.client.write(req);
                            p.client.readFully(resp, 0, resp.length);
                        }
                        perRoundTrip[0] = (double) (Allocation.bytesSoFar() - before) / n;
                    }
                    p.client.closeWrite();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            System.out.println("netpoll: bytes allocated per 64-byte round trip: " + perRoundTrip[0]);
            assertTrue(perRoundTrip[0] < 64, "bytes allocated per round trip: " + perRoundTrip[0]);
        }
    }


    // =====================================================================================
    // No leaks

    /** 10,000 connect/accept/close cycles, plus every error path, leave the fd count where it was. */
    @Test
    @Timeout(120)
    void tenThousandConnectCloseCyclesLeakNoFd() throws Exception {
        int cycles = 10_000;
        int workers = 8;
        try (Listener ln = Net.listen(LOOPBACK, 0)) {
            int port = ln.address().getPort();
            Runnable round = () -> {
                cycleConnections(ln, port, 50, 2); // warms up every lazy structure (poller, buffers)
            };
            rt.run(round);
            long before = awaitFdCountSettles(-1);
            rt.run(() -> cycleConnections(ln, port, cycles, workers));
            // The error paths: refused dials, closes of blocked calls, ops after close.
            Listener dead = Net.listen(LOOPBACK, 0);
            int deadPort = dead.address().getPort();
            dead.close();
            rt.run(() -> {
                for (int i = 0; i < 200; i++) {
                    assertThrows(ConnectException.class, () -> Net.dial(LOOPBACK, deadPort));
                }
                try {
                    for (int i = 0; i < 200; i++) {
                        Pair p = pair(ln);
                        G r = Go.go(() -> assertThrows(NetClosedException.class, () -> p.client.read(new byte[1])));
                        awaitParkedFromGoroutine(r, WaitReason.IO_WAIT, HANG);
                        p.close();
                        assertThrows(NetClosedException.class, () -> p.client.write(new byte[1]));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            long after = awaitFdCountSettles(before);
            assertEquals(before, after, "open fds before and after " + cycles + " cycles");
        }
    }

    /**
     * Conns and Listeners dropped without close are closed by their Cleaner once unreachable:
     * the fd count comes back to where it was (the same close frees the socket's native
     * memory). Nothing in the poller (the epoll fd table, the selector's keys) may keep a Conn
     * reachable. Before the Cleaner, 2,000 dropped pairs kept 4,000 fds and 263 MB of native
     * memory for good. Polls the count, collecting garbage between readings, for at most 60 s.
     */
    @Test
    @Timeout(120)
    void connsAndListenersDroppedWithoutCloseAreClosedByTheirCleaner() throws Exception {
        int pairs = 200 * Stress.FACTOR;
        try (Listener warm = Net.listen(LOOPBACK, 0)) {
            rt.run(() -> cycleConnections(warm, warm.address().getPort(), 20, 2)); // lazy structures, all closed
        }
        long before = awaitFdCountSettles(-1);
        // Held until counted: a collection during the loop may already close pairs dropped
        // earlier (their Cleaner works), which made the count below come short (51 -> 439 of
        // 400 pairs' fds in one CI run).
        AtomicReference<java.util.List<Object>> held = new AtomicReference<>(new java.util.ArrayList<>());
        rt.run(() -> {
            try {
                Listener ln = Net.listen(LOOPBACK, 0);
                held.get().add(ln);
                for (int i = 0; i < pairs; i++) {
                    Pair p = pair(ln);
                    held.get().add(p);
                    p.client.write(new byte[] {1});
                    assertEquals(1, p.server.read(new byte[4]));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        long open = fdCount();
        assertTrue(open >= before + 2 * pairs, "the dropped sockets were open: " + before + " -> " + open);
        held.set(null); // dropped now, none of them closed
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long now;
        while ((now = fdCount()) > before && System.nanoTime() < deadline) {
            System.gc();
        }
        assertEquals(before, now, "open fds before " + pairs + " pairs and a listener were dropped unclosed, and after GC");
    }

    private static void cycleConnections(Listener ln, int port, int cycles, int workers) {
        WaitGroup wg = new WaitGroup();
        wg.add(2 * workers);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger left = new AtomicInteger(cycles);
        for (int w = 0; w < workers; w++) {
            Go.go(() -> { // server side: accept, write one byte, close
                try {
                    while (left.getAndDecrement() > 0) {
                        try (Conn c = ln.accept()) {
                            c.write(new byte[] {1});
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    wg.done();
                }
            });
        }
        AtomicInteger dials = new AtomicInteger(cycles);
        for (int w = 0; w < workers; w++) {
            Go.go(() -> { // client side: dial, read the byte and EOF, close
                try {
                    byte[] b = new byte[2];
                    while (dials.getAndDecrement() > 0) {
                        try (Conn c = Net.dial(LOOPBACK, port)) {
                            assertEquals(1, c.read(b));
                            assertEquals(-1, c.read(b));
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    wg.done();
                }
            });
        }
        wg.await();
        if (failure.get() != null) {
            throw new AssertionError("a connect/close cycle failed", failure.get());
        }
    }

    /**
     * The fd count once it stops changing. With epoll a close releases the fd at once; the
     * Selector backend releases a channel's fd when a select flushes its cancelled key, which
     * goloom triggers at close but which can lag a blocked select by one wake-up. So: read until
     * two readings agree (and match {@code expect} if given), for at most 5 s.
     */
    static long awaitFdCountSettles(long expect) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long last = fdCount();
        for (;;) {
            long now = fdCount();
            if (now == last && (expect < 0 || now == expect) || System.nanoTime() > deadline) {
                return now;
            }
            last = now;
            Thread.onSpinWait();
        }
    }

    static long fdCount() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    // =====================================================================================
    // Plain threads and the scheduler integration

    /** No goroutine at all: a plain-thread server and client, with a deadline and a close. */
    @Test
    @Timeout(60)
    void plainThreadsUseTheSameApi() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread server = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 2; i++) { // an echo, then a silent one
                    try (Conn c = ln.accept()) {
                        echo(c);
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }
            });
            try (Conn c = Net.dial(LOOPBACK, ln.address().getPort(), Duration.ofSeconds(10))) {
                assertEquals(ln.address().getPort(), c.remoteAddress().getPort());
                byte[] msg = pattern(3, 100_000);
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        c.write(msg);
                        c.closeWrite();
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                byte[] in = new byte[msg.length];
                c.readFully(in, 0, in.length);
                assertArrayEquals(msg, in);
                assertEquals(-1, c.read(in));
                writer.join();
            }
            try (Conn c = Net.dial(LOOPBACK, ln.address().getPort())) {
                long t0 = System.nanoTime();
                c.setReadDeadline(Duration.ofMillis(50));
                assertThrows(DeadlineExceededException.class, () -> c.read(new byte[1]));
                assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(50));
            }
            server.join(HANG.toMillis());
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
        }
    }

    /**
     * A JDK virtual thread scheduled on goloom's carriers uses Net like a plain thread, but never
     * blocks its carrier in the poller: it parks, and the runtime's Ms poll for it.
     */
    @Test
    @Timeout(60)
    void virtualThreadsOnGoloomCarriersUseNet() throws Exception {
        try (Listener ln = Net.listen(LOOPBACK, 0)) {
            rt.go(() -> {
                try (Conn c = ln.accept()) {
                    echo(c);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread vt = rt.virtualThreads().start(() -> {
                try (Conn c = Net.dial(LOOPBACK, ln.address().getPort())) {
                    byte[] out = pattern(11, 200_000);
                    byte[] in = new byte[out.length];
                    for (int i = 0; i < 20; i++) {
                        c.write(out, 0, 1000);
                        c.readFully(in, 0, 1000);
                    }
                    c.write(out);
                    c.readFully(in, 0, in.length);
                    assertArrayEquals(out, in);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            vt.join(HANG.toMillis());
            assertTrue(!vt.isAlive(), "the virtual thread hung");
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
        }
    }

    /**
     * A new earlier timer breaks the poll: the only M sleeps in the poller until a timer 60 s
     * away while a goroutine waits on accept; a new 20 ms sleep must not wait for it.
     */
    @Test
    @Timeout(60)
    void anEarlierTimerBreaksTheBlockedPoll() throws Exception {
        try (GoRuntime one = GoRuntime.builder().procs(1).name("net-test-1p").build();
                Listener ln = Net.listen(LOOPBACK, 0)) {
            AtomicReference<Throwable> acceptResult = new AtomicReference<>();
            G acceptor = one.go(() -> {
                try {
                    ln.accept().close();
                } catch (Throwable t) {
                    acceptResult.set(t);
                }
            });
            G longSleeper = one.go(() -> Go.sleep(Duration.ofSeconds(60)));
            awaitParkedFromThread(acceptor, WaitReason.IO_WAIT, HANG);
            awaitParkedFromThread(longSleeper, WaitReason.SLEEP, HANG);
            CountDownLatch woke = new CountDownLatch(1);
            long t0 = System.nanoTime();
            one.go(() -> {
                Go.sleep(Duration.ofMillis(20));
                woke.countDown();
            });
            assertTrue(woke.await(HANG.toMillis(), TimeUnit.MILLISECONDS), "the 20 ms sleeper overslept");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "woken only by something else");
            ln.close();
            awaitCondition("acceptor woken", HANG, () -> acceptResult.get() != null);
            assertTrue(acceptResult.get() instanceof NetClosedException);
            List<GoroutineInfo> left = one.shutdown();
            assertEquals(1, left.size(), "only the 60 s sleeper is left: " + left);
        }
    }

    /**
     * Sysmon polls: with the only P kept busy by a CPU-bound goroutine (which findRunnable always
     * finds in the global queue before it would poll) and no thread blocked in the poller, a
     * reader's readiness is found by sysmon's 10 ms poll, not when the CPU-bound goroutine ends.
     */
    @Test
    @Timeout(60)
    void sysmonPollsWhileEveryPIsBusy() throws Exception {
        try (GoRuntime one = GoRuntime.builder().procs(1).name("net-test-busy").build();
                Listener ln = Net.listen(LOOPBACK, 0); Pair p = pair(ln)) {
            AtomicBoolean readerDone = new AtomicBoolean();
            long spinUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            CountDownLatch spinnerDone = new CountDownLatch(1);
            // The spinner first: the P never goes idle, so no M of this runtime ever blocks in
            // the poller; the reader parks from the busy P.
            one.go(() -> {
                while (!readerDone.get() && System.nanoTime() - spinUntil < 0) {
                    Go.checkpoint();
                }
                spinnerDone.countDown();
            });
            G reader = one.go(() -> {
                try {
                    p.client.read(new byte[1]);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                readerDone.set(true);
            });
            awaitParkedFromThread(reader, WaitReason.IO_WAIT, HANG);
            assertEquals(null, Netpoll.pollOwner(), "premise: nobody is blocked in the poller");
            p.server.write(new byte[] {1});
            assertTrue(spinnerDone.await(HANG.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(readerDone.get(), "the reader ran only after the CPU-bound goroutine gave up");
            one.shutdown();
        }
    }

    // =====================================================================================
    // Helpers

    /** Reads until EOF, echoing everything. */
    static void echo(Conn c) throws IOException {
        byte[] buf = new byte[16 * 1024];
        for (int n; (n = c.read(buf)) > 0; ) {
            c.write(buf, 0, n);
        }
    }

    static byte[] pattern(int seed, int len) {
        byte[] b = new byte[len];
        int x = seed * 0x9E3779B9 + 1;
        for (int i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            b[i] = (byte) x;
        }
        return b;
    }

    static Conn accept(Listener ln) {
        try {
            return ln.accept();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Dials {@code to} and accepts it on {@code ln}: returns the dialed side (for one-call setups). */
    static Conn accept(Listener ln, InetSocketAddress to) {
        try {
            return Net.dial(to.getHostString(), to.getPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A connected pair through {@code ln}: client dialed, server accepted. Works from a goroutine or a thread. */
    static Pair pair(Listener ln) throws IOException {
        Conn client = Net.dial(LOOPBACK, ln.address().getPort());
        Conn server = ln.accept();
        return new Pair(client, server);
    }

    record Pair(Conn client, Conn server) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    static List<String> names(List<GoroutineInfo> infos) {
        List<String> out = new ArrayList<>();
        for (GoroutineInfo gi : infos) {
            out.add(gi.toString());
        }
        return out;
    }
}
