package io.goloom.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * The agent's options, parsed from the agent argument string, and the class-name filter they
 * define. Immutable.
 *
 * <h2>Syntax</h2>
 * <pre>
 *  args     := option ("," option)*
 *  option   := "include=" prefixes | "exclude=" prefixes | "goroutines=" prefixes
 *            | "entry=" bool | "verbose=" bool | "retransform=" bool | "verify=" bool
 *  prefixes := prefix ("," prefix)*          a bare token continues the previous list
 *  bool     := "true" | "false"
 * </pre>
 * Example: {@code include=com.example.,org.foo.,exclude=com.example.gen.,entry=true}.
 * A prefix is matched against the binary class name ({@code com.example.Foo$Bar}); end it with
 * a dot to mean a package and its subpackages ({@code com.example.} does not match
 * {@code com.examples.X}, {@code com.example} does). {@code include=*} means every class that
 * is not excluded. {@code include} (or {@code goroutines}) is required: instrumenting
 * everything by accident is the mistake this prevents.
 *
 * <h2>Which yield points may switch a native goroutine</h2>
 * A native goroutine runs on its carrier's thread: {@code Thread.currentThread()} is the
 * carrier, so a {@code ReentrantLock}, a monitor, a {@code ThreadLocal} or any other state owned
 * by "the current thread" belongs to whichever goroutine happens to run on that carrier. A yield
 * between taking such state and giving it back hands it to the next goroutine on the carrier
 * (a second {@code lock()} succeeds as a reentrant acquire) or strands it (the goroutine
 * resumes on another carrier and {@code unlock()} throws IllegalMonitorStateException). goloom's
 * own yields happen only inside goloom calls, which code written for goroutines places with
 * that in mind; a yield point the agent puts into a library's loop can land anywhere, and
 * libraries do hold such state across loops (Jackson's caches under a ReentrantLock). So by
 * default a yield point only yields a JDK virtual thread on goloom's carriers
 * ({@code YieldPoint.checkVirtual()}: a virtual thread owns its locks and ThreadLocals, and
 * {@code Thread.yield()} keeps them) and a native goroutine passes it without yielding.
 * {@code goroutines=<prefix>,...} names the code that may also switch native goroutines
 * ({@code YieldPoint.check()}): code written for goroutines, holding no thread-owned state
 * across a loop (the application's own CPU-bound loops). Those classes are instrumented even
 * if no include prefix names them. {@code goroutines=*} means every instrumented class.
 *
 * <h2>Filter</h2>
 * A class is instrumented iff it is not in a never-instrumented package ({@link #NEVER}), not
 * under an exclude prefix, and under an include prefix (or include is {@code *}). Exclusion
 * wins over inclusion. Names are compared in internal form ({@code com/example/Foo}), the form
 * a {@code ClassFileTransformer} receives, so the per-class filter allocates nothing.
 */
public final class AgentConfig {

    /**
     * Never instrumented, whatever the arguments: the JDK (its classes are defined by the boot
     * and platform loaders, which cannot see {@link YieldPoint} anyway, and instrumenting them
     * would put yield points under the runtime's own feet) and goloom itself (the runtime and
     * this agent; a yield point inside the scheduler would recurse into it).
     */
    static final List<String> NEVER = List.of("java/", "javax/", "jdk/", "sun/", "com/sun/", "io/goloom/");

    static final String USAGE = "usage: include=<prefix>[,<prefix>...][,exclude=<prefix>[,<prefix>...]]"
            + "[,goroutines=<prefix>[,<prefix>...]][,entry=true|false][,verbose=true|false]"
            + "[,retransform=true|false][,verify=true|false]"
            + " (e.g. include=com.example.,exclude=com.example.gen.)";

    /** Include prefixes in internal form; empty iff {@link #includeAll}. */
    private final List<String> includes;
    /** Exclude prefixes in internal form. */
    private final List<String> excludes;
    private final boolean includeAll;
    /** Prefixes (internal form) whose yield points may switch native goroutines; empty iff {@link #goroutinesAll}. */
    private final List<String> goroutines;
    private final boolean goroutinesAll;
    /** Also insert a check at the entry of every method that calls something. */
    final boolean entry;
    /** Log every instrumented class, not just failures. */
    final boolean verbose;
    /** On install, retransform already-loaded classes that pass the filter. */
    final boolean retransform;
    /** Run the ClassFile API verifier on every transformed class; leave it alone if it fails. */
    final boolean verify;
    /** The argument string as given, for messages. */
    final String source;

    private AgentConfig(List<String> includes, List<String> excludes, boolean includeAll, List<String> goroutines,
                        boolean goroutinesAll, boolean entry, boolean verbose, boolean retransform, boolean verify,
                        String source) {
        this.includes = List.copyOf(includes);
        this.excludes = List.copyOf(excludes);
        this.includeAll = includeAll;
        this.goroutines = List.copyOf(goroutines);
        this.goroutinesAll = goroutinesAll;
        this.entry = entry;
        this.verbose = verbose;
        this.retransform = retransform;
        this.verify = verify;
        this.source = source;
    }

    /**
     * Parses an agent argument string.
     *
     * @throws IllegalArgumentException naming the offending token, the reason and the usage,
     *         when args is null or blank, a key is unknown or repeated, a value is malformed,
     *         {@code include} is missing, or a prefix names a never-instrumented package
     */
    public static AgentConfig parse(String args) {
        if (args == null || args.isBlank()) {
            throw bad(args, null, "no arguments: include is required");
        }
        List<String> includes = new ArrayList<>();
        List<String> excludes = new ArrayList<>();
        List<String> goroutines = new ArrayList<>();
        boolean includeAll = false;
        boolean goroutinesAll = false;
        boolean sawInclude = false;
        boolean sawGoroutines = false;
        Boolean entry = null;
        Boolean verbose = null;
        Boolean retransform = null;
        Boolean verify = null;
        List<String> list = null; // the list a bare token continues, or null after a boolean option
        for (String raw : args.split(",", -1)) {
            String token = raw.strip();
            if (token.isEmpty()) {
                continue; // tolerate "a,,b" and a trailing comma
            }
            int eq = token.indexOf('=');
            if (eq < 0) {
                if (list == null) {
                    throw bad(args, token, "a bare prefix must follow include= or exclude=");
                }
                if (list == includes && includeAll || list == goroutines && goroutinesAll) {
                    throw bad(args, token, (list == includes ? "include" : "goroutines")
                            + "=* cannot be combined with prefixes");
                }
                list.add(prefix(args, token, list == excludes ? "exclude" : list == includes ? "include" : "goroutines"));
                continue;
            }
            String key = token.substring(0, eq).strip();
            String value = token.substring(eq + 1).strip();
            switch (key) {
                case "include" -> {
                    sawInclude = true;
                    list = includes;
                    includeAll |= starOrPrefix(args, token, key, value, includes, includeAll);
                }
                case "goroutines" -> {
                    sawGoroutines = true;
                    list = goroutines;
                    goroutinesAll |= starOrPrefix(args, token, key, value, goroutines, goroutinesAll);
                }
                case "exclude" -> {
                    list = excludes;
                    excludes.add(prefix(args, value, "exclude"));
                }
                case "entry" -> {
                    entry = bool(args, token, value, entry);
                    list = null;
                }
                case "verbose" -> {
                    verbose = bool(args, token, value, verbose);
                    list = null;
                }
                case "retransform" -> {
                    retransform = bool(args, token, value, retransform);
                    list = null;
                }
                case "verify" -> {
                    verify = bool(args, token, value, verify);
                    list = null;
                }
                default -> throw bad(args, token, "unknown option '" + key + "'");
            }
        }
        if (!sawInclude && !sawGoroutines) {
            throw bad(args, null, "include is required (use include=* to instrument every class not excluded)");
        }
        if (goroutinesAll && !sawInclude) {
            throw bad(args, null, "goroutines=* needs include (it only changes what the included classes' yield points do)");
        }
        return new AgentConfig(includes, excludes, includeAll, goroutines, goroutinesAll,
                entry != null && entry, verbose != null && verbose,
                retransform == null || retransform, verify != null && verify, args);
    }

    /**
     * The value of include= or goroutines=: {@code *} (returns true) or a prefix added to list
     * (returns false); the two cannot be mixed in one list.
     */
    private static boolean starOrPrefix(String args, String token, String key, String value, List<String> list,
                                        boolean all) {
        boolean star = value.equals("*");
        if (all || star && !list.isEmpty()) {
            throw bad(args, token, key + "=* cannot be combined with prefixes");
        }
        if (!star) {
            list.add(prefix(args, value, key));
        }
        return star;
    }

    /** Validates a prefix in dotted form and returns it in internal form. */
    private static String prefix(String args, String value, String what) {
        boolean include = !what.equals("exclude");
        if (value.isEmpty()) {
            throw bad(args, what + "=", "empty prefix");
        }
        if (value.equals("*")) {
            throw bad(args, value, "'*' is only allowed as include=* or goroutines=*");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '/') {
                throw bad(args, value, "write prefixes with dots (com.example.), not slashes");
            }
            if (c != '.' && !Character.isJavaIdentifierPart(c)) {
                throw bad(args, value, "'" + c + "' cannot appear in a class name");
            }
        }
        String internal = value.replace('.', '/');
        if (include) {
            for (String never : NEVER) {
                if (internal.startsWith(never)) {
                    throw bad(args, value, "the agent never instruments " + never.replace('/', '.')
                            + "* (the JDK and goloom itself)");
                }
            }
        }
        return internal;
    }

    private static boolean bool(String args, String token, String value, Boolean previous) {
        if (previous != null) {
            throw bad(args, token, "given twice");
        }
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad(args, token, "expected true or false");
        };
    }

    private static IllegalArgumentException bad(String args, String token, String reason) {
        String where = token == null ? "" : " at '" + token + "'";
        return new IllegalArgumentException("goloom-agent: bad arguments '" + args + "'" + where + ": "
                + reason + "; " + USAGE);
    }

    /**
     * Whether the class with this internal name passes the filter. Pure string work, no
     * allocation: called for every class the JVM loads.
     */
    public boolean instruments(String internalName) {
        if (internalName == null || isNever(internalName)) {
            return false;
        }
        for (String ex : excludes) {
            if (internalName.startsWith(ex)) {
                return false;
            }
        }
        if (includeAll) {
            return true;
        }
        for (String in : includes) {
            if (internalName.startsWith(in)) {
                return true;
            }
        }
        return underGoroutines(internalName);
    }

    /**
     * Whether an instrumented class's yield points may also switch native goroutines
     * ({@code YieldPoint.check()}) rather than only JDK virtual threads
     * ({@code YieldPoint.checkVirtual()}); see the class comment.
     */
    public boolean switchesGoroutines(String internalName) {
        return goroutinesAll || underGoroutines(internalName);
    }

    private boolean underGoroutines(String internalName) {
        for (String g : goroutines) {
            if (internalName.startsWith(g)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the class is in a package the agent never instruments, whatever the arguments. */
    static boolean isNever(String internalName) {
        for (String never : NEVER) {
            if (internalName.startsWith(never)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "include=" + (includeAll ? "*" : dotted(includes)) + " exclude=" + dotted(excludes)
                + " goroutines=" + (goroutinesAll ? "*" : dotted(goroutines))
                + " entry=" + entry + " verbose=" + verbose + " retransform=" + retransform + " verify=" + verify;
    }

    private static String dotted(List<String> internal) {
        return internal.stream().map(s -> s.replace('/', '.')).toList().toString();
    }
}
