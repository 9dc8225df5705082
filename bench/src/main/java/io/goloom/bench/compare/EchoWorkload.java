package io.goloom.bench.compare;

import io.goloom.bench.examples.EchoServer;
import io.goloom.netpoll.Listener;
import io.goloom.netpoll.Net;
import io.goloom.scheduler.GoRuntime;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * {@code echo}: a TCP echo server, one task per connection, under the same closed-loop load;
 * requests/s and the round-trip histogram. goloom: goroutine per connection on goloom's
 * netpoller ({@link EchoServer#serve}); virtual threads: a stock {@link ServerSocket} with a
 * virtual thread per connection (the JDK's own poller underneath).
 *
 * <p>The load comes from a separate client process ({@code io.goloom.bench.examples.EchoClient},
 * the same for both servers, started with the same flags), so the server JVM runs nothing but
 * the server, as every compare child does.
 */
final class EchoWorkload implements Workload {

    static final int CONNS = 100;
    static final int SIZE = 64;

    private static final Spec SPEC = new Spec("echo", Metric.OPS_PER_S, true,
            List.of(SystemKind.GOLOOM, SystemKind.VTHREADS), Spec.CORES,
            "A TCP echo server on loopback, one task per connection: goloom's goroutine per "
            + "connection on its netpoller (`Net.listen`, `Conn.read/write`) vs a stock "
            + "`ServerSocket` with a virtual thread per connection. The load comes from a separate "
            + "client process, the same for both servers (`EchoClient`: " + CONNS + " connections, "
            + "each a goroutine on goloom's Net with GOMAXPROCS = procs, in a closed loop: write "
            + SIZE + " bytes, read the " + SIZE + " bytes back). 1 s of warm-up (quick: 0.5 s), then "
            + "5 s measured (quick: 2 s); every measured round trip is recorded. ops/s = measured "
            + "round trips / measured seconds. Client and server share the machine's cores. Platform "
            + "threads: not run (a thread per connection is what both systems exist to avoid).");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public List<String> jvmArgs(SystemKind system) {
        // FFM (epoll) is restricted: without this, goloom's netpoll prints a one-time warning.
        return List.of("--enable-native-access=ALL-UNNAMED");
    }

    @Override
    public double run(SystemKind system, int procs, Size size, LatencyRecorder recorder) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        switch (system) {
            case GOLOOM -> {
                try (GoRuntime rt = GoRuntime.builder().procs(procs).name("echo-server").deadlockDetection(false).build();
                        Listener ln = Net.listen(loopback.getHostAddress(), 0)) {
                    rt.go(() -> EchoServer.serve(ln));
                    double v = load(ln.address().getPort(), procs, size, recorder);
                    ln.close(); // the acceptor returns; the handlers end on their clients' EOF
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (rt.numGoroutine() > 0 && System.nanoTime() - deadline < 0) {
                        Thread.sleep(1);
                    }
                    return v;
                }
            }
            case VTHREADS -> {
                try (ServerSocket ss = new ServerSocket(0, 4096, loopback)) {
                    Thread acceptor = Thread.ofVirtual().name("echo-acceptor").start(() -> acceptLoop(ss));
                    try {
                        return load(ss.getLocalPort(), procs, size, recorder);
                    } finally {
                        ss.close();
                        acceptor.join(TimeUnit.SECONDS.toMillis(10));
                    }
                }
            }
            default -> throw new IllegalArgumentException("echo does not run on " + system + " in a JVM");
        }
    }

    /** The virtual-thread server: the textbook thread-per-connection loop on a ServerSocket. */
    private static void acceptLoop(ServerSocket ss) {
        for (;;) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException closed) {
                return;
            }
            Thread.ofVirtual().start(() -> {
                try (s) {
                    s.setTcpNoDelay(true);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[16 * 1024];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        out.write(buf, 0, n);
                    }
                } catch (IOException gone) {
                    // the client went away
                }
            });
        }
    }

    private static double warmupSeconds(Size size) {
        return size.pick(1000, 500, 100) / 1000.0;
    }

    private static double measuredSeconds(Size size) {
        return size.pick(5000, 2000, 300) / 1000.0;
    }

    /**
     * The load client's command line, the same for every server (the Go system's echo program
     * runs it too, with {@code port} = "{port}" replaced by its own port). Warm-up, measured
     * seconds and connections follow {@code size}.
     */
    static List<String> clientCommand(String java, String classpath, String port, int procs, Size size) {
        double warmup = warmupSeconds(size);
        double seconds = measuredSeconds(size);
        int conns = size.pick(CONNS, CONNS, 10);
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(Compare.JVM_EXPORTS);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(List.of("-Xms256m", "-Xmx512m", "-cp", classpath, "io.goloom.bench.examples.EchoClient",
                "--host", InetAddress.getLoopbackAddress().getHostAddress(), "--port", port,
                "--conns", Integer.toString(conns), "--size", Integer.toString(SIZE),
                "--procs", Integer.toString(procs),
                "--warmup", String.format(Locale.ROOT, "%.3f", warmup),
                "--seconds", String.format(Locale.ROOT, "%.3f", seconds), "--machine"));
        return cmd;
    }

    /** Runs the client process against {@code port}; records its histogram; returns its requests/s. */
    private static double load(int port, int procs, Size size, LatencyRecorder recorder) throws Exception {
        List<String> cmd = clientCommand(Tasks.thisJava(), Tasks.thisClassPath(), Integer.toString(port), procs, size);
        long limit = (long) (warmupSeconds(size) + measuredSeconds(size)) + 120;
        File out = File.createTempFile("goloom-echo-client", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
            if (!p.waitFor(limit, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("echo client did not finish in " + limit + " s:\n" + read(out));
            }
            String text = read(out);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("echo client exited with " + p.exitValue() + ":\n" + text);
            }
            for (String line : text.split("\n")) {
                if (line.startsWith("RESULT ")) {
                    String[] f = line.trim().split(" ");
                    Histogram h = HistogramFiles.fromBase64(f[2]);
                    recorder.newWriter().add(h);
                    return Double.parseDouble(f[1]);
                }
            }
            throw new IllegalStateException("echo client printed no RESULT line:\n" + text);
        } finally {
            out.delete();
        }
    }

    private static String read(File f) throws IOException {
        return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
    }
}
