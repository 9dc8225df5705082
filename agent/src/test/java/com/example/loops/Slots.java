package com.example.loops;

/**
 * Wide-slot code: 70 longs and 70 doubles take 280 local slots, so the loop counter and its
 * iinc need the wide forms, and every frame is long/double-heavy. Also monitors held across
 * loops, and loops in interface, enum and record code. (The wide method is generated; keep it
 * that way rather than editing it by hand.)
 */
public final class Slots {
    private Slots() {
    }

    public static Object runWideLocals() {
        long l0 = 1L;
        long l1 = 2L;
        long l2 = 3L;
        long l3 = 4L;
        long l4 = 5L;
        long l5 = 6L;
        long l6 = 7L;
        long l7 = 8L;
        long l8 = 9L;
        long l9 = 10L;
        long l10 = 11L;
        long l11 = 12L;
        long l12 = 13L;
        long l13 = 14L;
        long l14 = 15L;
        long l15 = 16L;
        long l16 = 17L;
        long l17 = 18L;
        long l18 = 19L;
        long l19 = 20L;
        long l20 = 21L;
        long l21 = 22L;
        long l22 = 23L;
        long l23 = 24L;
        long l24 = 25L;
        long l25 = 26L;
        long l26 = 27L;
        long l27 = 28L;
        long l28 = 29L;
        long l29 = 30L;
        long l30 = 31L;
        long l31 = 32L;
        long l32 = 33L;
        long l33 = 34L;
        long l34 = 35L;
        long l35 = 36L;
        long l36 = 37L;
        long l37 = 38L;
        long l38 = 39L;
        long l39 = 40L;
        long l40 = 41L;
        long l41 = 42L;
        long l42 = 43L;
        long l43 = 44L;
        long l44 = 45L;
        long l45 = 46L;
        long l46 = 47L;
        long l47 = 48L;
        long l48 = 49L;
        long l49 = 50L;
        long l50 = 51L;
        long l51 = 52L;
        long l52 = 53L;
        long l53 = 54L;
        long l54 = 55L;
        long l55 = 56L;
        long l56 = 57L;
        long l57 = 58L;
        long l58 = 59L;
        long l59 = 60L;
        long l60 = 61L;
        long l61 = 62L;
        long l62 = 63L;
        long l63 = 64L;
        long l64 = 65L;
        long l65 = 66L;
        long l66 = 67L;
        long l67 = 68L;
        long l68 = 69L;
        long l69 = 70L;
        double d0 = 0.25;
        double d1 = 1.25;
        double d2 = 2.25;
        double d3 = 3.25;
        double d4 = 4.25;
        double d5 = 5.25;
        double d6 = 6.25;
        double d7 = 7.25;
        double d8 = 8.25;
        double d9 = 9.25;
        double d10 = 10.25;
        double d11 = 11.25;
        double d12 = 12.25;
        double d13 = 13.25;
        double d14 = 14.25;
        double d15 = 15.25;
        double d16 = 16.25;
        double d17 = 17.25;
        double d18 = 18.25;
        double d19 = 19.25;
        double d20 = 20.25;
        double d21 = 21.25;
        double d22 = 22.25;
        double d23 = 23.25;
        double d24 = 24.25;
        double d25 = 25.25;
        double d26 = 26.25;
        double d27 = 27.25;
        double d28 = 28.25;
        double d29 = 29.25;
        double d30 = 30.25;
        double d31 = 31.25;
        double d32 = 32.25;
        double d33 = 33.25;
        double d34 = 34.25;
        double d35 = 35.25;
        double d36 = 36.25;
        double d37 = 37.25;
        double d38 = 38.25;
        double d39 = 39.25;
        double d40 = 40.25;
        double d41 = 41.25;
        double d42 = 42.25;
        double d43 = 43.25;
        double d44 = 44.25;
        double d45 = 45.25;
        double d46 = 46.25;
        double d47 = 47.25;
        double d48 = 48.25;
        double d49 = 49.25;
        double d50 = 50.25;
        double d51 = 51.25;
        double d52 = 52.25;
        double d53 = 53.25;
        double d54 = 54.25;
        double d55 = 55.25;
        double d56 = 56.25;
        double d57 = 57.25;
        double d58 = 58.25;
        double d59 = 59.25;
        double d60 = 60.25;
        double d61 = 61.25;
        double d62 = 62.25;
        double d63 = 63.25;
        double d64 = 64.25;
        double d65 = 65.25;
        double d66 = 66.25;
        double d67 = 67.25;
        double d68 = 68.25;
        double d69 = 69.25;
        for (int i = 0; i < 20; i++) {
            l0 = l0 * 31 + l1 + i;
            d0 = d0 * 0.5 + l0 % 7;
            l1 = l1 * 31 + l2 + i;
            d1 = d1 * 0.5 + l1 % 7;
            l2 = l2 * 31 + l3 + i;
            d2 = d2 * 0.5 + l2 % 7;
            l3 = l3 * 31 + l4 + i;
            d3 = d3 * 0.5 + l3 % 7;
            l4 = l4 * 31 + l5 + i;
            d4 = d4 * 0.5 + l4 % 7;
            l5 = l5 * 31 + l6 + i;
            d5 = d5 * 0.5 + l5 % 7;
            l6 = l6 * 31 + l7 + i;
            d6 = d6 * 0.5 + l6 % 7;
            l7 = l7 * 31 + l8 + i;
            d7 = d7 * 0.5 + l7 % 7;
            l8 = l8 * 31 + l9 + i;
            d8 = d8 * 0.5 + l8 % 7;
            l9 = l9 * 31 + l10 + i;
            d9 = d9 * 0.5 + l9 % 7;
            l10 = l10 * 31 + l11 + i;
            d10 = d10 * 0.5 + l10 % 7;
            l11 = l11 * 31 + l12 + i;
            d11 = d11 * 0.5 + l11 % 7;
            l12 = l12 * 31 + l13 + i;
            d12 = d12 * 0.5 + l12 % 7;
            l13 = l13 * 31 + l14 + i;
            d13 = d13 * 0.5 + l13 % 7;
            l14 = l14 * 31 + l15 + i;
            d14 = d14 * 0.5 + l14 % 7;
            l15 = l15 * 31 + l16 + i;
            d15 = d15 * 0.5 + l15 % 7;
            l16 = l16 * 31 + l17 + i;
            d16 = d16 * 0.5 + l16 % 7;
            l17 = l17 * 31 + l18 + i;
            d17 = d17 * 0.5 + l17 % 7;
            l18 = l18 * 31 + l19 + i;
            d18 = d18 * 0.5 + l18 % 7;
            l19 = l19 * 31 + l20 + i;
            d19 = d19 * 0.5 + l19 % 7;
            l20 = l20 * 31 + l21 + i;
            d20 = d20 * 0.5 + l20 % 7;
            l21 = l21 * 31 + l22 + i;
            d21 = d21 * 0.5 + l21 % 7;
            l22 = l22 * 31 + l23 + i;
            d22 = d22 * 0.5 + l22 % 7;
            l23 = l23 * 31 + l24 + i;
            d23 = d23 * 0.5 + l23 % 7;
            l24 = l24 * 31 + l25 + i;
            d24 = d24 * 0.5 + l24 % 7;
            l25 = l25 * 31 + l26 + i;
            d25 = d25 * 0.5 + l25 % 7;
            l26 = l26 * 31 + l27 + i;
            d26 = d26 * 0.5 + l26 % 7;
            l27 = l27 * 31 + l28 + i;
            d27 = d27 * 0.5 + l27 % 7;
            l28 = l28 * 31 + l29 + i;
            d28 = d28 * 0.5 + l28 % 7;
            l29 = l29 * 31 + l30 + i;
            d29 = d29 * 0.5 + l29 % 7;
            l30 = l30 * 31 + l31 + i;
            d30 = d30 * 0.5 + l30 % 7;
            l31 = l31 * 31 + l32 + i;
            d31 = d31 * 0.5 + l31 % 7;
            l32 = l32 * 31 + l33 + i;
            d32 = d32 * 0.5 + l32 % 7;
            l33 = l33 * 31 + l34 + i;
            d33 = d33 * 0.5 + l33 % 7;
            l34 = l34 * 31 + l35 + i;
            d34 = d34 * 0.5 + l34 % 7;
            l35 = l35 * 31 + l36 + i;
            d35 = d35 * 0.5 + l35 % 7;
            l36 = l36 * 31 + l37 + i;
            d36 = d36 * 0.5 + l36 % 7;
            l37 = l37 * 31 + l38 + i;
            d37 = d37 * 0.5 + l37 % 7;
            l38 = l38 * 31 + l39 + i;
            d38 = d38 * 0.5 + l38 % 7;
            l39 = l39 * 31 + l40 + i;
            d39 = d39 * 0.5 + l39 % 7;
            l40 = l40 * 31 + l41 + i;
            d40 = d40 * 0.5 + l40 % 7;
            l41 = l41 * 31 + l42 + i;
            d41 = d41 * 0.5 + l41 % 7;
            l42 = l42 * 31 + l43 + i;
            d42 = d42 * 0.5 + l42 % 7;
            l43 = l43 * 31 + l44 + i;
            d43 = d43 * 0.5 + l43 % 7;
            l44 = l44 * 31 + l45 + i;
            d44 = d44 * 0.5 + l44 % 7;
            l45 = l45 * 31 + l46 + i;
            d45 = d45 * 0.5 + l45 % 7;
            l46 = l46 * 31 + l47 + i;
            d46 = d46 * 0.5 + l46 % 7;
            l47 = l47 * 31 + l48 + i;
            d47 = d47 * 0.5 + l47 % 7;
            l48 = l48 * 31 + l49 + i;
            d48 = d48 * 0.5 + l48 % 7;
            l49 = l49 * 31 + l50 + i;
            d49 = d49 * 0.5 + l49 % 7;
            l50 = l50 * 31 + l51 + i;
            d50 = d50 * 0.5 + l50 % 7;
            l51 = l51 * 31 + l52 + i;
            d51 = d51 * 0.5 + l51 % 7;
            l52 = l52 * 31 + l53 + i;
            d52 = d52 * 0.5 + l52 % 7;
            l53 = l53 * 31 + l54 + i;
            d53 = d53 * 0.5 + l53 % 7;
            l54 = l54 * 31 + l55 + i;
            d54 = d54 * 0.5 + l54 % 7;
            l55 = l55 * 31 + l56 + i;
            d55 = d55 * 0.5 + l55 % 7;
            l56 = l56 * 31 + l57 + i;
            d56 = d56 * 0.5 + l56 % 7;
            l57 = l57 * 31 + l58 + i;
            d57 = d57 * 0.5 + l57 % 7;
            l58 = l58 * 31 + l59 + i;
            d58 = d58 * 0.5 + l58 % 7;
            l59 = l59 * 31 + l60 + i;
            d59 = d59 * 0.5 + l59 % 7;
            l60 = l60 * 31 + l61 + i;
            d60 = d60 * 0.5 + l60 % 7;
            l61 = l61 * 31 + l62 + i;
            d61 = d61 * 0.5 + l61 % 7;
            l62 = l62 * 31 + l63 + i;
            d62 = d62 * 0.5 + l62 % 7;
            l63 = l63 * 31 + l64 + i;
            d63 = d63 * 0.5 + l63 % 7;
            l64 = l64 * 31 + l65 + i;
            d64 = d64 * 0.5 + l64 % 7;
            l65 = l65 * 31 + l66 + i;
            d65 = d65 * 0.5 + l65 % 7;
            l66 = l66 * 31 + l67 + i;
            d66 = d66 * 0.5 + l66 % 7;
            l67 = l67 * 31 + l68 + i;
            d67 = d67 * 0.5 + l67 % 7;
            l68 = l68 * 31 + l69 + i;
            d68 = d68 * 0.5 + l68 % 7;
            l69 = l69 * 31 + l0 + i;
            d69 = d69 * 0.5 + l69 % 7;
        }
        long xl = l0 ^ l1 ^ l2 ^ l3 ^ l4 ^ l5 ^ l6 ^ l7 ^ l8 ^ l9 ^ l10 ^ l11 ^ l12 ^ l13 ^ l14 ^ l15 ^ l16 ^ l17 ^ l18 ^ l19 ^ l20 ^ l21 ^ l22 ^ l23 ^ l24 ^ l25 ^ l26 ^ l27 ^ l28 ^ l29 ^ l30 ^ l31 ^ l32 ^ l33 ^ l34 ^ l35 ^ l36 ^ l37 ^ l38 ^ l39 ^ l40 ^ l41 ^ l42 ^ l43 ^ l44 ^ l45 ^ l46 ^ l47 ^ l48 ^ l49 ^ l50 ^ l51 ^ l52 ^ l53 ^ l54 ^ l55 ^ l56 ^ l57 ^ l58 ^ l59 ^ l60 ^ l61 ^ l62 ^ l63 ^ l64 ^ l65 ^ l66 ^ l67 ^ l68 ^ l69;
        double sd = d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11 + d12 + d13 + d14 + d15 + d16 + d17 + d18 + d19 + d20 + d21 + d22 + d23 + d24 + d25 + d26 + d27 + d28 + d29 + d30 + d31 + d32 + d33 + d34 + d35 + d36 + d37 + d38 + d39 + d40 + d41 + d42 + d43 + d44 + d45 + d46 + d47 + d48 + d49 + d50 + d51 + d52 + d53 + d54 + d55 + d56 + d57 + d58 + d59 + d60 + d61 + d62 + d63 + d64 + d65 + d66 + d67 + d68 + d69;
        return xl + "/" + sd;
    }

