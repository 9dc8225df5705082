package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The goloom-vt wiring: which child JVM gets goloom's transparent-mode agent, the agent jar,
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
    void onlyGoloomVtChildrenGetTheSchedulerAgentAndOtherwiseTheSameFlags() throws Exception {
        Compare c = compare();
        Workload spawn = Workloads.byName("spawn");
        Path hlog = Path.of("/tmp/x.hlog");
        List<String> vt = c.childCommand(spawn, SystemKind.VTHREADS, 2, hlog);
        List<String> gvt = c.childCommand(spawn, SystemKind.GOLOOM_VT, 2, hlog);
        assertEquals(List.of(), agents(vt));
        assertEquals(List.of("-javaagent:" + BENCH_JAR + "=scheduler,procs=2"), agents(gvt));
        List<String> gvtWithoutAgent = new java.util.ArrayList<>(gvt);
        gvtWithoutAgent.removeAll(agents(gvt));
        assertTrue(vt.stream().noneMatch(a -> a.contains("DoJVMTIVirtualThreadTransitions")), "stock stays stock: " + vt);
        assertTrue(gvt.stream().noneMatch(a -> a.contains("DoJVMTIVirtualThreadTransitions")), "pins virtual threads on monitors: " + gvt);
        List<String> vtAsGvt = vt.stream().map(a -> a.equals("vthreads") ? "goloom-vt" : a).toList();
        assertEquals(vtAsGvt, gvtWithoutAgent, "the same command line but for the agent and --system");
        assertTrue(gvt.contains("-Djdk.virtualThreadScheduler.parallelism=2"));
        assertTrue(gvt.containsAll(List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED")), gvt.toString());
        assertEquals(List.of(), agents(c.childCommand(spawn, SystemKind.GOLOOM, 2, hlog)));
        assertEquals(List.of(), agents(c.childCommand(spawn, SystemKind.PLATFORM, 2, hlog)));
    }

    @Test
    void fairnessOnGoloomVtKeepsThePreemptionAgentToo() throws Exception {
        Workload fairness = Workloads.byName("fairness");
        assumeFalse(fairness.jvmArgs(SystemKind.GOLOOM_VT).isEmpty(), "the preemption agent jar is not built");
        List<String> a = agents(compare().childCommand(fairness, SystemKind.GOLOOM_VT, 2, Path.of("/tmp/x.hlog")));
        assertEquals(2, a.size(), a.toString());
        assertEquals("-javaagent:" + BENCH_JAR + "=scheduler,procs=2", a.get(0));
        assertTrue(a.get(1).endsWith("=" + FairnessWorkload.AGENT_ARGS), a.get(1));
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
    void agentJarIsTheBenchJarOrAManifestOnlyJarForClassDirectories() throws Exception {
        assertEquals(Path.of(BENCH_JAR), TransparentMode.agentJar(BENCH_JAR, tmp));
        Path jar = TransparentMode.agentJar("/a/classes" + java.io.File.pathSeparator + "/b/classes", tmp);
        assertTrue(Files.isRegularFile(jar));
        try (JarFile j = new JarFile(jar.toFile())) {
            Attributes a = j.getManifest().getMainAttributes();
            assertEquals(TransparentMode.AGENT_CLASS, a.getValue("Premain-Class"));
            assertEquals(TransparentMode.AGENT_CLASS, a.getValue("Agent-Class"));
            assertEquals("true", a.getValue("Can-Retransform-Classes"));
            assertTrue(a.getValue("Add-Exports").contains("java.base/jdk.internal.misc"));
            assertTrue(a.getValue("Add-Opens").contains("java.base/java.util.concurrent"));
        }
    }

    @Test
    void aGoloomVtRunWithoutTheAgentRefusesToMeasure() throws Exception {
        assumeFalse("goloom".equals(System.getProperty(TransparentMode.SCHEDULER_PROPERTY)), "this JVM runs on goloom");
        TransparentMode.verify(SystemKind.VTHREADS); // stock virtual threads here
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TransparentMode.verify(SystemKind.GOLOOM_VT));
        assertTrue(e.getMessage().contains("do not run on goloom") && e.getMessage().contains("-javaagent"), e.getMessage());
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
