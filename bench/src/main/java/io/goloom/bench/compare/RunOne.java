package io.goloom.bench.compare;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * The child JVM of {@code compare}: runs one workload once on one system and prints one JSON
 * line on stdout. The controller ({@link Compare}) starts a fresh JVM running this for every
 * run, so no run inherits another's JIT state, heap or scheduler.
 *
 * <pre>
 * RunOne --workload W --system goloom|vthreads|platform|goloom-vt --procs P [--quick] [--test-size] --hlog FILE
 * stdout: {"workload":W,"system":S,"procs":P,"metric":"ns/op","value":123.4,"jdk":"25.0.3+9-LTS","latency_count":N,
 *          "extras":{"carriers":2,...}}
 * </pre>
 *
 * Before measuring, a vthreads or goloom-vt run checks that this JVM's virtual threads run
 * where its system says ({@link TransparentMode#verify}): a goloom-vt JVM whose agent did not
 * take over fails instead of measuring stock virtual threads under goloom's name.
 *
 * For a workload that records latency, FILE receives the run's histogram (HistogramLogWriter,
 * values in nanoseconds). Exit status 0 on success, 1 when the workload failed (stack trace on
 * stderr), 2 for bad arguments.
 */
public final class RunOne {
    private RunOne() {
    }

    public static void main(String[] args) {
        String workload = null;
        String system = null;
        int procs = 0;
        Size size = Size.FULL;
        String hlog = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--workload" -> workload = args[++i];
                    case "--system" -> system = args[++i];
                    case "--procs" -> procs = Integer.parseInt(args[++i]);
                    case "--quick" -> size = size == Size.TEST ? Size.TEST : Size.QUICK;
                    case "--test-size" -> size = Size.TEST;
                    case "--hlog" -> hlog = args[++i];
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (workload == null || system == null || procs < 1 || hlog == null) {
                throw new IllegalArgumentException("need --workload, --system, --procs >= 1 and --hlog");
            }
        } catch (RuntimeException e) {
            System.err.println("RunOne: " + e.getMessage());
            System.exit(2);
            return;
        }
        Workload w = Workloads.byName(workload);
        if (w == null) {
            System.err.println("RunOne: unknown workload " + workload);
            System.exit(2);
            return;
        }
        int status;
        try {
            status = runOne(w, SystemKind.of(system), procs, size, new File(hlog), System.out);
        } catch (Throwable t) {
            System.err.println("RunOne: " + workload + " on " + system + " failed:");
            t.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.exit(status); // also ends any thread a failed workload left behind
    }

    static int runOne(Workload w, SystemKind system, int procs, Size size, File hlog, PrintStream out)
            throws Exception {
        if (system == SystemKind.GO) {
            throw new IllegalArgumentException("the go system runs the workload's Go program (bench/go), not RunOne");
        }
        if (system == SystemKind.VTHREADS) {
            Integer parallelism = Integer.getInteger("jdk.virtualThreadScheduler.parallelism");
            if (parallelism == null || parallelism != procs) {
                throw new IllegalStateException("-Djdk.virtualThreadScheduler.parallelism=" + procs
                        + " must be on the command line (found " + parallelism + ")");
            }
        }
        TransparentMode.verify(system);
        LatencyRecorder recorder = new LatencyRecorder();
        long startMs = System.currentTimeMillis();
        double value = w.run(system, procs, size, recorder);
        long endMs = System.currentTimeMillis();
        if (!Double.isFinite(value)) {
            throw new IllegalStateException(w.name() + " on " + system + " returned " + value);
        }
        long count = 0;
        if (w.recordsLatency()) {
            Histogram h = recorder.merged();
            h.setStartTimeStamp(startMs);
            h.setEndTimeStamp(endMs);
            count = h.getTotalCount();
            writeHlog(hlog, h);
        }
        out.println(new Json.ResultLine(w.name(), system.id(), procs, w.metric().unit(), value, jdk(), count,
                extras(w, recorder), schedLatency(system)).toJson());
        return 0;
    }

    /**
     * goloom's own scheduling latency over the run (every runtime this JVM built, the agent's for
     * goloom-vt): the non-empty buckets of GoRuntime.processSchedLatency(), by lower bound in ns.
     */
    static Map<String, Long> schedLatency(SystemKind system) {
        if (system != SystemKind.GOLOOM && system != SystemKind.GOLOOM_VT) {
            return Map.of();
        }
        io.goloom.scheduler.SchedLatency sl = io.goloom.scheduler.GoRuntime.processSchedLatency();
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < sl.buckets(); i++) {
            if (sl.bucketCount(i) > 0) {
                out.put(Long.toString(io.goloom.scheduler.SchedLatency.bucketLowerBoundNanos(i)), sl.bucketCount(i));
            }
        }
        return out;
    }

    /** The run's extra figures; every name the workload lists must have been recorded. */
    private static Map<String, Double> extras(Workload w, LatencyRecorder recorder) {
        var got = recorder.extras();
        Map<String, Double> out = new LinkedHashMap<>();
        for (String name : w.extras()) {
            Double v = got.get(name);
            if (v == null || !Double.isFinite(v)) {
                throw new IllegalStateException(w.name() + " did not record its extra figure " + name + " (recorded: "
                        + got + ")");
            }
            out.put(name, v);
        }
        return out;
    }

    /** This JVM's version and vendor, as summary.json's machine.jdk. */
    static String jdk() {
        return System.getProperty("java.runtime.version", "?") + " (" + System.getProperty("java.vendor", "?") + ")";
    }

    private static void writeHlog(File file, Histogram h) throws IOException {
        try (PrintStream ps = new PrintStream(new FileOutputStream(file), false, "UTF-8")) {
            HistogramLogWriter w = new HistogramLogWriter(ps);
            w.outputComment("values in nanoseconds");
            w.outputLogFormatVersion();
            w.outputStartTime(h.getStartTimeStamp());
            w.setBaseTime(h.getStartTimeStamp());
            w.outputBaseTime(h.getStartTimeStamp());
            w.outputLegend();
            w.outputIntervalHistogram(h);
        }
    }
}
