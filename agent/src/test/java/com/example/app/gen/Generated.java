package com.example.app.gen;

/** In an excluded package: must stay uninstrumented. */
public final class Generated {
    private Generated() {
    }

    public static long sum(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += i;
        }
        return s;
    }
}
