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
 *  option   := "include=" prefixes | "exclude=" prefixes
 *            | "entry=" bool | "verbose=" bool | "retransform=" bool | "verify=" bool
 *  prefixes := prefix ("," prefix)*          a bare token continues the previous list
 *  bool     := "true" | "false"
 * </pre>
 * Example: {@code include=com.example.,org.foo.,exclude=com.example.gen.,entry=true}.
 * A prefix is matched against the binary class name ({@code com.example.Foo$Bar}); end it with
 * a dot to mean a package and its subpackages ({@code com.example.} does not match
 * {@code com.examples.X}, {@code com.example} does). {@code include=*} means every class that
 * is not excluded. {@code include} is required: instrumenting everything by accident is the
 * mistake this prevents.
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
            + "[,entry=true|false][,verbose=true|false][,retransform=true|false][,verify=true|false]"
            + " (e.g. include=com.example.,exclude=com.example.gen.)";

    /** Include prefixes in internal form; empty iff {@link #includeAll}. */
    private final List<String> includes;
    /** Exclude prefixes in internal form. */
    private final List<String> excludes;
    private final boolean includeAll;
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

    private AgentConfig(List<String> includes, List<String> excludes, boolean includeAll, boolean entry,
                        boolean verbose, boolean retransform, boolean verify, String source) {
        this.includes = List.copyOf(includes);
        this.excludes = List.copyOf(excludes);
        this.includeAll = includeAll;
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
        boolean includeAll = false;
        boolean sawInclude = false;
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
                if (list == includes && includeAll) {
                    throw bad(args, token, "include=* cannot be combined with prefixes");
                }
                list.add(prefix(args, token, list == includes));
                continue;
            }
            String key = token.substring(0, eq).strip();
            String value = token.substring(eq + 1).strip();
            switch (key) {
                case "include" -> {
                    sawInclude = true;
                    list = includes;
                    if (value.equals("*")) {
                        if (!includes.isEmpty()) {
                            throw bad(args, token, "include=* cannot be combined with prefixes");
                        }
                        includeAll = true;
                    } else {
                        if (includeAll) {
                            throw bad(args, token, "include=* cannot be combined with prefixes");
                        }
                        includes.add(prefix(args, value, true));
                    }
                }
                case "exclude" -> {
                    list = excludes;
                    excludes.add(prefix(args, value, false));
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
        if (!sawInclude) {
            throw bad(args, null, "include is required (use include=* to instrument every class not excluded)");
        }
        return new AgentConfig(includes, excludes, includeAll,
                entry != null && entry, verbose != null && verbose,
                retransform == null || retransform, verify != null && verify, args);
    }

    /** Validates a prefix in dotted form and returns it in internal form. */
    private static String prefix(String args, String value, boolean include) {
        String what = include ? "include" : "exclude";
        if (value.isEmpty()) {
            throw bad(args, what + "=", "empty prefix");
        }
        if (value.equals("*")) {
            throw bad(args, value, "'*' is only allowed as include=*");
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
                + " entry=" + entry + " verbose=" + verbose + " retransform=" + retransform + " verify=" + verify;
    }

    private static String dotted(List<String> internal) {
        return internal.stream().map(s -> s.replace('/', '.')).toList().toString();
    }
}
