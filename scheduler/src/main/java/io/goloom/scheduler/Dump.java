package io.goloom.scheduler;

import io.goloom.core.G;
import io.goloom.core.spi.SchedLinks;
import java.util.ArrayList;
import java.util.List;

/**
 * The goroutine dump of one runtime, in Go's format (what SIGQUIT prints), and the same as
 * JSON for tools. Read from any thread, without stopping the world: every field is read racily
 * (a G may move while we look), so a dump is a best-effort picture, as Go's is not but as
 * jstack's is.
 *
 * <pre>
 * goroutine 18 [chan receive, 3 minutes]:
 *         com.example.Worker.lambda$start$0(Worker.java:42)
 *         ...goloom internals (7 frames)...
 * created by com.example.Worker$$Lambda/0x... in goroutine 1
 * </pre>
 *
 * Per goroutine: its id, name, status and wait reason with how long it has waited (Go prints
 * the wait only from one minute on; goloom prints it always, as {@code 850ms}, {@code 12.5s},
 * then Go's {@code N minutes}), its stack with the user's frames first and each run of goloom's
 * own frames folded into one line, and its creator: the creating goroutine's id and the class of
 * the task given to go (the frame of the go statement would cost a stack walk per go; the task's
 * class, a lambda's class named after the class that wrote it, costs one store). A running
 * goroutine's stack is its carrier's, cut at the continuation's entry. Then the virtual threads
 * on this runtime's carriers, the Ps ({@code P0 running G18 on goloom-m1, runq 3}) and the Ms.
 */
final class Dump {

    private Dump() {
    }

    /** Packages whose frames may be goloom's own (folded in dumps). */
    private static final String[] INTERNAL = {
        "io.goloom.core.", "io.goloom.scheduler.", "io.goloom.timers.", "io.goloom.netpoll.",
    };
    /** The JDK's frames under a goroutine or a virtual thread: always folded. */
    private static final String[] JDK_INTERNAL = {
        "jdk.internal.vm.Continuation", "java.lang.VirtualThread", "java.util.concurrent.locks.LockSupport",
    };
    /** Where goloom's own classes come from: a class of goloom's packages loaded from elsewhere (a test's, a user's) is not folded. */
    private static final java.util.Set<Object> OWN_SOURCES = ownSources(
            source(G.class), source(Dump.class), source(io.goloom.timers.TimerQueue.class), source(io.goloom.netpoll.Netpoll.class));

    /**
     * The distinct sources: in one jar holding every module (io.goloom:goloom, the bench jar) they
     * are all the same location, which Set.of refused (the dump's class failed to initialize).
     */
    static java.util.Set<Object> ownSources(Object... sources) {
        return java.util.Set.copyOf(java.util.Arrays.asList(sources));
    }
    private static final java.util.Map<String, Boolean> INTERNAL_CLASSES = new java.util.concurrent.ConcurrentHashMap<>();

    private static Object source(Class<?> c) {
        var cs = c.getProtectionDomain().getCodeSource();
        return cs != null && cs.getLocation() != null ? cs.getLocation().toString() : "(" + c.getModule() + ")";
    }

    static boolean internal(StackTraceElement e) {
        String c = e.getClassName();
        for (String p : JDK_INTERNAL) {
            if (c.startsWith(p)) {
                return true;
            }
        }
        for (String p : INTERNAL) {
            if (c.startsWith(p)) {
                return INTERNAL_CLASSES.computeIfAbsent(c, Dump::ownClass);
            }
        }
        return false;
    }

    private static boolean jdk(StackTraceElement e) {
        String c = e.getClassName();
        return c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.") || c.startsWith("com.sun.");
    }

    private static boolean ownClass(String name) {
        try {
            return OWN_SOURCES.contains(source(Class.forName(name, false, Dump.class.getClassLoader())));
        } catch (ClassNotFoundException | LinkageError | SecurityException e) {
            return false;
        }
    }

    /** The stack of a G whose frames a dump did not walk (see {@link #stackOf}). */
    static final List<StackTraceElement> NOT_TAKEN = java.util.Collections.unmodifiableList(new ArrayList<>());

    /** One goroutine as the dump sees it. */
    record GInfo(long id, String name, String state, String waitReason, long waitNanos, long parent,
            String task, List<StackTraceElement> stack) {
        GInfo {
            stack = stack != null ? stack : NOT_TAKEN;
        }
    }

    static List<GInfo> goroutines(Scheduler sched) {
        return goroutines(sched, sched.allgs.snapshot(), false);
    }

