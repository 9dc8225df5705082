package io.goloom.agent;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the sample scenarios ({@code public static Object runXxx()} in the classes of
 * {@code com.example.loops}) from one loader and records each outcome as text: the value, or
 * the exception chain with class, message and every frame of a sample class (class, method,
 * file, line). Two loaders that behave the same produce equal maps.
 */
final class Scenarios {
    static final String PACKAGE = "com.example.loops.";
    static final List<String> CLASSES = List.of("Basic", "Exceptions", "Switches", "Ctors", "Lambdas", "Slots");

    /** One scenario's outcome and the number of check() handler calls it made. */
    record Run(String outcome, long checks) {
    }

    private Scenarios() {
    }

    /**
     * Runs every scenario with requests = 1 and a counting handler, restoring both afterwards.
     * Keys are "Class.method".
     */
    static Map<String, Run> runAll(ClassLoader loader) throws Exception {
        Map<String, Run> runs = new LinkedHashMap<>();
        AtomicLong calls = new AtomicLong();
        Runnable before = YieldPoint.handler;
        Runnable beforeVirtual = YieldPoint.virtualHandler;
        int beforeRequests = YieldPoint.requests;
        YieldPoint.handler = calls::incrementAndGet;
        YieldPoint.virtualHandler = calls::incrementAndGet; // include= classes call checkVirtual()
        YieldPoint.requests = 1;
        YieldPoint.virtualRequests = 1;
        try {
            for (String simple : CLASSES) {
                Class<?> c = Class.forName(PACKAGE + simple, false, loader);
                Method[] methods = c.getDeclaredMethods();
                Arrays.sort(methods, Comparator.comparing(Method::getName));
                for (Method m : methods) {
                    if (!m.getName().startsWith("run") || !Modifier.isStatic(m.getModifiers())
                            || m.getParameterCount() != 0) {
                        continue;
                    }
                    calls.set(0);
                    String outcome;
                    try {
                        outcome = "value: " + m.invoke(null);
                    } catch (InvocationTargetException e) {
                        outcome = describe(e.getCause());
                    }
                    runs.put(simple + "." + m.getName(), new Run(outcome, calls.get()));
                }
            }
        } finally {
            YieldPoint.requests = beforeRequests;
            YieldPoint.virtualRequests = 0;
            YieldPoint.handler = before;
            YieldPoint.virtualHandler = beforeVirtual;
        }
        return runs;
    }

    /** Exception chain with messages and the sample frames; fails if YieldPoint shows up in a trace. */
    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder("threw: ");
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x != t) {
                sb.append("\ncaused by: ");
            }
            sb.append(x.getClass().getName()).append(": ").append(x.getMessage());
            for (StackTraceElement f : x.getStackTrace()) {
                if (f.getClassName().startsWith("io.goloom.agent.YieldPoint")) {
                    throw new AssertionError("YieldPoint frame in a user stack trace: " + Arrays.toString(x.getStackTrace()));
                }
                if (f.getClassName().startsWith(PACKAGE)) {
                    sb.append("\n  at ").append(f.getClassName()).append('.').append(f.getMethodName())
                            .append('(').append(f.getFileName()).append(':').append(f.getLineNumber()).append(')');
                }
            }
        }
        return sb.toString();
    }
}
