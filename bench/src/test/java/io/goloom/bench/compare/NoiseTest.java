package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The noise verdict and the Mann–Whitney p-values against cases worked by hand: the exact
 * permutation distribution of U (or of the rank sum R = U + n(n+1)/2) counted over every split.
 */
class NoiseTest {

    private static double p(double[] a, double[] b) {
        return Noise.mannWhitneyP(a, b);
    }

    @Test
    void disjointFiveAgainstFiveIsTheSmallestPossibleP() {
        // Only the two extreme splits (all of a below all of b, or above) have |U - 12.5| >= 12.5:
        // 2 of C(10,5) = 252.
        double[] a = {1, 2, 3, 4, 5};
        double[] b = {6, 7, 8, 9, 10};
        assertEquals(0, Noise.u(a, b));
        assertEquals(2.0 / 252, p(a, b), 1e-12);
        assertEquals(2.0 / 252, p(b, a), 1e-12);
        assertEquals("0.008", Noise.fmtP(p(a, b)));
        assertFalse(Noise.overlap(a, b));
        Noise.Verdict lowerWins = Noise.judge(List.of(1.0, 2.0, 3.0, 4.0, 5.0), List.of(6.0, 7.0, 8.0, 9.0, 10.0), true);
        assertEquals(Noise.Kind.WIN, lowerWins.kind());
        assertEquals("win, p=0.008", lowerWins.cell());
        Noise.Verdict higherWins = Noise.judge(List.of(1.0, 2.0, 3.0, 4.0, 5.0), List.of(6.0, 7.0, 8.0, 9.0, 10.0), false);
        assertEquals(Noise.Kind.LOSS, higherWins.kind());
    }

    @Test
    void disjointThreeAgainstThreeIsAWinButOnlyPointOne() {
        // 2 of C(6,3) = 20 splits are as extreme.
        Noise.Verdict v = Noise.judge(List.of(10.0, 11.0, 12.0), List.of(1.0, 2.0, 3.0), false);
        assertEquals(Noise.Kind.WIN, v.kind());
        assertEquals(0.1, v.p(), 1e-12);
    }

    @Test
    void overlappingRangesAreWithinNoise() {
        // a = {1,2,3}, b = {2.5,4,5}: U_a = 1 (only 3 > 2.5); mean 4.5, distance 3.5. Without ties the
        // null counts of U = 0..9 over the 20 splits are 1,1,2,3,3,3,3,2,1,1, so
        // P(U <= 1 or U >= 8) = (1+1+1+1)/20 = 0.2.
        double[] a = {1, 2, 3};
        double[] b = {2.5, 4, 5};
        assertEquals(1, Noise.u(a, b));
        assertEquals(0.2, p(a, b), 1e-12);
        assertTrue(Noise.overlap(a, b));
        Noise.Verdict v = Noise.judge(List.of(1.0, 2.0, 3.0), List.of(2.5, 4.0, 5.0), true);
        assertEquals(Noise.Kind.NOISE, v.kind());
        assertEquals("within noise, p=0.20", v.cell());
    }

    @Test
    void rangesThatTouchAtOnePointOverlap() {
        assertTrue(Noise.overlap(new double[] {1, 2, 3}, new double[] {3, 4, 5}));
        assertEquals(Noise.Kind.NOISE, Noise.judge(List.of(1.0, 2.0, 3.0), List.of(3.0, 4.0, 5.0), true).kind());
    }

    @Test
    void tiesShareTheirMidRank() {
        // a = {1,2,2}, b = {2,3,4}. Pooled mid-ranks: 1 -> 1, the three 2s -> 3, 3 -> 5, 4 -> 6.
        // R_a = 1+3+3 = 7, U_a = 7 - 6 = 1 (each 2 of a ties the 2 of b: 1/2 + 1/2). Mean U 4.5,
        // distance 3.5: extreme when R <= 7 or R >= 14. Splits of {1,3,3,3,5,6} into three:
        // {1,3,3} x3 (R 7), {1,3,5} x3 (9), {1,3,6} x3 (10), {1,5,6} x1 (12), {3,3,3} x1 (9),
        // {3,3,5} x3 (11), {3,3,6} x3 (12), {3,5,6} x3 (14): 20 in all, 6 extreme, p = 0.3.
        double[] a = {1, 2, 2};
        double[] b = {2, 3, 4};
        assertEquals(1, Noise.u(a, b));
        assertEquals(0.3, p(a, b), 1e-12);
        assertEquals(0.3, p(b, a), 1e-12);
    }

    @Test
    void allEqualIsPOne() {
        double[] a = {5, 5, 5};
        assertEquals(1.0, p(a, a.clone()), 1e-12);
        assertEquals(Noise.Kind.NOISE, Noise.judge(List.of(5.0, 5.0, 5.0), List.of(5.0, 5.0, 5.0), true).kind());
        assertEquals("1", Noise.fmtP(1.0));
    }

    @Test
    void oneRunEachCanBeDisjointButPIsOne() {
        Noise.Verdict v = Noise.judge(List.of(100.0), List.of(200.0), true);
        assertEquals(Noise.Kind.WIN, v.kind());
        assertEquals(1.0, v.p(), 1e-12);
    }

    @Test
    void largeSamplesUseTheNormalApproximation() {
        // 15 against 15, disjoint: U = 0, mean 112.5, sd sqrt(15*15*31/12) = 24.11;
        // z = (112.5 - 0.5) / 24.11 = 4.645, two-sided p = 3.4e-6.
        double[] a = new double[15];
        double[] b = new double[15];
        for (int i = 0; i < 15; i++) {
            a[i] = i;
            b[i] = 100 + i;
        }
        assertEquals(3.39e-6, p(a, b), 0.2e-6);
        assertEquals("<0.001", Noise.fmtP(p(a, b)));
        // the same with ties everywhere: every value of each side equal (tie correction); still extreme
        double[] c = new double[15];
        double[] d = new double[15];
        java.util.Arrays.fill(c, 1);
        java.util.Arrays.fill(d, 2);
        assertTrue(p(c, d) < 1e-6, "p " + p(c, d));
        assertEquals(1.0, p(c, c.clone()), 1e-12);
    }

    @Test
    void anEmptySideIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> p(new double[0], new double[] {1}));
    }
}
