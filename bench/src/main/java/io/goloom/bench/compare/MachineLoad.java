package io.goloom.bench.compare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How busy the machine was around a comparison, for report.md: the load average
 * ({@code /proc/loadavg}) at the start, its highest 1-minute value sampled during the run, and at
 * the end; and the processes other than compare's own that were using CPU at the start (two
 * {@code /proc/<pid>/stat} snapshots {@link #WINDOW_MS} apart). Linux only; elsewhere the report
 * says the figures are not available.
 *
 * <p>The load during the run includes compare's own child JVMs (a benchmark keeps a core or two
 * busy), so it is read as "was there more than compare?" by comparing with the cores; the start
 * figures, taken before any child runs, are what says whether the machine was quiet.
 *
 * <p>Threads: {@link #start} and {@link #stop} are called by the controller; the sampler is one
 * daemon thread; the running maximum is read and written under this object's monitor only
 * ({@link #sample()} from both threads, {@link #stop()}).
 */
final class MachineLoad {
    /** A machine whose 1-minute load average is above this at the start was not quiet. */
    static final double QUIET_LOAD = 0.5;
    /** Nor was one whose other processes used more than this share of one core during the start window. */
    static final double QUIET_CPU = 0.5;
    /** The start window over which other processes' CPU use is measured. */
    static final long WINDOW_MS = 1000;
    /** How often the load average is sampled during the run. */
    static final long SAMPLE_SECONDS = 5;
    /** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks per second. */
    static final int TICKS_PER_SECOND = 100;
    /** How many busy processes the report lists. */
    static final int TOP = 5;
    /** A process using less than this share of one core in the window is not listed. */
    static final double LIST_CPU = 0.02;

    private static final Path PROC = Path.of("/proc");

    /** One process in a snapshot: its CPU time so far (user + system), in ticks. */
    record Proc(long pid, String name, long ticks) {
    }

    /** A process other than compare's that used CPU during the start window. */
    record Busy(long pid, String name, double cores) {
    }

    /**
     * What report.md shows. Load values are the 1-minute average; NaN when not available.
     *
     * @param startLoad the three load averages (1, 5, 15 min) at the start; null when not available
     * @param maxLoad   the highest 1-minute load seen during the run (sampled every {@link #SAMPLE_SECONDS} s
     *                  and at every child JVM's start and end)
     * @param endLoad   the three load averages at the end; null when not available
     * @param busy      other processes using CPU at the start, busiest first, at most {@link #TOP}
     * @param otherCpu  all other processes' CPU during the start window, in cores
     * @param cores     the machine's cores
     */
    record Result(double[] startLoad, double maxLoad, double[] endLoad, List<Busy> busy, double otherCpu, int cores) {
        Result {
            busy = List.copyOf(busy);
        }

        /** Whether the machine was quiet at the start; true when nothing could be read. */
        boolean quiet() {
            return (startLoad == null || startLoad[0] <= QUIET_LOAD) && otherCpu <= QUIET_CPU;
        }

        /** The warning line, or null when the machine was quiet. */
        String warning() {
            if (quiet()) {
                return null;
            }
            StringBuilder sb = new StringBuilder("the machine was not quiet at the start: ");
            if (startLoad != null && startLoad[0] > QUIET_LOAD) {
                sb.append(String.format(Locale.ROOT, "1-minute load %.2f (> %.1f)", startLoad[0], QUIET_LOAD));
            }
            if (otherCpu > QUIET_CPU) {
                if (startLoad != null && startLoad[0] > QUIET_LOAD) {
                    sb.append(", ");
                }
                sb.append(String.format(Locale.ROOT, "other processes used %.2f cores (> %.1f)", otherCpu, QUIET_CPU));
            }
            return sb.append("; its numbers may not reproduce on a quiet machine").toString();
        }
    }

    private final int cores;
    private double[] startLoad;
    private List<Busy> busy = List.of();
    private double otherCpu;
    private double maxLoad = Double.NaN;
    private ScheduledExecutorService sampler;

    private MachineLoad(int cores) {
        this.cores = cores;
    }

    /**
     * Reads the start figures (taking {@link #WINDOW_MS}) and starts sampling the load.
     * compare itself and every process it started are not "other processes".
     */
    static MachineLoad start(int cores) throws InterruptedException {
        MachineLoad m = new MachineLoad(cores);
        m.startLoad = readLoad();
        Map<Long, Proc> before = snapshot();
        long t0 = System.nanoTime();
        Thread.sleep(WINDOW_MS); // the measuring window itself, not a synchronization
        Map<Long, Proc> after = snapshot();
        double secs = (System.nanoTime() - t0) / 1e9;
        Set<Long> self = self();
        m.busy = busiest(before, after, secs, self).stream()
                .map(b -> new Busy(b.pid(), describe(b.name(), commandLine(b.pid())), b.cores())).toList();
        m.otherCpu = totalCores(before, after, secs, self);
        m.sample();
        m.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "compare-load-sampler");
            t.setDaemon(true);
            return t;
        });
        m.sampler.scheduleAtFixedRate(m::sample, SAMPLE_SECONDS, SAMPLE_SECONDS, TimeUnit.SECONDS);
        return m;
    }

    /** compare itself and every process it started. */
    private static Set<Long> self() {
        Set<Long> s = new java.util.HashSet<>();
        ProcessHandle.current().descendants().forEach(p -> s.add(p.pid()));
        s.add(ProcessHandle.current().pid());
        return s;
    }

    /** Samples the 1-minute load now (also called by the controller around every child JVM). */
    synchronized void sample() {
        double[] l = readLoad();
        if (l != null && !(l[0] <= maxLoad)) { // NaN maxLoad: first sample
            maxLoad = l[0];
        }
    }

    /** The start figures' warning ({@link Result#warning()}), or null when the machine was quiet. */
    synchronized String startWarning() {
        return new Result(startLoad, maxLoad, null, busy, otherCpu, cores).warning();
    }

    /** Stops sampling and returns the figures, the end's included. */
    Result stop() {
        sampler.shutdownNow();
        sample();
        double[] end = readLoad();
        synchronized (this) {
            return new Result(startLoad, maxLoad, end, busy, otherCpu, cores);
        }
    }

    // ---------------------------------------------------------------------------- parsing

    /** The 1, 5 and 15-minute load averages of a /proc/loadavg line ("0.52 0.58 0.59 2/345 12345"). */
    static double[] parseLoadavg(String line) {
        String[] f = line.strip().split("\\s+");
        if (f.length < 3) {
            throw new IllegalArgumentException("not a /proc/loadavg line: '" + line + "'");
        }
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    /**
     * One /proc/&lt;pid&gt;/stat line: "pid (comm) state ppid ... utime stime ...". comm may hold
     * spaces and parentheses, so the fields are counted from the last ')': utime and stime are
     * fields 14 and 15, i.e. the 12th and 13th after it.
     */
    static Proc parseStat(String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: '" + line + "'");
        }
        long pid = Long.parseLong(line.substring(0, open).strip());
        String name = line.substring(open + 1, close);
        String[] f = line.substring(close + 1).strip().split("\\s+");
        if (f.length < 13) {
            throw new IllegalArgumentException("short /proc/<pid>/stat line: '" + line + "'");
        }
        return new Proc(pid, name, Long.parseLong(f[11]) + Long.parseLong(f[12]));
    }

    /**
     * The processes that used the most CPU between two snapshots, in cores (1.0 = one core
     * for the whole window), busiest first: at most {@link #TOP}, none under {@link #LIST_CPU},
     * none in {@code exclude}. A process absent from {@code before} started in the window: all
     * its time counts.
     */
    static List<Busy> busiest(Map<Long, Proc> before, Map<Long, Proc> after, double seconds, Set<Long> exclude) {
        List<Busy> out = new ArrayList<>();
        for (Proc p : after.values()) {
            double c = cores(before, p, seconds);
            if (!exclude.contains(p.pid()) && c >= LIST_CPU) {
                out.add(new Busy(p.pid(), p.name(), c));
            }
        }
        out.sort(Comparator.comparingDouble(Busy::cores).reversed().thenComparingLong(Busy::pid));
        return out.size() > TOP ? out.subList(0, TOP) : out;
    }

    /** All processes' CPU between the snapshots, in cores, those in {@code exclude} left out. */
    static double totalCores(Map<Long, Proc> before, Map<Long, Proc> after, double seconds, Set<Long> exclude) {
        double sum = 0;
        for (Proc p : after.values()) {
            if (!exclude.contains(p.pid())) {
                sum += cores(before, p, seconds);
            }
        }
        return sum;
    }

    private static double cores(Map<Long, Proc> before, Proc p, double seconds) {
        Proc b = before.get(p.pid());
        long ticks = b == null || b.ticks() > p.ticks() ? p.ticks() : p.ticks() - b.ticks(); // a reused pid: all new
        return ticks / (double) TICKS_PER_SECOND / seconds;
    }

    /** Longest command line shown for a busy process. */
    static final int MAX_COMMAND = 100;

    /**
     * "comm: command line" (NULs as spaces), or comm alone without one. A command line longer
     * than {@link #MAX_COMMAND} keeps its first 30 characters and its end, where a JVM's main
     * class and arguments are: "java: /usr/lib/jvm/.../bin/java ... org.example.Main --flag".
     */
    static String describe(String comm, String cmdline) {
        String c = cmdline == null ? "" : cmdline.replace('\0', ' ').strip();
        if (c.isEmpty()) {
            return comm;
        }
        if (c.length() > MAX_COMMAND) {
            int head = 30;
            c = c.substring(0, head) + " ... " + c.substring(c.length() - (MAX_COMMAND - head - 5));
        }
        return comm + ": " + c;
    }

    private static String commandLine(long pid) {
        try {
            // bytes, decoded leniently: a command line need not be valid UTF-8
            return new String(Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    /** The load averages now, or null where there is no /proc/loadavg. */
    private static double[] readLoad() {
        try {
            return parseLoadavg(Files.readString(PROC.resolve("loadavg"), StandardCharsets.US_ASCII));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Every process's CPU time now; empty where there is no /proc. Processes that exit meanwhile are skipped. */
    private static Map<Long, Proc> snapshot() {
        Map<Long, Proc> m = new HashMap<>();
        if (!Files.isDirectory(PROC)) {
            return m;
        }
        try (Stream<Path> dirs = Files.list(PROC)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    Proc p = parseStat(Files.readString(d.resolve("stat"), StandardCharsets.UTF_8));
                    m.put(p.pid(), p);
                } catch (IOException | IllegalArgumentException e) {
                    // exited between the listing and the read, or unreadable
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return m;
        }
        return m;
    }

    // ---------------------------------------------------------------------------- report

    /** report.md's "Machine load" section. */
    static String markdown(Result r) {
        StringBuilder sb = new StringBuilder("## Machine load\n\n");
        String w = r.warning();
        if (w != null) {
            sb.append("**Warning: ").append(w).append(".**\n\n");
        }
        sb.append("- load average (1 / 5 / 15 min) at the start: ").append(loads(r.startLoad())).append('\n');
        sb.append("- highest 1-minute load during the run: ")
                .append(Double.isNaN(r.maxLoad()) ? "not available" : String.format(Locale.ROOT, "%.2f", r.maxLoad()))
                .append(String.format(Locale.ROOT, " (sampled every %d s and around every child JVM; it includes compare's own"
                        + " children, which keep up to %d core(s) busy)", SAMPLE_SECONDS, r.cores())).append('\n');
        sb.append("- load average at the end: ").append(loads(r.endLoad())).append('\n');
        sb.append(String.format(Locale.ROOT, "- other processes' CPU at the start (over %.0f s, compare excluded): %.2f cores",
                WINDOW_MS / 1000.0, r.otherCpu()));
        if (r.busy().isEmpty()) {
            sb.append("; none used ").append(Math.round(LIST_CPU * 100)).append("% of a core or more\n");
        } else {
            sb.append("; the busiest:\n");
            for (Busy b : r.busy()) {
                sb.append(String.format(Locale.ROOT, "  - `%s` (pid %d): %.0f%% of a core\n", Report.md(b.name()), b.pid(),
                        b.cores() * 100));
            }
        }
        return sb.append('\n').toString();
    }

    private static String loads(double[] l) {
        return l == null ? "not available" : String.format(Locale.ROOT, "%.2f / %.2f / %.2f", l[0], l[1], l[2]);
    }
}
