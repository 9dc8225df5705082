package io.goloom.bench.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Every run of one workload on one system, as the controller collects them: one value per
 * successful run, one histogram per run for latency workloads, and what went wrong in the
 * others. Used by one thread (the controller).
 */
final class Series {
    final Workload workload;
    final SystemKind system;
    final int procs;
    final List<Double> values = new ArrayList<>();
    /** One per successful run, values in nanoseconds, start/end timestamps set; empty unless the workload records latency. */
    final List<Histogram> histograms = new ArrayList<>();
    /** goloom's scheduling latency of each run that reported one (nanoseconds; /sched/latencies). */
    final List<Histogram> schedLatencies = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    /** The workload's {@link Workload#extras()} figures, one value per successful run each. */
    final Map<String, List<Double>> extras = new LinkedHashMap<>();
    /** Non-null: this system was not run (a goloom feature it needs is missing); no values, no failure. */
    String skipReason;

    Series(Workload workload, SystemKind system, int procs) {
        this.workload = workload;
        this.system = system;
        this.procs = procs;
    }

    boolean ok() {
        return skipReason == null && !values.isEmpty() && failures.isEmpty();
    }

    double median() {
        return median(sorted());
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The median of extra figure {@code name} over the runs, or NaN when no run recorded it. */
    double extraMedian(String name) {
        List<Double> v = extras.get(name);
        if (v == null || v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return median(s);
    }

    /** The smallest and largest value of extra figure {@code name} over the runs; NaNs when none. */
    double[] extraRange(String name) {
        List<Double> v = extras.get(name);
        if (v == null || v.isEmpty()) {
            return new double[] {Double.NaN, Double.NaN};
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return new double[] {s.getFirst(), s.getLast()};
    }

    double min() {
        return sorted().getFirst();
    }

    double max() {
        return sorted().getLast();
    }

    private List<Double> sorted() {
        if (values.isEmpty()) {
            throw new IllegalStateException("no successful run of " + workload.name() + " on " + system);
        }
        List<Double> v = new ArrayList<>(values);
        v.sort(null);
        return v;
    }

    /** All runs' histograms added together, or null if the workload records no latency. */
    Histogram merged() {
        return merge(histograms);
    }

    private static Histogram merge(List<Histogram> hs) {
        if (hs.isEmpty()) {
            return null;
        }
        Histogram m = new Histogram(3);
        for (Histogram h : hs) {
            m.add(h);
        }
        return m;
    }

    /** All runs' scheduling-latency histograms added together, or null if no run reported one. */
    Histogram mergedSchedLatency() {
        return merge(schedLatencies);
    }

    /** The summary.json row: median/min/max of the runs, latency percentiles in microseconds. */
    Summary.Row row() {
        Histogram h = merged();
        Summary.Latency lat = h == null ? null : Summary.Latency.of(h);
        Map<String, Double> ex = new LinkedHashMap<>();
        for (String name : workload.extras()) {
            double m = extraMedian(name);
            if (!Double.isNaN(m)) {
                ex.put(name, m);
            }
        }
        return new Summary.Row(workload.name(), system.id(), workload.metric().unit(), median(), min(), max(),
                values.size(), procs, lat, ex);
    }
}
