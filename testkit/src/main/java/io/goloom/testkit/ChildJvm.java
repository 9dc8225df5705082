package io.goloom.testkit;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test's main class in a child JVM with this JVM's java, class path and goloom flags
 * (the {@code --add-*} and {@code --enable-native-access} options, {@code -Xss}, and every
 * {@code -Dgoloom.*} option, plus the test-mode properties {@code goloom.test} and
 * {@code goloom.randomize} that surefire sets, so the stress knob and the modes carry over), for what is
 * fixed per JVM (the netpoll backend, assertions) or may take the JVM down.
 */
public final class ChildJvm {

    /** What the child did: whether it exited within the time allowed, its status and its output. */
    public record Result(boolean finished, int exitValue, String output) {
    }

    private ChildJvm() {
    }

    /**
     * Runs {@code main} with {@code jvmArgs} before the class path and {@code args} after the
     * class name; kills it after {@code timeoutSeconds}.
     */
    public static Result run(Class<?> main, List<String> jvmArgs, List<String> args, long timeoutSeconds) throws Exception {
        return runWithClassPath(main, System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                jvmArgs, args, timeoutSeconds);
    }

    /** {@link #run}, with the child's class path {@code cp} instead of this JVM's. */
    public static Result runWithClassPath(Class<?> main, String cp, List<String> jvmArgs, List<String> args, long timeoutSeconds)
            throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("-Xss")
                    || a.startsWith("-Dgoloom.")) {
                cmd.add(a);
            }
        }
        for (String k : new String[] {"goloom.test", "goloom.randomize"}) { // surefire sets these as properties, not JVM args
            if (System.getProperty(k) != null && cmd.stream().noneMatch(a -> a.startsWith("-D" + k + "="))) {
                cmd.add("-D" + k + "=" + System.getProperty(k));
            }
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(main.getName());
        cmd.addAll(args);
        File out = File.createTempFile("goloom-child-jvm", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
            boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!finished) {
                p.destroyForcibly();
                p.waitFor();
            }
            return new Result(finished, p.exitValue(), Files.readString(out.toPath()));
        } finally {
            out.delete();
        }
    }
}
