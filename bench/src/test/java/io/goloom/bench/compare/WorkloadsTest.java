package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every workload on every system it supports, in this JVM at the test size: the code paths run
 * and return a finite number (no timing is judged). The goloom side of a workload whose feature
 * has not landed is skipped; its other sides run.
 */
class WorkloadsTest {

    @Test
    void registryHasTheFixedNamesInOrder() {
        assertEquals(List.of("yield", "chan-pingpong", "spawn", "spawn-tree", "sleep-lateness", "sleep-lateness-10k",
                "park-unpark", "memory", "fairness", "echo", "http"), Workloads.names());
        assertEquals(Workloads.ALL.size(), new HashSet<>(Workloads.names()).size());
        for (Workload w : Workloads.ALL) {
            assertFalse(w.systems().isEmpty(), w.name());
            assertTrue(w.systems().contains(SystemKind.VTHREADS), w.name());
            // goloom itself, or (http: virtual-thread code by definition) goloom in transparent mode
            assertTrue(w.systems().contains(SystemKind.GOLOOM)
                    || (w.name().equals("http") && w.systems().contains(SystemKind.GOLOOM_VT)), w.name());
            assertFalse(w.description().isBlank(), w.name());
            int procs = w.procs(8);
            assertTrue(procs == 1 || procs == 8 || (w.name().equals("fairness") && procs == 2), w.name());
        }
        assertEquals(1, Workloads.byName("yield").procs(8));
        assertEquals(1, Workloads.byName("chan-pingpong").procs(8));
    }

    @Test
    void spawnTreeHasAMillionNodes() {
        assertEquals(1_111_111, SpawnTreeWorkload.nodes(6));
        assertEquals(111_111, SpawnTreeWorkload.nodes(5));
        assertEquals(1, SpawnTreeWorkload.nodes(0));
    }

    @Test
    void skipReasonsNameTheMissingPiece() {
        for (Workload w : Workloads.ALL) {
            if (!w.name().equals("fairness")) {
                assertNull(w.skipReason(), w.name() + ": every feature it measures has landed");
            }
        }
        String fairness = Workloads.byName("fairness").skipReason();
        assertEquals(FairnessWorkload.agentJar() == null, fairness != null);
        if (fairness != null) {
            assertTrue(fairness.contains("agent"), fairness);
        }
    }

    static Stream<Arguments> pairs() {
        List<Arguments> out = new ArrayList<>();
        for (Workload w : Workloads.ALL) {
            for (SystemKind s : w.systems()) {
                out.add(Arguments.of(w.name(), s));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("pairs")
    @Timeout(120)
    void runsAtTestSize(String name, SystemKind system) throws Exception {
        Workload w = Workloads.byName(name);
        assumeTrue(system != SystemKind.GOLOOM || w.skipReason() == null,
                () -> name + " on goloom: skipped: " + w.skipReason());
        // goloom-vt is the vthreads code in a JVM whose agent put virtual threads on goloom; this
        // JVM has no such agent (CompareEndToEndTest runs goloom-vt in child JVMs that do).
        assumeTrue(system != SystemKind.GOLOOM_VT
                        || "goloom".equals(System.getProperty(TransparentMode.SCHEDULER_PROPERTY)),
                () -> name + " on goloom-vt: this test JVM's virtual threads are stock");
        LatencyRecorder rec = new LatencyRecorder();
        double v = w.run(system, w.procs(Runtime.getRuntime().availableProcessors()), Size.TEST, rec);
        assertTrue(Double.isFinite(v), () -> name + " on " + system + " returned " + v);
        if (w.metric() != Metric.BYTES) {
            assertTrue(v >= 0, () -> name + " on " + system + " returned " + v);
        }
        assertEquals(w.extras(), List.copyOf(rec.extras().keySet()), name + ": every extra figure recorded");
        Histogram h = rec.merged();
        if (w.recordsLatency()) {
            assertTrue(h.getTotalCount() > 0, "latency recorded");
        } else {
            assertEquals(0, h.getTotalCount(), "no latency recorded");
        }
    }

    @Test
    void percentileAxisLabels() {
        assertEquals("0%", Charts.percentileLabel(1));
        assertEquals("50%", Charts.percentileLabel(2));
        assertEquals("90%", Charts.percentileLabel(10));
        assertEquals("99%", Charts.percentileLabel(100));
        assertEquals("99.9%", Charts.percentileLabel(1000));
        assertEquals("99.999%", Charts.percentileLabel(100_000));
        double[][] xy = Charts.percentileCurve(histogram(1_000, 2_000, 3_000, 1_000_000));
        assertEquals(1.0, xy[0][0]);
        assertNotNull(xy[1]);
        for (int i = 1; i < xy[0].length; i++) {
            assertTrue(xy[0][i] > xy[0][i - 1] && xy[1][i] >= xy[1][i - 1]);
        }
    }

    private static Histogram histogram(long... ns) {
        Histogram h = new Histogram(3);
        for (long v : ns) {
            h.recordValue(v);
        }
        return h;
    }
}
