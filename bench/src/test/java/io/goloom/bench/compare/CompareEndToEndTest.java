package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compare --quick --runs 1} on yield plus the latency workloads, at the test size, with
 * child JVMs started from the test class path; then every output file is checked for existence
 * and form. Nothing about the numbers themselves is asserted.
 */
class CompareEndToEndTest {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    // fairness: its goloom and goloom-vt runs fail (so would this test) if a CPU-bound hog that calls
    // nothing made no progress: the agent (-javaagent on those child JVMs) must have preempted them.
    // http: the VT-per-request HttpServer and the separate load client process, with the server's extra figures.
    // goloom-vt runs in child JVMs with the transparent-mode agent (a manifest-only agent jar over the test class
    // path) and each such run first checks that its virtual threads really run on goloom; until the agent class
    // exists in the build, goloom-vt is listed as skipped.
    private static final List<String> ONLY = List.of("yield", "chan-pingpong", "sleep-lateness", "park-unpark", "fairness",
            "http");

    @TempDir
    Path tmp;

    /** With a Go toolchain on PATH (not in CI) compare adds the go column; the checks then cover it too. */
    private static final GoSystem GO = GoSystem.detect();

    @Test
    @Timeout(600)
    void quickRunWritesEveryOutput() throws Exception {
        Path dir = tmp.resolve("out");
        String java = ProcessHandle.current().info().command().orElseThrow();
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int code = Compare.run(new String[] {"--quick", "--only", String.join(",", ONLY), "--runs", "1",
                "--out", dir.toString(), "--java", java, "--jar", System.getProperty("java.class.path"), "--test-size"},
                new PrintStream(outBytes, true, StandardCharsets.UTF_8), new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        String console = outBytes.toString(StandardCharsets.UTF_8);
        String diag = "stdout:\n" + console + "\nstderr:\n" + errBytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, diag);
        assertTrue(console.contains("yield") && console.contains("run 1/1"), diag);
        assertTrue(console.contains("goloom/vthreads"), "table printed\n" + diag);
        assertEquals(GO.absentReason() == null, console.contains("goloom/go"), diag);
        assertTrue(GO.absentReason() == null || console.contains("no go column: " + GO.absentReason()), diag);

        // summary.json: schema 1, one row per (workload, system) that ran, none for skipped ones
        List<Map<String, Object>> rows = SummaryJsonTest.checkSchema(
                MiniJson.parse(Files.readString(dir.resolve("summary.json"), StandardCharsets.UTF_8)));
        Map<?, ?> top = (Map<?, ?>) MiniJson.parse(Files.readString(dir.resolve("summary.json")));
        assertEquals(Boolean.TRUE, top.get("quick"));
        assertTrue(((String) top.get("command")).contains("--only " + String.join(",", ONLY)), diag);
        String report = Files.readString(dir.resolve("report.md"), StandardCharsets.UTF_8);
        assertTrue(report.contains("| workload | metric | procs |"), report);
        assertTrue(report.contains((String) top.get("command")), "report.md has the command");
        assertTrue(report.contains("- date: " + top.get("date")), "report.md has the date");
        assertTrue(report.contains("| goloom/vthreads | verdict |"), "report.md has the verdict column\n" + report);
        assertTrue(report.contains("## Machine load\n") && report.contains("- load average (1 / 5 / 15 min) at the start: ")
                && report.contains("- highest 1-minute load during the run: ") && report.contains("- load average at the end: "),
                "report.md has the machine's load\n" + report);
        assertTrue(console.contains("verdict"), "console table has the verdict column\n" + diag);

        List<String> latencyWorkloads = new ArrayList<>();
        for (String name : ONLY) {
            Workload w = Workloads.byName(name);
            List<Map<String, Object>> mine = rows.stream().filter(r -> name.equals(r.get("workload"))).toList();
            if (w.skipReason() != null) {
                assertTrue(mine.isEmpty(), name + " is skipped");
                assertTrue(report.contains("| " + name + " | skipped: " + w.skipReason()), report);
                assertTrue(console.contains(name + ": skipped: " + w.skipReason()), console);
                continue;
            }
            String vtSkip = TransparentMode.skipReason();
            List<SystemKind> ran = new ArrayList<>(w.systems().stream().filter(s -> s != SystemKind.GOLOOM_VT || vtSkip == null).toList());
            if (GO.absentReason() == null && GoSystem.program(w) != null) {
                ran.add(SystemKind.GO); // Go on PATH: its program runs too, last in the alternation
            }
            assertEquals(ran.stream().map(SystemKind::id).toList(),
                    mine.stream().map(r -> r.get("system")).toList(), name + " rows, in system order");
            if (vtSkip != null && w.systems().contains(SystemKind.GOLOOM_VT)) {
                assertTrue(report.contains("- " + name + " on goloom-vt: " + vtSkip), report);
                assertTrue(console.contains("goloom-vt skipped: " + vtSkip), console);
            }
            for (Map<String, Object> r : mine) {
                assertEquals(w.metric().unit(), r.get("metric"));
                assertEquals(w.procs(Runtime.getRuntime().availableProcessors()), SummaryJsonTest.integer(r.get("procs")));
                assertEquals(1, SummaryJsonTest.integer(r.get("runs")));
                assertEquals(w.recordsLatency(), r.containsKey("p99"), name);
                for (String x : w.extras()) {
                    assertTrue(r.containsKey(x), name + " row has its extra figure " + x + ": " + r);
                }
            }
            if (!w.extras().isEmpty() && !mine.isEmpty()) {
                assertTrue(report.contains("### " + name + ": "), "report.md has the extras table\n" + report);
                for (String x : w.extras()) {
                    assertTrue(report.contains(" " + x + " |"), x + " column in report.md\n" + report);
                }
            }
            assertTrue(report.contains("| " + name + " | " + w.metric().unit() + " |"), report);
            for (SystemKind s : ran) {
                Path hgrm = dir.resolve(name + "-" + s.id() + ".hgrm");
                Path hlog = dir.resolve(name + "-" + s.id() + ".hlog");
                assertEquals(w.recordsLatency(), Files.exists(hgrm), hgrm.toString());
                assertEquals(w.recordsLatency(), Files.exists(hlog), hlog.toString());
                if (w.recordsLatency()) {
                    checkHgrm(hgrm);
                    checkHlog(hlog, 1);
                }
            }
            if (w.recordsLatency()) {
                latencyWorkloads.add(name);
                checkPng(dir.resolve(name + "-percentiles.png"));
            }
        }
        assertFalse(latencyWorkloads.isEmpty(), "park-unpark records latency and has no missing feature");
        checkPng(dir.resolve("ratios.png"));
        assertTrue(report.contains("![ratios.png](ratios.png)"), report);
        assertFalse(Files.exists(dir.resolve(".runs")), "scratch files removed");
    }

