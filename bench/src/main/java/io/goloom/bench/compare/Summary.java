package io.goloom.bench.compare;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * What summary.json holds, and its writer. The format (schema 1):
 *
 * <pre>
 * {"schema":1, "date":ISO-8601, "machine":{"cpus":int, "os":str, "jdk":str[, "go":str]}, "quick":bool, "command":str,
 *  "results":[{"workload":str, "system":"goloom"|"vthreads"|"platform"|"goloom-vt"|"go", "metric":"ns/op"|"ops/s"|"ms"|"bytes",
 *              "median":num, "min":num, "max":num, "runs":int, "procs":int,
 *              "p50":num, "p90":num, "p99":num, "p999":num, "max_latency":num}]}   (latency fields: µs,
 *                                                                                  latency workloads only)
 * </pre>
 *
 * A workload with extra figures ({@link Workload#extras()}, e.g. the http workload's
 * {@code carriers}, {@code carriers_max}, {@code server_cpu_s}, {@code server_cpu_us_per_req}) adds each one's median
 * over the runs to its rows as {@code "<name>":num}.
 *
 * Skipped workloads and failed (workload, system) pairs have no row; report.md lists them.
 */
record Summary(String date, Machine machine, boolean quick, String command, List<Row> results) {

    static final int SCHEMA = 1;

    /** @param go {@code go version} of the Go column's toolchain; null when there was no Go column */
    record Machine(int cpus, String os, String jdk, String go) {
        Machine(int cpus, String os, String jdk) {
            this(cpus, os, jdk, null);
        }
    }

    /** Latency percentiles in microseconds. */
    record Latency(double p50, double p90, double p99, double p999, double max) {
        /** From a histogram of nanoseconds. */
        static Latency of(Histogram ns) {
            return new Latency(us(ns.getValueAtPercentile(50)), us(ns.getValueAtPercentile(90)),
                    us(ns.getValueAtPercentile(99)), us(ns.getValueAtPercentile(99.9)), us(ns.getMaxValue()));
        }

        private static double us(long ns) {
            return ns / 1000.0;
        }
    }

    /** One (workload, system) pair; latency is null for workloads that record none; extras: name to median. */
    record Row(String workload, String system, String metric, double median, double min, double max, int runs,
               int procs, Latency latency, Map<String, Double> extras) {
        Row {
            Objects.requireNonNull(workload);
            SystemKind.of(system); // validates
            Objects.requireNonNull(metric);
            extras = Map.copyOf(extras);
        }

        /** A row without extra figures. */
        Row(String workload, String system, String metric, double median, double min, double max, int runs,
            int procs, Latency latency) {
            this(workload, system, metric, median, min, max, runs, procs, latency, Map.of());
        }
    }

    /** The JSON text, one result per line. */
    String toJson() {
        StringBuilder sb = new StringBuilder(1024);
        sb.append("{\"schema\":").append(SCHEMA)
                .append(",\n \"date\":").append(Json.str(date))
                .append(",\n \"machine\":{\"cpus\":").append(machine.cpus())
                .append(",\"os\":").append(Json.str(machine.os()))
                .append(",\"jdk\":").append(Json.str(machine.jdk()))
                .append(machine.go() != null ? ",\"go\":" + Json.str(machine.go()) : "").append('}')
                .append(",\n \"quick\":").append(quick)
                .append(",\n \"command\":").append(Json.str(command))
                .append(",\n \"results\":[");
        for (int i = 0; i < results.size(); i++) {
            Row r = results.get(i);
            sb.append(i == 0 ? "\n  " : ",\n  ");
            sb.append("{\"workload\":").append(Json.str(r.workload()))
                    .append(",\"system\":").append(Json.str(r.system()))
                    .append(",\"metric\":").append(Json.str(r.metric()))
                    .append(",\"median\":").append(Json.num(r.median()))
                    .append(",\"min\":").append(Json.num(r.min()))
                    .append(",\"max\":").append(Json.num(r.max()))
                    .append(",\"runs\":").append(r.runs())
                    .append(",\"procs\":").append(r.procs());
            Latency l = r.latency();
            if (l != null) {
                sb.append(",\"p50\":").append(Json.num(l.p50()))
                        .append(",\"p90\":").append(Json.num(l.p90()))
                        .append(",\"p99\":").append(Json.num(l.p99()))
                        .append(",\"p999\":").append(Json.num(l.p999()))
                        .append(",\"max_latency\":").append(Json.num(l.max()));
            }
            for (Map.Entry<String, Double> e : new java.util.TreeMap<>(r.extras()).entrySet()) {
                sb.append(',').append(Json.str(e.getKey())).append(':').append(Json.num(e.getValue()));
            }
            sb.append('}');
        }
        sb.append(results.isEmpty() ? "]}\n" : "\n ]}\n");
        return sb.toString();
    }
}
