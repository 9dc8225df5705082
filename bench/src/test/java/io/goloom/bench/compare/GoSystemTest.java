package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The go system without Go: its result line and histogram file as compare reads them, finding
 * (or not finding) go on a PATH, and compare without go. GoProgramsTest runs the real programs.
 */
class GoSystemTest {

    @TempDir
    Path tmp;

    private static Compare compare() throws Exception {
        return new Compare(CompareArgs.parse("--java", ProcessHandle.current().info().command().orElseThrow(),
                "--jar", "/opt/goloom/bench/target/goloom-bench.jar"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text, StandardCharsets.UTF_8);
    }

    /** The Go side counts in HdrHistogram's 3-digit buckets and writes each bucket's lowest value: the same histogram. */
    @Test
    void bucketLinesGiveTheHistogramOfTheRawValues() throws Exception {
        long[] raw = {0, 1, 2047, 2048, 2049, 4097, 4098, 1_234_567, 1_234_999, 98_765_432_101L};
        Histogram want = new Histogram(3);
        for (long v : raw) {
            want.recordValue(v);
        }
        // what harness.Histogram.WriteFile printed for these values (bench/go, go1.19): bucket lowest value, count
        Path f = write("h.txt", GoSystem.HEADER + "\nstart 1700000000000 end 1700000001000\n"
                + "0 1\n1 1\n2047 1\n2048 2\n4096 2\n1233920 1\n1234944 1\n98717138944 1\n");
        Histogram got = GoSystem.readHistogram(f);
        assertEquals(want, got);
        assertEquals(1700000000000L, got.getStartTimeStamp());
        assertEquals(1700000001000L, got.getEndTimeStamp());
        for (double p : new double[] {50, 90, 99, 99.9, 100}) {
            assertEquals(want.getValueAtPercentile(p), got.getValueAtPercentile(p), "p" + p);
        }
    }

    @Test
    void anHdrLinePassesAJavaHistogramThrough() throws Exception {
        Histogram h = new Histogram(3);
        h.recordValue(123_456);
        h.recordValueWithCount(7_000, 5);
        Path f = write("h.txt", GoSystem.HEADER + "\nstart 1 end 2\nhdr " + HistogramFiles.toBase64(h) + "\n");
        assertEquals(h, GoSystem.readHistogram(f));
    }

    @Test
    void malformedHistogramFilesAreRefusedNamingTheLine() throws Exception {
        String ok = GoSystem.HEADER + "\nstart 1 end 2\n";
        for (String[] bad : new String[][] {
                {"", "not a Go histogram file"},
                {"#goloom-go-histogram 2\nstart 1 end 2\n", "not a Go histogram file"},
                {GoSystem.HEADER + "\nbegin 1 end 2\n", "start <ms> end <ms>"},
                {ok + "2049 1\n", "line 3: not a bucket"}, // not a bucket's lowest value: other buckets than Java's
                {ok + "5 0\n", "line 3: not a bucket"},
                {ok + "5 -1\n", "line 3"},
                {ok + "5\n", "line 3: want '<value> <count>'"},
                {ok + "5 1\nhdr AAAA\n", "one hdr line"},
                {ok + "hdr !!\n", "h.txt"}}) {
            Path f = write("h.txt", bad[0]);
            IOException e = assertThrows(IOException.class, () -> GoSystem.readHistogram(f), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + " -> " + e.getMessage());
        }
    }

    /** compare reads a Go program's stdout and histogram as a RunOne child's. */
    @Test
    void aGoResultLineIsCollectedLikeRunOnes() throws Exception {
        Workload w = Workloads.byName("chan-pingpong");
        Series s = new Series(w, SystemKind.GO, 1);
        Path out = write("out.txt", "some noise\n{\"workload\":\"chan-pingpong\",\"system\":\"go\",\"procs\":1,"
                + "\"metric\":\"ns/op\",\"value\":369.019,\"go\":\"go1.19.8\",\"latency_count\":3,\"extras\":{}}\n");
        Path hlog = write("h.txt", GoSystem.HEADER + "\nstart 1 end 2\n240 2\n241 1\n");
        assertNull(compare().collect(s, out, hlog));
        assertEquals(List.of(369.019), s.values);
        assertEquals(3, s.merged().getTotalCount());
        assertEquals(241, s.merged().getMaxValue());

        Series t = new Series(Workloads.byName("spawn"), SystemKind.GO, 2); // no latency: no histogram read
        Path out2 = write("out2.txt", "{\"workload\":\"spawn\",\"system\":\"go\",\"procs\":2,\"metric\":\"ns/op\","
                + "\"value\":2779.8495,\"go\":\"go1.19.8\",\"latency_count\":0,\"extras\":{}}\n");
        assertNull(compare().collect(t, out2, tmp.resolve("none")));
        assertEquals(List.of(2779.8495), t.values);
        assertNull(t.merged());
    }

    /** A Go result line, complete: workload, system and value as given. */
    private static String goLine(String workload, String system, String value) {
        return "{\"workload\":\"" + workload + "\",\"system\":\"" + system + "\",\"procs\":1,\"metric\":\"ns/op\","
                + "\"value\":" + value + ",\"go\":\"go1.19.8\",\"latency_count\":1,\"extras\":{}}";
    }

    @Test
    void aWrongOrMissingGoResultIsAProblem() throws Exception {
        Workload w = Workloads.byName("chan-pingpong");
        Path hlog = write("h.txt", GoSystem.HEADER + "\nstart 1 end 2\n240 2\n");
        Map<String, String> cases = Map.of(
                "", "no result line",
                goLine("chan-pingpong", "goloom", "1"), "unexpected result line",
                goLine("yield", "go", "1"), "unexpected result line",
                goLine("chan-pingpong", "go", "\"fast\""), "bad result line",
                goLine("chan-pingpong", "go", "1").replace("\"go\":", "\"jdk\":"), "bad result line", // RunOne's line
                goLine("chan-pingpong", "go", "1").replace(",\"extras\":{}", ""), "bad result line",
                "{\"workload\":\"chan-pingpong\",\"system\":\"go\",", "bad result line");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Series s = new Series(w, SystemKind.GO, 1);
            String problem = compare().collect(s, write("out.txt", c.getKey() + "\n"), hlog);
            assertNotNull(problem, c.getKey());
            assertTrue(problem.startsWith(c.getValue()), c.getKey() + " -> " + problem);
            assertTrue(s.values.isEmpty());
        }
        Series s = new Series(w, SystemKind.GO, 1);
        Path good = write("out.txt", goLine("chan-pingpong", "go", "1") + "\n");
        assertEquals("no histogram written", compare().collect(s, good, tmp.resolve("missing")));
    }

