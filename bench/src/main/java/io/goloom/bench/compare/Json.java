package io.goloom.bench.compare;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Map;

/**
 * compare's JSON, with Jackson: the one-line protocol between {@link RunOne} (a child JVM) and
 * {@link Compare} (the controller) as a typed record, {@link ResultLine}, and the number
 * format and layout of summary.json ({@link Summary#toJson()}).
 *
 * <p>Reading is strict: a duplicate key, an unknown or missing field, a null or a string where a
 * number belongs or anything after the object is an error, so a child that prints something
 * unexpected fails its run instead of being half-read.
 */
final class Json {
    private Json() {
    }

    /** Significant digits of the numbers summary.json holds: more than any measurement here can claim. */
    private static final MathContext SIX_DIGITS = new MathContext(6);

    /** Thread-safe once built (Jackson's ObjectMapper contract); shared by the writers and the reader. */
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS) // "150" is not a number
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    /**
     * The line a child JVM prints on stdout, one JSON object:
     * {@code {"workload":W,"system":S,"procs":P,"metric":"ns/op","value":123.4,"jdk":"25.0.3+9-LTS (...)",
     * "latency_count":N,"extras":{"carriers":2,...}}}.
     *
     * @param value        the run's number in {@code metric}'s unit
     * @param latencyCount how many latencies the run recorded (0 for a workload that records none)
     * @param extras       the workload's extra figures ({@link Workload#extras()}), by name
     * @param schedLatency goloom's scheduling latency over the run ({@code GoRuntime.processSchedLatency()},
     *                     Go's /sched/latencies:seconds): samples per bucket, keyed by the bucket's lower
     *                     bound in nanoseconds; empty for systems that are not goloom
     */
    record ResultLine(String workload, String system, int procs, String metric, double value, String jdk,
                      @JsonProperty("latency_count") long latencyCount, Map<String, Double> extras,
                      @JsonProperty("sched_latency") Map<String, Long> schedLatency) {
        @com.fasterxml.jackson.annotation.JsonCreator
        ResultLine {
            extras = Map.copyOf(extras);
            schedLatency = Map.copyOf(schedLatency);
        }

        /** A line without a scheduling-latency histogram (not goloom). */
        ResultLine(String workload, String system, int procs, String metric, double value, String jdk,
                   long latencyCount, Map<String, Double> extras) {
            this(workload, system, procs, metric, value, jdk, latencyCount, extras, Map.of());
        }

        /** The scheduling latency as an HdrHistogram (nanoseconds; each bucket at its lower bound), or null when empty. */
        org.HdrHistogram.Histogram schedLatencyHistogram() {
            if (schedLatency.isEmpty()) {
                return null;
            }
            org.HdrHistogram.Histogram h = new org.HdrHistogram.Histogram(3);
            for (Map.Entry<String, Long> e : schedLatency.entrySet()) {
                h.recordValueWithCount(Math.max(1, Long.parseLong(e.getKey())), e.getValue());
            }
            return h;
        }

        String toJson() {
            try {
                return MAPPER.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write " + this, e);
            }
        }

        /**
         * Parses one result line.
         *
         * @throws IllegalArgumentException when it is not exactly one such object
         */
        static ResultLine parse(String line) {
            try {
                return MAPPER.readValue(line, ResultLine.class);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("bad result line (" + e.getOriginalMessage() + "): " + line, e);
            }
        }
    }

    /**
     * {@code d} rounded to 6 significant digits, written without an exponent
     * ({@link StreamWriteFeature#WRITE_BIGDECIMAL_AS_PLAIN}) and without trailing zeros.
     *
     * @throws IllegalArgumentException for NaN or an infinity (JSON has no literal for them)
     */
    static BigDecimal num(double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("not a finite number: " + d);
        }
        if (d == 0) {
            return BigDecimal.ZERO;
        }
        return new BigDecimal(d).round(SIX_DIGITS).stripTrailingZeros();
    }

    /**
     * summary.json's layout: the top-level fields one per line, every result row on its own line,
     * everything inside a row or {@code machine} on that one line (a diff of two summaries then
     * shows whole rows).
     */
    static final class SummaryLayout extends MinimalPrettyPrinter {
        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(g.getOutputContext().getParent().inRoot() ? ",\n " : ",");
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            g.writeRaw("\n  ");
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(",\n  ");
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            g.writeRaw(nrOfValues == 0 ? "]" : "\n ]");
        }
    }
}
