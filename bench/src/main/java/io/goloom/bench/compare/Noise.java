package io.goloom.bench.compare;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Whether the difference between two systems' runs is more than noise.
 *
 * <p>The verdict is deliberately simple and conservative: a ratio is a <b>win</b> or a
 * <b>loss</b> only when the two systems' per-run ranges [min, max] do not overlap, i.e. every
 * run of one beat every run of the other; otherwise it is <b>within noise</b>, whatever the
 * medians say. Next to it the report gives the two-sided Mann–Whitney U p-value over the runs
 * (the probability, were both systems the same, of a rank separation at least this large), so
 * a reader can weigh "disjoint over 3 runs" (p = 0.1 at best) against "disjoint over 5"
 * (p = 2/252 = 0.008).
 *
 * <p>The p-value is exact for small samples (up to {@link #EXACT_MAX} runs in all): the
 * permutation distribution of U over every way of splitting the pooled runs into two groups of
 * the observed sizes, with tied values sharing their mid-rank, so ties are handled exactly
 * (the conditional test). Beyond that, the normal approximation with tie and continuity
 * corrections.
 */
final class Noise {
    private Noise() {
    }

    /** Largest pooled sample size (n + m) whose p-value is computed exactly: C(24, 12) = 2.7 million splits. */
    static final int EXACT_MAX = 24;

    /** What a ratio means once noise is accounted for. */
    enum Kind {
        /** The first system's runs all beat the second's (by the metric's direction). */
        WIN("win"),
        /** The second system's runs all beat the first's. */
        LOSS("loss"),
        /** The per-run ranges overlap. */
        NOISE("within noise");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * The verdict on system A against system B.
     *
     * @param kind win/loss (ranges disjoint) or within noise (ranges overlap)
     * @param p    two-sided Mann–Whitney U p-value over the runs
     */
    record Verdict(Kind kind, double p) {
        /** "win, p=0.008", "within noise, p=0.42". */
        String cell() {
            return kind.label + ", p=" + fmtP(p);
        }
    }

    /**
     * Judges the runs {@code a} of one system against the runs {@code b} of the other.
     *
     * @param lowerIsBetter the metric's direction
     */
    static Verdict judge(List<Double> a, List<Double> b, boolean lowerIsBetter) {
        double[] x = toArray(a);
        double[] y = toArray(b);
        double p = mannWhitneyP(x, y);
        if (overlap(x, y)) {
            return new Verdict(Kind.NOISE, p);
        }
        boolean aLower = max(x) < min(y);
        return new Verdict(aLower == lowerIsBetter ? Kind.WIN : Kind.LOSS, p);
    }

    /** Whether [min a, max a] and [min b, max b] share a point. */
    static boolean overlap(double[] a, double[] b) {
        return Math.max(min(a), min(b)) <= Math.min(max(a), max(b));
    }

    /** The Mann–Whitney U statistic of {@code a}: pairs (a_i, b_j) with a_i > b_j, ties counting 1/2. */
    static double u(double[] a, double[] b) {
        double u = 0;
        for (double x : a) {
            for (double y : b) {
                u += x > y ? 1 : x == y ? 0.5 : 0;
            }
        }
        return u;
    }

    /** Two-sided p-value of the Mann–Whitney U test; exact up to {@link #EXACT_MAX} values in all. */
    static double mannWhitneyP(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new IllegalArgumentException("Mann-Whitney needs a run on each side (got " + a.length + " and "
                    + b.length + ")");
        }
        return a.length + b.length <= EXACT_MAX ? exactP(a, b) : normalP(a, b);
    }

    /**
     * Pools the values, gives each its mid-rank (doubled, to stay in integers), and counts the
     * splits into |a| and |b| values whose rank sum for the a side is at least as far from its
     * mean as the observed one. U_a = R_a - n(n+1)/2, so a distance on R is the same on U.
     */
    private static double exactP(double[] a, double[] b) {
        int n = a.length;
        int total = n + b.length;
        long[] rank2 = doubledMidRanks(a, b); // first n: a's, then b's
        long observed = 0;
        long all = 0;
        for (int i = 0; i < total; i++) {
            all += rank2[i];
            if (i < n) {
                observed += rank2[i];
            }
        }
        // mean of R_a (doubled) = n * (N + 1); compare 2 * |R2 - mean2| to avoid halves.
        long mean2 = (long) n * (total + 1);
        long dist = Math.abs(observed - mean2);
        long[] counts = new long[2]; // [extreme, all]
        enumerate(rank2, 0, n, 0, mean2, dist, counts);
        return Math.min(1.0, (double) counts[0] / counts[1]);
    }

    private static void enumerate(long[] r, int from, int left, long sum, long mean2, long dist, long[] counts) {
        if (left == 0) {
            counts[1]++;
            if (Math.abs(sum - mean2) >= dist) {
                counts[0]++;
            }
            return;
        }
        for (int i = from; i <= r.length - left; i++) {
            enumerate(r, i + 1, left - 1, sum + r[i], mean2, dist, counts);
        }
    }

    /** Twice the mid-rank (1-based) of every value of a then b in the pooled sample. */
    private static long[] doubledMidRanks(double[] a, double[] b) {
        int total = a.length + b.length;
        double[] v = new double[total];
        System.arraycopy(a, 0, v, 0, a.length);
        System.arraycopy(b, 0, v, a.length, b.length);
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (i, j) -> Double.compare(v[i], v[j]));
        long[] rank2 = new long[total];
        for (int i = 0; i < total; ) {
            int j = i;
            while (j + 1 < total && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            long mid2 = (i + 1) + (j + 1); // ranks i+1 .. j+1 share their mean, doubled
            for (int k = i; k <= j; k++) {
                rank2[order[k]] = mid2;
            }
            i = j + 1;
        }
        return rank2;
    }

    /** Normal approximation, tie-corrected variance, continuity correction 1/2. */
    private static double normalP(double[] a, double[] b) {
        double n = a.length;
        double m = b.length;
        double total = n + m;
        long[] rank2 = doubledMidRanks(a, b);
        // tie correction: sum over tie groups of (t^3 - t)
        long[] sorted = rank2.clone();
        Arrays.sort(sorted);
        double ties = 0;
        for (int i = 0; i < sorted.length; ) {
            int j = i;
            while (j < sorted.length && sorted[j] == sorted[i]) {
                j++;
            }
            double t = j - i;
            ties += t * t * t - t;
            i = j;
        }
        double var = n * m / 12 * ((total + 1) - ties / (total * (total - 1)));
        if (var <= 0) {
            return 1.0; // every value equal
        }
        double d = Math.abs(u(a, b) - n * m / 2) - 0.5;
        if (d <= 0) {
            return 1.0;
        }
        return Math.min(1.0, 2 * upperTail(d / Math.sqrt(var)));
    }

    /** P(Z > z) for a standard normal Z (Abramowitz and Stegun 7.1.26 on erfc; error below 1.5e-7). */
    static double upperTail(double z) {
        double x = z / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        return 0.5 * poly * Math.exp(-x * x);
    }

    /** A p-value as the report prints it: 0.008, 0.42, 1, "<0.001". */
    static String fmtP(double p) {
        if (p < 0.001) {
            return "<0.001";
        }
        if (p >= 0.9995) {
            return "1";
        }
        return String.format(Locale.ROOT, p < 0.01 ? "%.3f" : "%.2f", p);
    }

    private static double[] toArray(List<Double> l) {
        double[] d = new double[l.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = l.get(i);
        }
        return d;
    }

    private static double min(double[] d) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : d) {
            m = Math.min(m, x);
        }
        return m;
    }

    private static double max(double[] d) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : d) {
            m = Math.max(m, x);
        }
        return m;
    }
}
