package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** summary.json: written from synthetic results, parsed back with an independent parser, every field checked. */
class SummaryJsonTest {

    static final Set<String> TOP = Set.of("schema", "date", "machine", "quick", "command", "results");
    static final Set<String> MACHINE = Set.of("cpus", "os", "jdk");
    static final Set<String> ROW = Set.of("workload", "system", "metric", "median", "min", "max", "runs", "procs");
    static final Set<String> LATENCY = Set.of("p50", "p90", "p99", "p999", "max_latency");
    /** The extra figures a workload may add to its rows (Workload.extras(), e.g. http's server figures). */
    static final Set<String> EXTRAS = Set.of(HttpWorkload.CARRIERS, HttpWorkload.CARRIERS_MAX, HttpWorkload.CPU_S, HttpWorkload.CPU_US_PER_REQ);
    static final Set<String> SYSTEMS = Set.of("goloom", "vthreads", "platform", "goloom-vt", "go");
    static final Set<String> METRICS = Set.of("ns/op", "ops/s", "ms", "bytes");

    /** Checks a parsed summary.json against schema 1; returns its results. Used by the end-to-end test too. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> checkSchema(Object parsed) {
        Map<String, Object> top = assertInstanceOf(Map.class, parsed);
        assertEquals(TOP, top.keySet());
        assertEquals(new BigDecimal(1), top.get("schema"));
        OffsetDateTime.parse(assertInstanceOf(String.class, top.get("date"))); // ISO-8601 with offset
        Map<String, Object> machine = assertInstanceOf(Map.class, top.get("machine"));
        assertEquals(machine.containsKey("go") ? union(MACHINE, Set.of("go")) : MACHINE, machine.keySet());
        if (machine.containsKey("go")) {
            assertTrue(assertInstanceOf(String.class, machine.get("go")).startsWith("go version "));
        }
        assertTrue(integer(machine.get("cpus")) >= 1);
        assertInstanceOf(String.class, machine.get("os"));
        assertInstanceOf(String.class, machine.get("jdk"));
        assertInstanceOf(Boolean.class, top.get("quick"));
        assertTrue(assertInstanceOf(String.class, top.get("command")).startsWith("./goloom compare"));
        List<Object> results = assertInstanceOf(List.class, top.get("results"));
        for (Object o : results) {
            Map<String, Object> r = assertInstanceOf(Map.class, o);
            boolean latency = r.containsKey("p50");
            Set<String> extras = new java.util.HashSet<>(r.keySet());
            extras.retainAll(EXTRAS);
            for (String x : extras) {
                assertTrue(assertInstanceOf(BigDecimal.class, r.get(x), x).signum() >= 0, () -> x + " in " + r);
            }
            assertEquals(union(latency ? union(ROW, LATENCY) : ROW, extras), r.keySet(), () -> "fields of " + r);
            assertInstanceOf(String.class, r.get("workload"));
            assertTrue(SYSTEMS.contains(r.get("system")), () -> "system of " + r);
            assertTrue(METRICS.contains(r.get("metric")), () -> "metric of " + r);
            for (String k : List.of("median", "min", "max")) {
                assertInstanceOf(BigDecimal.class, r.get(k), k);
            }
            BigDecimal min = (BigDecimal) r.get("min");
            BigDecimal max = (BigDecimal) r.get("max");
            BigDecimal median = (BigDecimal) r.get("median");
            assertTrue(min.compareTo(median) <= 0 && median.compareTo(max) <= 0, () -> "min <= median <= max in " + r);
            assertTrue(integer(r.get("runs")) >= 1);
            assertTrue(integer(r.get("procs")) >= 1);
            if (latency) {
                BigDecimal prev = BigDecimal.ZERO;
                for (String k : List.of("p50", "p90", "p99", "p999", "max_latency")) {
                    BigDecimal v = assertInstanceOf(BigDecimal.class, r.get(k), k);
                    assertTrue(v.compareTo(prev) >= 0, () -> k + " is not below the previous percentile in " + r);
                    prev = v;
                }
            }
        }
        return (List<Map<String, Object>>) (List<?>) results;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }

    static int integer(Object o) {
        BigDecimal d = assertInstanceOf(BigDecimal.class, o);
        return d.intValueExact(); // throws unless a whole number
    }

    @Test
    void writesSchemaOneAndReadsBack() {
        String command = "./goloom compare --out 'dir with \"quotes\"\\back\tslash\nnewline\u0001'";
        Summary s = new Summary("2026-01-02T03:04:05+01:00", new Summary.Machine(2, "Linux 6.1 amd64", "25.0.3+9-LTS (Eclipse Adoptium)"),
                true, command, List.of(
                        new Summary.Row("yield", "goloom", "ns/op", 135.25, 130, 140.5, 3, 1, null),
                        new Summary.Row("yield", "vthreads", "ns/op", 430, 420, 455, 3, 1, null),
                        new Summary.Row("park-unpark", "platform", "ns/op", 6431.29, 6000, 7000, 3, 2,
                                new Summary.Latency(3.897, 5.523, 10.407, 38.687, 35782.7)),
                        new Summary.Row("memory", "goloom", "bytes", -12.5, -20, 1e6, 5, 2, null),
                        new Summary.Row("http", "goloom-vt", "ops/s", 21000, 20000, 22000, 3, 2,
                                new Summary.Latency(2000, 2500, 4000, 9000, 20000),
                                Map.of(HttpWorkload.CARRIERS, 2.0, HttpWorkload.CPU_S, 19.5, HttpWorkload.CPU_US_PER_REQ, 92.8))));
        String json = s.toJson();
        Object parsed = MiniJson.parse(json);
        List<Map<String, Object>> rows = checkSchema(parsed);

        Map<?, ?> top = (Map<?, ?>) parsed;
        assertEquals(command, top.get("command"), "strings survive escaping");
        assertEquals("2026-01-02T03:04:05+01:00", top.get("date"));
        assertEquals(Boolean.TRUE, top.get("quick"));
        assertEquals(5, rows.size());
        Map<String, Object> http = rows.get(4);
        assertEquals(new BigDecimal("2"), http.get(HttpWorkload.CARRIERS));
        assertEquals(new BigDecimal("19.5"), http.get(HttpWorkload.CPU_S));
        assertEquals(new BigDecimal("92.8"), http.get(HttpWorkload.CPU_US_PER_REQ));
        assertEquals(new BigDecimal("4000"), http.get("p99"));
        Map<String, Object> pu = rows.get(2);
        assertEquals("park-unpark", pu.get("workload"));
        assertEquals("platform", pu.get("system"));
        assertEquals(new BigDecimal("6431.29"), pu.get("median"));
        assertEquals(2, integer(pu.get("procs")));
        assertEquals(new BigDecimal("38.687"), pu.get("p999"));
        assertEquals(new BigDecimal("35782.7"), pu.get("max_latency"));
        assertEquals(new BigDecimal("1000000"), rows.get(3).get("max"), "no exponent notation");
        assertEquals(new BigDecimal("-12.5"), rows.get(3).get("median"));
    }

    @Test
    void emptyResultsAreStillValid() {
        Summary s = new Summary(OffsetDateTime.now().toString(), new Summary.Machine(1, "os", "jdk"), false,
                "./goloom compare", List.of());
        assertEquals(List.of(), checkSchema(MiniJson.parse(s.toJson())));
    }

    @Test
    void numbersAndStrings() throws Exception {
        assertEquals("0", Json.num(0).toPlainString());
        assertEquals("135.25", Json.num(135.25).toPlainString());
        assertEquals(new BigDecimal("0.000123457"), Json.num(0.0001234567));
        assertEquals(new BigDecimal("123457"), Json.num(123456.7));
        assertEquals("1000000", Json.MAPPER.writeValueAsString(Json.num(1e6)), "no exponent notation");
        assertEquals("123457", Json.MAPPER.writeValueAsString(Json.num(123456.7)));
        assertThrows(IllegalArgumentException.class, () -> Json.num(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.num(Double.POSITIVE_INFINITY));
        String nasty = "a\"b\\c\n\r\t\b\f\u0000\u001f\u2028é";
        assertEquals(nasty, MiniJson.parse(Json.MAPPER.writeValueAsString(nasty)));
    }

    @Test
    void summaryLayoutIsOneResultPerLine() {
        Summary s = new Summary("2026-01-02T03:04:05Z", new Summary.Machine(2, "Linux", "25"), false, "./goloom compare",
                List.of(new Summary.Row("yield", "goloom", "ns/op", 110, 107, 114, 5, 1, null),
                        new Summary.Row("yield", "vthreads", "ns/op", 184, 183, 197, 5, 1, null)));
        assertEquals("""
                {"schema":1,
                 "date":"2026-01-02T03:04:05Z",
                 "machine":{"cpus":2,"os":"Linux","jdk":"25"},
                 "quick":false,
                 "command":"./goloom compare",
                 "results":[
                  {"workload":"yield","system":"goloom","metric":"ns/op","median":110,"min":107,"max":114,"runs":5,"procs":1},
                  {"workload":"yield","system":"vthreads","metric":"ns/op","median":184,"min":183,"max":197,"runs":5,"procs":1}
                 ]}
                """, s.toJson());
        assertTrue(new Summary("d", new Summary.Machine(1, "o", "j"), true, "c", List.of()).toJson()
                .endsWith("\"results\":[]}\n"));
    }

    @Test
    void childResultLineRoundTrip() {
        Json.ResultLine line = new Json.ResultLine("http", "goloom-vt", 2, "ops/s", 21_000.5, "25 (\"x\")", 1234,
                Map.of(HttpWorkload.CARRIERS, 2.0));
        String text = line.toJson();
        assertEquals(line, Json.ResultLine.parse(text));
        Map<?, ?> m = (Map<?, ?>) MiniJson.parse(text); // what the independent parser sees
        assertEquals(Set.of("workload", "system", "procs", "metric", "value", "jdk", "latency_count", "extras", "sched_latency"),
                m.keySet());
        assertEquals(new BigDecimal("21000.5"), m.get("value"));
        assertEquals(new BigDecimal("1234"), m.get("latency_count"));
    }

    @Test
    void childResultLineCarriesGoloomsSchedulingLatency() {
        Json.ResultLine line = new Json.ResultLine("yield", "goloom", 2, "ns/op", 100, "25", 0, Map.of(),
                Map.of("1024", 3L, "2048", 1L));
        Json.ResultLine back = Json.ResultLine.parse(line.toJson());
        assertEquals(line, back);
        org.HdrHistogram.Histogram h = back.schedLatencyHistogram();
        assertEquals(4, h.getTotalCount());
        assertEquals(1024, h.getValueAtPercentile(50), 1024 * 0.001 + 1);
        assertEquals(null, new Json.ResultLine("yield", "vthreads", 2, "ns/op", 100, "25", 0, Map.of()).schedLatencyHistogram());
    }

    @Test
    void childResultLineParserIsStrict() {
        String ok = "{\"workload\":\"yield\",\"system\":\"goloom\",\"procs\":1,\"metric\":\"ns/op\",\"value\":1.5e2,"
                + "\"jdk\":\"25\",\"latency_count\":0,\"extras\":{},\"sched_latency\":{}}";
        assertEquals(150.0, Json.ResultLine.parse(ok).value());
        for (String bad : List.of(
                ok.replace("}}", "},}"), // trailing comma
                ok + " x", // trailing characters
                ok.replace("\"procs\":1,", "\"procs\":1,\"procs\":2,"), // duplicate key
                ok.replace("\"value\":1.5e2,", ""), // missing field
                ok.replace("1.5e2", "null"), // null number
                ok.replace("1.5e2", "\"150\""), // a string for a number
                ok.replace("\"extras\":{}", "\"extras\":{},\"more\":1"), // unknown field
                "not json")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.ResultLine.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("bad result line"), e.getMessage());
        }
    }
}
