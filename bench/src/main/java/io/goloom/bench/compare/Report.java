package io.goloom.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/** The results table, as aligned text for the terminal and as Markdown, and the whole of report.md. */
final class Report {
    private Report() {
    }

    /**
     * How the comparison was run, for report.md's header.
     *
     * @param runs         runs per workload and system
     * @param quick        --quick
     * @param testSize     the internal --test-size (tiny counts)
     * @param childCommand the child JVM's command line with placeholders (W, S, P, FILE)
     * @param load         how busy the machine was before and during the run; null when not measured
     * @param goLines      header lines about the go column (its version and command, or why it is missing)
     */
    record Setup(int runs, boolean quick, boolean testSize, List<String> childCommand, MachineLoad.Result load,
                 List<String> goLines) {
        Setup {
            childCommand = List.copyOf(childCommand);
            goLines = List.copyOf(goLines);
        }
    }

    static final String RATIO_LEGEND = "goloom/vthreads (and goloom-vt/vthreads) = ratio of the medians; 'better'"
            + " names the system that wins and by how much, goloom's ratio deciding (goloom-vt's where goloom"
            + " itself does not run); ns/op, ms, bytes: lower is better; ops/s: higher is better.";

    /** Added to the legend when the go column is there. */
    static final String GO_LEGEND = "goloom/go = goloom's median / Go's (the go column: the workload's Go program,"
            + " GOMAXPROCS = procs), with its own verdict; 'better' still judges goloom against vthreads.";

    private static String legend(boolean go) {
        return go ? RATIO_LEGEND + " " + GO_LEGEND : RATIO_LEGEND;
    }

    /** What the verdict columns mean. */
    static final String NOISE_LEGEND = "verdict: 'win' or 'loss' (for goloom, or goloom-vt) only when the two"
            + " systems' per-run ranges (min–max) do not overlap, 'within noise' when they do (then 'better' says"
            + " 'within noise' too); p = two-sided Mann–Whitney U p-value over the runs (exact; with 5 runs"
            + " against 5 the smallest possible is 0.008, with 3 against 3 it is 0.1).";

    /** A number with about three significant digits, thousands separated. */
    static String fmt(double v) {
        double a = Math.abs(v);
        String f = a >= 100 ? "%,.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, v);
    }

    /** An extra figure: whole numbers (counts such as carriers) without decimals, others as {@link #fmt}. */
    static String fmtExtra(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.format(Locale.ROOT, "%,.0f", v) : fmt(v);
    }

    static String fmtRatio(double r) {
        return String.format(Locale.ROOT, r >= 10 ? "%.1f" : "%.2f", r);
    }

    /** The systems that appear in any outcome, in enum order. */
    static List<SystemKind> systems(List<Outcome> outcomes) {
        List<SystemKind> out = new ArrayList<>();
        for (SystemKind s : SystemKind.values()) {
            for (Outcome o : outcomes) {
                if (o.of(s) != null) {
                    out.add(s);
                    break;
                }
            }
        }
        if (out.isEmpty()) {
            out.addAll(List.of(SystemKind.GOLOOM, SystemKind.VTHREADS));
        }
        return out;
    }

    private static String cell(Series s) {
        if (s == null) {
            return "-";
        }
        return s.skipReason != null ? "skipped" : s.ok() ? fmt(s.median()) : "failed";
    }

    private static String ratioCell(double r) {
        return Double.isNaN(r) ? "-" : fmtRatio(r);
    }

    private static String verdictCell(Noise.Verdict v) {
        return v == null ? "-" : v.cell();
    }

    private static String latencyCell(Series s) {
        if (s == null || !s.ok() || s.merged() == null) {
            return "-";
        }
        Summary.Latency l = Summary.Latency.of(s.merged());
        return fmt(l.p50()) + " / " + fmt(l.p99()) + " / " + fmt(l.p999());
    }

