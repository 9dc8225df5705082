package com.example.loops;

import java.io.StringReader;
import java.io.BufferedReader;
import java.io.IOException;

/** Loops inside and around try/catch/finally, and exceptions thrown from loops. */
public final class Exceptions {
    private Exceptions() {
    }

    public static Object runTryCatchInside() {
        int[] divisors = {3, 0, 5, 0, 7};
        int ok = 0;
        int failed = 0;
        for (int d : divisors) {
            try {
                ok += 100 / d;
            } catch (ArithmeticException e) {
                failed++;
            }
        }
        return ok + "/" + failed;
    }

    public static Object runTryFinallyAround() {
        StringBuilder log = new StringBuilder();
        try {
            for (int i = 0; i < 5; i++) {
                log.append(i);
            }
        } finally {
            for (int i = 5; i > 0; i--) {
                log.append('-');
            }
        }
        return log.toString();
    }

    public static Object runTryFinallyInside() {
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            try {
                if (i % 2 == 0) {
                    continue;
                }
                if (i == 5) {
                    break;
                }
                log.append('b').append(i);
            } finally {
                log.append('f').append(i);
            }
        }
        return log.toString();
    }

    public static Object runLoopInCatch() {
        try {
            Object o = "text";
            return ((Integer) o) + 1;
        } catch (ClassCastException e) {
            int vowels = 0;
            String m = String.valueOf(e.getMessage());
            for (int i = 0; i < m.length(); i++) {
                if ("aeiou".indexOf(m.charAt(i)) >= 0) {
                    vowels++;
                }
            }
            return vowels;
        }
    }

    public static Object runTryWithResourcesInLoop() throws IOException {
        int lines = 0;
        for (int round = 0; round < 3; round++) {
            try (BufferedReader r = new BufferedReader(new StringReader("a\nb\nc\n"))) {
                while (r.readLine() != null) {
                    lines++;
                }
            }
        }
        return lines;
    }

    public static Object runThrowFromNestedLoop() {
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                if (i * j == 42) {
                    throw new IllegalStateException("boom at i=" + i + " j=" + j);
                }
            }
        }
        return "unreachable";
    }

    public static Object runDivideByZeroInLoop() {
        int acc = 0;
        for (int i = 5; i >= -1; i--) {
            acc += 60 / i;
        }
        return acc;
    }

    public static Object runHelpfulNpeInLoop() {
        String[] words = {"one", "two", null, "four"};
        int total = 0;
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            total += w.length();
        }
        return total;
    }

    public static Object runArrayIndexInWhile() {
        int[] a = new int[4];
        int i = 0;
        while (true) {
            a[i] = i;
            i++;
        }
    }

    public static Object runExceptionThroughHelper() {
        int sum = 0;
        for (int i = 0; i < 5; i++) {
            sum += helper(i);
        }
        return sum;
    }

    private static int helper(int i) {
        int r = 0;
        for (int k = 0; k <= i; k++) {
            if (k == 3) {
                throw new UnsupportedOperationException("helper refuses k=" + k);
            }
            r += k;
        }
        return r;
    }

    @SuppressWarnings("finally")
    public static Object runReturnFromFinallyInLoop() {
        int i = 0;
        while (i < 100) {
            try {
                i += 10;
                if (i > 35) {
                    throw new RuntimeException("swallowed");
                }
            } finally {
                if (i > 35) {
                    return i;
                }
            }
        }
        return -1;
    }

    public static Object runCatchRethrowWrapped() {
        try {
            for (int i = 3; ; i--) {
                int unused = 12 / i;
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("wrapped", e);
        }
    }
}
