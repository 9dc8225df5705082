package io.goloom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The netpoll suite on the Selector backend. The backend is fixed per JVM, so this runs
 * {@link SelectorNetSuite} in a child JVM with {@code -Dgoloom.netpoll=selector} (same class
 * path and goloom flags as this one, through {@link NetSuiteMain}) and fails with the child's
 * report if any of its tests failed. The child's per-test lines are copied to this test's output.
 */
class SelectorNetTest {

    @Test
    @Timeout(240)
    void theSuitePassesOnTheSelectorBackend() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("-Xss")
                    || a.startsWith("-Dgoloom.stress")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dgoloom.netpoll=selector");
        for (String k : new String[] {"goloom.test", "goloom.randomize"}) { // surefire sets these as properties, not JVM args
            if (System.getProperty(k) != null) {
                cmd.add("-D" + k + "=" + System.getProperty(k));
            }
        }
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(NetSuiteMain.class.getName());
        cmd.add(SelectorNetSuite.class.getName());
        File out = File.createTempFile("goloom-selector-suite", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
            boolean done = p.waitFor(230, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String report = Files.readString(out.toPath());
            System.out.println("---- selector backend (child JVM) ----\n" + report);
            assertTrue(done, "the child JVM timed out:\n" + report);
            assertEquals(0, p.exitValue(), "the selector suite failed:\n" + report);
            assertTrue(report.contains(" passed, 0 failed"), report);
        } finally {
            out.delete();
        }
    }
}
