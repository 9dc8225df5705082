package io.goloom.bench.compare;

import java.util.List;

/**
 * One workload's result: skipped (with the reason), or one {@link Series} per system it runs on.
 *
 * @param skipReason null unless the workload was skipped
 * @param series     in the workload's system order; empty when skipped
 */
record Outcome(Workload workload, String skipReason, List<Series> series) {

    static Outcome skipped(Workload w, String reason) {
        return new Outcome(w, reason, List.of());
    }

    /** The series of {@code s}, or null if the workload does not run on it. */
    Series of(SystemKind s) {
        for (Series x : series) {
            if (x.system == s) {
                return x;
            }
        }
        return null;
    }

    /** goloom median / vthreads median, or NaN unless both ran successfully. */
    double ratio() {
        return ratio(SystemKind.GOLOOM);
    }

    /** goloom-vt median / vthreads median (transparent mode vs stock), or NaN unless both ran successfully. */
    double vtRatio() {
        return ratio(SystemKind.GOLOOM_VT);
    }

    /** goloom median / Go median, or NaN unless both ran successfully. */
    double goRatio() {
        return ratio(SystemKind.GOLOOM, SystemKind.GO);
    }

    private double ratio(SystemKind system) {
        return ratio(system, SystemKind.VTHREADS);
    }

    private double ratio(SystemKind system, SystemKind base) {
        Series g = of(system);
        Series v = of(base);
        if (g == null || v == null || !g.ok() || !v.ok() || v.median() == 0) {
            return Double.NaN;
        }
        return g.median() / v.median();
    }

    /**
     * goloom's runs against vthreads' ({@link Noise#judge}): win or loss only when the per-run
     * ranges are disjoint, otherwise within noise, with the Mann–Whitney p-value; null unless
     * both ran successfully.
     */
    Noise.Verdict verdict() {
        return verdict(SystemKind.GOLOOM);
    }

    /** goloom-vt's runs against vthreads', as {@link #verdict()}. */
    Noise.Verdict vtVerdict() {
        return verdict(SystemKind.GOLOOM_VT);
    }

    /** goloom's runs against Go's, as {@link #verdict()}. */
    Noise.Verdict goVerdict() {
        return verdict(SystemKind.GOLOOM, SystemKind.GO);
    }

    private Noise.Verdict verdict(SystemKind system) {
        return verdict(system, SystemKind.VTHREADS);
    }

    private Noise.Verdict verdict(SystemKind system, SystemKind base) {
        Series g = of(system);
        Series v = of(base);
        if (g == null || v == null || !g.ok() || !v.ok()) {
            return null;
        }
        return Noise.judge(g.values, v.values, workload.metric().lowerIsBetter());
    }

    /** The system whose ratio decides {@link #better()}: goloom, or goloom-vt where goloom does not run (http). */
    private SystemKind judged() {
        return of(SystemKind.GOLOOM) == null ? SystemKind.GOLOOM_VT : SystemKind.GOLOOM;
    }

    /**
     * "goloom 3.1x", "vthreads 1.2x", "even" or "within noise": who is better by the ratio,
     * given the metric's direction, but only when the per-run ranges do not overlap
     * ({@link Noise}); "" without a ratio. A workload that does not run on goloom itself (http)
     * is judged by goloom-vt's ratio instead ("goloom-vt 1.2x").
     */
    String better() {
        SystemKind judged = judged();
        double r = ratio(judged);
        if (Double.isNaN(r) || r <= 0) {
            return "";
        }
        Noise.Verdict v = verdict(judged);
        if (v.kind() == Noise.Kind.NOISE) {
            return Noise.Kind.NOISE.label;
        }
        boolean goloomBetter = workload.metric().lowerIsBetter() ? r < 1 : r > 1;
        double factor = r < 1 ? 1 / r : r;
        if (Math.abs(factor - 1) < 0.005) {
            return "even";
        }
        return (goloomBetter ? judged.id() + " " : "vthreads ") + Report.fmtRatio(factor) + "x";
    }
}
