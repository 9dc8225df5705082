package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.core.JvmFlags;
import io.goloom.core.WaitGroup;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without one of goloom.jvmargs' flags: goloom's first call throws one
 * IllegalAccessError naming the flag exactly as to write it and pointing at the argfile
 * (not the JVM's "superclass access check failed", no ExceptionInInitializerError). Each case is a child JVM
 * started with exactly the flags given (not this JVM's).
 */
class JvmFlagsTest {

    static final String VM = "--add-exports java.base/jdk.internal.vm=ALL-UNNAMED";
    static final String ACCESS = "--add-exports java.base/jdk.internal.access=ALL-UNNAMED";
    static final String OPENS = "--add-opens java.base/java.lang=ALL-UNNAMED";
    static final String NATIVE = "--enable-native-access=ALL-UNNAMED";

    /** The program each child runs: its first goloom call is {@code args[0]}. */
    public static final class Program {
        public static void main(String[] args) throws Exception {
            switch (args[0]) {
                case "create" -> {
                    try (GoRuntime rt = GoRuntime.create(2)) {
                        rt.run(() -> {
                            Chan<String> c = new Chan<>();
                            Go.go(() -> c.send("ok"));
                            System.out.println("goroutine said " + c.receive());
                        });
                    }
                }
                case "go" -> {
                    CountDownLatch done = new CountDownLatch(1);
                    Go.go(() -> {
                        System.out.println("goroutine said ok");
                        done.countDown();
                    });
                    done.await();
                }
                case "chan" -> {
                    Chan<String> c = new Chan<>(1);
                    Go.go(() -> c.send("ok"));
                    System.out.println("goroutine said " + c.receive());
                }
                case "current" -> System.out.println("current is " + Go.current());
                case "waitgroup" -> {
                    WaitGroup wg = new WaitGroup();
                    System.out.println("made " + wg);
                }
                case "vt" -> {
                    try (GoRuntime rt = GoRuntime.create(2)) {
                        Thread t = rt.virtualThreads().start(() -> System.out.println("virtual thread said ok"));
                        t.join();
                    }
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }

    @Test
    void theArgfileHoldsTheseFlags() {
        assertEquals(String.join(" ", VM, ACCESS, OPENS, NATIVE), String.join(" ", JvmFlags.flags()));
    }

    @Test
    void allFlagsRun() throws Exception {
        String out = run(List.of(VM, ACCESS, OPENS, NATIVE), "create", 0);
        assertTrue(out.contains("goroutine said ok"), out);
        out = run(List.of(VM, ACCESS, OPENS, NATIVE), "vt", 0);
        assertTrue(out.contains("virtual thread said ok"), out);
        out = run(List.of(VM, ACCESS, OPENS, NATIVE), "go", 0);
        assertTrue(out.contains("goroutine said ok"), out);
    }

    @Test
    void withoutTheContinuationExportEachEntryPointNamesIt() throws Exception {
        for (String entry : List.of("create", "go", "chan", "current", "waitgroup")) {
            assertNamesMissing(run(List.of(ACCESS, OPENS, NATIVE), entry, 1), VM);
        }
    }

    @Test
    void withoutTheAccessExportTheFlagIsNamed() throws Exception {
        assertNamesMissing(run(List.of(VM, OPENS, NATIVE), "create", 1), ACCESS);
        assertNamesMissing(run(List.of(VM, OPENS, NATIVE), "chan", 1), ACCESS);
    }

    @Test
    void withoutAnyFlagBothExportsAreNamedInOneMessage() throws Exception {
        String out = run(List.of(), "create", 1);
        assertNamesMissing(out, VM);
        assertNamesMissing(out, ACCESS);
        assertTrue(out.contains("without the flags goloom needs: " + VM + " " + ACCESS + "."), out);
    }

    @Test
    void withoutTheOpensNativeGoroutinesRunAndVirtualThreadsNameIt() throws Exception {
        String out = run(List.of(VM, ACCESS, NATIVE), "create", 0);
        assertTrue(out.contains("goroutine said ok"), out);
        out = run(List.of(VM, ACCESS, NATIVE), "vt", 1);
        assertTrue(out.contains("UnsupportedOperationException"), out);
        assertTrue(out.contains("the JVM flag " + OPENS), out);
        assertTrue(out.contains("java @goloom.jvmargs"), out);
    }

    @Test
    void withoutNativeAccessGoloomStillRuns() throws Exception {
        // The flag only silences the JDK's own warning (which names it) when the epoll
        // netpoller first calls libc; nothing of goloom's needs it.
        String out = run(List.of(VM, ACCESS, OPENS), "create", 0);
        assertTrue(out.contains("goroutine said ok"), out);
    }

    private static void assertNamesMissing(String out, String flag) {
        assertTrue(out.contains("Exception in thread \"main\" java.lang.IllegalAccessError: goloom: this JVM was started without"), out);
        assertTrue(out.contains(flag), "the message must name " + flag + ":\n" + out);
        assertTrue(out.contains("or pass all of goloom's flags at once: java @goloom.jvmargs"), out);
        assertFalse(out.contains("superclass access check failed") || out.contains("ExceptionInInitializerError")
                || out.contains("Caused by"), out);
    }

    /** Runs Program with exactly {@code flags} (each "--opt value" as two arguments); returns its output. */
    private static String run(List<String> flags, String entry, int expectedStatus) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:auto"));
        for (String f : flags) {
            cmd.addAll(List.of(f.split(" ")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Program.class.getName(), entry));
        File out = File.createTempFile("goloom-flags", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish: " + cmd);
            String text = Files.readString(out.toPath());
            assertEquals(expectedStatus, p.exitValue(), "status of " + flags + " " + entry + ":\n" + text);
            return text;
        } finally {
            out.delete();
        }
    }
}
