package io.goloom.scheduler;

import io.goloom.core.G;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code -Dgoloom.debug=threadlocal=1}: reports a native goroutine that leaves a
 * {@link ThreadLocal} set, or a lock such as {@link java.util.concurrent.locks.ReentrantLock}
 * held, on its carrier when it parks or yields. Both belong to the carrier thread, not to the
 * goroutine: the next goroutine on that carrier sees the thread-local (use
 * {@link io.goloom.core.GoLocal}), and the lock's owner is a carrier that other goroutines run
 * on (an unlock from elsewhere throws, a lock() there succeeds reentrantly). Each ThreadLocal
 * and each lock class is reported once, on stderr, with the goroutine and its stack.
 *
 * <p>How: before the M runs a goroutine it snapshots the carrier's thread-local map (keys and
 * values, by identity); when the goroutine comes back still alive (parked or yielded), entries
 * that are new or hold another value were set by it. Locks: the JDK's list of ownable
 * synchronizers the carrier owns at that moment. Cost only when on ({@link #ON} is a
 * {@code static final} the JIT folds away): a map walk per dispatch and a ThreadMXBean query
 * per yield, fine for a debugging run, not for production. Reads java.lang's ThreadLocal map
 * reflectively (goloom's {@code --add-opens java.base/java.lang}); without it, says so once and
 * checks locks only. JDK virtual threads have thread-locals of their own: not checked.
 */
final class ThreadLocalCheck {
    static final boolean ON = debugFlag("threadlocal");

    private static final Field THREAD_LOCALS;
    private static final Field TABLE;
    private static final Field VALUE;
    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();

    static {
        Field tl = null;
        Field table = null;
        Field value = null;
        if (ON) {
            try {
                tl = Thread.class.getDeclaredField("threadLocals");
                tl.setAccessible(true);
                Class<?> map = Class.forName("java.lang.ThreadLocal$ThreadLocalMap");
                table = map.getDeclaredField("table");
                table.setAccessible(true);
                Class<?> entry = Class.forName("java.lang.ThreadLocal$ThreadLocalMap$Entry");
                value = entry.getDeclaredField("value");
                value.setAccessible(true);
            } catch (ReflectiveOperationException | RuntimeException e) {
                System.err.println("goloom: -Dgoloom.debug=threadlocal=1 cannot read thread-locals (" + e
                        + "; run with --add-opens java.base/java.lang=ALL-UNNAMED, see goloom.jvmargs): checking locks only");
                tl = null;
            }
        }
        THREAD_LOCALS = tl;
        TABLE = table;
        VALUE = value;
    }

    private ThreadLocalCheck() {
    }

    /** {@code -Dgoloom.debug=...,key=v,...}: is {@code key} there with a value other than 0? */
    static boolean debugFlag(String key) {
        String v = SchedTrace.debugValue(System.getProperty(SchedTrace.PROPERTY), key);
        return v != null && !v.equals("0");
    }

    /** The carrier's thread-locals now (ThreadLocal -> value, by identity); empty if unreadable. */
    static Map<Object, Object> snapshot(Thread carrier) {
        Map<Object, Object> out = new IdentityHashMap<>();
        if (THREAD_LOCALS == null) {
            return out;
        }
        try {
            Object map = THREAD_LOCALS.get(carrier);
            if (map == null) {
                return out;
            }
            for (Object e : (Object[]) TABLE.get(map)) {
                if (e instanceof java.lang.ref.Reference<?> r && r.get() instanceof Object key) {
                    out.put(key, VALUE.get(e));
                }
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("goloom: threadlocal check: " + e, e);
        }
        return out;
    }

    /** g came back to m (the current thread) parked or yielded: report what it left on the carrier. */
    static void check(M m, G g, Map<Object, Object> before) {
        List<String> found = new ArrayList<>();
        for (Map.Entry<Object, Object> e : snapshot(m).entrySet()) {
            Object key = e.getKey();
            if (!before.containsKey(key) || before.get(key) != e.getValue()) {
                String what = "ThreadLocal " + key + " (value " + describe(e.getValue()) + ")";
                if (REPORTED.add("tl@" + System.identityHashCode(key))) {
                    found.add(what + ": the next goroutine on this carrier sees it; use io.goloom.core.GoLocal");
                }
            }
        }
        ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        if (tmx.isSynchronizerUsageSupported()) {
            ThreadInfo[] info = tmx.getThreadInfo(new long[] {m.threadId()}, false, true);
            if (info.length == 1 && info[0] != null) {
                for (LockInfo l : info[0].getLockedSynchronizers()) {
                    if (REPORTED.add("lock:" + l.getClassName())) {
                        found.add("lock " + l + " held: its owner is the carrier thread, which other goroutines share");
                    }
                }
            }
        }
        if (found.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (String f : found) {
            sb.append("goloom: goroutine ").append(g.id).append(" parked or yielded on carrier ").append(m.getName())
                    .append(" with a ").append(f).append('\n');
        }
        StackTraceElement[] stack = g.status() == G.RUNNING ? new StackTraceElement[0] : g.getStackTrace();
        if (stack.length == 0) {
            sb.append("\t(its stack is gone: it already runs again)\n");
        }
        for (StackTraceElement s : stack) {
            sb.append("\tat ").append(s).append('\n');
        }
        System.err.print(sb);
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getName();
    }
}
