package io.goloom.bench.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * {@code ./goloom compare}: goloom against stock virtual threads (and platform threads where
 * that means something), side by side, written up as summary.json, report.md, HdrHistogram
 * files and PNG charts.
 *
 * <h2>How a comparison runs</h2>
 *
 * The controller (this class) never measures anything itself. For every workload it starts a
 * fresh child JVM ({@link RunOne}) per run and system, alternating the systems (goloom,
 * vthreads, goloom, vthreads, ...) so that a machine getting busier or quieter during the
 * comparison shifts both sides alike. Every child gets the same heap flags; virtual-thread
 * children also get {@code jdk.virtualThreadScheduler.parallelism = maxPoolSize = procs}. The
 * child prints one JSON line (the workload's number) and, for latency workloads, writes its
 * histogram to an .hlog; the controller takes medians across runs and merges the histograms.
 *
 * <h2>Rejected</h2>
 * <ul>
 *   <li>Both systems in one JVM: the virtual-thread scheduler's parallelism is a JVM-wide
 *       property fixed at first use, and JIT profiles, heap state and leftover carrier threads
 *       from one side would bias the other.
 *   <li>JMH for these: JMH forks per benchmark too, but reports averages, not merged latency
 *       histograms, and cannot run one scenario against the goloom runtime and the JDK
 *       scheduler with per-side JVM flags in one report. The JMH suite ({@code ./goloom bench})
 *       stays for microbenchmarks.
 *   <li>All runs of system A, then all of B: drift in machine load (other builds, thermal
 *       state) then lands on one side only.
 * </ul>
 *
 * Exit codes: 0 when every run succeeded, 1 when some run or an output failed (everything else
 * is still written), 2 for bad arguments.
 */
public final class Compare {

    /**
     * Every child's module flags: what goloom's classes need, and what its transparent-mode
     * agent's manifest opens (jdk.internal.misc, java.util.concurrent), so that vthreads and
     * goloom-vt children differ by transparent mode's options alone.
     */
    static final List<String> JVM_EXPORTS = Stream.concat(
            io.goloom.core.JvmFlags.flags().stream(),            // goloom.jvmargs
            Stream.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED")).toList();
    /** Every child JVM's heap: fixed, so the memory workload reads the same kind of heap on both sides. */
    static final List<String> HEAP = List.of("-Xms1g", "-Xmx4g");

    private static final DateTimeFormatter DIR_NAME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

    private final CompareArgs args;
    private final PrintStream out;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final long t0 = System.nanoTime();
    private Path dir;
    private Path runsDir;
    private Path logsDir;
    private String jdk;
    /** The go system: null until {@link #setUpGo}, or when no selected workload has a Go program. */
    private GoSystem go;
    /** Why the Go column is missing (no go on PATH, a failed build), for report.md; null when it is there. */
    private String goMissing;
    private boolean failed;
    /** How busy the machine is: started before the first child, stopped after the last. */
    private MachineLoad load;
    private MachineLoad.Result loadResult;
    /** The child JVM running now, for the shutdown hook (Ctrl-C must not leave it running). */
    private volatile Process child;

    Compare(CompareArgs args, PrintStream out) {
        this.args = args;
        this.out = out;
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs compare; returns the exit code (0 ok or --help, 1 some run or output failed, 2 bad arguments). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        System.setProperty("java.awt.headless", "true"); // before any AWT class: charts only
        if (java.util.Arrays.asList(argv).contains("--help") || java.util.Arrays.asList(argv).contains("-h")) {
            out.print(CompareArgs.USAGE); // asked for: on stdout, status 0, as java -help
            return 0;
        }
        CompareArgs a;
        try {
            a = CompareArgs.parse(argv);
        } catch (BadArgumentException e) {
            err.println("goloom compare: " + e.getMessage());
            err.print(CompareArgs.USAGE);
            return 2;
        }
        Compare c = new Compare(a, out);
        ZonedDateTime now = ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS);
        try {
            c.createDirs(now);
        } catch (IOException e) {
            err.println("goloom compare: cannot create the output directory: " + e);
            return 2;
        }
        Thread killChild = new Thread(() -> {
            Process p = c.child;
            if (p != null) {
                p.destroyForcibly();
            }
        }, "compare-kill-child");
        Runtime.getRuntime().addShutdownHook(killChild);
        try {
            return c.compare(now);
        } catch (IOException e) {
            err.println("goloom compare: " + e);
            return 1;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(killChild);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
        }
    }

    private void createDirs(ZonedDateTime now) throws IOException {
        if (args.outDir() != null) {
            dir = Files.createDirectories(args.outDir());
        } else {
            Path results = Paths.get("results").toAbsolutePath();
            String name = DIR_NAME.format(now);
            Path d = results.resolve(name);
            for (int i = 2; Files.exists(d); i++) { // two compares in the same second
                d = results.resolve(name + "-" + i);
            }
            dir = Files.createDirectories(d);
            Path latest = results.resolve("latest");
            try {
                Files.deleteIfExists(latest);
                Files.createSymbolicLink(latest, latest.getParent().relativize(dir));
            } catch (IOException | UnsupportedOperationException e) {
                out.println("compare: could not point results/latest at " + dir + ": " + e);
            }
        }
        runsDir = Files.createDirectories(dir.resolve(".runs"));
        logsDir = Files.createDirectories(dir.resolve("logs"));
    }

    private int compare(ZonedDateTime now) throws IOException {
        out.printf(Locale.ROOT, "goloom compare: %d workload(s), %d run(s) per system%s, systems alternating, "
                        + "a fresh JVM per run%n  output: %s%n", args.workloads().size(), args.runs(),
                args.quick() ? " (quick)" : "", dir);
        setUpGo(); // before the load reading starts: the Go build is not the machine's load
        try {
            load = MachineLoad.start(cores);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the machine's load", e);
        }
        String warning = load.startWarning();
        if (warning != null) {
            out.println("compare: warning: " + warning);
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Workload w : args.workloads()) {
            outcomes.add(runWorkload(w));
        }
        loadResult = load.stop();
        writeOutputs(outcomes, now);
        out.println();
        out.print(Report.text(outcomes));
        out.printf(Locale.ROOT, "%nwrote %s (%s)%n", dir, elapsed());
        return failed ? 1 : 0;
    }

    /**
     * Finds Go and builds the selected workloads' programs once for the whole run. Without Go
     * (or when the build fails) the run goes on without the column and says why, in one line
     * here and in report.md; a failed build also makes the exit code 1.
     */
    private void setUpGo() throws IOException {
        if (!GoSystem.anyProgram(args.workloads())) {
            return;
        }
        GoSystem g = args.goPath() != null ? GoSystem.detect(args.goPath(), GoSystem.sources()) : GoSystem.detect();
        if (g.absentReason() != null) {
            goMissing = g.absentReason();
            out.printf(Locale.ROOT, "  no go column: %s%n", goMissing);
            return;
        }
        out.printf(Locale.ROOT, "  go column: %s; building the Go programs into %s%n", g.version(), g.binDir());
        String problem = g.build(args.workloads());
        if (problem != null) {
            failed = true;
            Path log = logsDir.resolve("go-build.log");
            Files.writeString(log, problem, StandardCharsets.UTF_8);
            goMissing = "the Go programs did not build (" + dir.relativize(log) + ")";
            out.printf(Locale.ROOT, "  no go column: %s%n", goMissing);
            printTail(log);
            return;
        }
        go = g;
    }

    private String elapsed() {
        double s = (System.nanoTime() - t0) / 1e9;
        return s < 120 ? String.format(Locale.ROOT, "%.1fs", s)
                : String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, (long) s % 60);
    }

    private Outcome runWorkload(Workload w) {
        String why = w.skipReason();
        if (why != null) {
            out.printf(Locale.ROOT, "[%7s] %s: skipped: %s%n", elapsed(), w.name(), why);
            return Outcome.skipped(w, why);
        }
        int procs = w.procs(cores);
        List<Series> series = new ArrayList<>();
        List<Series> toRun = new ArrayList<>();
        for (SystemKind s : w.systems()) {
            Series x = new Series(w, s, procs);
            series.add(x);
            x.skipReason = s == SystemKind.GOLOOM_VT ? TransparentMode.skipReason() : null;
            if (x.skipReason == null) {
                toRun.add(x);
            }
        }
        if (go != null && GoSystem.program(w) != null) {
            Series x = new Series(w, SystemKind.GO, procs); // alternates last: goloom, vthreads, ..., go
            series.add(x);
            toRun.add(x);
        }
        out.printf(Locale.ROOT, "[%7s] %s (%s, procs %d): %d run(s) of %s%n", elapsed(), w.name(), w.metric(),
                procs, args.runs(), String.join(", ", series.stream().map(x -> x.system.id()).toList()));
        for (Series x : series) {
            if (x.skipReason != null) {
                out.printf(Locale.ROOT, "[%7s]   %-15s %-9s skipped: %s%n", elapsed(), w.name(), x.system.id(), x.skipReason);
            }
        }
        for (int k = 1; k <= args.runs(); k++) {
            for (Series s : toRun) {
                runChild(s, k);
            }
        }
        return new Outcome(w, null, series);
    }

    /**
     * The child JVM's command line for one run. vthreads and goloom-vt children get the same
     * flags except goloom-vt's {@link TransparentMode#childOptions} (goloom's transparent mode as
     * {@code ./goloom run} starts it: every virtual thread of that JVM on goloom); the workload may add its own
     * ({@link Workload#jvmArgs}, e.g. fairness's preemption agent).
     */
    List<String> childCommand(Workload w, SystemKind system, int procs, Path hlog) throws IOException {
        if (system == SystemKind.GO) { // not a JVM: the workload's Go program, GOMAXPROCS in its environment
            return go.command(w, procs, args.size(), hlog, args.java(), args.classpath());
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(args.java());
        cmd.addAll(JVM_EXPORTS);
        if (system == SystemKind.VTHREADS || system == SystemKind.GOLOOM_VT) {
            cmd.add("-Djdk.virtualThreadScheduler.parallelism=" + procs);
            cmd.add("-Djdk.virtualThreadScheduler.maxPoolSize=" + procs);
        }
        if (system == SystemKind.GOLOOM_VT) {
            // As ./goloom run starts an application: a patched java.base, no java agent (and no
            // -XX:-DoJVMTIVirtualThreadTransitions: see SchedulerAgent on why).
            cmd.addAll(TransparentMode.childOptions(procs));
        }
        cmd.addAll(HEAP);
        cmd.addAll(w.jvmArgs(system));
        cmd.addAll(args.jvmArgs()); // --jvm-args: e.g. a JFR recording, to measure its cost
        cmd.addAll(List.of("-cp", args.classpath(), RunOne.class.getName(),
                "--workload", w.name(), "--system", system.id(), "--procs", Integer.toString(procs)));
        if (args.quick()) {
            cmd.add("--quick");
        }
        if (args.testSize()) {
            cmd.add("--test-size");
        }
        cmd.addAll(List.of("--hlog", hlog.toString()));
        return cmd;
    }

    private long childTimeoutSeconds() {
        return switch (args.size()) {
            case FULL -> 15 * 60;
            case QUICK -> 3 * 60;
            case TEST -> 2 * 60;
        };
    }

    private void runChild(Series s, int k) {
        String base = s.workload.name() + "-" + s.system.id() + "-run" + k;
        Path hlog = runsDir.resolve(base + ".hlog");
        Path stdout = runsDir.resolve(base + ".out");
        Path log = logsDir.resolve(base + ".log");
        long start = System.nanoTime();
        load.sample();
        String problem;
        try {
            ProcessBuilder pb = new ProcessBuilder(childCommand(s.workload, s.system, s.procs, hlog))
                    .redirectInput(Redirect.from(nullFile().toFile()))
                    .redirectOutput(stdout.toFile())
                    .redirectError(log.toFile());
            if (s.system == SystemKind.GO) {
                pb.environment().put(GoSystem.GOMAXPROCS, Integer.toString(s.procs));
            }
            Process p = pb.start();
            child = p;
            try {
                if (!p.waitFor(childTimeoutSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    problem = "timed out after " + childTimeoutSeconds() + "s";
                } else if (p.exitValue() != 0) {
                    problem = "exit status " + p.exitValue();
                } else {
                    problem = collect(s, stdout, hlog);
                }
            } finally {
                if (p.isAlive()) { // interrupted while waiting
                    p.destroyForcibly();
                }
                child = null;
            }
        } catch (IOException e) {
            problem = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem = "interrupted";
        }
        load.sample();
        double secs = (System.nanoTime() - start) / 1e9;
        String line;
        if (problem == null) {
            line = String.format(Locale.ROOT, "%s %s", Report.fmt(s.values.getLast()), s.workload.metric());
        } else {
            failed = true;
            s.failures.add("run " + k + ": " + problem);
            line = "FAILED: " + problem + " (log: " + dir.relativize(log) + ")";
        }
        out.printf(Locale.ROOT, "[%7s]   %-15s %-9s run %d/%d  %s  (%.1fs)%n", elapsed(), s.workload.name(),
                s.system.id(), k, args.runs(), line, secs);
        if (problem != null) {
            printTail(log);
        }
    }

    private static Path nullFile() {
        return Paths.get(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /**
     * Reads a finished child's result into {@code s}; returns what is wrong with it, or null. A
     * Go child's line carries "go" (its runtime version) where RunOne's carries "jdk", and its
     * histogram file is {@link GoSystem#readHistogram}'s format.
     */
    String collect(Series s, Path stdout, Path hlog) throws IOException {
        String line = null;
        for (String l : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
            if (l.startsWith("{")) {
                line = l;
            }
        }
        if (line == null) {
            return "no result line on stdout";
        }
        Json.ResultLine r;
        try {
            r = s.system == SystemKind.GO ? GoSystem.parseResultLine(line) : Json.ResultLine.parse(line);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!s.workload.name().equals(r.workload()) || !s.system.id().equals(r.system())) {
            return "unexpected result line: " + line;
        }
        double v = r.value();
        if (s.system != SystemKind.GO && jdk == null) {
            jdk = r.jdk();
        }
        List<Double> extras = new ArrayList<>();
        for (String name : s.workload.extras()) {
            Double x = r.extras().get(name);
            if (x == null) {
                return "no extra figure " + name + " in the result line: " + line;
            }
            extras.add(x);
        }
        if (s.workload.recordsLatency()) {
            if (!Files.exists(hlog)) {
                return "no histogram written";
            }
            s.histograms.add(s.system == SystemKind.GO ? GoSystem.readHistogram(hlog) : HistogramFiles.readRun(hlog));
        }
        s.values.add(v);
        Histogram sl = r.schedLatencyHistogram();
        if (sl != null) {
            s.schedLatencies.add(sl);
        }
        for (int i = 0; i < extras.size(); i++) {
            s.extras.computeIfAbsent(s.workload.extras().get(i), n -> new ArrayList<>()).add(extras.get(i));
        }
        return null;
    }

    private void printTail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (String l : lines.subList(Math.max(0, lines.size() - 15), lines.size())) {
                out.println("            | " + l);
            }
        } catch (IOException e) {
            // the failure line already names the log
        }
    }

    // ------------------------------------------------------------------------------------

    private void writeOutputs(List<Outcome> outcomes, ZonedDateTime now) throws IOException {
        List<String> notes = new ArrayList<>();
        for (Outcome o : outcomes) {
            for (Series s : o.series()) {
                Histogram merged = s.ok() ? s.merged() : null;
                if (merged != null) {
                    String base = o.workload().name() + "-" + s.system.id();
                    HistogramFiles.writeHgrm(merged, dir.resolve(base + ".hgrm"));
                    HistogramFiles.writeHlog(s, dir.resolve(base + ".hlog"));
                }
            }
        }
        List<String> charts = new ArrayList<>();
        try {
            for (Outcome o : outcomes) {
                if (o.series().stream().anyMatch(s -> s.ok() && (s.merged() != null || s.mergedSchedLatency() != null))) {
                    String name = o.workload().name() + "-percentiles.png";
                    Charts.percentiles(o, args.runs(), dir.resolve(name));
                    charts.add(name);
                }
            }
            if (Charts.ratios(outcomes, dir.resolve("ratios.png"))) {
                charts.add("ratios.png");
            } else {
                notes.add("No ratio chart: no workload ran on both goloom (or, for http, goloom-vt) and vthreads.");
            }
        } catch (RuntimeException | Error | IOException e) { // e.g. a headless JDK without fonts
            failed = true;
            notes.add("Charts failed: " + e);
            out.println("compare: charts failed: " + e);
        }

        Summary summary = new Summary(now.toOffsetDateTime().toString(), machine(), args.quick(), command(), rows(outcomes));
        Files.writeString(dir.resolve("summary.json"), summary.toJson(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("report.md"), Report.reportMd(outcomes, summary,
                new Report.Setup(args.runs(), args.quick(), args.testSize(), childTemplate(), loadResult, goLines()), charts,
                notes), StandardCharsets.UTF_8);
        cleanUp();
    }

    private static List<Summary.Row> rows(List<Outcome> outcomes) {
        List<Summary.Row> rows = new ArrayList<>();
        for (Outcome o : outcomes) {
            for (Series s : o.series()) {
                if (s.ok()) {
                    rows.add(s.row());
                }
            }
        }
        return rows;
    }

    private Summary.Machine machine() {
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch");
        return new Summary.Machine(cores, os, jdk != null ? jdk : RunOne.jdk(), go != null ? go.version() : null);
    }

    /** The user's command, as it would be typed to reproduce this run. */
    String command() {
        StringBuilder sb = new StringBuilder("./goloom compare");
        for (String a : args.userArgs()) {
            sb.append(' ').append(shellQuote(a));
        }
        return sb.toString();
    }

    static String shellQuote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./=,:+@%-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** report.md's header lines about Go: its version and child command line, or why there is no Go column; none when no selected workload has a Go side. */
    private List<String> goLines() {
        if (go != null) {
            return List.of("go: " + go.version() + " (`bench/go/<program>`, built by this run)",
                    "go child: `GOMAXPROCS=P bench/target/go/<program> --workload W --system go --procs P"
                            + (args.quick() ? " --quick" : "") + " --hlog FILE` (echo: `-- <the load client's command>`)");
        }
        return goMissing != null ? List.of("go: no Go column: " + goMissing) : List.of();
    }

    /** The child JVM command line with placeholders, as report.md shows it. */
    private List<String> childTemplate() {
        List<String> t = new ArrayList<>();
        t.add("java");
        t.addAll(JVM_EXPORTS);
        t.add("[-Djdk.virtualThreadScheduler.parallelism=P -Djdk.virtualThreadScheduler.maxPoolSize=P]");
        t.add("[goloom-vt: --patch-module java.base=<cache>/java.base-25-<hash> -Dgoloom.transparent.jar=bench/target/goloom-bench.jar"
                + " -Dgoloom.virtualThreadScheduler=goloom -Dgoloom.procs=P]");
        t.addAll(HEAP);
        t.addAll(List.of("-cp", "bench/target/goloom-bench.jar", RunOne.class.getName(),
                "--workload", "W", "--system", "S", "--procs", "P"));
        if (args.quick()) {
            t.add("--quick");
        }
        t.addAll(List.of("--hlog", "FILE"));
        return t;
    }

    /** Removes the per-run scratch files and empty child logs. */
    private void cleanUp() throws IOException {
        try (Stream<Path> files = Files.walk(runsDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        try (Stream<Path> logs = Files.list(logsDir)) {
            for (Path p : logs.toList()) {
                if (Files.size(p) == 0) {
                    Files.delete(p);
                }
            }
        }
        try (Stream<Path> left = Files.list(logsDir)) {
            if (left.findAny().isEmpty()) {
                Files.delete(logsDir);
            }
        }
    }
}
