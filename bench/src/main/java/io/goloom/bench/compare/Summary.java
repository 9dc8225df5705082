package io.goloom.bench.compare;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
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

    /** The JSON text, one result per line ({@link Json.SummaryLayout}), numbers to 6 significant digits. */
    String toJson() {
        StringWriter out = new StringWriter(1024);
        try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
            g.setPrettyPrinter(new Json.SummaryLayout());
            g.writeStartObject();
            g.writeNumberField("schema", SCHEMA);
            g.writeStringField("date", date);
            g.writeObjectFieldStart("machine");
            g.writeNumberField("cpus", machine.cpus());
            g.writeStringField("os", machine.os());
            g.writeStringField("jdk", machine.jdk());
            if (machine.go() != null) {
                g.writeStringField("go", machine.go());
            }
            g.writeEndObject();
            g.writeBooleanField("quick", quick);
            g.writeStringField("command", command);
            g.writeArrayFieldStart("results");
            for (Row r : results) {
                g.writeStartObject();
                g.writeStringField("workload", r.workload());
                g.writeStringField("system", r.system());
                g.writeStringField("metric", r.metric());
                g.writeNumberField("median", Json.num(r.median()));
                g.writeNumberField("min", Json.num(r.min()));
                g.writeNumberField("max", Json.num(r.max()));
                g.writeNumberField("runs", r.runs());
                g.writeNumberField("procs", r.procs());
                Latency l = r.latency();
                if (l != null) {
                    g.writeNumberField("p50", Json.num(l.p50()));
                    g.writeNumberField("p90", Json.num(l.p90()));
                    g.writeNumberField("p99", Json.num(l.p99()));
                    g.writeNumberField("p999", Json.num(l.p999()));
                    g.writeNumberField("max_latency", Json.num(l.max()));
                }
                for (Map.Entry<String, Double> e : new TreeMap<>(r.extras()).entrySet()) {
                    g.writeNumberField(e.getKey(), Json.num(e.getValue()));
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string", e);
        }
        return out.append('\n').toString();
    }
}
