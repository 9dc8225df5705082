package com.example.app;

/** First loaded after the agent is attached. */
public final class Late {
    private Late() {
    }

    public static int count(int n) {
        int c = 0;
        while (n > 1) {
            n = (n & 1) == 0 ? n / 2 : 3 * n + 1;
            c++;
        }
        return c;
    }
}