    @Test
    void goIsLookedForOnTheGivenPath() throws Exception {
        Path src = GoSystem.sources();
        assertNotNull(src, "bench/go is found from the test class path");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path notExec = Files.createDirectories(tmp.resolve("notexec"));
        Files.writeString(notExec.resolve("go"), "#!/bin/sh\necho go version go0 fake\n");
        for (String path : new String[] {"", empty.toString(), empty + ":" + notExec + ":/nonexistent", null}) {
            GoSystem g = GoSystem.detect(path, src);
            assertNotNull(g.absentReason(), String.valueOf(path));
            assertTrue(g.absentReason().startsWith("no `go` on PATH"), g.absentReason());
            assertNull(g.version());
        }
        Path fake = Files.createDirectories(tmp.resolve("fake"));
        Path go = Files.writeString(fake.resolve("go"), "#!/bin/sh\necho go version go1.99 fake/arch\n");
        Files.setPosixFilePermissions(go, PosixFilePermissions.fromString("rwxr-xr-x"));
        GoSystem g = GoSystem.detect(empty + ":" + fake, src);
        assertNull(g.absentReason());
        assertEquals("go version go1.99 fake/arch", g.version());
        assertEquals(src.resolveSibling("target").resolve("go"), g.binDir());
        assertNotNull(GoSystem.detect(fake.toString(), tmp).absentReason(), "no bench/go sources: no column");
    }

    @Test
    void theGoCommandIsRunOnesWithTheClientCommandForEcho() throws Exception {
        Path fake = Files.createDirectories(tmp.resolve("fake"));
        Path go = Files.writeString(fake.resolve("go"), "#!/bin/sh\necho go version go1.99 fake/arch\n");
        Files.setPosixFilePermissions(go, PosixFilePermissions.fromString("rwxr-xr-x"));
        GoSystem g = GoSystem.detect(fake.toString(), GoSystem.sources());
        Path hlog = tmp.resolve("x.hlog");
        assertEquals(List.of(g.binDir().resolve("sleep-lateness").toString(), "--workload", "sleep-lateness-10k",
                        "--system", "go", "--procs", "2", "--quick", "--hlog", hlog.toString()),
                g.command(Workloads.byName("sleep-lateness-10k"), 2, Size.QUICK, hlog, "/usr/bin/java", "cp"));
        List<String> echo = g.command(Workloads.byName("echo"), 2, Size.FULL, hlog, "/usr/bin/java", "the-cp");
        int sep = echo.indexOf("--");
        assertTrue(sep > 0, echo.toString());
        assertEquals(EchoWorkload.clientCommand("/usr/bin/java", "the-cp", GoSystem.PORT_PLACEHOLDER, 2, Size.FULL),
                echo.subList(sep + 1, echo.size()));
        assertNull(GoSystem.program(Workloads.byName("http")));
        assertThrows(IllegalArgumentException.class,
                () -> g.command(Workloads.byName("http"), 2, Size.FULL, hlog, "/usr/bin/java", "cp"));
    }

    /** Without go on PATH compare runs as before, says in one line why the column is missing, and reports it. */
    @Test
    @Timeout(300)
    void withoutGoCompareRunsAsTodayAndSaysWhy() throws Exception {
        Path noGo = Files.createDirectories(tmp.resolve("bin"));
        Path dir = tmp.resolve("out");
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int code = Compare.run(new String[] {"--only", "yield", "--runs", "1", "--out", dir.toString(),
                "--java", ProcessHandle.current().info().command().orElseThrow(),
                "--jar", System.getProperty("java.class.path"), "--test-size", "--go-path", noGo.toString()},
                new PrintStream(outBytes, true, StandardCharsets.UTF_8), new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        String console = outBytes.toString(StandardCharsets.UTF_8);
        String diag = console + "\nstderr:\n" + errBytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, diag);
        assertEquals(1, console.lines().filter(l -> l.contains("no go column: no `go` on PATH")).count(), diag);
        assertFalse(console.contains(" go        run"), diag);
        assertFalse(console.contains("goloom/go"), diag);
        String report = Files.readString(dir.resolve("report.md"));
        assertTrue(report.contains("- go: no Go column: no `go` on PATH"), report);
        assertFalse(report.contains("goloom/go"), report);
        String summary = Files.readString(dir.resolve("summary.json"));
        assertFalse(summary.contains("\"system\":\"go\""), summary);
        assertFalse(summary.contains("\"go\":"), summary);
        assertTrue(summary.contains("\"system\":\"goloom\""), summary);
    }
}
