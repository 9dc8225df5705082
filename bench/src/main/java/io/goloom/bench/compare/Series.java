package io.goloom.bench.compare;

import java.util.ArrayList;
import java.util.List;
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
    final List<String> failures = new ArrayList<>();

    Series(Workload workload, SystemKind system, int procs) {
        this.workload = workload;
        this.system = system;
        this.procs = procs;
    }

    boolean ok() {
        return !values.isEmpty() && failures.isEmpty();
    }

    double median() {
        List<Double> v = sorted();
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
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
        if (histograms.isEmpty()) {
            return null;
        }
        Histogram m = new Histogram(3);
        for (Histogram h : histograms) {
            m.add(h);
        }
        return m;
    }

    /** The summary.json row: median/min/max of the runs, latency percentiles in microseconds. */
    Summary.Row row() {
        Histogram h = merged();
        Summary.Latency lat = h == null ? null : Summary.Latency.of(h);
        return new Summary.Row(workload.name(), system.id(), workload.metric().unit(), median(), min(), max(),
                values.size(), procs, lat);
    }
}
