package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tables from synthetic series: the goloom-vt ratio column, http judged by goloom-vt's
 * ratio, extra figures (medians, min–max, whole numbers without decimals), a skipped system.
 */
class ReportTest {

    private static Series series(Workload w, SystemKind s, double... values) {
        Series x = new Series(w, s, 2);
        for (double v : values) {
            x.values.add(v);
        }
        return x;
    }

    private static void extra(Series s, String name, double... values) {
        List<Double> l = new ArrayList<>();
        for (double v : values) {
            l.add(v);
        }
        s.extras.put(name, l);
    }

    @Test
    void httpIsJudgedByGoloomVtAndShowsItsServerFigures() {
        Workload http = Workloads.byName("http");
        Series stock = series(http, SystemKind.VTHREADS, 10_000, 11_000, 9_000);
        Series vt = series(http, SystemKind.GOLOOM_VT, 12_000, 13_000, 11_500);
        extra(stock, HttpWorkload.CARRIERS, 2, 2, 3);
        extra(vt, HttpWorkload.CARRIERS, 2, 2, 2);
        extra(stock, HttpWorkload.CARRIERS_MAX, 2, 3, 3);
        extra(vt, HttpWorkload.CARRIERS_MAX, 4, 2, 2);
        for (Series s : List.of(stock, vt)) {
            extra(s, HttpWorkload.CPU_S, 9.5, 9.7, 9.6);
            extra(s, HttpWorkload.CPU_US_PER_REQ, 90, 95, 100);
        }
        Outcome o = new Outcome(http, null, List.of(stock, vt));
        assertTrue(Double.isNaN(o.ratio()), "no goloom column");
        assertEquals(1.2, o.vtRatio(), 1e-9);
        assertEquals("goloom-vt 1.20x", o.better());

        String md = Report.markdown(List.of(o));
        assertTrue(md.contains("| workload | metric | procs | vthreads | goloom-vt | goloom/vthreads | verdict | goloom-vt/vthreads | verdict | better |"), md);
        // 3 runs against 3, disjoint ranges: a win, and the exact p is 2 / C(6,3) = 0.1
        assertTrue(md.contains("| - | - | 1.20 | win, p=0.10 | goloom-vt 1.20x |"), md);
        assertTrue(md.contains("| system | carriers | carriers_max | server_cpu_s | server_cpu_us_per_req |"), md);
        assertTrue(md.contains("| vthreads | 2 (2–3) | 3 (2–3) | 9.60 (9.50–9.70) | 95 (90–100) |"), md);
        String text = Report.text(List.of(o));
        assertTrue(text.lines().anyMatch(l -> l.strip().startsWith("carriers") && l.strip().endsWith("2")), text);

        Summary.Row row = vt.row();
        assertEquals(Map.of(HttpWorkload.CARRIERS, 2.0, HttpWorkload.CARRIERS_MAX, 2.0, HttpWorkload.CPU_S, 9.6, HttpWorkload.CPU_US_PER_REQ, 95.0), row.extras());
    }

    @Test
    void aSkippedGoloomVtIsShownAsSkippedAndHasNoRow() {
        Workload yield = Workloads.byName("yield");
        Series g = series(yield, SystemKind.GOLOOM, 100);
        Series v = series(yield, SystemKind.VTHREADS, 200);
        Series vt = new Series(yield, SystemKind.GOLOOM_VT, 1);
        vt.skipReason = "needs the agent";
        Outcome o = new Outcome(yield, null, List.of(g, v, vt));
        assertFalse(vt.ok());
        assertEquals("goloom 2.00x", o.better());
        assertTrue(Double.isNaN(o.vtRatio()));
        String md = Report.markdown(List.of(o));
        assertTrue(md.contains("| yield | ns/op | 2 | 100 (100–100) | 200 (200–200) | skipped | 0.50 | win, p=1 | - | - | goloom 2.00x |"), md);
        assertTrue(Report.text(List.of(o)).contains("skipped"));
    }

