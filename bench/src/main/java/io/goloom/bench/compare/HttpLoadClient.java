package io.goloom.bench.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The http workload's load generator, a process of its own: C keep-alive HTTP/1.1 connections
 * over raw sockets, each in a closed loop (the next {@code GET} goes out when the previous
 * response is complete). Non-blocking NIO, every connection of a thread on one selector
 * (default one thread): on the two cores it shares with the server, a selector loop costs
 * less CPU than a platform thread per connection (no context switch per request), and it
 * needs no scheduler of the kind being measured.
 *
 * <pre>
 * HttpLoadClient --port P [--host H] [--path /json] [--conns 50] [--threads 1]
 *                [--warmup S] [--seconds S] [--expect-bytes N]
 * stdout: WINDOW_START                     when the measured window opens
 *         WINDOW_END                       when it closes (connections still open)
 *         RESULT &lt;requests/s&gt; &lt;histogram&gt; &lt;responses&gt;
 * </pre>
 *
 * First every connection gets one response (priming: connection set-up and the server's cold
 * start take no part of the warm-up; at most {@value #PRIME_SECONDS} s). Then responses
 * completed in the first {@code --warmup} seconds are not counted; then every
 * response completed in the next {@code --seconds} is counted and its latency (request
 * written to response complete, ns) recorded; the histogram is compressed and Base64-encoded.
 * The window markers let the server process sample its CPU time and threads at the window's
 * edges. Any error (a non-200 status, a body of another length than {@code --expect-bytes}, a
 * closed connection, a malformed response) fails the run: a message on stderr, exit status 1.
 */
public final class HttpLoadClient {
    private HttpLoadClient() {
    }

    /** How long the server may take to answer the first request of every connection. */
    static final int PRIME_SECONDS = 60;

    /** Knobs of one run. */
    record Config(String host, int port, String path, int conns, int threads, long warmupNanos, long windowNanos,
                  long expectBytes) {
        Config {
            if (port < 1 || port > 65535 || conns < 1 || threads < 1 || threads > conns || warmupNanos < 0
                    || windowNanos <= 0 || path.isEmpty() || path.charAt(0) != '/') {
                throw new IllegalArgumentException("need --port 1..65535, --conns >= 1, 1 <= --threads <= conns, "
                        + "--warmup >= 0, --seconds > 0, --path starting with /");
            }
        }
    }

    /** What one run measured. */
    record Result(double requestsPerSecond, long responses, Histogram latencyNanos) {
    }

    public static void main(String[] args) {
        Config c;
        try {
            c = parse(args);
        } catch (RuntimeException e) {
            System.err.println("http-client: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Result r = run(c, System.out);
            System.out.println("RESULT " + String.format(Locale.ROOT, "%.3f", r.requestsPerSecond()) + " "
                    + HistogramFiles.toBase64(r.latencyNanos()) + " " + r.responses());
            System.out.flush();
            System.exit(0);
        } catch (Exception | Error e) {
            System.err.println("http-client: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    static Config parse(String[] args) {
        String host = "127.0.0.1";
        int port = -1;
        String path = "/json";
        int conns = 50;
        int threads = 1;
        double warmup = 5;
        double seconds = 10;
        long expect = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown argument or missing value: " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--host" -> host = v;
                case "--port" -> port = Integer.parseInt(v);
                case "--path" -> path = v;
                case "--conns" -> conns = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--warmup" -> warmup = Double.parseDouble(v);
                case "--seconds" -> seconds = Double.parseDouble(v);
                case "--expect-bytes" -> expect = Long.parseLong(v);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        return new Config(host, port, path, conns, threads, (long) (warmup * 1e9), (long) (seconds * 1e9), expect);
    }

    /** The request every connection sends, over and over. */
    static byte[] request(String host, int port, String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nAccept: application/json\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Runs the load; prints the window markers on {@code markers}. */
    static Result run(Config c, PrintStream markers) throws Exception {
        byte[] req = request(c.host(), c.port(), c.path());
        InetSocketAddress addr = new InetSocketAddress(c.host(), c.port());
        List<Loop> loops = new ArrayList<>();
        for (int t = 0; t < c.threads(); t++) {
            loops.add(new Loop(c, req));
        }
        // Connect every connection before the clock starts: the warm-up measures requests, not handshakes.
        for (int i = 0; i < c.conns(); i++) {
            loops.get(i % c.threads()).connect(addr);
        }
        CountDownLatch primed = new CountDownLatch(loops.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < loops.size(); t++) {
            Loop l = loops.get(t);
            l.primed = primed;
            l.go = go;
            threads.add(Thread.ofPlatform().name("http-client-" + t).start(l));
        }
        if (!primed.await(PRIME_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not every connection got its first response in " + PRIME_SECONDS + " s");
        }
        for (Loop l : loops) {
            if (l.failure != null) { // a loop that failed while priming counted down too
                throw new IllegalStateException("http load failed while priming", l.failure);
            }
        }
        long start = System.nanoTime() + c.warmupNanos();
        long end = start + c.windowNanos();
        for (Loop l : loops) {
            l.windowStart = start; // published to the loop by go's countDown
            l.windowEnd = end;
        }
        go.countDown();
        sleepUntil(start);
        markers.println("WINDOW_START");
        markers.flush();
        sleepUntil(end);
        markers.println("WINDOW_END");
        markers.flush();
        Histogram all = new Histogram(3);
        long responses = 0;
        for (int t = 0; t < threads.size(); t++) {
            threads.get(t).join(); // publishes the loop's histogram, count and failure
            Loop l = loops.get(t);
            if (l.failure != null) {
                throw new IllegalStateException("http load failed", l.failure);
            }
            all.add(l.histogram);
            responses += l.responses;
        }
        return new Result(responses / (c.windowNanos() / 1e9), responses, all);
    }

    private static void sleepUntil(long deadline) {
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    /** One connection: its channel, its parser, the request being written and when it went out. */
    private static final class Conn {
        final SocketChannel ch;
        final HttpResponseParser parser = new HttpResponseParser();
        final ByteBuffer out;
        long sentAt;

        Conn(SocketChannel ch, byte[] req) {
            this.ch = ch;
            this.out = ByteBuffer.wrap(req);
        }
    }

    /**
     * One selector thread and its connections. Fields other than the window bounds are
     * written by that thread only; {@code run}'s join publishes them.
     */
    private static final class Loop implements Runnable {
        private final Config c;
        private final byte[] req;
        private final Selector selector;
        private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        private final List<Conn> conns = new ArrayList<>();
        final Histogram histogram = new Histogram(3);
        CountDownLatch primed;
        CountDownLatch go;
        long windowStart;
        long windowEnd;
        long responses;
        private boolean primedDone;
        volatile Throwable failure;

        Loop(Config c, byte[] req) throws IOException {
            this.c = c;
            this.req = req;
            this.selector = Selector.open();
        }

        void connect(InetSocketAddress addr) throws IOException {
            SocketChannel ch = SocketChannel.open(addr); // blocking connect, then non-blocking I/O
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            Conn conn = new Conn(ch, req);
            ch.register(selector, SelectionKey.OP_READ, conn);
            conns.add(conn);
        }

        @Override
        public void run() {
            try {
                for (Conn conn : conns) {
                    send(conn);
                }
                // Priming: one response per connection, then wait for the clock.
                int first = 0;
                while (first < conns.size()) {
                    first += pump(false);
                }
                primedDone = true;
                primed.countDown();
                go.await();
                for (Conn conn : conns) {
                    send(conn);
                }
                while (System.nanoTime() - windowEnd < 0) {
                    pump(true);
                }
            } catch (Throwable t) {
                failure = t;
                if (!primedDone) {
                    primed.countDown(); // after failure is set: the main thread reads it then
                }
            } finally {
                for (Conn conn : conns) {
                    try {
                        conn.ch.close();
                    } catch (IOException e) {
                        // closing after the run: nothing to lose
                    }
                }
                try {
                    selector.close();
                } catch (IOException e) {
                    // as above
                }
            }
        }

        /**
         * One select round (at most 50 ms): finishes pending writes, reads what arrived.
         * Returns the number of responses completed; with {@code next}, each is followed by
         * the connection's next request.
         */
        private int pump(boolean next) throws IOException {
            selector.select(50);
            int completed = 0;
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                Conn conn = (Conn) k.attachment();
                if (k.isWritable()) {
                    send(conn);
                }
                if (k.isReadable() && receive(conn, next)) {
                    completed++;
                }
            }
            return completed;
        }

        /** Writes (the rest of) the request; waits for OP_WRITE if the socket buffer is full. */
        private void send(Conn conn) throws IOException {
            if (conn.out.position() == 0) {
                conn.sentAt = System.nanoTime();
            }
            conn.ch.write(conn.out);
            SelectionKey k = conn.ch.keyFor(selector);
            if (conn.out.hasRemaining()) {
                k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            } else {
                conn.out.clear();
                if (k.interestOps() != SelectionKey.OP_READ) {
                    k.interestOps(SelectionKey.OP_READ);
                }
            }
        }

        /**
         * Reads what arrived; on a complete response checks it and, when {@code next}, counts it
         * (inside the window) and sends the next request. Returns whether a response completed.
         */
        private boolean receive(Conn conn, boolean next) throws IOException {
            in.clear();
            int n = conn.ch.read(in);
            if (n < 0) {
                throw new IOException("the server closed a connection (" + responses + " responses counted so far)");
            }
            in.flip();
            boolean completed = false;
            while (in.hasRemaining()) {
                if (!conn.parser.parse(in)) {
                    return completed; // the rest of the response is still on its way
                }
                completed = true;
                long now = System.nanoTime();
                check(conn.parser, c.expectBytes());
                if (in.hasRemaining()) {
                    throw new IOException("bytes after a response to the only request in flight");
                }
                if (!next) {
                    return true;
                }
                if (now - windowStart >= 0 && now - windowEnd < 0) {
                    histogram.recordValue(Math.max(0, now - conn.sentAt));
                    responses++;
                }
                send(conn);
            }
            return completed;
        }
    }

    /** Fails unless the response just parsed is a 200 with the expected body that keeps the connection. */
    static void check(HttpResponseParser p, long expectBytes) throws IOException {
        if (p.status() != 200) {
            throw new IOException("status " + p.status());
        }
        if (expectBytes >= 0 && p.bodyLength() != expectBytes) {
            throw new IOException("a body of " + p.bodyLength() + " bytes, expected " + expectBytes);
        }
        if (p.connectionClose()) {
            throw new IOException("the server asked to close a keep-alive connection (Connection: close)");
        }
    }
}