    /** The terminal table: one line per workload, a latency line under latency workloads. */
    static String text(List<Outcome> outcomes) {
        List<SystemKind> systems = systems(outcomes);
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("workload", "metric", "procs"));
        for (SystemKind s : systems) {
            header.add(s.id());
        }
        boolean vt = systems.contains(SystemKind.GOLOOM_VT);
        header.add("goloom/vthreads");
        header.add("verdict");
        if (vt) {
            header.add("goloom-vt/vthreads");
            header.add("verdict");
        }
        boolean go = systems.contains(SystemKind.GO);
        if (go) {
            header.add("goloom/go");
            header.add("verdict");
        }
        header.add("better");
        rows.add(header.toArray(String[]::new));
        List<String> tails = new ArrayList<>(); // non-null: a skipped line, printed after the first cell
        tails.add(null);
        for (Outcome o : outcomes) {
            if (o.skipReason() != null) {
                rows.add(new String[] {o.workload().name()});
                tails.add("skipped: " + o.skipReason());
                continue;
            }
            List<String> r = new ArrayList<>(List.of(o.workload().name(), o.workload().metric().unit(),
                    Integer.toString(o.series().getFirst().procs)));
            for (SystemKind s : systems) {
                r.add(cell(o.of(s)));
            }
            r.add(ratioCell(o.ratio()));
            r.add(verdictCell(o.verdict()));
            if (vt) {
                r.add(ratioCell(o.vtRatio()));
                r.add(verdictCell(o.vtVerdict()));
            }
            if (go) {
                r.add(ratioCell(o.goRatio()));
                r.add(verdictCell(o.goVerdict()));
            }
            r.add(o.better());
            rows.add(r.toArray(String[]::new));
            tails.add(null);
            if (o.workload().recordsLatency()) {
                List<String> l = new ArrayList<>(List.of("  p50/p99/p99.9", "us", ""));
                for (SystemKind s : systems) {
                    l.add(latencyCell(o.of(s)));
                }
                rows.add(l.toArray(String[]::new));
                tails.add(null);
            }
            if (o.series().stream().anyMatch(x -> x.ok() && x.mergedSchedLatency() != null)) {
                List<String> l = new ArrayList<>(List.of("  sched latency p50/p99/p99.9", "us", ""));
                for (SystemKind s : systems) {
                    Series x = o.of(s);
                    Histogram h = x != null && x.ok() ? x.mergedSchedLatency() : null;
                    if (h == null) {
                        l.add("-");
                    } else {
                        Summary.Latency sl = Summary.Latency.of(h);
                        l.add(fmt(sl.p50()) + " / " + fmt(sl.p99()) + " / " + fmt(sl.p999()));
                    }
                }
                rows.add(l.toArray(String[]::new));
                tails.add(null);
            }
            for (String x : o.workload().extras()) { // e.g. http's server figures: medians
                List<String> l = new ArrayList<>(List.of("  " + x, "", ""));
                for (SystemKind s : systems) {
                    Series ser = o.of(s);
                    l.add(ser == null || !ser.ok() ? "-" : fmtExtra(ser.extraMedian(x)));
                }
                rows.add(l.toArray(String[]::new));
                tails.add(null);
            }
        }
        int cols = header.size();
        int[] w = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < rows.size(); k++) {
            String[] r = rows.get(k);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                boolean right = i >= 2 && i < cols - 1 && !header.get(i).equals("verdict"); // numbers right-aligned
                String c = r[i];
                String pad = " ".repeat(w[i] - c.length());
                line.append(right ? pad + c : c + pad).append(i < cols - 1 ? "  " : "");
            }
            if (tails.get(k) != null) {
                line.append(tails.get(k));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        sb.append(legend(go)).append('\n');
        sb.append(NOISE_LEGEND).append('\n');
        sb.append("Latency lines: p50 / p99 / p99.9 in microseconds, every run's histogram merged.\n");
        return sb.toString();
    }

    /** The Markdown tables of report.md: medians (with min-max of the runs), then latency percentiles. */
    static String markdown(List<Outcome> outcomes) {
        List<SystemKind> systems = systems(outcomes);
        StringBuilder sb = new StringBuilder();
        sb.append("| workload | metric | procs |");
        for (SystemKind s : systems) {
            sb.append(' ').append(s.id()).append(" |");
        }
        boolean vt = systems.contains(SystemKind.GOLOOM_VT);
        boolean go = systems.contains(SystemKind.GO);
        int ratios = 1 + (vt ? 1 : 0) + (go ? 1 : 0);
        sb.append(" goloom/vthreads | verdict |").append(vt ? " goloom-vt/vthreads | verdict |" : "")
                .append(go ? " goloom/go | verdict |" : "").append(" better |\n|---|---|---:|");
        sb.append("---:|".repeat(systems.size()));
        sb.append("---:|---|".repeat(ratios));
        sb.append("---|\n");
        for (Outcome o : outcomes) {
            if (o.skipReason() != null) {
                sb.append("| ").append(o.workload().name()).append(" | skipped: ").append(md(o.skipReason()))
                        .append(" |").append(" |".repeat(systems.size() + 2 * ratios + 2)).append('\n');
                continue;
            }
            sb.append("| ").append(o.workload().name()).append(" | ").append(o.workload().metric().unit())
                    .append(" | ").append(o.series().getFirst().procs).append(" |");
            for (SystemKind s : systems) {
                Series x = o.of(s);
                sb.append(' ');
                if (x == null) {
                    sb.append('-');
                } else if (x.skipReason != null) {
                    sb.append("skipped");
                } else if (!x.ok()) {
                    sb.append("failed");
                } else {
                    sb.append(fmt(x.median())).append(" (").append(fmt(x.min())).append("–").append(fmt(x.max())).append(')');
                }
                sb.append(" |");
            }
            sb.append(' ').append(ratioCell(o.ratio())).append(" | ").append(verdictCell(o.verdict())).append(" |");
            if (vt) {
                sb.append(' ').append(ratioCell(o.vtRatio())).append(" | ").append(verdictCell(o.vtVerdict()))
                        .append(" |");
            }
            if (go) {
                sb.append(' ').append(ratioCell(o.goRatio())).append(" | ").append(verdictCell(o.goVerdict()))
                        .append(" |");
            }
            sb.append(' ').append(o.better()).append(" |\n");
        }
        sb.append("\nMedians of the runs, (min–max) in parentheses. ").append(legend(go)).append(' ')
                .append(NOISE_LEGEND).append('\n');

        boolean anyLatency = false;
        StringBuilder lat = new StringBuilder();
        lat.append("\n### Latency (µs, all runs merged)\n\n| workload | system | count | p50 | p90 | p99 | p99.9 | max |\n")
                .append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Outcome o : outcomes) {
            for (Series s : o.series()) {
                if (!s.ok() || s.merged() == null) {
                    continue;
                }
                anyLatency = true;
                Summary.Latency l = Summary.Latency.of(s.merged());
                lat.append("| ").append(o.workload().name()).append(" | ").append(s.system.id()).append(" | ")
                        .append(String.format(Locale.ROOT, "%,d", s.merged().getTotalCount())).append(" | ")
                        .append(fmt(l.p50())).append(" | ").append(fmt(l.p90())).append(" | ")
                        .append(fmt(l.p99())).append(" | ").append(fmt(l.p999())).append(" | ")
                        .append(fmt(l.max())).append(" |\n");
            }
        }
        StringBuilder sched = new StringBuilder();
        for (Outcome o : outcomes) {
            for (Series s : o.series()) {
                Histogram h = s.ok() ? s.mergedSchedLatency() : null;
                if (h == null || h.getTotalCount() == 0) {
                    continue;
                }
                Summary.Latency l = Summary.Latency.of(h);
                sched.append("| ").append(o.workload().name()).append(" | ").append(s.system.id()).append(" | ")
                        .append(String.format(Locale.ROOT, "%,d", h.getTotalCount())).append(" | ")
                        .append(fmt(l.p50())).append(" | ").append(fmt(l.p90())).append(" | ")
                        .append(fmt(l.p99())).append(" | ").append(fmt(l.p999())).append(" | ")
                        .append(fmt(l.max())).append(" |\n");
            }
        }
        if (anyLatency) {
            sb.append(lat);
        }
        if (!sched.isEmpty()) {
            sb.append("\n### goloom's scheduling latency (µs, ready -> running, 1 in 8 readies sampled, all runs merged)\n\n")
                    .append("Go's `/sched/latencies:seconds` from `GoRuntime.processSchedLatency()` in each run's JVM; "
                            + "drawn beside the workload's latency in its percentile chart. Buckets are within 25%.\n\n")
                    .append("| workload | system | samples | p50 | p90 | p99 | p99.9 | max |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
                    .append(sched);
        }
        sb.append(extras(outcomes));
        return sb.toString();
    }

    /**
     * One table per workload with extra figures ({@link Workload#extras()}): each system's
     * median over the runs, (min–max) in parentheses. Empty when no workload has any.
     */
    static String extras(List<Outcome> outcomes) {
        StringBuilder sb = new StringBuilder();
        for (Outcome o : outcomes) {
            List<String> names = o.workload().extras();
            if (names.isEmpty() || o.series().stream().noneMatch(Series::ok)) {
                continue;
            }
            sb.append("\n### ").append(o.workload().name()).append(": ").append(o.workload().spec().extrasLegend())
                    .append("\n\n| system |");
            for (String n : names) {
                sb.append(' ').append(n).append(" |");
            }
            sb.append("\n|---|").append("---:|".repeat(names.size())).append('\n');
            for (Series s : o.series()) {
                if (!s.ok()) {
                    continue;
                }
                sb.append("| ").append(s.system.id()).append(" |");
                for (String n : names) {
                    double[] range = s.extraRange(n);
                    sb.append(' ').append(fmtExtra(s.extraMedian(n))).append(" (").append(fmtExtra(range[0])).append("–")
                            .append(fmtExtra(range[1])).append(") |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * The whole of report.md: how the comparison ran (date, command, machine, JDK, runs, the
     * child JVM's command line), the tables ({@link #markdown}), failures, skipped systems, the
     * charts, notes, what each workload measures and the files next to it.
     *
     * @param charts the chart files written next to it
     * @param notes  paragraphs appended after the charts (e.g. why a chart is missing)
     */
    static String reportMd(List<Outcome> outcomes, Summary summary, Setup setup, List<String> charts,
                           List<String> notes) {
        StringBuilder sb = new StringBuilder();
        sb.append("# goloom compare\n\n");
        sb.append("- date: ").append(summary.date()).append('\n');
        sb.append("- command: `").append(summary.command()).append("`\n");
        sb.append("- machine: ").append(summary.machine().cpus()).append(" cpus");
        String model = cpuModel();
        if (model != null) {
            sb.append(" (").append(model).append(')');
        }
        sb.append(", ").append(summary.machine().os()).append('\n');
        sb.append("- jdk: ").append(summary.machine().jdk()).append('\n');
        sb.append("- runs: ").append(setup.runs()).append(" per workload and system, alternating systems, a fresh JVM each")
                .append(setup.quick() ? "; **--quick: short runs, a smoke test rather than a result**" : "")
                .append(setup.testSize() ? "; **test sizes: the numbers mean nothing**" : "").append('\n');
        sb.append("- child JVM: `").append(String.join(" ", setup.childCommand())).append("`\n");
        for (String g : setup.goLines()) {
            sb.append("- ").append(g).append('\n');
        }
        sb.append('\n');
        if (setup.load() != null) {
            sb.append(MachineLoad.markdown(setup.load()));
        }
        sb.append("## Results\n\n").append(markdown(outcomes)).append('\n');
        boolean anyFailure = false;
        for (Outcome o : outcomes) {
            for (Series s : o.series()) {
                for (String f : s.failures) {
                    if (!anyFailure) {
                        sb.append("## Failures\n\n");
                        anyFailure = true;
                    }
                    sb.append("- ").append(o.workload().name()).append(" on ").append(s.system.id()).append(", ")
                            .append(f).append('\n');
                }
            }
        }
        if (anyFailure) {
            sb.append("\nThe stderr of each failed run is in `logs/<workload>-<system>-run<k>.log` when it printed anything.\n\n");
        }
        boolean anySkipped = false;
        for (Outcome o : outcomes) {
            for (Series s : o.series()) {
                if (s.skipReason != null) {
                    if (!anySkipped) {
                        sb.append("## Skipped systems\n\n");
                        anySkipped = true;
                    }
                    sb.append("- ").append(o.workload().name()).append(" on ").append(s.system.id()).append(": ")
                            .append(s.skipReason).append('\n');
                }
            }
        }
        if (anySkipped) {
            sb.append('\n');
        }
        if (!charts.isEmpty()) {
            sb.append("## Charts\n\n");
            for (String c : charts) {
                sb.append("![").append(c).append("](").append(c).append(")\n\n");
            }
        }
        for (String n : notes) {
            sb.append(n).append("\n\n");
        }
        sb.append("## Workloads\n\n");
        for (Outcome o : outcomes) {
            sb.append("- **").append(o.workload().name()).append("** (").append(o.workload().metric()).append("): ")
                    .append(o.workload().description());
            if (o.skipReason() != null) {
                sb.append(" *Skipped: ").append(o.skipReason()).append(".*");
            }
            sb.append('\n');
        }
        sb.append("\n## Files\n\n")
                .append("- `summary.json`: medians, min, max per workload and system; latency percentiles in µs\n")
                .append("- `<workload>-<system>.hgrm`: percentile distribution in µs, all runs merged "
                        + "(HdrHistogram format; plot with HdrHistogram's plotFiles.html)\n")
                .append("- `<workload>-<system>.hlog`: the raw histograms, one interval per run, in ns "
                        + "(HistogramLogWriter format)\n")
                .append("- `logs/`: stderr of child JVMs that printed anything\n");
        return sb.toString();
    }

    private static String cpuModel() {
        Path p = Paths.get("/proc/cpuinfo");
        if (!Files.isReadable(p)) {
            return null;
        }
        try (Stream<String> lines = Files.lines(p)) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse(null);
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }


    /** Text safe inside a Markdown table cell. */
    static String md(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
