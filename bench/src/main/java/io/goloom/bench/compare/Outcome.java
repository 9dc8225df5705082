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
     * "goloom 3.1x", "vthreads 1.2x" or "even": who is better by the ratio, given the metric's
     * direction; "" without a ratio. A workload that does not run on goloom itself (http) is
     * judged by goloom-vt's ratio instead ("goloom-vt 1.2x").
     */
    String better() {
        String name = "goloom ";
        double r = ratio();
        if (of(SystemKind.GOLOOM) == null) {
            name = "goloom-vt ";
            r = vtRatio();
        }
        if (Double.isNaN(r) || r <= 0) {
            return "";
        }
        boolean goloomBetter = workload.metric().lowerIsBetter() ? r < 1 : r > 1;
        double factor = r < 1 ? 1 / r : r;
        if (Math.abs(factor - 1) < 0.005) {
            return "even";
        }
        return (goloomBetter ? name : "vthreads ") + Report.fmtRatio(factor) + "x";
    }
}
