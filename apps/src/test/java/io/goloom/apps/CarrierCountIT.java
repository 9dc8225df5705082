package io.goloom.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13's carrier acceptance: with {@code procs=2} under a 50-connection closed-loop
 * keep-alive HTTP load for {@code goloom.apps.seconds} (default 20), at most 2 + (truly blocked
 * carriers) goloom carrier threads exist. The app counts its {@code goloom-m<N>} threads once a
 * second on its own connection ({@code /threads}) next to goloom's own count of truly blocked
 * carriers; every sample must be within the bound (a sample over it is taken again at once, for
 * the carrier that is retiring right after its blocking call), and every reply is checked as in
 * {@link TransparentModeIT}. Requests/s is printed, not asserted
 * (speed is measured by the benchmarks, alone on the machine).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CarrierCountIT {

    static final int PROCS = 2;
    static final int CONNECTIONS = 50;
    private static final Pattern CARRIER_NUMBER = Pattern.compile("goloom-m(\\d+)");
    private static final Pattern COUNTS = Pattern.compile("main=returned scheduler=goloom carriers=(\\d+) blocked=(\\d+)");

    /** One {@code /threads} sample: when (s after the load started), the counts and the report. */
    record Sample(double at, int carriers, int blocked, String report) {
        /** Carriers started since the JVM started: M numbers are not reused. */
        int started() {
            return CARRIER_NUMBER.matcher(report).results().mapToInt(r -> Integer.parseInt(r.group(1)) + 1).max().orElse(0);
        }

        boolean withinBound() {
            return carriers <= PROCS + blocked;
        }
    }

    /** Samples over the bound that the next sample, taken at once, found within it. */
    private final List<Sample> transients = new ArrayList<>();

    /** Started by plain java with the agent, or as ./goloom run --procs 2 starts it (a patched java.base). */
    enum Way { AGENT, LAUNCHER }

    static Stream<Arguments> appsAndWays() {
        return Stream.of(ServerApp.values()).flatMap(a -> Stream.of(Way.values()).map(w -> Arguments.of(a, w)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndWays")
    void carriersStayWithinProcsPlusBlockedUnderLoad(ServerApp app, Way way, @TempDir Path tmp) throws Exception {
        int seconds = Integer.getInteger("goloom.apps.seconds", 20);
        List<String> cmd = way == Way.AGENT ? AppProcess.javaCommand(List.of(AppProcess.agent(PROCS)), app.classPathLaunch())
                : AppProcess.launcherCommand(PROCS, app.classPathLaunch(), tmp, new StringBuilder());
        try (AppProcess p = new AppProcess(cmd)) {
            int port = p.awaitStarted();
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch failed = new CountDownLatch(1);
            List<Sample> samples = new ArrayList<>();
            long requests = 0;
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
                 HttpConn sampler = new HttpConn(port)) {
                List<Future<Long>> conns = new ArrayList<>();
                for (int c = 0; c < CONNECTIONS; c++) {
                    int conn = c;
                    conns.add(clients.submit(() -> {
                        long n = 0;
                        try (HttpConn http = new HttpConn(port)) {
                            while (!stop.get()) {
                                String req = conn + "-" + n;
                                app.checkHello(http.get("/?i=" + req), req, ServerApp.ON_GOLOOM);
                                n++;
                            }
                        } catch (Throwable t) {
                            failed.countDown();
                            throw t;
                        }
                        return n;
                    }));
                }
                // One sample a second while the load runs; a failing client ends the load early.
                for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
                    if (failed.await(Math.min(TimeUnit.SECONDS.toNanos(1), end - now), TimeUnit.NANOSECONDS)) {
                        break;
                    }
                    samples.add(settledSample(sampler, start));
                }
                stop.set(true);
                for (Future<Long> f : conns) {
                    requests += TransparentModeIT.unwrap(f, p);
                }
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            try (HttpConn http = new HttpConn(port)) {
                Sample after = settledSample(http, start);
                System.out.printf("%s (%s), procs=%d, %d connections, %.1f s: %d requests, %.0f req/s%n"
                                + "carriers (goloom-m threads) per second under load: %s%n"
                                + "blocked carriers per second: %s%n"
                                + "the sample with the most carriers:%n%s"
                                + "last sample under load:%n%s"
                                + "after the load: carriers=%d blocked=%d; carriers started in all (highest goloom-m number + 1): %d%n"
                                + "samples over the bound for a moment only (a carrier retiring): %d%s%n",
                        app.name, way, PROCS, CONNECTIONS, elapsed, requests, requests / elapsed,
                        samples.stream().map(Sample::carriers).toList(), samples.stream().map(Sample::blocked).toList(),
                        samples.stream().max(Comparator.comparingInt(Sample::carriers)).map(Sample::report).orElse("(none)\n"),
                        samples.isEmpty() ? "(none)\n" : samples.getLast().report(), after.carriers(), after.blocked(), after.started(),
                        transients.size(), transients.isEmpty() ? "" : ", the first:\n" + transients.getFirst().report());
                assertTrue(samples.size() >= Math.min(seconds, 2), "too few samples: " + samples.size());
                for (Sample s : samples) {
                    assertTrue(s.withinBound(), () -> String.format(
                            "%.1f s into the load %d carrier threads exist for procs=%d with %d truly blocked:%n%s",
                            s.at(), s.carriers(), PROCS, s.blocked(), s.report()));
                }
                assertTrue(after.withinBound(), () -> "after the load: " + after.report());
                assertEquals("stopping", http.get("/stop").body());
            }
            assertEquals(0, p.awaitExit(), p::output);
        }
    }

    /**
     * A sample; when it is over the bound, a second one taken at once, which counts: a carrier
     * whose blocking call has just ended uncounts itself as blocked and then ends, so for a
     * moment it exists without being blocked ({@code GoRuntime.carrierCount()} says as much).
     * Carriers that stay are seen by the second sample too.
     */
    private Sample settledSample(HttpConn http, long start) throws Exception {
        Sample s = sample(http, (System.nanoTime() - start) / 1e9);
        if (s.withinBound()) {
            return s;
        }
        Sample again = sample(http, (System.nanoTime() - start) / 1e9);
        if (again.withinBound()) {
            transients.add(s);
        }
        return again;
    }

    private static Sample sample(HttpConn http, double at) throws Exception {
        HttpConn.Reply r = http.get("/threads");
        Matcher m = COUNTS.matcher(r.body());
        assertTrue(r.status() == 200 && m.lookingAt(), () -> "bad /threads reply: " + r);
        return new Sample(at, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), r.body());
    }
}
