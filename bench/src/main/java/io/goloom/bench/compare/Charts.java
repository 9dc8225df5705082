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

    /** The percentile curve of one histogram (ns), as x = 1/(1-p) and y = µs, up to the last percentile below 100%. */
    static double[][] percentileCurve(Histogram ns) {
        List<double[]> pts = new ArrayList<>();
        for (HistogramIterationValue v : ns.percentiles(TICKS_PER_HALF_DISTANCE)) {
            double p = v.getPercentileLevelIteratedTo() / 100.0;
            if (p >= 1.0) {
                break;
            }
            pts.add(new double[] {1 / (1 - p), Math.max(MIN_US, v.getValueIteratedTo() / 1000.0)});
        }
        double[][] xy = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            xy[0][i] = pts.get(i)[0];
            xy[1][i] = pts.get(i)[1];
        }
        return xy;
    }

    /**
     * One percentile-distribution plot of a latency workload with a line per system. Both axes
     * are logarithmic. xchart 3.8.8 loops forever when a tick-label formatter is combined with
     * a logarithmic axis, so the x tick labels are drawn here instead: xchart draws the decade
     * ticks (1, 10, 100, ... = 0%, 90%, 99%, ...) with invisible labels, and the percentile
     * labels are painted at the same places afterwards, plus 50% at x = 2.
     */
    static void percentiles(Outcome o, int runs, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(o.workload().name() + ": latency by percentile, " + runs + " run(s) merged")
                .xAxisTitle("percentile").yAxisTitle("latency (µs)").build();
        var st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setLegendPosition(Styler.LegendPosition.InsideNW);
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
        for (Series s : o.series()) {
            if (!s.ok() || s.merged() == null) {
                continue;
            }
            double[][] xy = percentileCurve(s.merged());
            if (xy[0].length == 0) {
                continue;
            }
            for (int i = 0; i < xy[0].length; i++) {
                maxX = Math.max(maxX, xy[0][i]);
                minY = Math.min(minY, xy[1][i]);
                maxY = Math.max(maxY, xy[1][i]);
            }
            XYSeries series = chart.addSeries(s.system.id(), xy[0], xy[1]);
            series.setMarker(SeriesMarkers.NONE);
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
        int decades = (int) Math.ceil(Math.log10(maxX));
        st.setXAxisMin(1.0);
        st.setXAxisMax(Math.pow(10, decades));
        st.setYAxisMin(loY);
        st.setYAxisMax(hiY);
        chart.addAnnotation(new AnnotationLine(2.0, true, false)); // the median, between the decade lines

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
     * One bar per workload with both sides: goloom median / vthreads median, with a line at 1.0.
     * Workloads whose metric is higher-is-better are marked in their label. A workload that
     * does not run on goloom itself (http) shows goloom-vt / vthreads, marked [goloom-vt].
     *
     * @return false (and nothing written) when no workload has a ratio
     */
    static boolean ratios(List<Outcome> outcomes, Path file) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (Outcome o : outcomes) {
            double r = o.ratio();
            String label = o.workload().name();
            if (Double.isNaN(r) && o.of(SystemKind.GOLOOM) == null) { // http: goloom runs it in transparent mode only
                r = o.vtRatio();
                label += " [goloom-vt]";
            }
            if (Double.isNaN(r)) {
                continue;
            }
            names.add(label + " (" + o.workload().metric().unit()
                    + (o.workload().metric().lowerIsBetter() ? ")" : ", higher is better)"));
            ratios.add(r);
        }
        if (names.isEmpty()) {
            return false;
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("goloom / vthreads, ratio of medians (below 1.0: goloom better unless marked)")
                .xAxisTitle("workload").yAxisTitle("goloom / vthreads").build();
        var st = chart.getStyler();
        st.setLegendVisible(false);
        st.setLabelsVisible(true);
        st.setDecimalPattern("0.00");
        st.setChartBackgroundColor(Color.WHITE);
        st.setXAxisLabelRotation(30); // the workload names overlap when drawn flat
        st.setYAxisMin(0.0);
        double top = 1.0;
        for (double r : ratios) {
            top = Math.max(top, r);
        }
        st.setYAxisMax(top * 1.15);
        chart.addSeries("goloom / vthreads", names, ratios);
        chart.addAnnotation(new AnnotationLine(1.0, false, false));
        write(chart, file);
        return true;
    }

    private static void write(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
