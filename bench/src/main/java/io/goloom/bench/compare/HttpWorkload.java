package io.goloom.bench.compare;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * {@code http}: the JDK's {@link HttpServer} with a virtual thread per request
 * ({@link Executors#newVirtualThreadPerTaskExecutor()}), the textbook virtual-thread server,
 * unchanged: on stock virtual threads ({@code vthreads}) and on goloom in transparent mode
 * ({@code goloom-vt}: the same code in a JVM with goloom's agent, which also catches the
 * virtual threads that HttpServer's dispatcher, a platform thread, starts). There is no
 * {@code goloom} column: the server is virtual-thread code by definition.
 *
 * <p>The load is one closed-loop client process ({@link HttpLoadClient}: keep-alive
 * connections, the next request when the previous response is complete). Besides
 * requests/s and the latency histogram, the server JVM (this one) reports, as extra figures,
 * its carrier threads at the end of the window and its CPU time during the window, sampled
 * when the client prints its window markers.
 */
final class HttpWorkload implements Workload {

    static final int CONNS = 50;
    static final int BODY_BYTES = 256;
    static final String PATH = "/json";
    /** The reply: a JSON object of exactly {@link #BODY_BYTES} bytes. */
    static final byte[] BODY = body(BODY_BYTES);

    static final String CARRIERS = "carriers";
    static final String CARRIERS_MAX = "carriers_max";
    static final String CPU_S = "server_cpu_s";
    /** How often the carrier count is sampled during the window. */
    static final long SAMPLE_MS = 100;
    static final String CPU_US_PER_REQ = "server_cpu_us_per_req";

    private static final Spec SPEC = new Spec("http", Metric.OPS_PER_S, true,
            List.of(SystemKind.VTHREADS, SystemKind.GOLOOM_VT), Spec.CORES,
            "The JDK's `com.sun.net.httpserver.HttpServer` on loopback with "
            + "`Executors.newVirtualThreadPerTaskExecutor()` (a virtual thread per request, started by "
            + "HttpServer's dispatcher, a platform thread; `-Dsun.net.httpserver.nodelay=true`), answering "
            + "every `GET " + PATH + "` with the same " + BODY_BYTES + "-byte JSON object: the same code on "
            + "stock virtual threads (`vthreads`) and on goloom in transparent mode (`goloom-vt`, the same "
            + "JVM flags plus goloom's agent). The load is one separate client process (`HttpLoadClient`: "
            + CONNS + " keep-alive HTTP/1.1 connections over raw sockets on one NIO selector thread, each in "
            + "a closed loop: the next request when the previous response is complete; every response "
            + "checked: status 200, " + BODY_BYTES + " body bytes). 5 s of warm-up (quick: 1 s), then 10 s "
            + "measured (quick: 3 s); every response completed in the window is recorded (request written "
            + "to response complete). ops/s = measured responses / measured seconds. Client and server share "
            + "the machine's cores (procs = cores). The server also reports its carrier threads and CPU time "
            + "(table below). goloom: not run (no goroutine-native HTTP server); platform threads: not run.",
            List.of(CARRIERS, CARRIERS_MAX, CPU_S, CPU_US_PER_REQ),
            "the server JVM: `carriers` = its carrier threads (`ForkJoinPool-1-worker-*` on stock, "
            + "`goloom-m*` on goloom) alive when the measured window closed; `carriers_max` = the most seen "
            + "in the window (sampled every " + SAMPLE_MS + " ms, names only, no stacks); `server_cpu_s` = its process "
            + "CPU time (user + system, all threads) during the window; `server_cpu_us_per_req` = that per "
            + "measured request, in µs");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public List<String> jvmArgs(SystemKind system) {
        // HttpServer writes the response headers and the body in two writes: with Nagle on, the
        // body can wait for the client's delayed ACK (tens of ms). Both systems alike.
        return List.of("-Dsun.net.httpserver.nodelay=true");
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        if (system != SystemKind.VTHREADS && system != SystemKind.GOLOOM_VT) {
            throw new IllegalArgumentException("http does not run on " + system);
        }
        double warmup = size.pick(5000, 1000, 200) / 1000.0;
        double seconds = size.pick(10_000, 3000, 500) / 1000.0;
        int conns = size.pick(CONNS, CONNS, 8);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        JsonHandler handler = new JsonHandler();
        HttpServer server = HttpServer.create(new InetSocketAddress(loopback, 0), 4096);
        ExecutorService perRequest = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(perRequest);
        server.createContext(PATH, handler);
        server.start();
        double rps;
        try {
            rps = load(server.getAddress().getPort(), conns, warmup, seconds, recorder);
        } finally {
            server.stop(0);
            perRequest.close();
        }
        // The handlers' virtual threads were started by HttpServer's dispatcher, a platform
        // thread: on goloom-vt they too must have run on goloom (issue 13's first escape).
        String carrier = handler.firstThread;
        if (carrier == null || !TransparentMode.onExpectedCarrier(system, carrier)) {
            throw new IllegalStateException("http on " + system + ": a request handler ran on " + carrier);
        }
        return rps;
    }

    /** The handler: read nothing (GET), reply 200 with {@link #BODY}. */
    static final class JsonHandler implements HttpHandler {
        /** The first handler thread's toString (its carrier), for the check after the run. */
        volatile String firstThread;

        @Override
        public void handle(HttpExchange ex) throws IOException {
            if (firstThread == null) {
                firstThread = Thread.currentThread().toString();
            }
            try (ex) {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, BODY.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(BODY);
                }
            }
        }
    }

    /** A JSON object of exactly {@code n} bytes: {"message":"...","pad":"xxx..."}. */
    static byte[] body(int n) {
        String head = "{\"message\":\"hello from the goloom compare http workload\",\"pad\":\"";
        String tail = "\"}";
        int pad = n - head.length() - tail.length();
        if (pad < 0) {
            throw new IllegalArgumentException("a body of " + n + " bytes is too small");
        }
        byte[] b = (head + "x".repeat(pad) + tail).getBytes(StandardCharsets.US_ASCII);
        if (b.length != n) {
            throw new IllegalStateException("body is " + b.length + " bytes, not " + n);
        }
        return b;
    }

    /**
     * Runs the client process against {@code port}, reading its output as it comes: at
     * WINDOW_START and WINDOW_END it samples this process's CPU time, at WINDOW_END also its
     * carrier threads; in between a sampler counts the carriers every {@link #SAMPLE_MS} ms
     * (their maximum: carriers that come and go inside the window); RESULT carries requests/s
     * and the histogram. Returns requests/s.
     */
    private static double load(int port, int conns, double warmup, double seconds, LatencyRecorder recorder)
            throws Exception {
        List<String> cmd = clientCommand(Tasks.thisJava(), Tasks.thisClassPath(), port, conns, warmup, seconds);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        StringBuilder text = new StringBuilder();
        long[] cpu = {-1, -1};
        int carriers = -1;
        CarrierSampler sampler = new CarrierSampler();
        String result = null;
        // A watchdog ends a client that hangs, so that readLine below returns.
        long limit = (long) (warmup + seconds) + 120;
        Thread watchdog = Thread.ofPlatform().daemon().name("http-client-watchdog").start(() -> {
            try {
                if (!p.waitFor(limit, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        });
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                switch (line) {
                    case "WINDOW_START" -> {
                        cpu[0] = os.getProcessCpuTime();
                        sampler.start();
                    }
                    case "WINDOW_END" -> {
                        cpu[1] = os.getProcessCpuTime();
                        carriers = TransparentMode.countCarriers();
                        sampler.stop();
                    }
                    default -> {
                        if (line.startsWith("RESULT ")) {
                            result = line;
                        } else {
                            text.append(line).append('\n');
                        }
                    }
                }
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
            watchdog.interrupt();
            sampler.stop(); // idempotent; the client may have died inside the window
        }
        int status = p.waitFor();
        if (status != 0 || result == null || cpu[0] < 0 || cpu[1] < 0) {
            throw new IllegalStateException("http client exited with " + status + (result == null ? ", no RESULT line" : "")
                    + " (limit " + limit + " s):\n" + text);
        }
        String[] f = result.trim().split(" ");
        double rps = Double.parseDouble(f[1]);
        Histogram h = HistogramFiles.fromBase64(f[2]);
        long responses = Long.parseLong(f[3]);
        if (responses == 0) {
            throw new IllegalStateException("http client completed no request in the window:\n" + text);
        }
        recorder.newWriter().add(h);
        double cpuSeconds = (cpu[1] - cpu[0]) / 1e9;
        recorder.extra(CARRIERS, carriers);
        recorder.extra(CARRIERS_MAX, Math.max(carriers, sampler.max()));
        recorder.extra(CPU_S, cpuSeconds);
        recorder.extra(CPU_US_PER_REQ, cpuSeconds * 1e6 / responses);
        return rps;
    }

    /**
     * Counts this JVM's carrier threads every {@link #SAMPLE_MS} ms between {@link #start} and
     * {@link #stop} (one platform thread; ThreadMXBean names without stacks, no safepoint).
     * Used by the thread reading the client's output; {@code max} is read after stop's join.
     */
    private static final class CarrierSampler {
        private volatile boolean stopped;
        private Thread thread;
        private int max;

        void start() {
            thread = Thread.ofPlatform().daemon().name("http-carrier-sampler").start(() -> {
                int m = 0;
                while (!stopped) {
                    m = Math.max(m, TransparentMode.countCarriers());
                    max = m; // published by stop()'s join
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SAMPLE_MS));
                }
            });
        }

        void stop() throws InterruptedException {
            stopped = true;
            if (thread != null) {
                LockSupport.unpark(thread);
                thread.join();
            }
        }

        int max() {
            return max;
        }
    }

    /** The client's command line: the same for both systems, no agent, platform threads only. */
    static List<String> clientCommand(String java, String cp, int port, int conns, double warmup, double seconds) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(List.of("-Xms256m", "-Xmx512m", "-cp", cp, HttpLoadClient.class.getName(),
                "--host", InetAddress.getLoopbackAddress().getHostAddress(), "--port", Integer.toString(port),
                "--path", PATH, "--conns", Integer.toString(conns), "--threads", "1",
                "--expect-bytes", Integer.toString(BODY_BYTES),
                "--warmup", String.format(Locale.ROOT, "%.3f", warmup),
                "--seconds", String.format(Locale.ROOT, "%.3f", seconds)));
        return cmd;
    }
}