    public static Object runLongDoubleLoop() {
        long a = 1;
        double b = 1.0;
        long c = 7;
        double e = 0.25;
        for (long i = 0; i < 40L; i++) {
            a = a * 6364136223846793005L + 1442695040888963407L;
            b = b * 1.0001 + (a >>> 60);
            for (double f = 0; f < 2.5; f += 0.5) {
                c ^= (long) (f * 8) + i;
                e += f / (i + 1);
            }
        }
        return a + "/" + b + "/" + c + "/" + e;
    }

    private static final Object LOCK = new Object();
    private static int guarded;

    public static Object runLoopUnderMonitor() {
        synchronized (LOCK) {
            for (int i = 0; i < 25; i++) {
                guarded += i;
            }
        }
        return syncMethod(10) + guarded;
    }

    private static synchronized int syncMethod(int n) {
        int r = 0;
        while (n > 0) {
            r += n--;
        }
        return r;
    }

    public static Object runMonitorExceptionInLoop() {
        Object lock = new Object();
        synchronized (lock) {
            for (int i = 10; ; i--) {
                guarded += 100 / i;
            }
        }
    }

    interface Summer {
        int[] values();

        default int sum() {
            int s = 0;
            for (int v : values()) {
                s += v;
            }
            return s;
        }

        static int sumOf(int... vs) {
            int s = 0;
            int i = 0;
            while (i < vs.length) {
                s += vs[i++];
            }
            return s;
        }
    }

    enum Planet {
        MERCURY(1), VENUS(2), EARTH(3);

        final int order;

        Planet(int order) {
            this.order = order;
        }

        static int weight() {
            int w = 0;
            for (Planet p : values()) {
                w = w * 10 + p.order;
            }
            return w;
        }
    }

    record Range(int lo, int hi) {
        Range {
            int span = 0;
            for (int i = lo; i < hi; i++) {
                span++;
            }
            if (span > 1000) {
                throw new IllegalArgumentException("too wide");
            }
        }
    }

    public static Object runInterfaceEnumRecord() {
        Summer s = () -> new int[] {3, 4, 5};
        return s.sum() + "/" + Summer.sumOf(1, 2, 3) + "/" + Planet.weight() + "/" + new Range(3, 9);
    }
}
