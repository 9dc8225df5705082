package io.goloom.bench.examples;

import io.goloom.core.WaitGroup;
import io.goloom.netpoll.Conn;
import io.goloom.netpoll.Net;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * {@code ./goloom example echo-client --port P --conns C --seconds S --size B [--host H]
 * [--procs N] [--warmup S] [--hgrm] [--machine]}: a closed-loop load generator for an echo
 * server. C goroutines (goloom's Net, one per connection) each send B bytes, wait for the B
 * bytes to come back, and repeat. Round trips during the first {@code --warmup} seconds
 * (default 1) are not counted; then it measures for S seconds and prints requests/s and the
 * round-trip histogram (HdrHistogram, microseconds). {@code --hgrm} adds the full percentile
 * distribution; {@code --machine} prints one line {@code RESULT <requests/s> <histogram>} (the
 * histogram in nanoseconds, compressed and Base64-encoded) for the compare harness.
 */
public final class EchoClient {
    private EchoClient() {
    }

    /** What one run measured. */
    public record Result(double requestsPerSecond, long requests, Histogram roundTripNanos) {
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = -1;
        int conns = 100;
        double seconds = 5;
        double warmup = 1;
        int size = 64;
        int procs = Runtime.getRuntime().availableProcessors();
        boolean hgrm = false;
        boolean machine = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--host" -> host = args[++i];
                    case "--port" -> port = Integer.parseInt(args[++i]);
                    case "--conns" -> conns = Integer.parseInt(args[++i]);
                    case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                    case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                    case "--size" -> size = Integer.parseInt(args[++i]);
                    case "--procs" -> procs = Integer.parseInt(args[++i]);
                    case "--hgrm" -> hgrm = true;
                    case "--machine" -> machine = true;
                    case "-h", "--help" -> {
                        usage();
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (port < 1 || port > 65535 || conns < 1 || seconds <= 0 || warmup < 0 || size < 1 || procs < 1) {
                throw new IllegalArgumentException("need --port 1..65535, --conns >= 1, --seconds > 0, --size >= 1");
            }
        } catch (RuntimeException e) {
            System.err.println("echo-client: " + e.getMessage());
            usage();
            System.exit(2);
        }
        Result r;
        try (GoRuntime rt = GoRuntime.builder().procs(procs).name("echo-client").deadlockDetection(false).build()) {
            r = run(rt, host, port, conns, size, (long) (warmup * 1e9), (long) (seconds * 1e9));
        }
        if (machine) {
            ByteBuffer buf = ByteBuffer.allocate(r.roundTripNanos().getNeededByteBufferCapacity());
            r.roundTripNanos().encodeIntoCompressedByteBuffer(buf);
            buf.flip();
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            System.out.println("RESULT " + r.requestsPerSecond() + " " + Base64.getEncoder().encodeToString(bytes));
        } else {
            report(System.out, r, conns, size, seconds, hgrm);
        }
    }

    private static void usage() {
        System.err.println("usage: ./goloom example echo-client --port P [--host H] [--conns C (100)] [--seconds S (5)]"
                + " [--size B (64)] [--warmup S (1)] [--procs N] [--hgrm] [--machine]");
    }

    /**
     * Runs the load from {@code conns} goroutines of {@code rt}: once every connection is
     * established, {@code warmupNanos} unmeasured, then {@code measureNanos} measured. Every
     * connection sends, reads back and checks {@code size} bytes per round trip. Throws if any
     * connection fails.
     */
    public static Result run(GoRuntime rt, String host, int port, int conns, int size, long warmupNanos,
            long measureNanos) throws Exception {
        Window window = new Window();
        List<Histogram> hists = new ArrayList<>();
        long[] counts = new long[conns];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        rt.run(() -> {
            WaitGroup connected = new WaitGroup();
            connected.add(conns);
            WaitGroup done = new WaitGroup();
            done.add(conns);
            for (int i = 0; i < conns; i++) {
                Histogram h = new Histogram(3);
                hists.add(h);
                int id = i;
                Go.go(() -> {
                    try {
                        counts[id] = loop(host, port, size, id, window, connected, h);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        window.abort();
                    } finally {
                        done.done();
                    }
                });
            }
            connected.await();
            window.open(warmupNanos, measureNanos); // the clock starts when every connection is up
            done.await();
        });
        if (failure.get() != null) {
            throw new IOException("echo-client: a connection failed: " + failure.get(), failure.get());
        }
        Histogram all = new Histogram(3);
        long total = 0;
        for (int i = 0; i < conns; i++) {
            all.add(hists.get(i));
            total += counts[i];
        }
        return new Result(total / (measureNanos / 1e9), total, all);
    }

    /** The measured window: set once every connection is established. */
    private static final class Window {
        /** 0 until open(); then System.nanoTime() at which measuring starts. */
        volatile long start;
        volatile long end;
        volatile boolean aborted;

        void open(long warmupNanos, long measureNanos) {
            long s = System.nanoTime() + warmupNanos;
            end = s + measureNanos;
            start = s; // written last: a reader that sees start sees end
        }

        void abort() {
            aborted = true;
        }
    }

    /** One connection's closed loop; returns the round trips it completed inside the measured window. */
    private static long loop(String host, int port, int size, int id, Window w, WaitGroup connected, Histogram h)
            throws IOException {
        byte[] req = new byte[size];
        // Room for more than one response: a read that returns less than it asked for tells
        // goloom's Conn the socket is drained, so the next read (after the next request) waits
        // for readiness at once instead of failing a recv with EAGAIN first. One system call
        // less per round trip in the load generator, the same for every server measured.
        byte[] resp = new byte[Math.max(2 * size, 16 * 1024)];
        long n = 0;
        Conn c;
        try {
            c = Net.dial(host, port);
        } finally {
            connected.done();
        }
        try (c) {
            for (int k = 0; ; k++) {
                req[0] = (byte) k;
                req[size - 1] = (byte) id;
                long t0 = System.nanoTime();
                long start = w.start;
                if (w.aborted || start != 0 && t0 - w.end >= 0) {
                    return n;
                }
                c.write(req);
                for (int got = 0; got < size; ) {
                    int r = c.read(resp, got, resp.length - got);
                    if (r < 0) {
                        throw new IOException("connection " + id + ": the server closed it at round trip " + k);
                    }
                    got += r;
                    if (got > size) {
                        throw new IOException("connection " + id + ": " + got + " bytes back for a " + size + "-byte request");
                    }
                }
                long t1 = System.nanoTime();
                if (resp[0] != req[0] || resp[size - 1] != req[size - 1]) {
                    throw new IOException("echo mismatch on connection " + id + " at round trip " + k);
                }
                if (start != 0 && t0 - start >= 0 && t1 - w.end <= 0) {
                    h.recordValue(t1 - t0);
                    n++;
                }
            }
        }
    }

    static void report(PrintStream out, Result r, int conns, int size, double seconds, boolean hgrm) {
        Histogram h = r.roundTripNanos();
        out.printf(Locale.ROOT, "%d connections, %d-byte requests, %.1f s measured%n", conns, size, seconds);
        out.printf(Locale.ROOT, "requests/s: %.0f  (%d round trips)%n", r.requestsPerSecond(), r.requests());
        out.printf(Locale.ROOT, "round trip (us): p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f%n",
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, h.getMean() / 1e3);
        if (hgrm) {
            h.outputPercentileDistribution(out, 1000.0); // in microseconds
        }
    }
}
