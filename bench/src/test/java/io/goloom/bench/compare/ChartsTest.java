package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** What the charts draw, read from their data model (series, points, labels), never from pixels. */
class ChartsTest {

    private static Series series(Workload w, SystemKind s, double value, Histogram h) {
        Series x = new Series(w, s, 2);
        x.values.add(value);
        if (h != null) {
            x.histograms.add(h);
        }
        return x;
    }

    @Test
    void goloomsSchedulingLatencyIsDrawnBesideTheWorkloadsOwn() {
        Workload yield = Workloads.byName("yield"); // records no latency of its own
        Histogram sl = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            sl.recordValue(1000L * i);
        }
        Series g = series(yield, SystemKind.GOLOOM, 100);
        g.schedLatencies.add(sl);
        Outcome o = new Outcome(yield, null, List.of(g, series(yield, SystemKind.VTHREADS, 150)));
        List<Charts.Line> lines = Charts.percentileLines(o, 1);
        assertEquals(List.of("goloom: scheduling latency (/sched/latencies)"), lines.stream().map(Charts.Line::label).toList());
        XYChart chart = Charts.percentilesChart(o, 1);
        assertTrue(chart.getSeriesMap().containsKey("goloom: scheduling latency (/sched/latencies)"), chart.getSeriesMap().keySet().toString());
    }

    private static Series series(Workload w, SystemKind s, double... values) {
        Series x = new Series(w, s, 2);
        for (double v : values) {
            x.values.add(v);
        }
        return x;
    }

    /**
     * issue 16's fairness chart: stock virtual threads starve the ticker, which wakes 5 times in
     * 5 s, each 4.995 s late; goloom's wakes 2,472 times. The vthreads line was in the legend but
     * not drawn (its percentile iteration reaches 100% at once).
     */
    @Test
    void aStarvedSystemIsDrawnAndMarked() {
        Workload fairness = Workloads.byName("fairness");
        Histogram goloom = new Histogram(3);
        for (int i = 1; i <= 2_472; i++) {
            goloom.recordValue(500_000L + i * 1_000L); // 0.5 .. 3 ms
        }
        Histogram stock = new Histogram(3);
        for (int i = 0; i < 5; i++) {
            stock.recordValue(4_995_416_000L);
        }
        Outcome o = new Outcome(fairness, null, List.of(series(fairness, SystemKind.GOLOOM, 0.9, goloom),
                series(fairness, SystemKind.VTHREADS, 4991, stock)));

        List<Charts.Line> lines = Charts.percentileLines(o, 1);
        assertEquals(List.of(SystemKind.GOLOOM, SystemKind.VTHREADS), lines.stream().map(Charts.Line::system).toList());
        Charts.Line g = lines.get(0);
        Charts.Line v = lines.get(1);
        assertFalse(g.starved());
        assertEquals("goloom", g.label());
        assertTrue(v.starved());
        assertEquals("vthreads: STARVED, 5 values in 1 run(s) vs 2,472 (drawn from them all, with markers)", v.label());
        assertTrue(v.x().length >= 2, "a line needs two points: " + v.x().length);
        assertEquals(1.0, v.x()[0]); // from 0% ...
        assertEquals(5.0, v.x()[v.x().length - 1]); // ... to the top value at x = count
        for (double y : v.y()) {
            assertEquals(4_995_416, y, 4_995_416 * 1e-3); // every point at the recorded 4.995 s (3 digits)
        }
        // goloom's line ends at its largest value, at x = count or just past the last percentile iterated
        assertTrue(g.x()[g.x().length - 1] >= 2_472.0, "last x " + g.x()[g.x().length - 1]);
        assertEquals(2_972, g.y()[g.y().length - 1], 2_972 * 1e-3);

        XYChart chart = Charts.percentilesChart(o, 1);
        Map<String, XYSeries> drawn = chart.getSeriesMap();
        assertEquals(List.of("goloom", v.label()), List.copyOf(drawn.keySet()));
        assertEquals(v.x().length, drawn.get(v.label()).getXData().length);
        assertEquals(SeriesMarkers.DIAMOND, drawn.get(v.label()).getMarker());
        assertEquals(SeriesMarkers.NONE, drawn.get("goloom").getMarker());
        assertTrue(chart.getTitle().contains("starved"), chart.getTitle());
        assertEquals(Styler.LegendPosition.OutsideS, chart.getStyler().getLegendPosition()); // never over a line
        assertTrue(chart.getStyler().getYAxisMax() >= 4_995_416, "the starved line is inside the plot");
        assertTrue(chart.getStyler().getYAxisMin() <= 500, "so is goloom's");
    }

    @Test
    void similarCountsAreNotStarved() {
        Workload park = Workloads.byName("park-unpark");
        Histogram a = new Histogram(3);
        Histogram b = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            a.recordValue(i * 10L);
            if (i % 5 == 0) {
                b.recordValue(i * 20L); // a fifth as many: slower, not starved
            }
        }
        Outcome o = new Outcome(park, null, List.of(series(park, SystemKind.GOLOOM, 1, a),
                series(park, SystemKind.VTHREADS, 2, b)));
        assertTrue(Charts.percentileLines(o, 1).stream().noneMatch(Charts.Line::starved));
    }

    @Test
    void ratioBarsAreTimesBetterInOneDirection() {
        Workload yield = Workloads.byName("yield"); // ns/op: lower is better
        Workload echo = Workloads.byName("echo"); // ops/s: higher is better
        Workload fairness = Workloads.byName("fairness"); // ms
        Workload http = Workloads.byName("http"); // ops/s, goloom-vt only
        Workload park = Workloads.byName("park-unpark");
        List<Outcome> outcomes = List.of(
                new Outcome(yield, null, List.of(series(yield, SystemKind.GOLOOM, 100, 101, 102),
                        series(yield, SystemKind.VTHREADS, 200, 201, 202))),
                new Outcome(echo, null, List.of(series(echo, SystemKind.GOLOOM, 14_900, 15_000, 15_100),
                        series(echo, SystemKind.VTHREADS, 9_900, 10_000, 10_100))),
                new Outcome(fairness, null, List.of(series(fairness, SystemKind.GOLOOM, 0.9, 1, 1.1),
                        series(fairness, SystemKind.VTHREADS, 4_999, 5_000, 5_001))),
                new Outcome(http, null, List.of(series(http, SystemKind.VTHREADS, 11_000, 12_000, 13_000),
                        series(http, SystemKind.GOLOOM_VT, 9_000, 10_000, 10_500))),
                new Outcome(park, null, List.of(series(park, SystemKind.GOLOOM, 90, 100, 120),
                        series(park, SystemKind.VTHREADS, 105, 110, 115))));
        List<Charts.Bar> bars = Charts.ratioBars(outcomes);
        assertEquals(List.of("yield (ns/op): 1.99x", "echo (ops/s): 1.50x", "fairness (ms): 5000.0x",
                "http [goloom-vt] (ops/s): 1/1.20x", "park-unpark (ns/op): 1.10x, within noise"),
                bars.stream().map(Charts.Bar::label).toList());
        double[] times = {201.0 / 101, 1.5, 5000, 10_000.0 / 12_000, 1.1}; // vthreads/goloom for ns/op and ms
        for (int i = 0; i < times.length; i++) {
            assertEquals(times[i], bars.get(i).timesBetter(), 1e-9, bars.get(i).label());
            assertEquals(i == 4, bars.get(i).noise(), bars.get(i).label());
        }

        CategoryChart chart = Charts.ratiosChart(bars);
        Map<String, CategorySeries> drawn = chart.getSeriesMap();
        assertEquals(2, drawn.size());
        CategorySeries disjoint = drawn.get("goloom vs vthreads: per-run ranges disjoint");
        CategorySeries noise = drawn.get("within noise: per-run ranges overlap");
        assertEquals(bars.stream().map(Charts.Bar::label).toList(), List.copyOf(disjoint.getXData()));
        List<? extends Number> y = List.copyOf(disjoint.getYData());
        assertEquals(Math.log10(201.0 / 101), y.get(0).doubleValue(), 1e-12);
        assertEquals(Math.log10(5000), y.get(2).doubleValue(), 1e-12); // 3.7 decades: visible
        assertTrue(y.get(3).doubleValue() < 0, "http: vthreads better, the bar goes down");
        assertEquals(0.0, y.get(4).doubleValue()); // park-unpark is drawn by the noise series instead
        assertEquals(Math.log10(1.1), List.copyOf(noise.getYData()).get(4).doubleValue(), 1e-12);
        assertTrue(chart.getStyler().getYAxisMax() > Math.log10(5000));
        assertTrue(chart.getStyler().getYAxisMin() < Math.log10(10_000.0 / 12_000));
        assertEquals("10.0x", Charts.timesTick(1));
        assertEquals("3,162x", Charts.timesTick(3.5));
        assertEquals("1/3.16x", Charts.timesTick(-0.5));
    }
}
