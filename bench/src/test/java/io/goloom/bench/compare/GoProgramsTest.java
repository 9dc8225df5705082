package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds every Go program of the go system with the {@code go} on PATH and runs each workload's
 * program in its quick mode, reading its output as compare does. Skipped, saying so, when there
 * is no Go toolchain (CI installs none). No number is judged.
 */
class GoProgramsTest {

    @TempDir
    Path tmp;

    @Test
    @Timeout(900)
    void everyGoProgramBuildsRunsQuickAndSpeaksRunOnesProtocol() throws Exception {
        GoSystem go = GoSystem.detect();
        assumeTrue(go.absentReason() == null, () -> "skipped: " + go.absentReason());
        List<Workload> ws = Workloads.ALL.stream().filter(w -> GoSystem.program(w) != null).toList();
        assertEquals(Workloads.names().stream().filter(n -> !n.equals("http")).toList(),
                ws.stream().map(Workload::name).toList(), "every workload but http has a Go side");
        assertNull(go.build(ws));
        Compare c = new Compare(CompareArgs.parse("--java", Tasks.thisJava(), "--jar", Tasks.thisClassPath()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        int cores = Runtime.getRuntime().availableProcessors();
        for (Workload w : ws) {
            int procs = w.procs(cores);
            Path hlog = tmp.resolve(w.name() + ".hgo");
            Path out = tmp.resolve(w.name() + ".out");
            Path err = tmp.resolve(w.name() + ".err");
            ProcessBuilder pb = new ProcessBuilder(go.command(w, procs, Size.QUICK, hlog, Tasks.thisJava(),
                    Tasks.thisClassPath())).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put(GoSystem.GOMAXPROCS, Integer.toString(procs));
            Process p = pb.start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            String diag = w.name() + ": stdout " + Files.readString(out) + "\nstderr " + Files.readString(err);
            assertEquals(0, p.exitValue(), diag);
            Series s = new Series(w, SystemKind.GO, procs);
            assertNull(c.collect(s, out, hlog), diag);
            assertEquals(1, s.values.size(), diag);
            assertTrue(Double.isFinite(s.values.getFirst()) && (w.metric() == Metric.BYTES || s.values.getFirst() >= 0), diag);
            assertEquals(w.recordsLatency(), s.merged() != null, diag);
            if (w.recordsLatency()) {
                assertTrue(s.merged().getTotalCount() > 0, diag);
            }
            try (Stream<String> lines = Files.lines(out)) {
                assertTrue(lines.anyMatch(l -> l.contains("\"metric\":\"" + w.metric().unit() + "\"")), diag);
            }
        }
        // GOMAXPROCS other than --procs: the program refuses to measure, as RunOne does
        Workload spawn = Workloads.byName("spawn");
        ProcessBuilder pb = new ProcessBuilder(go.command(spawn, 2, Size.TEST, tmp.resolve("x"), "java", "cp"))
                .redirectErrorStream(true);
        pb.environment().put(GoSystem.GOMAXPROCS, "1");
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), text);
        assertTrue(text.contains("GOMAXPROCS=2 must be in the environment"), text);
    }
}
