package com.example.loops;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Plain loops: for, while, do-while, labelled break/continue, nesting, arrays, iterators. */
public final class Basic {
    private Basic() {
    }

    public static Object runFor() {
        long sum = 0;
        for (int i = 0; i < 1000; i++) {
            sum += i * (long) i;
        }
        return sum;
    }

    public static Object runWhile() {
        int n = 27;
        int steps = 0;
        while (n != 1) { // Collatz
            n = (n & 1) == 0 ? n / 2 : 3 * n + 1;
            steps++;
        }
        return steps;
    }

    public static Object runDoWhile() {
        int x = 100;
        int rounds = 0;
        do {
            x -= 7;
            rounds++;
        } while (x > 0);
        return rounds + ":" + x;
    }

    public static Object runLabelled() {
        StringBuilder sb = new StringBuilder();
        outer:
        for (int i = 0; i < 10; i++) {
            inner:
            for (int j = 0; j < 10; j++) {
                if (j == i) {
                    continue outer;
                }
                if (i * j > 30) {
                    break outer;
                }
                if ((i + j) % 5 == 0) {
                    continue inner;
                }
                sb.append(i).append(j).append(',');
            }
        }
        return sb.toString();
    }

    public static Object runNested() {
        int[][][] cube = new int[6][7][8];
        int v = 0;
        for (int a = 0; a < cube.length; a++) {
            for (int b = 0; b < cube[a].length; b++) {
                for (int c = 0; c < cube[a][b].length; c++) {
                    cube[a][b][c] = v++ * 31 % 17;
                }
            }
        }
        long total = 0;
        for (int[][] plane : cube) {
            for (int[] row : plane) {
                for (int cell : row) {
                    total = total * 3 + cell;
                }
            }
        }
        return total;
    }

    public static Object runArrays() {
        int[] ints = {5, 3, 9, 1, 7};
        long[] longs = {1L << 40, 3, -5};
        String[] strings = {"a", "bb", "ccc"};
        double acc = 0;
        for (int i : ints) {
            acc += i;
        }
        for (long l : longs) {
            acc -= l;
        }
        for (String s : strings) {
            acc += s.length() * 0.5;
        }
        return acc;
    }

    public static Object runIterators() {
        List<String> list = new ArrayList<>(List.of("x", "yy", "zzz", "w"));
        int len = 0;
        for (String s : list) {
            len += s.length();
        }
        Iterator<String> it = list.iterator();
        while (it.hasNext()) {
            if (it.next().length() == 2) {
                it.remove();
            }
        }
        Map<String, Integer> map = new LinkedHashMap<>();
        for (String s : list) {
            map.merge(s, s.length(), Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Integer> e : map.entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append(';');
        }
        return len + " " + list + " " + sb;
    }

    public static Object runInfiniteWithBreak() {
        int i = 0;
        while (true) {
            i += 3;
            if (i > 50) {
                break;
            }
        }
        for (;;) {
            if (--i < 40) {
                return i;
            }
        }
    }

    public static Object runEmptyBody() {
        int i;
        for (i = 0; i < 77; i++) {
            // nothing
        }
        int j = 0;
        while (j++ < 33) {
            // nothing
        }
        return i + j;
    }

    public static Object runTypeAnnotatedLocals() {
        @Tag String joined = "";
        for (@Tag String part : new String[] {"p", "q", "r"}) {
            @Tag String upper = part.toUpperCase();
            joined += upper;
        }
        Object o = joined;
        int n = 0;
        while (n < 3 && o instanceof @Tag String s && s.length() > n) {
            n++;
        }
        return joined + n;
    }

    public static Object runEarlyReturn() {
        int[] data = {4, 8, 15, 16, 23, 42};
        for (int i = 0; i < data.length; i++) {
            if (data[i] > 15) {
                return i;
            }
        }
        return -1;
    }
}
