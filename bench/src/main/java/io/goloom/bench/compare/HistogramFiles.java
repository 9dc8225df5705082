package io.goloom.bench.compare;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;

/** The .hlog / .hgrm files: reading a child's run, writing a series' merged outputs. */
final class HistogramFiles {
    private HistogramFiles() {
    }

    /** A histogram as one line of text (compressed, Base64): how load-client processes hand theirs over. */
    static String toBase64(Histogram h) {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        h.encodeIntoCompressedByteBuffer(buf);
        buf.flip();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** The histogram of a {@link #toBase64} line (also what EchoClient prints). */
    static Histogram fromBase64(String text) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(text)), 0);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("not a compressed histogram: " + e.getMessage(), e);
        }
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
