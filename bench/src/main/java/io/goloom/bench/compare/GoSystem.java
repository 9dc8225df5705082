package io.goloom.bench.compare;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The {@code go} system of {@code compare}: each workload's Go program ({@code bench/go/<program>/main.go},
 * standard library only), built once per compare run into {@code bench/target/go/} with the
 * {@code go} found on PATH and run like a RunOne child: the same command line ({@code --workload W
 * --system go --procs P [--quick] [--test-size] --hlog FILE}), {@code GOMAXPROCS=P} in its
 * environment, one JSON line on stdout ({@code "go":<runtime.Version()>} where RunOne writes
 * {@code "jdk"}), and for a latency workload a histogram file {@link #readHistogram} turns into
 * the same HdrHistogram RunOne would have written.
 *
 * <p>Without a {@code go} on PATH (or when its sources are missing) {@link #detect} says why, and
 * compare runs without the column, printing that reason once.
 */
final class GoSystem {

    /** Environment variable of the Go runtime: the number of Ps. */
    static final String GOMAXPROCS = "GOMAXPROCS";

    /** Where the load client's port goes in echo's client command (the Go program substitutes it). */
    static final String PORT_PLACEHOLDER = "{port}";

    /** Workload name to the directory of its Go program under bench/go. http has none: it is virtual-thread code by definition. */
    private static final Map<String, String> PROGRAMS = Map.ofEntries(
            Map.entry("yield", "yield"),
            Map.entry("chan-pingpong", "chan-pingpong"),
            Map.entry("spawn", "spawn"),
            Map.entry("sleep-lateness", "sleep-lateness"),
            Map.entry("sleep-lateness-10k", "sleep-lateness"),
            Map.entry("park-unpark", "park-unpark"),
            Map.entry("memory", "memory"),
            Map.entry("fairness", "fairness"),
            Map.entry("echo", "echo"),
            Map.entry("spawn-tree", "spawn-tree"));

    private final Path go;
    private final String version;
    private final Path src;
    private final String absent;

    private GoSystem(Path go, String version, Path src, String absent) {
        this.go = go;
        this.version = version;
        this.src = src;
        this.absent = absent;
    }

    /** The Go program directory of {@code w}, or null when the workload has no Go side. */
    static String program(Workload w) {
        return PROGRAMS.get(w.name());
    }

    /** Whether any of {@code workloads} has a Go side (otherwise compare does not look for Go at all). */
    static boolean anyProgram(Collection<Workload> workloads) {
        return workloads.stream().anyMatch(w -> program(w) != null);
    }

    /** Null when Go can run, else the one-line reason the column is missing. */
    String absentReason() {
        return absent;
    }

    /** {@code go version}'s output, e.g. "go version go1.19.8 linux/amd64"; null when absent. */
    String version() {
        return version;
    }

    /** Where the programs are built: bench/target/go. */
    Path binDir() {
        return src.resolveSibling("target").resolve("go");
    }

    /**
     * Looks for {@code go} in {@code pathEnv} (the PATH value: the tests pass their own) and for
     * the Go sources at {@code src} (bench/go; null: not found), and asks it its version.
     */
    static GoSystem detect(String pathEnv, Path src) {
        Path go = onPath(pathEnv, "go");
        if (go == null) {
            return new GoSystem(null, null, src, "no `go` on PATH (install a Go toolchain, e.g. `apt-get install"
                    + " golang-go`, to get the Go column)");
        }
        if (src == null || !Files.isRegularFile(src.resolve("go.mod"))) {
            return new GoSystem(go, null, src, "the Go programs (bench/go/go.mod) are not next to the bench classes");
        }
        try {
            Result r = exec(List.of(go.toString(), "version"), src, pathEnv, 60);
            if (r.status != 0 || !r.output.startsWith("go version ")) {
                return new GoSystem(go, null, src, "`" + go + " version` failed: " + r.output.strip());
            }
            return new GoSystem(go, r.output.strip(), src, null);
        } catch (IOException e) {
            return new GoSystem(go, null, src, "`" + go + " version` failed: " + e);
        }
    }

    /** This JVM's PATH and the bench/go directory next to its bench classes. */
    static GoSystem detect() {
        return detect(System.getenv("PATH"), sources());
    }

    /** bench/go, found from the class path (bench/target/goloom-bench.jar or bench/target/classes), or -Dgoloom.go.src. */
    static Path sources() {
        String prop = System.getProperty("goloom.go.src");
        if (prop != null) {
            return Path.of(prop).toAbsolutePath();
        }
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : cp.split(File.pathSeparator)) {
            Path benchTarget = Path.of(entry).toAbsolutePath().getParent();
            if (benchTarget != null && benchTarget.getFileName() != null
                    && benchTarget.getFileName().toString().equals("target")) {
                Path goDir = benchTarget.resolveSibling("go");
                if (Files.isRegularFile(goDir.resolve("go.mod"))) {
                    return goDir;
                }
            }
        }
        return null;
    }

    /** The executable {@code name} in the first PATH entry that has it, or null. */
    static Path onPath(String pathEnv, String name) {
        if (pathEnv == null) {
            return null;
        }
        for (String dir : pathEnv.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Builds the programs of {@code workloads} into {@link #binDir()} ({@code go build -o}, standard
     * library only: GOPROXY=off, GOFLAGS=-mod=mod not needed). Returns null when all built, else
     * the compiler's output.
     */
    String build(Collection<Workload> workloads) throws IOException {
        if (absent != null) {
            throw new IllegalStateException("no Go to build with: " + absent);
        }
        Set<String> programs = new LinkedHashSet<>();
        for (Workload w : workloads) {
            if (program(w) != null) {
                programs.add(program(w));
            }
        }
        Files.createDirectories(binDir());
        for (String p : programs) {
            Result r = exec(List.of(go.toString(), "build", "-o", binDir().resolve(p).toString(), "./" + p), src,
                    System.getenv("PATH"), 600);
            if (r.status != 0) {
                return "go build ./" + p + " (in " + src + ") failed with status " + r.status + ":\n" + r.output;
            }
        }
        return null;
    }

    /**
     * The Go child's command line for one run: RunOne's arguments, plus (echo) the load client's
     * command after "--", whose {@link #PORT_PLACEHOLDER} the program replaces by its port.
     * Its environment needs {@code GOMAXPROCS=procs}.
     */
    List<String> command(Workload w, int procs, Size size, Path hlog, String java, String classpath) {
        String p = program(w);
        if (p == null) {
            throw new IllegalArgumentException(w.name() + " has no Go program");
        }
        List<String> cmd = new ArrayList<>(List.of(binDir().resolve(p).toString(), "--workload", w.name(),
                "--system", SystemKind.GO.id(), "--procs", Integer.toString(procs)));
        if (size == Size.QUICK) {
            cmd.add("--quick");
        } else if (size == Size.TEST) {
            cmd.add("--test-size");
        }
        cmd.addAll(List.of("--hlog", hlog.toString()));
        if (w instanceof EchoWorkload) {
            cmd.add("--");
            cmd.addAll(EchoWorkload.clientCommand(java, classpath, PORT_PLACEHOLDER, procs, size));
        }
        return cmd;
    }

    /**
     * A Go program's result line: RunOne's ({@link Json.ResultLine}) with {@code "go"} (the Go
     * runtime's version) in place of {@code "jdk"}; {@code latency_count} is -1 when the program
     * passes a histogram through without counting it (echo).
     */
    record GoResultLine(String workload, String system, int procs, String metric, double value, String go,
                        @JsonProperty("latency_count") long latencyCount, Map<String, Double> extras) {
    }

    /**
     * Parses a Go program's result line as strictly as {@link Json.ResultLine#parse} parses
     * RunOne's (the same mapper: no unknown, missing or null field), as a ResultLine without a JDK.
     *
     * @throws IllegalArgumentException when it is not exactly one such object
     */
    static Json.ResultLine parseResultLine(String line) {
        GoResultLine g;
        try {
            g = Json.MAPPER.readValue(line, GoResultLine.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad result line (" + e.getOriginalMessage() + "): " + line, e);
        }
        return new Json.ResultLine(g.workload(), g.system(), g.procs(), g.metric(), g.value(), null, g.latencyCount(),
                g.extras());
    }

    /** The first line of a Go program's histogram file. */
    static final String HEADER = "#goloom-go-histogram 1";

    /**
     * The histogram a Go program wrote, as the HdrHistogram (3 significant digits, nanoseconds)
     * RunOne would have written for the same values. The file:
     * <pre>
     * #goloom-go-histogram 1
     * start &lt;unix ms&gt; end &lt;unix ms&gt;
     * &lt;value ns&gt; &lt;count&gt;      one line per non-empty bucket: the bucket's lowest value
     * hdr &lt;base64&gt;           or instead: one compressed HdrHistogram (echo: the load client's)
     * </pre>
     * The Go side counts in HdrHistogram's own 3-digit buckets, so each bucket line must name a
     * lowest equivalent value: recording it with its count reproduces the histogram exactly.
     *
     * @throws IOException for anything else, naming the line
     */
    static Histogram readHistogram(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.size() < 2 || !lines.get(0).equals(HEADER)) {
            throw new IOException(file + ": not a Go histogram file (first line must be '" + HEADER + "')");
        }
        String[] se = lines.get(1).split(" ");
        Histogram h = new Histogram(3);
        try {
            if (se.length != 4 || !se[0].equals("start") || !se[2].equals("end")) {
                throw new NumberFormatException("want 'start <ms> end <ms>'");
            }
            long start = Long.parseLong(se[1]);
            long end = Long.parseLong(se[3]);
            boolean hdr = false;
            for (int i = 2; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.isEmpty()) {
                    continue;
                }
                if (l.startsWith("hdr ")) {
                    if (hdr || h.getTotalCount() != 0) {
                        throw new NumberFormatException("one hdr line, and no buckets beside it");
                    }
                    h.add(HistogramFiles.fromBase64(l.substring(4).strip()));
                    hdr = true;
                    continue;
                }
                String[] f = l.split(" ");
                if (f.length != 2 || hdr) {
                    throw new NumberFormatException("line " + (i + 1) + ": want '<value> <count>': " + l);
                }
                long v = Long.parseLong(f[0]);
                long c = Long.parseLong(f[1]);
                if (v < 0 || c < 1 || h.lowestEquivalentValue(v) != v) {
                    throw new NumberFormatException("line " + (i + 1) + ": not a bucket of 3-digit HdrHistogram"
                            + " with a count >= 1: " + l);
                }
                h.recordValueWithCount(v, c);
            }
            h.setStartTimeStamp(start);
            h.setEndTimeStamp(end);
        } catch (IllegalArgumentException e) { // NumberFormatException, a bad base64 histogram
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return h;
    }

    private record Result(int status, String output) {
    }

    private static Result exec(List<String> cmd, Path dir, String pathEnv, long timeoutSeconds) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        if (pathEnv != null) {
            env.put("PATH", pathEnv);
        }
        env.put("GOPROXY", "off"); // standard library only: never reach for a module proxy
        env.put("GOTOOLCHAIN", "local");
        env.put("GO111MODULE", "on");
        Path out = Files.createTempFile("goloom-go", ".txt"); // a file, not a pipe: the timeout holds
        try {
            Process p = pb.redirectOutput(out.toFile()).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Result(-1, "timed out after " + timeoutSeconds + "s: " + String.join(" ", cmd));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + String.join(" ", cmd), e);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
