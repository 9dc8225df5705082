package io.goloom.bench.compare;

import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The PNG charts (xchart, headless). Percentile plots are drawn as HdrHistogram's plotter draws
 * them: x = 1/(1-p) on a log scale, so 90%, 99%, 99.9% ... are evenly spaced.
 */
final class Charts {
    private Charts() {
    }

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 600;
    /** Percentile iteration resolution: points per halving of the distance to 100% (HdrHistogram's default). */
    private static final int TICKS_PER_HALF_DISTANCE = 5;
    /** The smallest latency plotted, in µs: a log axis has no 0. */
    private static final double MIN_US = 0.001;

    /** The percentile axis labels: x = 1/(1-p) -> label, as HdrHistogram's plots show them. */
    static String percentileLabel(double x) {
        if (Math.abs(x - 2) < 1e-9) {
            return "50%";
        }
        long nines = Math.round(Math.log10(x)); // 10^k -> k nines: 0%, 90%, 99%, 99.9%, ...
        if (nines == 0) {
            return "0%";
        }
        return switch ((int) nines) {
            case 1 -> "90%";
            case 2 -> "99%";
            default -> "99." + "9".repeat((int) nines - 2) + "%";
        };
    }

    /**
     * The percentile curve of one histogram (ns), as x = 1/(1-p) and y = µs: every percentile
     * below 100% HdrHistogram's iteration reaches, then the largest value at x = count, where a
     * sample of that size puts its top value (p = 1 - 1/count; the 100% point itself is at
     * infinity). A curve whose iteration ends at once (few values, or all equal: a starved
     * ticker's 5 samples of 5 s) thus still has a line, from the smallest value at 0% to the
     * largest: what exists is drawn, nothing is invented beyond the largest recorded value.
     */
    static double[][] percentileCurve(Histogram ns) {
        List<double[]> pts = new ArrayList<>();
        if (ns.getTotalCount() == 0) {
            return new double[2][0];
        }
        for (HistogramIterationValue v : ns.percentiles(TICKS_PER_HALF_DISTANCE)) {
            double p = v.getPercentileLevelIteratedTo() / 100.0;
            if (p >= 1.0) {
                break;
            }
            pts.add(new double[] {1 / (1 - p), Math.max(MIN_US, v.getValueIteratedTo() / 1000.0)});
        }
        if (pts.isEmpty() || pts.getFirst()[0] > 1) {
            pts.addFirst(new double[] {1, Math.max(MIN_US, ns.getValueAtPercentile(0) / 1000.0)});
        }
        double lastX = Math.max(pts.getLast()[0] * 1.0001, ns.getTotalCount());
        pts.add(new double[] {lastX, Math.max(MIN_US, ns.getMaxValue() / 1000.0)});
        double[][] xy = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            xy[0][i] = pts.get(i)[0];
            xy[1][i] = pts.get(i)[1];
        }
        return xy;
    }

    /**
     * A system with fewer than this share of the most values recorded by any system of the same
     * workload is marked starved: it completed too few operations to have a distribution (the
     * fairness ticker on stock virtual threads: 5 wake-ups in 5 s where goloom's made 2,500).
     */
    static final double STARVED_SHARE = 0.1;

    /**
     * One system's line on a percentile plot.
     *
     * @param label   the legend entry: the system, and for a starved one how few values it recorded
     * @param starved whether it recorded under {@link #STARVED_SHARE} of the most values of any system
     */
    record Line(SystemKind system, String label, double[] x, double[] y, long count, boolean starved) {
    }

    /** Every successful system's line for a latency workload's plot, in the workload's system order. */
    static List<Line> percentileLines(Outcome o, int runs) {
        long most = 0;
        for (Series s : o.series()) {
            if (s.ok() && s.merged() != null) {
                most = Math.max(most, s.merged().getTotalCount());
            }
        }
        List<Line> lines = new ArrayList<>();
        for (Series s : o.series()) {
            Histogram h = s.ok() ? s.merged() : null;
            if (h == null || h.getTotalCount() == 0) {
                continue;
            }
            double[][] xy = percentileCurve(h);
            long n = h.getTotalCount();
            boolean starved = n < most * STARVED_SHARE;
            String label = s.system.id();
            if (starved) {
                label += String.format(java.util.Locale.ROOT, ": STARVED, %,d values in %d run(s) vs %,d (drawn from them"
                        + " all, with markers)", n, runs, most);
            }
            lines.add(new Line(s.system, label, xy[0], xy[1], n, starved));
        }
        // Beside the workload's own latency: goloom's scheduling latency (ready -> running, sampled
        // 1 in 8, GoRuntime.processSchedLatency) of the same runs, for every workload it ran.
        for (Series s : o.series()) {
            Histogram h = s.ok() ? s.mergedSchedLatency() : null;
            if (h == null || h.getTotalCount() == 0) {
                continue;
            }
            double[][] xy = percentileCurve(h);
            lines.add(new Line(s.system, s.system.id() + ": scheduling latency (/sched/latencies)", xy[0], xy[1],
                    h.getTotalCount(), false));
        }
        return lines;
    }

    /** The percentile plot's chart model (series, axes), before the x labels are painted; see {@link #percentiles}. */
    static XYChart percentilesChart(Outcome o, int runs) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(o.workload().name() + ": latency by percentile, " + runs + " run(s) merged")
                .xAxisTitle("percentile").yAxisTitle("latency (µs)").build();
        var st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        // below the plot: inside, the legend box covered the top left, where a starved system's few
        // huge values are drawn (issue 16: the fairness chart's vthreads line "in the legend but not drawn")
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setXAxisLogarithmic(true);
        st.setYAxisLogarithmic(true);
        st.setXAxisLogarithmicDecadeOnly(true);
        st.setYAxisLogarithmicDecadeOnly(true);
        st.setYAxisDecimalPattern("#,##0.###");
        st.setXAxisTickLabelsColor(new Color(0, 0, 0, 0)); // labels painted below
        st.setAnnotationLineColor(Color.LIGHT_GRAY);
        double maxX = 10;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        boolean anyStarved = false;
        for (Line l : percentileLines(o, runs)) {
            for (int i = 0; i < l.x().length; i++) {
                maxX = Math.max(maxX, l.x()[i]);
                minY = Math.min(minY, l.y()[i]);
                maxY = Math.max(maxY, l.y()[i]);
            }
            XYSeries series = chart.addSeries(l.label(), l.x(), l.y());
            // a starved system's few values are drawn as points too, so that they cannot hide in a corner
            series.setMarker(l.starved() ? SeriesMarkers.DIAMOND : SeriesMarkers.NONE);
            if (l.starved()) {
                series.setLineStyle(new java.awt.BasicStroke(3f));
                anyStarved = true;
            }
        }
        if (maxY == 0) {
            minY = 1;
            maxY = 10;
        }
        double loY = Math.pow(10, Math.floor(Math.log10(minY)));
        double hiY = Math.pow(10, Math.ceil(Math.log10(maxY)));
        if (hiY <= loY) {
            hiY = loY * 10;
        }
        int decades = Math.max(1, (int) Math.ceil(Math.log10(maxX) - 1e-9));
        st.setXAxisMin(1.0);
        st.setXAxisMax(Math.pow(10, decades));
        st.setYAxisMin(loY);
        st.setYAxisMax(hiY);
        chart.addAnnotation(new AnnotationLine(2.0, true, false)); // the median, between the decade lines
        if (anyStarved) {
            chart.setTitle(chart.getTitle() + " (a system was starved: see the legend)");
        }
        return chart;
    }

    /**
     * One percentile-distribution plot of a latency workload with a line per system. Both axes
     * are logarithmic. xchart 3.8.8 loops forever when a tick-label formatter is combined with
     * a logarithmic axis, so the x tick labels are drawn here instead: xchart draws the decade
     * ticks (1, 10, 100, ... = 0%, 90%, 99%, ...) with invisible labels, and the percentile
     * labels are painted at the same places afterwards, plus 50% at x = 2.
     */
    static void percentiles(Outcome o, int runs, Path file) throws IOException {
        XYChart chart = percentilesChart(o, runs);
        var st = chart.getStyler();
        double loY = st.getYAxisMin();
        double hiY = st.getYAxisMax();
        int decades = (int) Math.round(Math.log10(st.getXAxisMax()));
        BufferedImage img = BitmapEncoder.getBufferedImage(chart); // lays the chart out and paints it
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(st.getAxisTickLabelsFont());
            g.setColor(Color.BLACK);
            FontMetrics fm = g.getFontMetrics();
            // The y axis maps [loY, hiY] onto getPlotContentSize() of the plot's height, centred:
            // the plot's bottom edge is half the remainder below the loY line.
            double yLo = chart.getScreenYFromChart(loY);
            double yHi = chart.getScreenYFromChart(hiY);
            double bottom = yLo + (yLo - yHi) / st.getPlotContentSize() * (1 - st.getPlotContentSize()) / 2;
            int baseline = (int) Math.round(bottom) + st.getAxisTickMarkLength() + st.getAxisTickPadding() + fm.getAscent();
            List<Double> xs = new ArrayList<>(List.of(1.0, 2.0));
            for (int k = 1; k <= decades; k++) {
                xs.add(Math.pow(10, k));
            }
            int lastRight = Integer.MIN_VALUE;
            for (double x : xs) {
                String label = percentileLabel(x);
                int w = fm.stringWidth(label);
                int left = (int) Math.round(chart.getScreenXFromChart(x)) - w / 2;
                if (left > lastRight + 4) { // skip a label that would overlap the previous one
                    g.drawString(label, left, baseline);
                    lastRight = left + w;
                }
            }
        } finally {
            g.dispose();
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            if (!ImageIO.write(img, "png", out)) {
                throw new IOException("no PNG writer");
            }
        }
    }

    /**
     * One bar of the ratios chart.
     *
     * @param label       the workload, its metric, and the factor as the table's 'better' says it
     * @param timesBetter how many times better goloom (or goloom-vt, for http) is than vthreads:
     *                    vthreads / goloom for lower-is-better metrics, goloom / vthreads for
     *                    higher-is-better ones, so above 1 is always goloom better
     * @param noise       whether the two systems' per-run ranges overlap ({@link Noise})
     */
    record Bar(String label, double timesBetter, boolean noise) {
    }

    /**
     * The bars of the ratios chart, in workload order: every workload with a goloom / vthreads
     * ratio, or (http, which goloom runs in transparent mode only) goloom-vt / vthreads, marked
     * [goloom-vt]; all in one direction, "times better".
     */
    static List<Bar> ratioBars(List<Outcome> outcomes) {
        List<Bar> bars = new ArrayList<>();
        for (Outcome o : outcomes) {
            double r = o.ratio();
            Noise.Verdict v = o.verdict();
            String label = o.workload().name();
            if (Double.isNaN(r) && o.of(SystemKind.GOLOOM) == null) {
                r = o.vtRatio();
                v = o.vtVerdict();
                label += " [goloom-vt]";
            }
            if (Double.isNaN(r) || r <= 0) {
                continue;
            }
            double better = o.workload().metric().lowerIsBetter() ? 1 / r : r;
            boolean noise = v != null && v.kind() == Noise.Kind.NOISE;
            label += " (" + o.workload().metric().unit() + "): " + timesLabel(better) + (noise ? ", within noise" : "");
            bars.add(new Bar(label, better, noise));
        }
        return bars;
    }

    /** "3.10x" when goloom is better, "1/1.20x" when it is worse. */
    static String timesLabel(double timesBetter) {
        return timesBetter >= 1 ? Report.fmtRatio(timesBetter) + "x" : "1/" + Report.fmtRatio(1 / timesBetter) + "x";
    }

    /**
     * The ratios chart model: one bar per workload, "how many times better" goloom is than
     * vthreads on a log scale (the bar is log10 of the factor on a linear axis whose tick labels
     * are the factors: a bar up from 1x is goloom better, down is vthreads better, and 5,000x and
     * 1.2x are both visible). Two series, overlapped so each workload has one bar: ranges
     * disjoint, and within noise (grey).
     */
    static CategoryChart ratiosChart(List<Bar> bars) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("How many times better goloom is than vthreads (log scale; below 1x: vthreads better)")
                .xAxisTitle("workload (metric): factor").yAxisTitle("times better (log scale)").build();
        var st = chart.getStyler();
        st.setLegendPosition(Styler.LegendPosition.InsideNE);
        st.setOverlapped(true);
        st.setChartBackgroundColor(Color.WHITE);
        st.setXAxisLabelRotation(30); // the workload names overlap when drawn flat
        st.setSeriesColors(new Color[] {new Color(0x1f77b4), Color.GRAY});
        st.setyAxisTickLabelsFormattingFunction(Charts::timesTick);
        List<String> names = new ArrayList<>();
        List<Double> disjoint = new ArrayList<>();
        List<Double> noise = new ArrayList<>();
        double lo = -0.5; // at least 1/3.2x .. 3.2x, so that 1x is never an edge
        double hi = 0.5;
        for (Bar b : bars) {
            double l = Math.log10(b.timesBetter());
            names.add(b.label());
            disjoint.add(b.noise() ? 0.0 : l);
            noise.add(b.noise() ? l : 0.0);
            lo = Math.min(lo, l);
            hi = Math.max(hi, l);
        }
        st.setYAxisMin(Math.floor(lo * 2) / 2);
        st.setYAxisMax(Math.ceil(hi * 2) / 2 + 0.25);
        chart.addSeries("goloom vs vthreads: per-run ranges disjoint", names, disjoint);
        chart.addSeries("within noise: per-run ranges overlap", names, noise);
        chart.addAnnotation(new AnnotationLine(0.0, false, false)); // 1x
        return chart;
    }

    /** A tick of the ratios chart's axis: log10 of the factor, shown as the factor ("10x", "1/3.2x"). */
    static String timesTick(double log10) {
        double t = Math.pow(10, log10);
        return t >= 1 ? Report.fmt(t) + "x" : "1/" + Report.fmt(1 / t) + "x";
    }

    /**
     * Writes {@link #ratiosChart} of {@link #ratioBars}.
     *
     * @return false (and nothing written) when no workload has a ratio
     */
    static boolean ratios(List<Outcome> outcomes, Path file) throws IOException {
        List<Bar> bars = ratioBars(outcomes);
        if (bars.isEmpty()) {
            return false;
        }
        write(ratiosChart(bars), file);
        return true;
    }

    private static void write(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
