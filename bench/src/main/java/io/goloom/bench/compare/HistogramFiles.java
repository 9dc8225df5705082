package io.goloom.bench.compare;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;

/** The .hlog / .hgrm files: reading a child's run, writing a series' merged outputs. */
final class HistogramFiles {
    private HistogramFiles() {
    }

    /** The one histogram a child JVM wrote ({@link RunOne}), with its start/end timestamps. */
    static Histogram readRun(Path hlog) throws IOException {
        try (HistogramLogReader r = new HistogramLogReader(hlog.toFile())) {
            EncodableHistogram h = r.nextIntervalHistogram();
            if (!(h instanceof Histogram hist)) {
                throw new IOException("no histogram in " + hlog);
            }
            return hist;
        }
    }

    /**
     * {@code base}.hgrm: the percentile distribution of every run merged, in microseconds
     * (HdrHistogram's outputPercentileDistribution, readable by its plotter).
     */
    static void writeHgrm(Histogram mergedNs, Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); PrintStream ps = new PrintStream(os, false, "UTF-8")) {
            mergedNs.outputPercentileDistribution(ps, 1000.0);
        }
    }

    /** {@code base}.hlog: each run's histogram as one interval, tagged run1, run2, ..., in nanoseconds. */
    static void writeHlog(Series s, Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); PrintStream ps = new PrintStream(os, false, "UTF-8")) {
            HistogramLogWriter w = new HistogramLogWriter(ps);
            long base = s.histograms.getFirst().getStartTimeStamp();
            w.outputComment("goloom compare: " + s.workload.name() + " on " + s.system.id() + ", procs "
                    + s.procs + ", one interval per run (tag runN), values in nanoseconds");
            w.outputLogFormatVersion();
            w.outputStartTime(base);
            w.setBaseTime(base);
            w.outputBaseTime(base);
            w.outputLegend();
            int k = 1;
            for (Histogram h : s.histograms) {
                Histogram copy = h.copy();
                copy.setStartTimeStamp(h.getStartTimeStamp());
                copy.setEndTimeStamp(h.getEndTimeStamp());
                copy.setTag("run" + k++);
                w.outputIntervalHistogram(copy);
            }
        }
    }
}
