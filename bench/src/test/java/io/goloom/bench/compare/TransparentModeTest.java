package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The goloom-vt wiring: which child JVM gets goloom's transparent mode (a patched java.base),
 * and the check that refuses to measure a goloom-vt JVM whose virtual threads are stock.
 */
class TransparentModeTest {

    @TempDir
    Path tmp;

    private static final String BENCH_JAR = "/opt/goloom/bench/target/goloom-bench.jar";

    private static Compare compare(String... extra) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("--java",
                ProcessHandle.current().info().command().orElseThrow(), "--jar", BENCH_JAR));
        argv.addAll(List.of(extra));
        return new Compare(CompareArgs.parse(argv.toArray(String[]::new)),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    private static List<String> agents(List<String> cmd) {
        return cmd.stream().filter(a -> a.startsWith("-javaagent:")).toList();
    }

    @Test
    void onlyGoloomVtChildrenGetTransparentModeAndOtherwiseTheSameFlags() throws Exception {
        Compare c = compare();
        Workload spawn = Workloads.byName("spawn");
        Path hlog = Path.of("/tmp/x.hlog");
        List<String> vt = c.childCommand(spawn, SystemKind.VTHREADS, 2, hlog);
        List<String> gvt = c.childCommand(spawn, SystemKind.GOLOOM_VT, 2, hlog);
        assertEquals(List.of(), agents(vt));
        assertEquals(List.of(), agents(gvt), "no java agent: it would make every mount post JVMTI events");
        List<String> transparent = TransparentMode.childOptions(2);
        assertEquals("--patch-module", transparent.getFirst());
        assertTrue(transparent.contains("-Dgoloom.procs=2"), transparent.toString());
        assertTrue(Collections.indexOfSubList(gvt, transparent) > 0, gvt.toString());
        List<String> gvtWithout = new java.util.ArrayList<>(gvt);
        gvtWithout.subList(Collections.indexOfSubList(gvt, transparent), Collections.indexOfSubList(gvt, transparent) + transparent.size()).clear();
        assertTrue(vt.stream().noneMatch(a -> a.contains("DoJVMTIVirtualThreadTransitions")), "stock stays stock: " + vt);
        assertTrue(gvt.stream().noneMatch(a -> a.contains("DoJVMTIVirtualThreadTransitions")), "pins virtual threads on monitors: " + gvt);
        List<String> vtAsGvt = vt.stream().map(a -> a.equals("vthreads") ? "goloom-vt" : a).toList();
        assertEquals(vtAsGvt, gvtWithout, "the same command line but for transparent mode's options and --system");
        assertTrue(gvt.contains("-Djdk.virtualThreadScheduler.parallelism=2"));
        assertTrue(gvt.containsAll(List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED")), gvt.toString());
        for (SystemKind other : List.of(SystemKind.GOLOOM, SystemKind.PLATFORM)) {
            List<String> cmd = c.childCommand(spawn, other, 2, hlog);
            assertEquals(List.of(), agents(cmd));
            assertFalse(cmd.contains("--patch-module"), cmd.toString());
        }
    }

    @Test
    void fairnessOnGoloomVtKeepsThePreemptionAgent() throws Exception {
        Workload fairness = Workloads.byName("fairness");
        assumeFalse(fairness.jvmArgs(SystemKind.GOLOOM_VT).isEmpty(), "the preemption agent jar is not built");
        List<String> cmd = compare().childCommand(fairness, SystemKind.GOLOOM_VT, 2, Path.of("/tmp/x.hlog"));
        List<String> a = agents(cmd);
        assertEquals(1, a.size(), a.toString());
        assertTrue(a.get(0).endsWith("=" + FairnessWorkload.AGENT_ARGS), a.get(0));
        assertTrue(cmd.contains("--patch-module"), cmd.toString());
        assertEquals(List.of(), agents(compare().childCommand(fairness, SystemKind.VTHREADS, 2, Path.of("/tmp/x.hlog"))));
    }

    @Test
    void httpRunsOnStockAndGoloomVtWithTheSameServerFlags() {
        Workload http = Workloads.byName("http");
        assertEquals(List.of(SystemKind.VTHREADS, SystemKind.GOLOOM_VT), http.systems());
        assertEquals(http.jvmArgs(SystemKind.VTHREADS), http.jvmArgs(SystemKind.GOLOOM_VT));
        assertEquals(List.of(HttpWorkload.CARRIERS, HttpWorkload.CARRIERS_MAX, HttpWorkload.CPU_S, HttpWorkload.CPU_US_PER_REQ), http.extras());
        List<String> client = HttpWorkload.clientCommand("java", "cp", 1234, 50, 5, 10);
        assertFalse(client.stream().anyMatch(a -> a.startsWith("-javaagent")), "the client is the same for both");
        assertTrue(client.containsAll(List.of(HttpLoadClient.class.getName(), "--port", "1234", "--conns", "50",
                "--expect-bytes", "256", "--warmup", "5.000", "--seconds", "10.000")), client.toString());
    }

    @Test
    void aGoloomVtRunWithoutTheAgentRefusesToMeasure() throws Exception {
        assumeFalse("goloom".equals(System.getProperty(TransparentMode.SCHEDULER_PROPERTY)), "this JVM runs on goloom");
        TransparentMode.verify(SystemKind.VTHREADS); // stock virtual threads here
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TransparentMode.verify(SystemKind.GOLOOM_VT));
        assertTrue(e.getMessage().contains("do not run on goloom") && e.getMessage().contains("patched java.base"), e.getMessage());
        assertTrue(e.getMessage().contains("@ForkJoinPool-"), "names the carrier it saw: " + e.getMessage());
        // RunOne refuses before running the workload, and says why
        assertThrows(IllegalStateException.class, () -> RunOne.runOne(Workloads.byName("yield"), SystemKind.GOLOOM_VT, 1,
                Size.TEST, tmp.resolve("h.hlog").toFile(), new PrintStream(new ByteArrayOutputStream())));
    }

    @Test
    void carrierNames() {
        for (String carrier : List.of("goloom-m0", "goloom-m12", "ForkJoinPool-1-worker-3")) {
            assertTrue(TransparentMode.CARRIER_NAME.matcher(carrier).matches(), carrier);
        }
        for (String other : List.of("ForkJoinPool.commonPool-worker-1", "goloom-sysmon", "main", "goloom-m")) {
            assertFalse(TransparentMode.CARRIER_NAME.matcher(other).matches(), other);
        }
        assertTrue(TransparentMode.onExpectedCarrier(SystemKind.GOLOOM_VT, "VirtualThread[#31]/runnable@goloom-m2"));
        assertFalse(TransparentMode.onExpectedCarrier(SystemKind.GOLOOM_VT, "VirtualThread[#31]/runnable@ForkJoinPool-1-worker-1"));
        assertTrue(TransparentMode.onExpectedCarrier(SystemKind.VTHREADS, "VirtualThread[#31]/runnable@ForkJoinPool-1-worker-1"));
        assertTrue(TransparentMode.countCarriers() >= 0);
    }
}