    /**
     * How a dump gets a G's stack without ever walking a continuation that an M may mount
     * meanwhile (that can crash the JVM): a parked G's through {@link G#parkedStackTrace} (held
     * parked for the walk, Go's _Gscan); a running one's from its carrier thread; a runnable
     * or preempted one's not at all while the runtime runs (any M may mount it at any moment:
     * Go would stop it, goloom has no cheap way to), only once the runtime is quiescent (closed,
     * its Ms gone or leaving). Null when not taken.
     */
    static List<StackTraceElement> stackOf(G g, int s, List<M> ms, boolean quiescent) {
        if (s == G.RUNNING || s == G.SYSCALL) {
            return runningStack(ms, g);
        }
        if (s == G.WAITING) {
            try {
                StackTraceElement[] st = g.parkedStackTrace();
                return st != null ? List.of(st) : null; // null: it was readied meanwhile
            } catch (RuntimeException | InternalError e) {
                return null; // the JDK's walker refused (the G is released either way): a dump never fails for one stack
            }
        }
        if (quiescent && s != G.DEAD) {
            try {
                return List.of(g.getStackTrace());
            } catch (RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    static List<GInfo> goroutines(Scheduler sched, List<G> gs, boolean quiescent) {
        long now = System.nanoTime();
        List<M> ms = sched.allm();
        List<GInfo> out = new ArrayList<>(gs.size());
        for (G g : gs) {
            int s = g.status();
            List<StackTraceElement> stack = stackOf(g, s, ms, quiescent);
            long wait = s == G.WAITING ? Math.max(0, now - g.waitSince()) : -1;
            Class<?> tc = SchedLinks.taskClass(g);
            out.add(new GInfo(g.id, g.name, G.statusName(s), s == G.WAITING ? g.waitReason().toString() : "", wait,
                    SchedLinks.parentGoid(g), tc != null ? taskName(tc) : "", stack));
        }
        return out;
    }

    /** A task class's name without a hidden class's address ({@code Foo$$Lambda/0x0000...}). */
    static String taskName(Class<?> c) {
        String n = c.getName();
        int slash = n.indexOf('/');
        return slash < 0 ? n : n.substring(0, slash);
    }

    /** A running G's frames: its carrier's stack above the continuation's entry. */
    private static List<StackTraceElement> runningStack(List<M> ms, G g) {
        for (M m : ms) {
            if (m.curg() == g) {
                StackTraceElement[] st = m.getStackTrace();
                if (m.curg() != g) {
                    return null; // it moved while we walked
                }
                List<StackTraceElement> out = new ArrayList<>();
                for (StackTraceElement e : st) {
                    // the continuation's boundary on its carrier: Continuation.run (enter* are hidden frames)
                    if (e.getClassName().equals("jdk.internal.vm.Continuation")
                            && (e.getMethodName().equals("run") || e.getMethodName().startsWith("enter"))) {
                        return out;
                    }
                    out.add(e);
                }
                return null; // not mounted at that instant (mounting, or just yielded): not taken
            }
        }
        return null;
    }

    /** Go's waiting time: "N minutes" from one minute on, else a short duration. */
    static String waited(long nanos) {
        if (nanos >= 60_000_000_000L) {
            return nanos / 60_000_000_000L + " minutes";
        }
        if (nanos >= 1_000_000_000L) {
            return String.format("%.1fs", nanos / 1e9);
        }
        if (nanos >= 1_000_000L) {
            return nanos / 1_000_000L + "ms";
        }
        return nanos / 1_000L + "µs";
    }

    /** A goroutine's header and stack, Go's format, user frames first, internals folded. */
    static void appendG(StringBuilder sb, GInfo g) {
        sb.append("goroutine ").append(g.id);
        if (g.name != null) {
            sb.append(" \"").append(g.name).append('"');
        }
        sb.append(" [").append(g.waitReason.isEmpty() ? g.state : g.waitReason);
        if (g.waitNanos >= 0) {
            sb.append(", ").append(waited(g.waitNanos));
        }
        sb.append("]:\n");
        if (g.stack == NOT_TAKEN && !g.state.equals("idle")) {
            sb.append("\t(stack not taken: neither parked nor mounted at that instant; a runnable goroutine may be mounted at any moment)\n");
        }
        // The top of the stack down to the last goloom frame above the first user frame is
        // goloom's (gopark, a channel's wait, the JDK code they call): folded whole, so the
        // user's frame comes first. Further down, goloom's frames are folded one by one; JDK
        // frames the user called (Thread.sleep's) stay.
        List<StackTraceElement> st = g.stack;
        int top = 0;
        for (int i = 0; i < st.size(); i++) {
            StackTraceElement e = st.get(i);
            if (internal(e)) {
                top = i + 1;
            } else if (!jdk(e)) {
                break;
            }
        }
        int folded = top;
        for (int i = top; i < st.size(); i++) {
            StackTraceElement e = st.get(i);
            if (internal(e)) {
                folded++;
            } else {
                sb.append('\t').append(e).append('\n');
            }
        }
        if (folded > 0) {
            sb.append("\t...goloom internals (").append(folded).append(" frames)...\n");
        }
        if (!g.task.isEmpty()) {
            sb.append("created by ").append(g.task);
            if (g.parent != 0) {
                sb.append(" in goroutine ").append(g.parent);
            }
            sb.append('\n');
        }
    }

    static String text(GoRuntime rt) {
        Scheduler sched = rt.sched;
        StringBuilder sb = new StringBuilder();
        sb.append("goloom runtime ").append(rt.name()).append(": gomaxprocs=").append(sched.gomaxprocs)
                .append(" goroutines=").append(sched.allgs.size()).append(" threads=").append(sched.threadCount())
                .append(sched.stopping ? " (closed)" : "").append("\n\n");
        for (GInfo g : goroutines(sched)) {
            appendG(sb, g);
            sb.append('\n');
        }
        for (VirtualThreadInfo vt : rt.virtualThreadDump()) {
            sb.append(vt).append("\n\n");
        }
        for (P p : sched.allp) {
            M m = p.m;
            G cur = m != null ? m.curg() : null;
            sb.append('P').append(p.id).append(' ').append(pstate(p));
            if (cur != null) {
                sb.append(" G").append(cur.id);
            }
            if (m != null) {
                sb.append(" on ").append(m.getName());
            }
            sb.append(", runq ").append(p.runqsize()).append(", schedtick ").append(p.schedtick).append('\n');
        }
        for (M m : sched.allm()) {
            sb.append('M').append(m.id).append(' ').append(m.getName()).append(": ").append(where(m));
            P p = m.p;
            sb.append(p != null ? ", P" + p.id : ", no P");
            G cur = m.curg();
            if (cur != null) {
                sb.append(", G").append(cur.id);
            } else if (m.task != null) {
                sb.append(", a virtual thread");
            }
            if (m.spinning) {
                sb.append(", spinning");
            }
            sb.append('\n');
        }
        sb.append("global runq ").append(sched.globalQueueSize()).append('\n');
        return sb.toString();
    }

    private static final String[] PSTATES = {"idle", "running", "syscall", "retaking", "dead", "stopped"};
    private static final String[] WHERE = {"scheduler", "user code", "runtime", "blocking call"};

    static String pstate(P p) {
        int s = p.state();
        return s < PSTATES.length ? PSTATES[s] : "state" + s;
    }

    static String where(M m) {
        int w = m.where();
        return w >= 0 && w < WHERE.length ? WHERE[w] : "where" + w;
    }

    static String json(GoRuntime rt) {
        Scheduler sched = rt.sched;
        StringBuilder sb = new StringBuilder("{\"runtime\":");
        str(sb, rt.name());
        sb.append(",\"gomaxprocs\":").append(sched.gomaxprocs).append(",\"closed\":").append(sched.stopping)
                .append(",\"globalRunq\":").append(sched.globalQueueSize()).append(",\"goroutines\":[");
        boolean first = true;
        for (GInfo g : goroutines(sched)) {
            sb.append(first ? "" : ",").append("{\"id\":").append(g.id).append(",\"name\":");
            first = false;
            str(sb, g.name);
            sb.append(",\"state\":");
            str(sb, g.state);
            sb.append(",\"waitReason\":");
            str(sb, g.waitReason);
            sb.append(",\"waitNanos\":").append(g.waitNanos).append(",\"createdBy\":{\"goroutine\":").append(g.parent)
                    .append(",\"task\":");
            str(sb, g.task);
            sb.append("},\"stack\":");
            frames(sb, g.stack);
            sb.append('}');
        }
        sb.append("],\"virtualThreads\":[");
        first = true;
        for (VirtualThreadInfo vt : rt.virtualThreadDump()) {
            sb.append(first ? "" : ",").append("{\"id\":").append(vt.threadId()).append(",\"name\":");
            first = false;
            str(sb, vt.name());
            sb.append(",\"state\":");
            str(sb, vt.state().name());
            sb.append(",\"stack\":");
            frames(sb, vt.stack());
            sb.append('}');
        }
        sb.append("],\"ps\":[");
        first = true;
        for (P p : sched.allp) {
            M m = p.m;
            G cur = m != null ? m.curg() : null;
            sb.append(first ? "" : ",").append("{\"id\":").append(p.id).append(",\"state\":");
            first = false;
            str(sb, pstate(p));
            sb.append(",\"m\":");
            str(sb, m != null ? m.getName() : null);
            sb.append(",\"g\":").append(cur != null ? cur.id : 0).append(",\"runq\":").append(p.runqsize()).append('}');
        }
        sb.append("],\"ms\":[");
        first = true;
        for (M m : sched.allm()) {
            P p = m.p;
            G cur = m.curg();
            sb.append(first ? "" : ",").append("{\"id\":").append(m.id).append(",\"thread\":");
            first = false;
            str(sb, m.getName());
            sb.append(",\"where\":");
            str(sb, where(m));
            sb.append(",\"p\":").append(p != null ? p.id : -1).append(",\"g\":").append(cur != null ? cur.id : 0)
                    .append(",\"spinning\":").append(m.spinning).append('}');
        }
        return sb.append("]}").toString();
    }

    private static void frames(StringBuilder sb, List<StackTraceElement> stack) {
        sb.append('[');
        boolean first = true;
        for (StackTraceElement e : stack) {
            sb.append(first ? "{" : ",{").append("\"frame\":");
            first = false;
            str(sb, e.toString());
            sb.append(",\"internal\":").append(internal(e)).append('}');
        }
        sb.append(']');
    }

    static void str(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
