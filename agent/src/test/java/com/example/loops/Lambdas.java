package com.example.loops;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** Loops in lambdas, anonymous and local classes, and recursion with loops. */
public final class Lambdas {
    private Lambdas() {
    }

    public static Object runLoopInLambda() {
        IntFunction<Integer> triangle = n -> {
            int s = 0;
            for (int i = 1; i <= n; i++) {
                s += i;
            }
            return s;
        };
        List<Integer> out = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            out.add(triangle.apply(n));
        }
        return out.toString();
    }

    public static Object runNestedLambdas() {
        Supplier<IntSupplier> outer = () -> {
            int base = 0;
            for (int i = 0; i < 4; i++) {
                base += i;
            }
            int b = base;
            return () -> {
                int r = b;
                while (r < 100) {
                    r *= 2;
                }
                return r;
            };
        };
        return outer.get().getAsInt();
    }

    public static Object runAnonymousClass() {
        IntSupplier s = new IntSupplier() {
            @Override
            public int getAsInt() {
                int acc = 1;
                for (int i = 0; i < 10; i++) {
                    acc = acc * 3 % 1000;
                }
                return acc;
            }
        };
        return s.getAsInt();
    }

    public static Object runLocalClass() {
        final class Counter {
            int count(String s, char c) {
                int n = 0;
                for (char x : s.toCharArray()) {
                    if (x == c) {
                        n++;
                    }
                }
                return n;
            }
        }
        return new Counter().count("mississippi", 's');
    }

    public static Object runRecursionWithLoops() {
        return permutations(new int[] {1, 2, 3, 4}, 0) + "/" + ackermannish(2, 3);
    }

    private static int permutations(int[] a, int k) {
        if (k == a.length) {
            return 1;
        }
        int total = 0;
        for (int i = k; i < a.length; i++) {
            swap(a, i, k);
            total += permutations(a, k + 1);
            swap(a, i, k);
        }
        return total;
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    private static int ackermannish(int m, int n) {
        while (m > 0) {
            if (n == 0) {
                n = 1;
            } else {
                n = ackermannish(m, n - 1);
            }
            m--;
        }
        return n + 1;
    }

    public static Object runDeepRecursionThrows() {
        return depth(0);
    }

    private static int depth(int d) {
        int spin = 0;
        for (int i = 0; i < 3; i++) {
            spin += i;
        }
        if (d == 6) {
            throw new IllegalStateException("deep at " + d + " spin " + spin);
        }
        return depth(d + 1) + spin;
    }

    public static Object runLambdaThrows() {
        Runnable r = () -> {
            for (int i = 0; i < 5; i++) {
                if (i == 3) {
                    throw new ArrayStoreException("lambda i=" + i);
                }
            }
        };
        r.run();
        return "unreachable";
    }
}
