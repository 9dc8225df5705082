package io.goloom.bench.compare;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The parsed command line of {@code compare}. {@link #parse} checks everything it can without
 * side effects (it creates nothing) and throws {@link BadArgumentException} on the first
 * problem; the caller maps that to exit code 2.
 *
 * <pre>
 * [--quick] [--out DIR] [--only NAME,NAME] [--runs N]      the user's flags
 * [--java PATH] [--jar CLASSPATH] [--test-size]             internal: set by ./goloom and the tests
 * [--go-path PATH]                                          internal: the PATH to find go in (tests: one without go)
 * </pre>
 *
 * @param quick     --quick: short runs, 3 of them unless --runs says otherwise
 * @param outDir    --out, or null for results/&lt;timestamp&gt;
 * @param workloads the workloads to run, in registry order
 * @param runs      runs per (workload, system)
 * @param java      the java binary for the child JVMs
 * @param classpath the child JVMs' class path (the shaded bench jar under ./goloom)
 * @param testSize  internal: the test suite's tiny sizes
 * @param userArgs  the user's flags (without the internal ones), for the reproduce command
 * @param goPath    internal: the PATH value in which to look for {@code go}; null: the environment's
 * @param jvmArgs   --jvm-args: extra flags for every child JVM (not the go children), e.g. a JFR
 *                  recording or goloom's flight recorder, to measure what they cost
 */
public record CompareArgs(boolean quick, Path outDir, List<Workload> workloads, int runs, String java,
                          String classpath, boolean testSize, List<String> userArgs, String goPath, List<String> jvmArgs) {

    public static final int DEFAULT_RUNS = 5;
    public static final int QUICK_RUNS = 3;

    public static final String USAGE = """
            usage: ./goloom compare [--quick] [--out DIR] [--only NAME,NAME] [--runs N]
              --quick          short runs, 3 per system unless --runs is given (a smoke test, not a result)
              --out DIR        where to write the results (default: results/<timestamp>, and results/latest)
              --only A,B       run only these workloads; known: %s
              --runs N         runs per workload and system, N >= 1 (default 5; --quick: 3)
              --jvm-args "A B" extra flags for every child JVM, split at spaces (e.g.
                               "-XX:StartFlightRecording=settings=default" or "-Dgoloom.debug=trace=1")
            """.formatted(String.join(", ", Workloads.names()));

    /** The child JVM's size for these arguments. */
    public Size size() {
        return testSize ? Size.TEST : quick ? Size.QUICK : Size.FULL;
    }

    /** Parses {@code args}; the defaults for --java and --jar are this JVM's java binary and class path. */
    public static CompareArgs parse(String... args) throws BadArgumentException {
        boolean quick = false;
        boolean testSize = false;
        Path out = null;
        List<Workload> only = null;
        Integer runs = null;
        String java = null;
        String jar = null;
        String goPath = null;
        List<String> jvmArgs = List.of();
        List<String> user = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new BadArgumentException("unexpected argument '" + a + "'");
            }
            if (!seen.add(a)) {
                throw new BadArgumentException(a + " given twice");
            }
            switch (a) {
                case "--quick" -> {
                    quick = true;
                    user.add(a);
                }
                case "--test-size" -> testSize = true;
                case "--out" -> {
                    String v = value(args, i++);
                    out = checkOutDir(v);
                    user.add(a);
                    user.add(v);
                }
                case "--only" -> {
                    String v = value(args, i++);
                    only = workloads(v);
                    user.add(a);
                    user.add(v);
                }
                case "--runs" -> {
                    String v = value(args, i++);
                    try {
                        runs = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw new BadArgumentException("--runs needs a whole number, got '" + v + "'");
                    }
                    if (runs < 1) {
                        throw new BadArgumentException("--runs must be at least 1, got " + runs);
                    }
                    user.add(a);
                    user.add(v);
                }
                case "--jvm-args" -> {
                    if (i + 1 >= args.length || args[i + 1].isBlank()) { // its value starts with "-"
                        throw new BadArgumentException("--jvm-args needs a value, e.g. \"-XX:StartFlightRecording=settings=default\"");
                    }
                    String v = args[++i];
                    jvmArgs = List.of(v.trim().split("\\s+"));
                    for (String f : jvmArgs) {
                        if (!f.startsWith("-")) {
                            throw new BadArgumentException("--jvm-args: '" + f + "' is not a JVM flag (flags start with -)");
                        }
                    }
                    user.add(a);
                    user.add(v);
                }
                case "--java" -> {
                    java = value(args, i++);
                    if (!Files.isExecutable(Paths.get(java)) || Files.isDirectory(Paths.get(java))) {
                        throw new BadArgumentException("--java: '" + java + "' is not an executable file");
                    }
                }
                case "--jar" -> {
                    jar = value(args, i++);
                    if (jar.isBlank()) {
                        throw new BadArgumentException("--jar needs a class path");
                    }
                }
                case "--go-path" -> { // may be empty (no go anywhere), so not value()
                    if (i + 1 >= args.length) {
                        throw new BadArgumentException("--go-path needs a value");
                    }
                    goPath = args[++i];
                }
                default -> throw new BadArgumentException("unknown option '" + a + "'");
            }
        }
        if (java == null) {
            java = ProcessHandle.current().info().command()
                    .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        }
        if (jar == null) {
            jar = System.getProperty("java.class.path");
        }
        List<Workload> ws = only != null ? only : Workloads.ALL;
        int n = runs != null ? runs : quick ? QUICK_RUNS : DEFAULT_RUNS;
        return new CompareArgs(quick, out, ws, n, java, jar, testSize, List.copyOf(user), goPath, jvmArgs);
    }

    private static String value(String[] args, int i) throws BadArgumentException {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
            throw new BadArgumentException(args[i] + " needs a value");
        }
        return args[i + 1];
    }

    /** The named workloads, in registry order, or an error naming the unknown one. */
    private static List<Workload> workloads(String csv) throws BadArgumentException {
        Set<String> names = new HashSet<>();
        for (String n : csv.split(",", -1)) {
            String name = n.strip();
            if (name.isEmpty()) {
                throw new BadArgumentException("--only: empty workload name in '" + csv + "'");
            }
            if (Workloads.byName(name) == null) {
                throw new BadArgumentException("--only: unknown workload '" + name + "'; known: "
                        + String.join(", ", Workloads.names()));
            }
            names.add(name);
        }
        List<Workload> out = new ArrayList<>();
        for (Workload w : Workloads.ALL) {
            if (names.contains(w.name())) {
                out.add(w);
            }
        }
        return out;
    }

    /**
     * DIR must be a writable directory, or not exist yet under a writable directory (it is
     * created later). Nothing is created here.
     */
    private static Path checkOutDir(String v) throws BadArgumentException {
        if (v.isBlank()) {
            throw new BadArgumentException("--out needs a directory");
        }
        Path dir = Paths.get(v).toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new BadArgumentException("--out: '" + v + "' exists and is not a directory");
            }
            if (!Files.isWritable(dir)) {
                throw new BadArgumentException("--out: directory '" + v + "' is not writable");
            }
            return dir;
        }
        Path p = dir.getParent();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null || !Files.isDirectory(p)) {
            throw new BadArgumentException("--out: cannot create '" + v + "': "
                    + (p == null ? "no existing parent" : "'" + p + "' is not a directory"));
        }
        if (!Files.isWritable(p)) {
            throw new BadArgumentException("--out: cannot create '" + v + "': '" + p + "' is not writable");
        }
        return dir;
    }
}
