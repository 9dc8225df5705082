package io.goloom.scheduler;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * Transparent mode without a java agent: what {@code ./goloom run} and {@code ./goloom compare}
 * start the application's JVM with. The launcher writes this JDK's {@code VirtualThread} and
 * {@code ForkJoinWorkerThread}, rewritten as the agent rewrites them ({@link JdkBridge}), and
 * the hooks class into a directory, and passes
 * <pre>
 *   --patch-module java.base=DIR -Dgoloom.transparent.jar=goloom.jar -Dgoloom.virtualThreadScheduler=goloom
 * </pre>
 * ({@link #jvmOptions}). {@code VirtualThread}'s static initialiser, run at the first use of
 * a virtual thread, asks the hooks class for the default scheduler; the hooks class appends
 * goloom.jar to the system class path (as {@code -javaagent} does with its jar) and calls
 * {@link #boot}, which makes the {@link CarrierPool}.
 *
 * <h2>Why not the agent</h2>
 * Any java agent, loaded at startup or attached later, makes the JVM post JVMTI notifications
 * at every virtual-thread mount and unmount for the life of the JVM: on this machine, a
 * {@code Thread.yield} round trip of a stock virtual thread took 230 ns with a no-op agent
 * against 160 ns without. The patched java.base has no agent. Its costs: the JVM cannot use
 * the CDS archive with a patched java.base (slower startup), and the directory must
 * outlive the JVM, so it lives in a cache ({@link #cacheRoot}), named by a hash of its
 * content: the same JDK and goloom always share one. Small index files beside it
 * ({@code index-<hash of the JDK and goloom.jar>}) let a launch skip the rewrite.
 *
 * <p>If goloom cannot start inside the JVM (the jar is gone), the JDK's own scheduler is used
 * and one line on stderr says why; {@code goloom.virtualThreadScheduler} then reads
 * {@code stock}.
 */
public final class PatchedJavaBase {
    private PatchedJavaBase() {
    }

    /** The system property naming the jar goloom's classes are loaded from. */
    public static final String JAR_PROPERTY = "goloom.transparent.jar";
    /** Overrides where the patched classes are written ({@link #cacheRoot}). */
    public static final String CACHE_PROPERTY = "goloom.cache.dir";
    /** Set: the JVM itself prints goloom's one line when goloom starts (no launcher printed it). */
    public static final String ANNOUNCE_PROPERTY = "goloom.transparent.announce";

    /**
     * The JVM options that put every virtual thread of a JVM started with this JDK on goloom,
     * loading goloom from {@code goloomJar}; {@code procs} is GOMAXPROCS, or null for the default.
     *
     * @throws IllegalStateException when this JDK's virtual threads cannot be patched (another
     *         JDK version, code not shaped as expected): the message says why
     * @throws IOException when the patched classes cannot be written
     */
    public static List<String> jvmOptions(Path goloomJar, Integer procs) throws IOException {
        if (procs != null && procs < 1) {
            throw new IllegalArgumentException("procs must be positive, got " + procs);
        }
        Path dir = write(cacheRoot());
        List<String> o = new ArrayList<>(List.of(
                "--patch-module", "java.base=" + dir,
                "-D" + JAR_PROPERTY + "=" + goloomJar.toAbsolutePath(),
                "-D" + SchedulerAgent.PROPERTY + "=goloom"));
        if (procs != null) {
            o.add("-D" + GoRuntime.PROCS_PROPERTY + "=" + procs);
        }
        return o;
    }

    /**
     * The JVM options of {@link #jvmOptions} as a java argument file ({@code java @FILE ...}),
     * for users who start java themselves: goloom's JVM flags first, then transparent mode's,
     * each on its own line, and the JVM prints goloom's one line itself.
     */
    public static String argFile(List<String> goloomFlags, Path goloomJar, Integer procs) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("# goloom: every virtual thread of a JVM started with these options runs on goloom, without a java agent.\n")
                .append("#   java @THIS_FILE [JVM options] (-cp CLASSPATH Main | -jar app.jar) [args...]\n")
                .append("# Written for JDK ").append(Runtime.version()).append(" (").append(System.getProperty("java.home"))
                .append(") and ").append(goloomJar.toAbsolutePath())
                .append(": write it again when either changes (java -jar goloom.jar --print-jvm-options).\n");
        List<String> all = new ArrayList<>(goloomFlags);
        all.addAll(jvmOptions(goloomJar, procs));
        all.add("-D" + ANNOUNCE_PROPERTY + "=true");
        for (String o : all) {
            b.append(argFileWord(o)).append('\n');
        }
        return b.toString();
    }

    /** One argument in java's argument-file syntax: quoted when it has a blank, quote or backslash. */
    static String argFileWord(String o) {
        if (!o.isEmpty() && o.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'' || c == '\\' || c == '#')) {
            return o;
        }
        return '"' + o.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /**
     * Where this build's goloom classes are loaded from (goloom.jar; a class directory in the
     * build's tests): what {@code -Dgoloom.transparent.jar} names when no jar is given.
     */
    public static Path goloomLocation() {
        try {
            return Path.of(PatchedJavaBase.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot tell where goloom's classes are loaded from: " + e, e);
        }
    }

    /** The line the launcher prints, as the agent prints it: which scheduler, how many Ps. */
    public static String announcement(Integer procs) {
        return "goloom: virtual threads run on goloom (procs=" + (procs != null ? procs : SchedulerAgent.defaultProcs())
                + ", JDK " + Runtime.version() + ")";
    }

    /**
     * {@link #announcement(Integer)} for an app started with {@code appJvmOptions}: without
     * {@code procs}, the Ps its JVM will have, from its {@code -D} options (goloom.procs, else
     * the JDK's parallelism settings, see SchedulerAgent.adoptJdkParallelism), not this JVM's.
     */
    public static String announcement(Integer procs, List<String> appJvmOptions) {
        if (procs == null) {
            String own = systemProperty(appJvmOptions, GoRuntime.PROCS_PROPERTY);
            try {
                procs = own != null ? Integer.valueOf(own.trim()) : SchedulerAgent.jdkParallelism(name -> systemProperty(appJvmOptions, name), false);
            } catch (NumberFormatException e) {
                procs = null; // the app's JVM reports it
            }
        }
        return announcement(procs);
    }

    /** The value of {@code -Dname=value} in {@code jvmOptions} (the last one wins, as in java), or null. */
    private static String systemProperty(List<String> jvmOptions, String name) {
        String prefix = "-D" + name + "=";
        String v = null;
        for (String o : jvmOptions) {
            if (o.startsWith(prefix)) {
                v = o.substring(prefix.length());
            }
        }
        return v;
    }

    /**
     * {@code -Dgoloom.cache.dir}, else {@code $XDG_CACHE_HOME/goloom}, else
     * {@code ~/.cache/goloom}: a place no temporary-file cleaner empties under a running JVM
     * (a class missing from the patch is then read from the JDK's own image, unpatched).
     */
    static Path cacheRoot() {
        String set = System.getProperty(CACHE_PROPERTY);
        if (set != null && !set.isBlank()) {
            return Path.of(set);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "goloom");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "goloom");
    }

    /**
     * Writes the patched classes under {@code root} into a directory named by the JDK's feature
     * release and a hash of the content, unless it exists: written into a temporary sibling,
     * then renamed atomically, so a concurrent launcher sees a whole directory or none.
     */
    static Path write(Path root) throws IOException {
        Path goloom;
        try {
            goloom = goloomLocation();
        } catch (IllegalStateException e) {
            goloom = null; // no index: the classes are rewritten
        }
        return write(root, goloom);
    }

    /**
     * {@link #write(Path)}, goloom's classes coming from {@code goloom}. When that is a jar, an
     * index file under {@code root} maps this JDK and this jar (paths, sizes, modification times)
     * to the directory, so a later launch with both unchanged skips the rewrite (the class-file
     * transformation: about a quarter of a launcher's 250 ms); the index is checked against the
     * directory's files and ignored when they differ.
     */
    static Path write(Path root, Path goloom) throws IOException {
        String key = sourceKey(goloom);
        Path index = key != null ? root.resolve("index-" + key) : null;
        if (index != null) {
            Path hit = indexed(root, index);
            if (hit != null) {
                return hit;
            }
        }
        Map<String, byte[]> files = new TreeMap<>(JdkBridge.javaBasePatch());
        Path dir = root.resolve("java.base-" + Runtime.version().feature() + "-" + hash(files));
        if (!complete(dir, files)) {
            writeWhole(root, dir, files);
        }
        if (index != null) {
            writeIndex(root, index, dir, files);
        }
        return dir;
    }

    /**
     * Writes {@code files} into {@code dir}: into a temporary sibling, then renamed atomically, so
     * a concurrent launcher sees a whole directory or none.
     *
     * @throws IOException when {@code dir} exists afterwards without those files (damaged: the
     *         message says to delete it)
     */
    private static void writeWhole(Path root, Path dir, Map<String, byte[]> files) throws IOException {
        Files.createDirectories(root);
        Path tmp = Files.createTempDirectory(root, ".partial-");
        try {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Path p = tmp.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                Files.write(p, f.getValue());
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException exists) {
                // rename(2) onto a non-empty directory: ENOTEMPTY (a plain FileSystemException, not
                // DirectoryNotEmptyException). Another launcher wrote the same content first, or
                // the directory is damaged: complete() below tells which.
                if (!Files.isDirectory(dir)) {
                    throw exists;
                }
            }
        } finally {
            deleteTree(tmp);
        }
        if (!complete(dir, files)) {
            throw new IOException(dir + " exists but does not hold goloom's patched java.base classes: delete it");
        }
    }

    /**
     * What the patched classes are made from, as a file name: this JDK (version, home, its
     * module image's size and modification time) and goloom's jar (path, size, modification
     * time); null when goloom is not a jar (a class directory, whose time says nothing of its
     * content) or the JDK has no module image.
     */
    static String sourceKey(Path goloom) {
        try {
            Path modules = Path.of(System.getProperty("java.home"), "lib", "modules");
            if (goloom == null || !Files.isRegularFile(goloom) || !Files.isRegularFile(modules)) {
                return null;
            }
            String k = Runtime.version() + "\n" + System.getProperty("java.home") + "\n"
                    + Files.size(modules) + "\n" + Files.getLastModifiedTime(modules).toMillis() + "\n"
                    + goloom.toAbsolutePath() + "\n" + Files.size(goloom) + "\n" + Files.getLastModifiedTime(goloom).toMillis();
            return hash(Map.of("key", k.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            return null; // no shortcut: the classes are rewritten
        }
    }

    /** The directory an index names, if it holds the files the index lists with their sizes; else null. */
    private static Path indexed(Path root, Path index) {
        try {
            List<String> lines = Files.readAllLines(index);
            if (lines.size() < 2) {
                return null;
            }
            Path dir = root.resolve(lines.get(0));
            if (!dir.getParent().equals(root) || !Files.isDirectory(dir)) {
                return null;
            }
            for (String l : lines.subList(1, lines.size())) {
                int sp = l.indexOf(' ');
                Path f = dir.resolve(l.substring(sp + 1));
                if (sp < 1 || !Files.isRegularFile(f) || Files.size(f) != Long.parseLong(l.substring(0, sp))) {
                    return null;
                }
            }
            return dir;
        } catch (IOException | RuntimeException e) {
            return null; // missing or unreadable: rewrite
        }
    }

    /** Writes the index atomically (a temporary sibling renamed over it); a failure only loses the shortcut. */
    private static void writeIndex(Path root, Path index, Path dir, Map<String, byte[]> files) {
        StringBuilder b = new StringBuilder(dir.getFileName().toString()).append('\n');
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            b.append(f.getValue().length).append(' ').append(f.getKey()).append('\n');
        }
        try {
            Path tmp = Files.createTempFile(root, ".index-", ".tmp");
            try {
                Files.writeString(tmp, b);
                Files.move(tmp, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            // the next launch rewrites the classes again
        }
    }

    private static boolean complete(Path dir, Map<String, byte[]> files) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            if (!Files.isRegularFile(p) || Files.size(p) != f.getValue().length) {
                return false;
            }
        }
        return true;
    }

    private static String hash(Map<String, byte[]> files) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                d.update(f.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                d.update(f.getValue());
            }
            return HexFormat.of().formatHex(d.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /**
     * Called by the hooks class, once, inside {@code VirtualThread}'s static initialiser under a
     * patched java.base: makes the default runtime's {@link CarrierPool} the default scheduler.
     * (It makes no virtual thread and builds no runtime: the runtime is built at the first
     * mount.) Not for applications: with the agent, or after the first virtual thread, it does
     * nothing.
     */
    public static void boot() {
        try {
            Class<?> hooks = Class.forName(JdkBridge.HOOKS_CLASS, false, null);
            if (hooks.getField("SCHEDULER").get(null) != null || JdkBridge.installed()) {
                return;
            }
            io.goloom.core.JvmFlags.require(); // without goloom's flags: the JDK's pool, and the message naming them
            CarrierPool pool = new CarrierPool(SchedulerAgent.defaultProcs());
            BooleanSupplier queuedWork = CarrierPool::carrierHasQueuedWork;
            hooks.getField("QUEUED_WORK").set(null, queuedWork);
            hooks.getField("SCHEDULER").set(null, pool);
            JdkBridge.markInstalled();
            if (Boolean.getBoolean(ANNOUNCE_PROPERTY)) {
                System.err.println(announcement(null));
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            System.setProperty(SchedulerAgent.PROPERTY, "stock");
            System.err.println("goloom: virtual threads stay on the JDK's ForkJoinPool: starting goloom failed: " + e
                    + " (JDK " + Runtime.version() + ")");
        }
    }
}
