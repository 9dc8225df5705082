package com.example.app;

/** A CPU-bound loop that calls nothing. */
public final class Work {
    private Work() {
    }

    public static long sum(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += (long) i * i;
        }
        return s;
    }
}
