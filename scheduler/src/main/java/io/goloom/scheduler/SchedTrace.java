package io.goloom.scheduler;

import io.goloom.core.G;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Go's {@code GODEBUG=schedtrace=X,scheddetail=1}: {@code -Dgoloom.debug=schedtrace=1000}
 * prints to stderr, every 1000 ms and for each runtime, one line in Go's format
 * <pre>
 * SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=1 needspinning=0 idlethreads=2 runqueue=0 [4 1] runtime=goloom
 * </pre>
 * (time since the first trace of the process; Ps idle; Ms; Ms spinning; whether a spinning M
 * is owed; idle Ms; the global queue; each P's local queue, runnext included), plus the
 * runtime's name as a last key, goloom's one addition, since a JVM may hold several runtimes.
 * With {@code scheddetail=1} the line gains Go's detail keys and is followed by one line per P,
 * per M and per goroutine, as Go's:
 * {@code   P0: status=1 schedtick=12 syscalltick=0 m=1 runqsize=0 timerslen=0},
 * {@code   M1: p=0 curg=18 spinning=false blocked=false},
 * {@code   G18: status=4(chan receive) m=nil}.
 *
 * <p>Printed by a daemon thread per runtime that exists only when the property asks for it, so
 * the trace costs nothing when off (sysmon, whose back-off sleeps for seconds on an idle
 * runtime, would have to wake on the interval). It reads what Go's schedtrace reads, under
 * sched.lock for the counters that lock guards, racily for the Ps' queues.
 */
final class SchedTrace {

    static final String PROPERTY = "goloom.debug";
    private static final long START = System.nanoTime();

    private SchedTrace() {
    }

    /**
     * The value of {@code key} in a {@code -Dgoloom.debug=k=v,k=v} string (Go's GODEBUG shape), or
     * null when absent; a key without {@code =} has the value "". The one parser of the property:
     * schedtrace's settings and ThreadLocalCheck's flag read through it.
     */
    static String debugValue(String debug, String key) {
        if (debug == null) {
            return null;
        }
        String found = null;
        for (String kv : debug.split(",")) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv.trim() : kv.substring(0, eq).trim();
            if (k.equals(key)) {
                found = eq < 0 ? "" : kv.substring(eq + 1).trim(); // the last one wins, as in GODEBUG
            }
        }
        return found;
    }

    /** The schedtrace interval in ms and scheddetail from {@code -Dgoloom.debug}, {0, 0} when off. */
    static int[] settings(String debug) {
        return new int[] {number(debug, "schedtrace"), number(debug, "scheddetail")};
    }

    private static int number(String debug, String k) {
        String v = debugValue(debug, k);
        if (v == null) {
            return 0;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + debug + ": " + k + " takes a number (e.g. "
                    + PROPERTY + "=schedtrace=1000,scheddetail=1), got '" + v + "'");
        }
        if (n < 0) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + debug + ": " + k + " must be >= 0, got " + n);
        }
        return n;
    }

    /** Starts the trace thread of rt if {@code -Dgoloom.debug} asks for one. */
    static void startIfEnabled(GoRuntime rt) {
        int[] s = settings(System.getProperty(PROPERTY));
        if (s[0] > 0) {
            long periodNanos = s[0] * 1_000_000L;
            boolean detailed = s[1] > 0;
            Thread.ofPlatform().daemon().name(rt.name() + "-schedtrace").start(() -> loop(rt.sched, periodNanos, detailed));
        }
    }

    private static void loop(Scheduler sched, long periodNanos, boolean detailed) {
        long next = System.nanoTime() + periodNanos;
        while (!sched.stopping) {
            long d = next - System.nanoTime();
            if (d > 0) {
                LockSupport.parkNanos(d);
                continue;
            }
            next += periodNanos;
            System.err.print(line(sched, detailed));
        }
    }

    /** One trace (one line, or the detailed block), newline-terminated. Any thread. */
    static String line(Scheduler sched, boolean detailed) {
        StringBuilder sb = new StringBuilder(128);
        long ms = (System.nanoTime() - START) / 1_000_000;
        int mcount, nmidle;
        boolean needspinning;
        int runqsize;
        List<M> ms2;
        synchronized (sched.lock) {
            mcount = sched.mcount;
            nmidle = sched.nmidle;
            needspinning = sched.needspinning;
            runqsize = sched.runqsize;
            ms2 = detailed ? List.copyOf(sched.allm) : List.of();
        }
        sb.append("SCHED ").append(ms).append("ms: gomaxprocs=").append(sched.gomaxprocs)
                .append(" idleprocs=").append(sched.npidle()).append(" threads=").append(mcount)
                .append(" spinningthreads=").append(sched.nmspinning.get()).append(" needspinning=").append(needspinning ? 1 : 0)
                .append(" idlethreads=").append(nmidle).append(" runqueue=").append(runqsize);
        if (detailed) {
            sb.append(" gcwaiting=0 nmidlelocked=0 stopwait=0 sysmonwait=").append(sched.sysmon.sleeping ? 1 : 0)
                    .append(" runtime=").append(sched.name).append('\n');
            for (P p : sched.allp) {
                M m = p.m;
                sb.append("  P").append(p.id).append(": status=").append(p.state()).append(" schedtick=").append(p.schedtick)
                        .append(" syscalltick=").append(p.syscalltick).append(" m=").append(m != null ? Integer.toString(m.id) : "nil")
                        .append(" runqsize=").append(p.runqsize()).append(" timerslen=").append(p.timers.size()).append('\n');
            }
            for (M m : ms2) {
                P p = m.p;
                G cur = m.curg();
                sb.append("  M").append(m.id).append(": p=").append(p != null ? Integer.toString(p.id) : "nil")
                        .append(" curg=").append(cur != null ? Long.toString(cur.id) : "nil")
                        .append(" spinning=").append(m.spinning).append(" blocked=").append(m.where() == M.IN_SYSCALL)
                        .append('\n');
            }
            for (G g : sched.allgs.snapshot()) {
                int s = g.status();
                M on = null;
                for (M m : ms2) {
                    if (m.curg() == g) {
                        on = m;
                    }
                }
                sb.append("  G").append(g.id).append(": status=").append(s).append('(')
                        .append(s == G.WAITING ? g.waitReason().toString() : "").append(") m=")
                        .append(on != null ? Integer.toString(on.id) : "nil").append('\n');
            }
            return sb.toString();
        }
        for (int i = 0; i < sched.allp.length; i++) {
            sb.append(i == 0 ? " [" : " ").append(sched.allp[i].runqsize());
        }
        return sb.append("] runtime=").append(sched.name).append('\n').toString();
    }
}