    @Test
    void goloomsSchedulingLatencyHasItsTableAndLine() {
        Workload pp = Workloads.byName("chan-pingpong");
        Series g = series(pp, SystemKind.GOLOOM, 300);
        org.HdrHistogram.Histogram sl = new org.HdrHistogram.Histogram(3);
        sl.recordValueWithCount(2_000, 99);
        sl.recordValueWithCount(50_000, 1);
        g.schedLatencies.add(sl);
        Outcome o = new Outcome(pp, null, List.of(g, series(pp, SystemKind.VTHREADS, 600)));
        String md = Report.markdown(List.of(o));
        assertTrue(md.contains("### goloom's scheduling latency"), md);
        assertTrue(md.contains("| chan-pingpong | goloom | 100 | 2.00 |"), md);
        String text = Report.text(List.of(o));
        assertTrue(text.lines().anyMatch(l -> l.contains("sched latency p50/p99/p99.9") && l.contains("2.00 /")), text);
    }

    @Test
    void theGoColumnBringsTheGoloomGoRatio() {
        Workload pp = Workloads.byName("chan-pingpong");
        Workload http = Workloads.byName("http");
        Outcome o = new Outcome(pp, null, List.of(series(pp, SystemKind.GOLOOM, 300), series(pp, SystemKind.VTHREADS, 600),
                series(pp, SystemKind.GO, 200)));
        Outcome h = new Outcome(http, null, List.of(series(http, SystemKind.VTHREADS, 10), series(http, SystemKind.GOLOOM_VT, 12)));
        assertEquals(1.5, o.goRatio(), 1e-9);
        assertTrue(Double.isNaN(h.goRatio()), "http has no goloom and no go");
        assertEquals("goloom 2.00x", o.better(), "better still follows goloom/vthreads");
        assertEquals(Noise.Kind.LOSS, o.goVerdict().kind(), "one run each, disjoint: a loss for goloom against Go");
        String md = Report.markdown(List.of(o, h));
        assertTrue(md.contains("| workload | metric | procs | goloom | vthreads | goloom-vt | go | goloom/vthreads | verdict"
                + " | goloom-vt/vthreads | verdict | goloom/go | verdict | better |"), md);
        assertTrue(md.contains("| 200 (200–200) | 0.50 | " + o.verdict().cell() + " | - | - | 1.50 | " + o.goVerdict().cell()
                + " | goloom 2.00x |"), md);
        assertTrue(md.contains("| http | ops/s | 2 | - | 10.0 (10.0–10.0) | 12.0 (12.0–12.0) | - | - | - | 1.20 | "
                + h.vtVerdict().cell() + " | - | - | goloom-vt 1.20x |"), md);
        assertTrue(md.contains(Report.GO_LEGEND), md);
        String text = Report.text(List.of(o, h));
        assertTrue(text.lines().findFirst().orElseThrow().contains("goloom/go"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("chan-pingpong") && l.contains("1.50")), text);
        assertFalse(Report.markdown(List.of(h)).contains("goloom/go"), "no go column, no ratio, no legend");
    }

    @Test
    void overlappingRunsAreWithinNoiseInBothTablesAndBetterSaysSo() {
        Workload park = Workloads.byName("park-unpark");
        // medians 100 vs 110 (ratio 0.91) but goloom's slowest run (120) is slower than vthreads' fastest (105)
        Series g = series(park, SystemKind.GOLOOM, 90, 95, 100, 110, 120);
        Series v = series(park, SystemKind.VTHREADS, 105, 108, 110, 112, 115);
        // disjoint, 5 against 5: loss for goloom-vt, p = 2/252
        Series vt = series(park, SystemKind.GOLOOM_VT, 200, 210, 220, 230, 240);
        Outcome o = new Outcome(park, null, List.of(g, v, vt));
        assertEquals(Noise.Kind.NOISE, o.verdict().kind());
        assertEquals(Noise.Kind.LOSS, o.vtVerdict().kind());
        assertEquals(2.0 / 252, o.vtVerdict().p(), 1e-12);
        assertEquals("within noise", o.better());
        String md = Report.markdown(List.of(o));
        // p: 86 of the 252 splits of the ten runs are at least as far from U = 12.5 as the observed U = 7.5
        assertEquals(86.0 / 252, o.verdict().p(), 1e-12);
        assertTrue(md.contains("| 0.91 | within noise, p=0.34 | 2.00 | loss, p=0.008 | within noise |"), md);
        String text = Report.text(List.of(o));
        String row = text.lines().filter(l -> l.startsWith("park-unpark")).findFirst().orElseThrow();
        assertTrue(row.contains("within noise, p=") && row.contains("loss, p=0.008") && row.endsWith("within noise"), text);
        assertTrue(text.contains(Report.NOISE_LEGEND), text);
    }
}
