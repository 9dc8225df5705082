package io.goloom.net;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.TestAbortedException;

/**
 * Runs the {@code @Test} methods of one JUnit 5 class in this JVM, honouring {@code @BeforeAll},
 * {@code @BeforeEach}, {@code @AfterEach} and {@code @Timeout}, and prints one line per test.
 * Exit status 0 iff nothing failed. The child JVM of {@link SelectorNetTest} runs it: the test
 * class path does not carry the JUnit launcher (surefire keeps that on its own class path), and
 * the suite needs nothing more than this.
 */
public final class NetSuiteMain {
    private NetSuiteMain() {
    }

    public static void main(String[] args) throws Exception {
        Class<?> c = Class.forName(args[0]);
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            chain.addFirst(k); // superclass first, as JUnit orders lifecycle methods
        }
        try {
            for (Class<?> k : chain) {
                for (Method m : k.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(BeforeAll.class)) {
                        m.setAccessible(true);
                        m.invoke(null);
                    }
                }
            }
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof TestAbortedException a) {
                System.out.println("SKIP all: " + a.getMessage());
                System.exit(0);
            }
            throw e;
        }
        int failed = 0;
        int passed = 0;
        for (Class<?> k : chain) {
            for (Method m : k.getDeclaredMethods()) {
                if (!m.isAnnotationPresent(Test.class)) {
                    continue;
                }
                Timeout t = m.getAnnotation(Timeout.class);
                long timeoutMs = t == null ? 60_000 : t.unit().toMillis(t.value());
                long t0 = System.nanoTime();
                Throwable[] outcome = new Throwable[1];
                Thread runner = Thread.ofPlatform().name("test-" + m.getName()).daemon(true).start(() -> {
                    outcome[0] = runOne(c, chain, m);
                });
                runner.join(timeoutMs);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                if (runner.isAlive()) {
                    failed++;
                    System.out.println("FAIL " + m.getName() + " (" + ms + " ms): timed out; stack:");
                    for (StackTraceElement e : runner.getStackTrace()) {
                        System.out.println("\tat " + e);
                    }
                } else if (outcome[0] == null) {
                    passed++;
                    System.out.println("PASS " + m.getName() + " (" + ms + " ms)");
                } else if (outcome[0] instanceof TestAbortedException a) {
                    System.out.println("SKIP " + m.getName() + ": " + a.getMessage());
                } else {
                    failed++;
                    System.out.println("FAIL " + m.getName() + " (" + ms + " ms):");
                    outcome[0].printStackTrace(System.out);
                }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.out.flush();
        System.exit(failed == 0 ? 0 : 1);
    }

    /** One test on a fresh instance; returns its failure or null. */
    private static Throwable runOne(Class<?> c, List<Class<?>> chain, Method test) {
        Object o;
        try {
            Constructor<?> ctor = c.getDeclaredConstructor();
            ctor.setAccessible(true);
            o = ctor.newInstance();
        } catch (ReflectiveOperationException e) {
            return e;
        }
        Throwable failure = null;
        try {
            for (Class<?> k : chain) {
                invokeAll(k, BeforeEach.class, o);
            }
            test.setAccessible(true);
            test.invoke(o);
        } catch (Throwable e) {
            failure = unwrap(e);
        }
        for (Class<?> k : chain.reversed()) {
            try {
                invokeAll(k, AfterEach.class, o);
            } catch (Throwable e) {
                if (failure == null) {
                    failure = unwrap(e);
                }
            }
        }
        return failure;
    }

    private static void invokeAll(Class<?> k, Class<? extends java.lang.annotation.Annotation> a, Object o)
            throws ReflectiveOperationException {
        for (Method m : k.getDeclaredMethods()) {
            if (m.isAnnotationPresent(a)) {
                m.setAccessible(true);
                m.invoke(o);
            }
        }
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
    }
}
