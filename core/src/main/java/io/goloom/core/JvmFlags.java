package io.goloom.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * goloom's JVM flags: the one list ({@code goloom.jvmargs} at the repository's root, carried in
 * every goloom jar as {@value #RESOURCE}) and the check that this JVM was started with them.
 *
 * <p>goloom's classes need two of java.base's internal packages exported to them: without
 * {@code jdk.internal.vm}, loading {@link G} (a {@code Continuation}) fails with a raw
 * {@code IllegalAccessError}; without {@code jdk.internal.access}, {@link BootClasses} fails
 * inside a class initialiser. {@link #require()} runs before either and turns both into one
 * {@code IllegalAccessError} (the JVM's own type for this failure, and an Error so that a class
 * initialiser passes it on unwrapped) whose message names the missing flags exactly as to write
 * them. Its callers are the places that load {@code G} first: {@code ChanLock}'s initialiser
 * (every channel and sync primitive), {@code GoRuntime}'s constructor and {@code current()},
 * {@code Go.current()}; and {@code BootClasses} for {@code jdk.internal.access}. The other
 * flags in the file are optional: {@code --add-opens java.base/java.lang} only for
 * {@code GoRuntime.virtualThreads()} (which says so itself), {@code --enable-native-access} only
 * silences the JDK's warning when the netpoller first calls libc.
 */
public final class JvmFlags {
    private JvmFlags() {
    }

    /** Where the goloom jars carry the argfile. */
    public static final String RESOURCE = "META-INF/goloom/goloom.jvmargs";

    /** What to tell the user besides the flag itself. */
    public static final String HINT = "or pass all of goloom's flags at once: java @goloom.jvmargs ..."
            + " (the file is at the root of goloom's repository, and in the goloom jar as " + RESOURCE + ")";

    /** The packages goloom's classes cannot load without; checked by {@link #require()}. */
    private static final String[] REQUIRED_EXPORTS = {"jdk.internal.vm", "jdk.internal.access"};

    /**
     * Set once a check passed. A plain field: a thread that misses the write checks again, which
     * is idempotent (exports are only ever added), so the read stays free on the paths that call
     * {@link #require()}.
     */
    private static boolean granted;

    /**
     * Throws unless java.base exports the packages goloom needs to goloom's module (flags on
     * the command line, an executable jar's {@code Add-Exports}, or goloom's agent).
     *
     * @throws IllegalAccessError naming each missing flag as it is written on java's command line
     */
    public static void require() {
        if (!granted) {
            check();
        }
    }

    private static void check() {
        Module base = Object.class.getModule();
        Module goloom = JvmFlags.class.getModule();
        List<String> missing = new ArrayList<>();
        for (String pkg : REQUIRED_EXPORTS) {
            if (!base.isExported(pkg, goloom)) {
                missing.add("--add-exports java.base/" + pkg + "=" + target(goloom));
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalAccessError(missingMessage(missing));
        }
        granted = true;
    }

    /** The flag's target as java wants it: goloom's module name, or ALL-UNNAMED on the class path. */
    public static String target(Module m) {
        return m.isNamed() ? m.getName() : "ALL-UNNAMED";
    }

    /** The message for flags this JVM lacks; {@code flags} as written on java's command line. */
    public static String missingMessage(List<String> flags) {
        return "goloom: this JVM was started without " + (flags.size() == 1 ? "the flag" : "the flags")
                + " goloom needs: " + String.join(" ", flags) + ". Add " + (flags.size() == 1 ? "it" : "them")
                + " to the java command line (before the class or -jar), " + HINT + ".";
    }

    /**
     * The flags in {@value #RESOURCE}, one argument per element, as java reads an argfile:
     * whitespace separates arguments and a {@code #} where an argument would start comments out
     * the rest of the line.
     * Quotes are not used in goloom's file and are refused here.
     *
     * @throws IllegalStateException if the resource is missing (a jar built without it)
     */
    public static List<String> flags() {
        try (InputStream in = JvmFlags.class.getClassLoader() == null ? null
                : JvmFlags.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("goloom: " + RESOURCE + " is missing from goloom's class path"
                        + " (core's build copies goloom.jvmargs from the repository's root)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits argfile text into arguments (see {@link #flags()}). */
    public static List<String> parse(String text) {
        List<String> args = new ArrayList<>();
        for (String line : text.split("\\R")) {
            for (String arg : line.trim().split("\\s+")) {
                if (arg.startsWith("#")) {
                    break; // as java: a # where an argument would start comments out the rest of the line
                }
                if (arg.indexOf('"') >= 0 || arg.indexOf('\'') >= 0) {
                    throw new IllegalArgumentException("goloom: quoted arguments are not supported in an argfile here: " + line);
                }
                if (!arg.isEmpty()) {
                    args.add(arg);
                }
            }
        }
        return List.copyOf(args);
    }
}
