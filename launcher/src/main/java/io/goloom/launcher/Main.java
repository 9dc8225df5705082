package io.goloom.launcher;

import io.goloom.scheduler.PatchedJavaBase;
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
 * The launcher: {@code java -jar goloom.jar [options] (-cp CLASSPATH MainClass | -jar app.jar) [args...]},
 * which {@code ./goloom run} calls. It starts the application's JVM exactly as {@code java}
 * would start it, with two additions in front of the application's own arguments: goloom's
 * JVM flags and goloom's scheduler agent ({@code -javaagent:goloom.jar=scheduler[,procs=N]},
 * {@code io.goloom.scheduler.SchedulerAgent}), which puts every virtual thread of that JVM on
 * goloom. {@code main} runs on the JVM's own main thread, as under {@code java}; standard
 * streams are inherited and the exit status is the application's.
 *
 * <h2>Why a child JVM, not a class loader in this one</h2>
 * <ul>
 *   <li>An unmodified application expects its classes on the <em>system</em> class path:
 *       {@code ClassLoader.getSystemClassLoader()}, {@code java.class.path},
 *       {@code ServiceLoader} with the system loader, frameworks that scan the class path. A
 *       URLClassLoader under the launcher's loader gets all of those subtly wrong.</li>
 *   <li>Agents (goloom's scheduler agent, the yield-point agent) must be given when a JVM
 *       starts, with their arguments; {@code Launcher-Agent-Class} takes no arguments.</li>
 *   <li>goloom's JVM flags and the user's own ({@code -Xmx2g}, {@code -Dk=v}) are set on the
 *       command line, where they cannot be forgotten.</li>
 * </ul>
 * {@code ./goloom run} does not keep two processes: it asks for the command line
 * ({@link #COMMAND_FILE_PROPERTY}) and {@code exec}s it.
 */
public final class Main {

    static final String USAGE = """
            usage: goloom run [--procs N] [--agent include=PKG,...] [JVM options] \
            (-cp CLASSPATH MainClass | -jar app.jar) [args...]
                   java -jar goloom.jar (same options)

              --procs N           GOMAXPROCS of goloom's runtime (default: available processors)
              --agent ARGS        load goloom's yield-point agent with ARGS, e.g.
                                  include=com.example.,exclude=com.example.gen.
              -D<k>=<v>, -X<opt>, -XX:<opt>, -ea[:...], -da[:...]
                                  JVM options, passed to the application's JVM
              -J<option>          any other option for the application's JVM (e.g. -J--add-opens=...)
              -cp, -classpath, --class-path[=]CLASSPATH
                                  the application's class path (default: $CLASSPATH, else .)
              -jar app.jar        run an executable jar, as java -jar
              -h, --help          this text
            goloom run --print-jvm-options [--procs N] > goloom.args
                                  the same JVM options as a java argument file, for launching
                                  your own way: java @goloom.args -jar app.jar

            Runs the application as java does (main on the main thread, same exit status);
            every virtual thread it starts runs on goloom, through a patched java.base (no java
            agent: see README.md, "Transparent mode"). Launching your own way: --print-jvm-options,
            or the same with an agent (which makes every mount and unmount post JVMTI events):
              java -javaagent:goloom.jar=scheduler[,procs=N] [JVM options] (-cp CLASSPATH MainClass | -jar app.jar) [args...]
            """;

    /** The JVM flags goloom needs: goloom.jvmargs, which the jar carries (see JvmFlags). */
    static final List<String> GOLOOM_JVM_FLAGS = io.goloom.core.JvmFlags.flags();

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

    /** {@code agent}: tie the child to this launcher with DieWithLauncher even where setpriv exists. */
    static final String WATCH_PROPERTY = "goloom.launcher.watch";

    /** Prints the JVM options of agentless transparent mode as a java argument file, and exits. */
    static final String PRINT_JVM_OPTIONS = "--print-jvm-options";

    /**
     * {@code --print-jvm-options [--procs N]}: the options {@code ./goloom run} would pass, as a
     * java argument file on stdout, for users who start java their own way (a container's
     * entrypoint): {@code java @goloom.args -jar app.jar}. Written for this java and this
     * goloom.jar; the JVM started with it prints goloom's line itself.
     */
    static int printJvmOptions(String[] args, PrintStream out, PrintStream err) {
        Integer procs = null;
        try {
            if (args.length == 2 && args[0].equals("--procs")) {
                procs = Integer.parseInt(args[1]);
                if (procs < 1) {
                    throw new NumberFormatException();
                }
            } else if (args.length != 0) {
                throw new UsageException(PRINT_JVM_OPTIONS + " takes only --procs N, got " + String.join(" ", args));
            }
        } catch (NumberFormatException e) {
            err.println("goloom run: --procs needs a positive number, got '" + args[1] + "'");
            return 2;
        } catch (UsageException e) {
            err.println("goloom run: " + e.getMessage());
            return 2;
        }
        try {
            out.print(PatchedJavaBase.argFile(GOLOOM_JVM_FLAGS, goloomJar(), procs));
            out.flush();
            return 0;
        } catch (IllegalStateException refused) {
            err.println("goloom run: this JDK's virtual threads cannot be patched: " + refused.getMessage()
                    + " (-javaagent:goloom.jar=scheduler says the same at startup and runs the application on stock virtual threads)");
            return 1;
        } catch (IOException | LaunchException e) {
            err.println("goloom run: " + e.getMessage());
            return 1;
        }
    }

    /** One line, after the error, for bad arguments; {@link #USAGE} is for --help. */
    static final String USAGE_LINE = "usage: goloom run [--procs N] [--agent ARGS] [JVM options] "
            + "(-cp CLASSPATH MainClass | -jar app.jar) [args...]   (--help for details)";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Exit status: the application's; 2 for bad arguments; 1 if the child could not be started. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0 && args[0].equals(PRINT_JVM_OPTIONS)) {
            return printJvmOptions(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        List<String> cmd;
        Path goloomJar;
        try {
            Options o = Options.parse(args);
            if (o.help()) {
                out.print(USAGE);
                return 0;
            }
            Path agentJar = null;
            if (o.agentArgs() != null) {
                agentJar = findAgentJar();
                checkAgentArgs(agentJar, o.agentArgs());
            }
            goloomJar = goloomJar();
            cmd = childCommand(o, javaExecutable(), transparentOptions(o, goloomJar, err), agentJar);
        } catch (UsageException e) {
            err.println("goloom run: " + e.getMessage());
            err.println(USAGE_LINE);
            return 2;
        } catch (LaunchException e) {
            err.println("goloom run: " + e.getMessage());
            return 1;
        }
        String commandFile = System.getProperty(COMMAND_FILE_PROPERTY);
        if (commandFile != null && !commandFile.isEmpty()) {
            return writeCommand(cmd, Path.of(commandFile), err);
        }
        return launch(cmd, goloomJar, err);
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

    /**
     * Parsed command line. {@code procs} and {@code agentArgs} are null when not given;
     * {@code app} is the application's part of a {@code java} command line, as the user wrote
     * it: {@code [-cp CLASSPATH] MainClass args...} or {@code [-cp CLASSPATH] -jar app.jar args...}.
     */
    record Options(boolean help, Integer procs, String agentArgs, List<String> jvmOptions, List<String> app) {

        static Options parse(String[] args) throws UsageException {
            Integer procs = null;
            String agent = null;
            List<String> classPath = List.of(); // [option, value] as given, or empty: java's default
            List<String> jvm = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help", "-help" -> {
                        return new Options(true, null, null, List.of(), List.of());
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
                    case "-cp", "-classpath", "--class-path" -> classPath = List.of(a, value(args, ++i, a));
                    case "-jar" -> {
                        List<String> app = new ArrayList<>(classPath);
                        app.add(a);
                        app.add(value(args, ++i, a));
                        app.addAll(Arrays.asList(args).subList(i + 1, args.length));
                        return new Options(false, procs, agent, List.copyOf(jvm), List.copyOf(app));
                    }
                    default -> {
                        if (a.startsWith("--class-path=")) {
                            classPath = List.of(a);
                        } else if (a.startsWith("-J") && a.length() > 2) {
                            jvm.add(a.substring(2));
                        } else if (isJvmOption(a)) {
                            jvm.add(a);
                        } else if (a.startsWith("-")) {
                            throw new UsageException("unknown option '" + a + "' (JVM options other than -D, -X, "
                                    + "-XX:, -ea, -da go through -J, e.g. -J" + a + ")");
                        } else {
                            List<String> app = new ArrayList<>(classPath);
                            app.addAll(Arrays.asList(args).subList(i, args.length));
                            return new Options(false, procs, agent, List.copyOf(jvm), List.copyOf(app));
                        }
                    }
                }
            }
            throw new UsageException("no main class and no -jar given");
        }

        /** The JVM options accepted as they are, as java accepts them before the main class. */
        private static boolean isJvmOption(String a) {
            return (a.startsWith("-D") || a.startsWith("-X")) && a.length() > 2
                    || a.matches("-(ea|da|enableassertions|disableassertions)(:.*)?|-(esa|dsa|enablesystemassertions|disablesystemassertions)");
        }

        private static String value(String[] args, int i, String option) throws UsageException {
            if (i >= args.length) {
                throw new UsageException(option + " needs a value");
            }
            return args[i];
        }
    }

    /** The scheduler agent's arguments: {@code scheduler}, then {@code ,procs=N} when --procs is given. */
    static String schedulerAgentArgs(Options o) {
        return o.procs() == null ? "scheduler" : "scheduler,procs=" + o.procs();
    }

    /** The scheduler agent's option: transparent mode through {@code -javaagent}. */
    static List<String> agentOption(Options o, Path goloomJar) {
        return List.of("-javaagent:" + goloomJar + "=" + schedulerAgentArgs(o));
    }

    /**
     * The options that put the application's virtual threads on goloom: a patched java.base
     * ({@link PatchedJavaBase}: no java agent, so no JVMTI event at each virtual-thread mount
     * and unmount), and this launcher prints the line the agent would; else, when the user's
     * options patch java.base themselves or the patch cannot be written, the scheduler agent
     * (which prints its own line, or why this JDK refuses).
     */
    static List<String> transparentOptions(Options o, Path goloomJar, PrintStream err) {
        String cds = needsCds(o.jvmOptions(), System.getenv("JDK_JAVA_OPTIONS"));
        if (cds != null) {
            err.println("goloom run: " + cds + " asks for a CDS archive, which a JVM with a patched java.base cannot use;"
                    + " using the java agent instead, which makes every virtual-thread mount post JVMTI events");
            return agentOption(o, goloomJar);
        }
        if (!patchesJavaBase(o.jvmOptions())) {
            try {
                List<String> patch = PatchedJavaBase.jvmOptions(goloomJar, o.procs());
                err.println(PatchedJavaBase.announcement(o.procs(), o.jvmOptions()));
                return patch;
            } catch (IOException e) {
                err.println("goloom run: cannot write goloom's patched java.base classes (" + e.getMessage()
                        + "); using the java agent instead, which makes every virtual-thread mount post JVMTI events");
            } catch (IllegalStateException refused) {
                // this JDK's virtual threads cannot be patched: the agent says why, in its one line
            }
        }
        return agentOption(o, goloomJar);
    }

    /**
     * The first of the user's options (or of {@code JDK_JAVA_OPTIONS}) that needs the CDS archive
     * ({@code -Xshare:on}, an AppCDS archive to use, dump or create), or null: with a patched
     * java.base the JVM refuses to start with {@code -Xshare:on} and drops the archive otherwise.
     */
    static String needsCds(List<String> jvmOptions, String jdkJavaOptions) {
        List<String> all = new ArrayList<>(jvmOptions);
        if (jdkJavaOptions != null && !jdkJavaOptions.isBlank()) {
            all.addAll(Arrays.asList(jdkJavaOptions.strip().split("\\s+")));
        }
        for (String a : all) {
            if (a.equals("-Xshare:on") || a.equals("-Xshare:dump") || a.startsWith("-XX:SharedArchiveFile=")
                    || a.startsWith("-XX:ArchiveClassesAtExit=") || a.equals("-XX:+AutoCreateSharedArchive")
                    || a.startsWith("-XX:AOTCache=") || a.startsWith("-XX:AOTMode=") || a.startsWith("-XX:AOTCacheOutput=")) {
                return a;
            }
        }
        return null;
    }

    /** Do the user's JVM options patch java.base already (a JVM takes one --patch-module per module)? */
    static boolean patchesJavaBase(List<String> jvmOptions) {
        for (int i = 0; i < jvmOptions.size(); i++) {
            String a = jvmOptions.get(i);
            if (a.startsWith("--patch-module=java.base=")
                    || a.equals("--patch-module") && i + 1 < jvmOptions.size() && jvmOptions.get(i + 1).startsWith("java.base=")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The application JVM's command line: goloom's flags, the options that put its virtual
     * threads on goloom ({@link #transparentOptions}), the yield-point agent (--agent), the
     * user's JVM options, then the application's own {@code -cp CLASSPATH MainClass args} or
     * {@code -jar app.jar args}, unchanged.
     */
    static List<String> childCommand(Options o, String java, List<String> transparent, Path agentJar) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(GOLOOM_JVM_FLAGS);
        cmd.addAll(transparent);
        if (agentJar != null) {
            cmd.add("-javaagent:" + agentJar + "=" + o.agentArgs());
        }
        cmd.addAll(o.jvmOptions());
        cmd.addAll(o.app());
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

    /**
     * goloom.jar, the scheduler agent's jar: the jar this class runs from ({@code java -jar
     * goloom.jar}, {@code ./goloom run}), or {@code goloom.jar} beside the class directory
     * (target/classes in the source tree).
     *
     * @throws LaunchException when neither is there
     */
    static Path goloomJar() throws LaunchException {
        Path code = codeSource();
        if (code != null && Files.isRegularFile(code)) {
            return code;
        }
        Path beside = code == null ? null : code.resolveSibling("goloom.jar");
        if (beside != null && Files.isRegularFile(beside)) {
            return beside;
        }
        throw new LaunchException("goloom's agent jar goloom.jar was not found (looked at: " + code + ", " + beside
                + "). Build it: mvn -pl launcher -am package");
    }

    /** The launcher's jar or class directory, absolute; null if unknown. */
    private static Path codeSource() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
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
        Path code = codeSource();
        Path home = code == null ? null : code.getParent(); // target/ for target/classes or target/goloom.jar
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
     * child dies with this launcher (through setpriv, {@link #setprivPrefix}, on Linux; else
     * {@link DieWithLauncher}, loaded as one more agent from a manifest-only jar written for this
     * launch): a launcher killed by SIGKILL, which runs no shutdown hook, leaves no orphan. This thread must stay alive while the child runs (it
     * does: it waits for it), since on Linux the child's parent-death signal follows the
     * thread that started it.
     */
    static int launch(List<String> cmd, Path goloomJar, PrintStream err) {
        List<String> setpriv = setprivPrefix();
        if (setpriv != null) {
            List<String> watched = new ArrayList<>(setpriv);
            watched.addAll(cmd);
            return runChild(watched, err);
        }
        Path watchJar;
        try {
            watchJar = DieWithLauncher.writeAgentJar(goloomJar);
        } catch (IOException e) {
            err.println("goloom run: cannot write the launcher's agent jar to " + System.getProperty("java.io.tmpdir")
                    + ": " + e.getMessage());
            return 1;
        }
        try {
            List<String> withWatch = new ArrayList<>(cmd);
            withWatch.add(1, "-javaagent:" + watchJar + "=" + DieWithLauncher.agentArgs(watchJar));
            return runChild(withWatch, err);
        } finally {
            try {
                Files.deleteIfExists(watchJar); // the child deletes it first, unless it failed to start
            } catch (IOException e) {
                err.println("goloom run: cannot delete " + watchJar + ": " + e.getMessage());
            }
        }
    }

    /**
     * Linux with util-linux's {@code setpriv}: {@code setpriv --pdeathsig KILL -- java ...} sets
     * {@code PR_SET_PDEATHSIG} and execs the application's JVM in the same process, so the
     * kernel kills it when this launcher's thread that started it ends, and that JVM carries no
     * agent (an agent, {@link DieWithLauncher}, would make every virtual-thread mount post JVMTI
     * events). Left open: a launcher killed in the instant between starting setpriv and its
     * prctl leaves the application running (DieWithLauncher checks its parent afterwards;
     * setpriv cannot). Null elsewhere, or with {@code -Dgoloom.launcher.watch=agent}: then
     * DieWithLauncher.
     */
    static List<String> setprivPrefix() {
        if (!System.getProperty("os.name", "").equals("Linux") || "agent".equals(System.getProperty(WATCH_PROPERTY))) {
            return null;
        }
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, "setpriv");
            if (Files.isExecutable(p)) {
                return List.of(p.toString(), "--pdeathsig", "KILL", "--");
            }
        }
        return null;
    }

    private static int runChild(List<String> cmd, PrintStream err) {
        Process child;
        try {
            child = new ProcessBuilder(cmd).inheritIO().start();
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
