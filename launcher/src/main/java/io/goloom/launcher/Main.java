package io.goloom.launcher;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The launcher: {@code java -jar goloom.jar [options] MainClass [args...]}, which
 * {@code ./goloom run} calls. It starts a child JVM that runs the application's {@code main}
 * in a JDK virtual thread on goloom ({@link Boot}), forwards nothing but the command line
 * (standard streams are inherited), and exits with the child's exit status.
 *
 * <h2>Why a child JVM, not a class loader in this one</h2>
 * <ul>
 *   <li>An unmodified application expects its classes on the <em>system</em> class path:
 *       {@code ClassLoader.getSystemClassLoader()}, {@code java.class.path},
 *       {@code ServiceLoader} with the system loader, frameworks that scan the class path. A
 *       URLClassLoader under the launcher's loader gets all of those subtly wrong.</li>
 *   <li>{@code -javaagent} (goloom's yield-point agent) must be given when a JVM starts, with
 *       its arguments; {@code Launcher-Agent-Class} takes no arguments and only an agent
 *       inside the launcher jar.</li>
 *   <li>goloom's JVM flags ({@code --add-exports}, {@code --add-opens}) and the user's own
 *       ({@code -J-Xmx2g}) are set on the command line, where they cannot be forgotten.</li>
 * </ul>
 * The cost is one extra JVM start (a fraction of a second); the parent only waits.
 */
public final class Main {

    static final String USAGE = """
            usage: goloom run [--procs N] [--agent include=PKG,...] [-J<jvm option>]... \
            [-cp CLASSPATH] MainClass [args...]
                   java -jar goloom.jar (same options)

              --procs N           GOMAXPROCS of the runtime (default: available processors)
              --agent ARGS        load goloom's yield-point agent with ARGS, e.g.
                                  include=com.example.,exclude=com.example.gen.
              -J<option>          pass <option> to the application's JVM (e.g. -J-Xmx2g)
              -cp, -classpath, --class-path CLASSPATH
                                  the application's class path (default: $CLASSPATH, else .)
              -h, --help          this text

            Runs MainClass.main in a virtual thread named "main" whose carriers are goloom's;
            virtual threads the application starts from virtual threads run on goloom too.
            The exit status is the application's.
            """;

    /** The JVM flags goloom needs (the parent pom's goloom.jvm.exports). */
    static final List<String> GOLOOM_JVM_FLAGS = List.of(
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED");

    /** System property / environment variable naming the agent jar. */
    static final String AGENT_JAR_PROPERTY = "goloom.agent.jar";
    static final String AGENT_JAR_ENV = "GOLOOM_AGENT_JAR";

    /**
     * System property naming a file: the launcher writes the application JVM's command line
     * there (each argument NUL-terminated) instead of starting it, and exits 0. The
     * {@code ./goloom run} script uses it to {@code exec} that JVM, so the application is one
     * process, as under {@code java}: signals, {@code jcmd} and the exit status are its own.
     */
    static final String COMMAND_FILE_PROPERTY = "goloom.launcher.commandFile";

    /** Set on a child JVM started by {@link #launch}: the launcher's pid, which {@link Boot} dies with. */
    static final String LAUNCHER_PID_PROPERTY = "goloom.launcher.pid";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Exit status: the application's; 2 for bad arguments; 1 if the child could not be started. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (UsageException e) {
            err.println("goloom run: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (o.help()) {
            out.print(USAGE);
            return 0;
        }
        List<String> cmd;
        try {
            Path agentJar = null;
            if (o.agentArgs() != null) {
                agentJar = findAgentJar();
                checkAgentArgs(agentJar, o.agentArgs());
            }
            cmd = childCommand(o, javaExecutable(), goloomClassPath(), agentJar);
        } catch (UsageException e) {
            err.println("goloom run: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (LaunchException e) {
            err.println("goloom run: " + e.getMessage());
            return 1;
        }
        String commandFile = System.getProperty(COMMAND_FILE_PROPERTY);
        if (commandFile != null && !commandFile.isEmpty()) {
            return writeCommand(cmd, Path.of(commandFile), err);
        }
        return launch(cmd, err);
    }

    /**
     * Parses the {@code --agent} arguments with the agent's own parser, {@code AgentConfig.parse}
     * of the jar that will be loaded (so the launcher and the agent cannot disagree), in a
     * throwaway class loader. Bad arguments are a usage error here: left to the child JVM, an
     * exception in {@code premain} aborts it ("FATAL ERROR in native method", status 134).
     *
     * @throws UsageException with the agent's message, naming the bad token and the syntax
     * @throws LaunchException when the jar has no usable {@code AgentConfig}
     */
    static void checkAgentArgs(Path agentJar, String agentArgs) throws UsageException, LaunchException {
        Method parse;
        try (URLClassLoader jar = new URLClassLoader(new URL[] {agentJar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            parse = Class.forName("io.goloom.agent.AgentConfig", true, jar).getMethod("parse", String.class);
            try {
                parse.invoke(null, agentArgs);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof IllegalArgumentException bad) {
                    throw new UsageException("--agent: " + bad.getMessage());
                }
                throw new LaunchException("--agent: the agent jar " + agentJar + " failed to parse '" + agentArgs
                        + "': " + e.getCause());
            }
        } catch (IOException | ReflectiveOperationException | LinkageError e) {
            throw new LaunchException("--agent: " + agentJar + " is not a usable goloom agent jar ("
                    + "io.goloom.agent.AgentConfig.parse(String): " + e + ")");
        }
    }

    /** Writes the command for the script to exec (see {@link #COMMAND_FILE_PROPERTY}). */
    static int writeCommand(List<String> cmd, Path file, PrintStream err) {
        StringBuilder sb = new StringBuilder();
        for (String arg : cmd) {
            if (arg.indexOf('\0') >= 0) {
                err.println("goloom run: an argument contains a NUL character: " + arg.replace('\0', '?'));
                return 2;
            }
            sb.append(arg).append('\0');
        }
        try {
            Files.writeString(file, sb, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("goloom run: cannot write the command to " + file + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /** Bad arguments: usage and exit status 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** The environment prevents the launch (no agent jar, no java): exit status 1. */
    static final class LaunchException extends Exception {
        LaunchException(String message) {
            super(message);
        }
    }

    /** Parsed command line. {@code procs} and {@code agentArgs} are null when not given. */
    record Options(boolean help, Integer procs, String agentArgs, List<String> jvmOptions, String classPath,
                   String mainClass, List<String> appArgs) {

        static Options parse(String[] args) throws UsageException {
            Integer procs = null;
            String agent = null;
            String cp = null;
            List<String> jvm = new ArrayList<>();
            int i = 0;
            for (; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help", "-help" -> {
                        return new Options(true, null, null, List.of(), null, null, List.of());
                    }
                    case "--procs" -> {
                        String v = value(args, ++i, a);
                        try {
                            procs = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            throw new UsageException("--procs needs a number, got '" + v + "'");
                        }
                        if (procs < 1) {
                            throw new UsageException("--procs must be at least 1, got " + procs);
                        }
                    }
                    case "--agent" -> {
                        agent = value(args, ++i, a);
                        if (agent.isBlank()) {
                            throw new UsageException("--agent needs arguments, e.g. --agent include=com.example.");
                        }
                    }
                    case "-cp", "-classpath", "--class-path" -> cp = value(args, ++i, a);
                    default -> {
                        if (a.startsWith("-J") && a.length() > 2) {
                            jvm.add(a.substring(2));
                        } else if (a.startsWith("-")) {
                            throw new UsageException("unknown option '" + a + "'");
                        } else {
                            String[] rest = Arrays.copyOfRange(args, i + 1, args.length);
                            if (cp == null) {
                                String env = System.getenv("CLASSPATH");
                                cp = env != null && !env.isEmpty() ? env : ".";
                            }
                            return new Options(false, procs, agent, List.copyOf(jvm), cp, a, List.of(rest));
                        }
                    }
                }
            }
            throw new UsageException("no main class given");
        }

        private static String value(String[] args, int i, String option) throws UsageException {
            if (i >= args.length) {
                throw new UsageException(option + " needs a value");
            }
            return args[i];
        }
    }

    /**
     * The child JVM's command line: goloom's flags, the agent, the user's JVM options, goloom's
     * class path before the application's, then {@link Boot} with the main class and arguments.
     */
    static List<String> childCommand(Options o, String java, String goloomClassPath, Path agentJar) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(GOLOOM_JVM_FLAGS);
        if (agentJar != null) {
            cmd.add("-javaagent:" + agentJar + "=" + o.agentArgs());
        }
        if (o.procs() != null) {
            cmd.add("-Dgoloom.procs=" + o.procs());
        }
        cmd.addAll(o.jvmOptions());
        cmd.add("-cp");
        cmd.add(goloomClassPath.isEmpty() ? o.classPath() : goloomClassPath + File.pathSeparator + o.classPath());
        cmd.add(Boot.class.getName());
        cmd.add(o.mainClass());
        cmd.addAll(o.appArgs());
        return cmd;
    }

    /** The java of the JVM running the launcher (JDK 25, as goloom requires). */
    static String javaExecutable() throws LaunchException {
        Path java = Path.of(System.getProperty("java.home"), "bin", isWindows() ? "java.exe" : "java");
        if (!Files.isExecutable(java)) {
            throw new LaunchException("cannot find the java executable at " + java);
        }
        return java.toString();
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").startsWith("Windows");
    }

    /** goloom's own classes: this JVM's class path (goloom.jar under java -jar). */
    static String goloomClassPath() {
        return System.getProperty("java.class.path", "");
    }

    /** Where the launcher's classes are: target/ for target/classes or target/goloom.jar. */
    private static Path launcherHome() {
        try {
            Path loc = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return loc.getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The agent jar: {@code -Dgoloom.agent.jar}, else {@code $GOLOOM_AGENT_JAR}, else
     * {@code goloom-agent.jar} next to the launcher, else the source tree's
     * {@code agent/target/goloom-agent-*.jar}.
     *
     * @throws LaunchException naming every place looked at
     */
    static Path findAgentJar() throws LaunchException {
        String explicit = System.getProperty(AGENT_JAR_PROPERTY);
        String from = "-D" + AGENT_JAR_PROPERTY;
        if (explicit == null || explicit.isEmpty()) {
            explicit = System.getenv(AGENT_JAR_ENV);
            from = "$" + AGENT_JAR_ENV;
        }
        if (explicit != null && !explicit.isEmpty()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p)) {
                throw new LaunchException("--agent: the agent jar " + p + " (from " + from + ") does not exist");
            }
            return p;
        }
        List<Path> looked = new ArrayList<>();
        Path home = launcherHome();
        if (home != null) {
            Path beside = home.resolve("goloom-agent.jar");
            looked.add(beside);
            if (Files.isRegularFile(beside)) {
                return beside;
            }
            Path tree = home.resolve("../../agent/target").normalize();
            looked.add(tree.resolve("goloom-agent-<version>.jar"));
            if (Files.isDirectory(tree)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(tree, "goloom-agent-*.jar")) {
                    for (Path p : ds) {
                        String n = p.getFileName().toString();
                        if (!n.endsWith("-sources.jar") && !n.endsWith("-tests.jar") && !n.endsWith("-javadoc.jar")) {
                            return p;
                        }
                    }
                } catch (IOException e) {
                    // reported below as not found
                }
            }
        }
        throw new LaunchException("--agent needs goloom's agent jar, which was not found (looked at: "
                + looked + "). Build it (mvn -pl agent package) or name it with -D" + AGENT_JAR_PROPERTY
                + "=PATH or $" + AGENT_JAR_ENV + ".");
    }

    /**
     * Runs the child with this process's standard streams and returns its exit status. The
     * child gets this process's pid ({@link #LAUNCHER_PID_PROPERTY}) and dies with it
     * ({@link Boot}): a launcher killed by SIGKILL, which runs no shutdown hook, leaves no
     * orphan. This thread must stay alive while the child runs (it does: it waits for it),
     * since on Linux the child's parent-death signal follows the thread that started it.
     */
    static int launch(List<String> cmd, PrintStream err) {
        List<String> withPid = new ArrayList<>(cmd);
        withPid.add(1, "-D" + LAUNCHER_PID_PROPERTY + "=" + ProcessHandle.current().pid());
        Process child;
        try {
            child = new ProcessBuilder(withPid).inheritIO().start();
        } catch (IOException e) {
            err.println("goloom run: cannot start " + cmd.getFirst() + ": " + e.getMessage());
            return 1;
        }
        // If this JVM is told to stop (SIGTERM, SIGINT), stop the application too, and wait
        // for it: the child dies at once when this process ends, so returning before it has
        // run its own shutdown hooks would cut them short.
        Thread reaper = new Thread(() -> {
            if (child.isAlive()) {
                child.destroy();
                boolean interrupted = false;
                for (;;) {
                    try {
                        child.waitFor();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "goloom-launcher-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            for (;;) {
                try {
                    return child.waitFor(); // 128+N when the child died of signal N
                } catch (InterruptedException e) {
                    // keep waiting: the child decides when we are done
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
        }
    }
}
