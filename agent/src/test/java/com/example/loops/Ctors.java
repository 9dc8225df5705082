package com.example.loops;

/** Loops in constructors (also before super(), JEP 513), instance and static initializers. */
public class Ctors {
    static final int[] TABLE;
    static final String STATIC_LOG;

    static {
        TABLE = new int[16];
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < TABLE.length; i++) {
            TABLE[i] = i * i % 11;
            sb.append(TABLE[i]);
        }
        STATIC_LOG = sb.toString();
    }

    final int value;
    int fromInitializer;

    {
        int x = 0;
        while (x < 9) {
            x += 2;
        }
        fromInitializer = x;
    }

    public Ctors(int n) {
        int s = 0;
        for (int i = 0; i < n; i++) {
            s += i * i;
        }
        if (s < 0) {
            throw new IllegalArgumentException("negative");
        }
        super(); // flexible constructor body: the loop above runs with an uninitialized this
        int t = s;
        for (int i = 0; i < 3; i++) {
            t ^= TABLE[i];
        }
        this.value = t;
    }

    public Ctors(String spec) {
        int count = 0;
        for (int i = 0; i < spec.length(); i++) {
            if (spec.charAt(i) == '!') {
                throw new IllegalArgumentException("bad spec char at " + i + " of '" + spec + "'");
            }
            count++;
        }
        this(count);
    }

    /** A subclass whose super(...) argument is computed by a loop before super(). */
    static final class Sub extends Ctors {
        final long extra;

        Sub(int[] parts) {
            int sum = 0;
            for (int p : parts) {
                sum += p;
            }
            super(sum);
            long e = 1;
            for (int p : parts) {
                e = e * 31 + p;
            }
            extra = e;
        }
    }

    public static Object runStaticInit() {
        return Holder.LOG + "/" + STATIC_LOG;
    }

    /** Initialized only by runStaticInit, so its static loop runs inside that scenario. */
    static final class Holder {
        static final String LOG;

        static {
            StringBuilder sb = new StringBuilder();
            int i = 0;
            do {
                sb.append((char) ('a' + i));
            } while (++i < 6);
            LOG = sb.toString();
        }

        private Holder() {
        }
    }

    public static Object runCtorLoops() {
        Ctors c = new Ctors(12);
        return c.value + "/" + c.fromInitializer;
    }

    public static Object runCtorDelegation() {
        return new Ctors("abcdef").value;
    }

    public static Object runCtorThrowsBeforeSuper() {
        return new Ctors("ab!c").value;
    }

    public static Object runSubclassLoopBeforeSuper() {
        Sub s = new Sub(new int[] {1, 2, 3, 4});
        return s.value + "/" + s.extra;
    }

    public static Object runBrokenStaticInit() {
        return BrokenInit.VALUE;
    }

    /** Its static initializer loops and then throws: ExceptionInInitializerError. */
    static final class BrokenInit {
        static final int VALUE;

        static {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v += i;
            }
            if (v == 6) {
                throw new IllegalStateException("static init failed after v=" + v);
            }
            VALUE = v;
        }

        private BrokenInit() {
        }
    }
}
