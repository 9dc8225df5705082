package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareArgsTest {

    @TempDir
    Path tmp;

    private static List<String> names(CompareArgs a) {
        return a.workloads().stream().map(Workload::name).toList();
    }

    @Test
    void defaults() throws Exception {
        CompareArgs a = CompareArgs.parse();
        assertFalse(a.quick());
        assertEquals(CompareArgs.DEFAULT_RUNS, a.runs());
        assertNull(a.outDir());
        assertEquals(Workloads.names(), names(a));
        assertEquals(Size.FULL, a.size());
        assertEquals(System.getProperty("java.class.path"), a.classpath());
        assertTrue(Files.isExecutable(Path.of(a.java())));
        assertEquals(List.of(), a.userArgs());
    }

    @Test
    void jvmArgsGoToEveryChildJvm() throws Exception {
        CompareArgs a = CompareArgs.parse("--only", "yield", "--jvm-args", " -XX:StartFlightRecording=settings=default  -Dgoloom.debug=trace=1");
        assertEquals(List.of("-XX:StartFlightRecording=settings=default", "-Dgoloom.debug=trace=1"), a.jvmArgs());
        assertEquals(List.of(), CompareArgs.parse().jvmArgs());
        org.junit.jupiter.api.Assertions.assertThrows(BadArgumentException.class, () -> CompareArgs.parse("--jvm-args", "oops"));
        List<String> cmd = new Compare(a, System.out).childCommand(Workloads.byName("yield"), SystemKind.GOLOOM, 1,
                java.nio.file.Path.of("x.hlog"));
        assertTrue(cmd.contains("-XX:StartFlightRecording=settings=default") && cmd.contains("-Dgoloom.debug=trace=1"), cmd.toString());
        assertTrue(cmd.indexOf("-Dgoloom.debug=trace=1") < cmd.indexOf(RunOne.class.getName()), "a JVM flag goes before the main class: " + cmd);
    }

    @Test
    void quickMeansThreeRunsUnlessRunsIsGiven() throws Exception {
        assertEquals(CompareArgs.QUICK_RUNS, CompareArgs.parse("--quick").runs());
        assertEquals(Size.QUICK, CompareArgs.parse("--quick").size());
        assertEquals(1, CompareArgs.parse("--quick", "--runs", "1").runs());
        assertEquals(7, CompareArgs.parse("--runs", "7").runs());
    }

    @Test
    void onlyKeepsRegistryOrder() throws Exception {
        CompareArgs a = CompareArgs.parse("--only", "memory,yield");
        assertEquals(List.of("yield", "memory"), names(a));
        assertEquals(List.of("--only", "memory,yield"), a.userArgs());
    }

    @Test
    void outDirMayExistOrNot() throws Exception {
        assertEquals(tmp.toAbsolutePath(), CompareArgs.parse("--out", tmp.toString()).outDir());
        Path fresh = tmp.resolve("a/b/c");
        assertEquals(fresh.toAbsolutePath(), CompareArgs.parse("--out", fresh.toString()).outDir());
        assertFalse(Files.exists(fresh), "parse creates nothing");
    }

    @Test
    void internalFlagsAreNotPartOfTheUserCommand() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        CompareArgs a = CompareArgs.parse("--java", java, "--jar", "x.jar", "--quick", "--test-size");
        assertEquals(java, a.java());
        assertEquals("x.jar", a.classpath());
        assertEquals(Size.TEST, a.size());
        assertEquals(List.of("--quick"), a.userArgs());
    }

    private void bad(String expectedInMessage, String... args) {
        BadArgumentException e = assertThrows(BadArgumentException.class, () -> CompareArgs.parse(args),
                () -> "should reject " + List.of(args));
        assertTrue(e.getMessage().contains(expectedInMessage),
                () -> "message '" + e.getMessage() + "' should mention '" + expectedInMessage + "'");
    }

    @Test
    void helpPrintsTheUsageOnStdoutAndSucceeds() {
        for (String flag : new String[] {"--help", "-h"}) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int status = Compare.run(new String[] {flag}, new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            org.junit.jupiter.api.Assertions.assertEquals(0, status, flag);
            org.junit.jupiter.api.Assertions.assertEquals(CompareArgs.USAGE, out.toString(), flag);
            org.junit.jupiter.api.Assertions.assertEquals("", err.toString(), flag);
        }
    }

    @Test
    void badArguments() throws Exception {
        bad("unknown workload 'nope'", "--only", "nope");
        bad("unknown workload 'nope'", "--only", "yield,nope");
        bad("empty workload name", "--only", "yield,");
        bad("--only needs a value", "--only");
        bad("--runs must be at least 1", "--runs", "0");
        bad("--runs must be at least 1", "--runs", "-3");
        bad("whole number", "--runs", "two");
        bad("--runs needs a value", "--runs");
        bad("unknown option '--fast'", "--fast");
        bad("unexpected argument 'yield'", "yield");
        bad("given twice", "--quick", "--quick");
        bad("--out needs a value", "--out");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        bad("not a directory", "--out", file.toString());
        bad("not a directory", "--out", file.resolve("sub").toString());
        bad("not an executable", "--java", tmp.resolve("no-java").toString());
    }

    @Test
    void mainMapsBadArgumentsToExitCode2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Compare.run(new String[] {"--runs", "0"}, new PrintStream(out), new PrintStream(err));
        assertEquals(2, code);
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("--runs must be at least 1"), e);
        assertTrue(e.contains("usage: ./goloom compare"), e);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing runs");
    }
}