    /** HdrHistogram's percentile distribution: the header, rows of four numbers, the summary footer. */
    private static void checkHgrm(Path hgrm) throws Exception {
        List<String> lines = Files.readAllLines(hgrm);
        assertTrue(lines.getFirst().strip().matches("Value\\s+Percentile\\s+TotalCount\\s+1/\\(1-Percentile\\)"),
                hgrm + ": " + lines.getFirst());
        int rows = 0;
        double lastPercentile = -1;
        for (String l : lines.subList(1, lines.size())) {
            if (l.isBlank() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.strip().split("\\s+");
            assertTrue(f.length == 4 || (f.length == 3 && Double.parseDouble(f[1]) == 1.0), hgrm + ": " + l);
            Double.parseDouble(f[0]);
            double p = Double.parseDouble(f[1]);
            assertTrue(p >= lastPercentile && p <= 1.0, hgrm + ": " + l);
            lastPercentile = p;
            Long.parseLong(f[2]);
            rows++;
        }
        assertTrue(rows >= 2, hgrm + " has percentile rows"); // one value (a starved ticker) gives two
        String all = String.join("\n", lines);
        assertTrue(all.contains("#[Mean    =") && all.contains("#[Max     ="), hgrm + " has the footer");
    }

    /** The raw log reads back with HistogramLogReader: one interval per run, each with counts. */
    private static void checkHlog(Path hlog, int runs) throws Exception {
        List<String> lines = Files.readAllLines(hlog);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("#[Histogram log format version")), hlog.toString());
        int n = 0;
        try (HistogramLogReader r = new HistogramLogReader(hlog.toFile())) {
            EncodableHistogram h;
            while ((h = r.nextIntervalHistogram()) != null) {
                assertNotNull(h.getTag());
                assertTrue(((org.HdrHistogram.Histogram) h).getTotalCount() > 0);
                n++;
            }
        }
        assertEquals(runs, n, hlog + " intervals");
    }

    private static void checkPng(Path png) throws Exception {
        assertTrue(Files.exists(png), png.toString());
        try (InputStream in = Files.newInputStream(png)) {
            byte[] head = in.readNBytes(PNG_MAGIC.length);
            assertArrayEquals(PNG_MAGIC, head, png + " starts with the PNG signature: " + Arrays.toString(head));
        }
        assertTrue(Files.size(png) > 1000, png + " is not empty");
    }
}
