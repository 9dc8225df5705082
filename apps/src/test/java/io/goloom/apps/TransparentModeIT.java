package io.goloom.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13's acceptance, per server app: unmodified, started by plain {@code java} with goloom's
 * agent ({@code -javaagent:goloom.jar=scheduler,procs=2}) and as {@code ./goloom run} starts it
 * (a patched java.base), through {@code -cp} and through
 * {@code -jar}, every request is answered correctly by a virtual thread on a goloom carrier,
 * also after {@code main} has returned, until {@code /stop} ends the JVM with status 0. The
 * control run without the agent must see the JDK's ForkJoinPool carriers: the carrier check can
 * fail.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TransparentModeIT {

    static final int PROCS = 2;
    /** Keep-alive connections, and requests on each (in sequence). */
    static final int CONNECTIONS = 4;
    static final int REQUESTS_PER_CONNECTION = 50;

    @TempDir
    Path tmp;

    /** How the app is started: {@code -cp <classes and jars> Main}, or {@code -jar} a fat jar. */
    enum Launch {
        CLASS_PATH, FAT_JAR;

        List<String> args(ServerApp app, Path dir) throws IOException {
            return this == CLASS_PATH ? app.classPathLaunch() : app.jarLaunch(dir);
        }
    }

    static Stream<Arguments> appsAndLaunches() {
        return Stream.of(ServerApp.values()).flatMap(a -> Stream.of(Launch.values()).map(l -> Arguments.of(a, l)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndLaunches")
    void servesOnGoloomAfterMainReturned(ServerApp app, Launch launch) throws Exception {
        try (AppProcess p = new AppProcess(List.of(AppProcess.agent(PROCS)), launch.args(app, tmp))) {
            serveAndStop(app, p, ServerApp.ON_GOLOOM, "goloom");
            assertGoloomLine(p.stderr(), p);
        }
    }

    /**
     * The same through {@code ./goloom run}'s way: the launcher writes the application JVM's
     * command (a patched java.base, no java agent) and prints goloom's one line; the script then
     * execs that command, which this test starts as it is.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndLaunches")
    void servesOnGoloomAfterMainReturnedThroughTheLauncher(ServerApp app, Launch launch) throws Exception {
        StringBuilder said = new StringBuilder();
        List<String> cmd = AppProcess.launcherCommand(PROCS, launch.args(app, tmp), tmp, said);
        try (AppProcess p = new AppProcess(cmd)) {
            serveAndStop(app, p, ServerApp.ON_GOLOOM, "goloom");
            assertGoloomLine(said.toString(), p);
            assertFalse(p.stderr().lines().anyMatch(x -> x.startsWith("goloom:")), p.output());
        }
    }

    /** Without the agent the same app's handlers run on ForkJoinPool: proves the carrier check can fail. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndLaunches")
    void withoutTheAgentHandlersRunOnForkJoinPool(ServerApp app, Launch launch) throws Exception {
        try (AppProcess p = new AppProcess(List.of(), launch.args(app, tmp))) {
            serveAndStop(app, p, ServerApp.ON_FORK_JOIN_POOL, null);
            assertFalse(p.stderr().contains("goloom:"), p.output());
        }
    }

    /**
     * Waits for {@code main returned}, then sends {@link #CONNECTIONS} x {@link #REQUESTS_PER_CONNECTION}
     * requests over keep-alive connections in parallel, checks every reply, asks {@code /threads}
     * (answered only once main has returned; it names the {@code goloom.virtualThreadScheduler}
     * property, {@code scheduler}) and stops the app with {@code /stop}.
     */
    static void serveAndStop(ServerApp app, AppProcess p, Pattern carrier, String scheduler) throws Exception {
        int port = p.awaitStarted();
        Set<String> threads = new TreeSet<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<String>>> conns = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                int conn = c;
                conns.add(clients.submit(() -> {
                    List<String> seen = new ArrayList<>();
                    try (HttpConn http = new HttpConn(port)) {
                        for (int i = 0; i < REQUESTS_PER_CONNECTION; i++) {
                            String req = conn + "-" + i;
                            seen.add(app.checkHello(http.get("/?i=" + req), req, carrier));
                        }
                    }
                    return seen;
                }));
            }
            for (Future<List<String>> f : conns) {
                threads.addAll(unwrap(f, p));
            }
        }
        System.out.printf("%s: %d requests on %d keep-alive connections, %d distinct handler threads, e.g. %s%n",
                app.name, CONNECTIONS * REQUESTS_PER_CONNECTION, CONNECTIONS, threads.size(), threads.iterator().next());
        try (HttpConn http = new HttpConn(port)) {
            HttpConn.Reply report = http.get("/threads");
            assertEquals(200, report.status(), report::toString);
            assertTrue(report.body().startsWith("main=returned scheduler=" + scheduler + " "), report::body);
            assertTrue(p.isAlive(), "the app exited after main returned\n" + p.output());
            HttpConn.Reply stop = http.get("/stop");
            assertEquals("stopping", stop.body(), stop::toString);
        }
        assertEquals(0, p.awaitExit(), p::output);
    }

    static <T> T unwrap(Future<T> f, AppProcess p) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError a) {
                a.addSuppressed(new Exception(p.output()));
                throw a;
            }
            throw new AssertionError("client failed: " + e.getCause() + "\n" + p.output(), e.getCause());
        }
    }

    /** goloom's one startup line on stderr says the virtual threads run on goloom. */
    static void assertGoloomLine(String stderr, AppProcess p) {
        List<String> lines = stderr.lines().filter(l -> l.startsWith("goloom:")).toList();
        assertEquals(1, lines.size(), () -> "goloom's startup lines: " + lines + "\n" + p.output());
        assertTrue(lines.get(0).startsWith("goloom: virtual threads run on goloom (procs=" + PROCS + ", JDK "), p::output);
    }
}
