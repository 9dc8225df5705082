package io.goloom.agent;

import java.io.PrintStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent's {@link ClassFileTransformer}: filters by name, checks that the defining loader
 * can link against {@link YieldPoint}, lets the {@link Instrumenter} insert the checks, and
 * turns every failure into "leave the class as it was, say so once".
 *
 * <h2>Rules, in the order applied</h2>
 * <ol>
 *   <li>The name filter ({@link AgentConfig#instruments}): pure string work, the only cost
 *       paid by the classes the agent does not touch. A null name (a class defined without
 *       one) is skipped.</li>
 *   <li>Hidden classes (lambda proxies, lambda forms; the JVM does not normally offer them
 *       to transformers) and {@code $$Lambda} names are skipped.</li>
 *   <li>The defining loader must resolve {@code io.goloom.agent.YieldPoint} to this agent's
 *       class, or the inserted calls would fail with NoClassDefFoundError (or call a second,
 *       unregistered copy). The agent jar is on the system class path (-javaagent, dynamic
 *       attach and Launcher-Agent-Class all put it there), so loaders that delegate to the
 *       system loader pass; the boot and platform loaders never do (their classes are the
 *       JDK's, skipped silently), and a custom loader whose chain does not reach the system
 *       loader is skipped and logged once. Answered with
 *       {@code Class.forName(name, false, loader)} once per loader and cached weakly.</li>
 *   <li>A class in a named module gets a read edge to the agent's (unnamed) module before its
 *       bytes are returned, so the inserted call links.</li>
 *   <li>Any exception or error while transforming: the class is returned unchanged (null) and
 *       its name and the reason go to the log once. The transformer never throws.</li>
 * </ol>
 */
public final class YieldPointTransformer implements ClassFileTransformer {

    private static final String YIELD_POINT_NAME = "io.goloom.agent.YieldPoint";
    /** After this many distinct messages, the log says so once and stays quiet. */
    static final int MAX_LOGGED = 1000;

    private final AgentConfig config;
    private final Instrumenter instrumenter;
    /** Null when used without an agent (tests, tools): named modules then get no read edge. */
    private final Instrumentation inst;
    private final PrintStream log;
    private final Module yieldPointModule = YieldPoint.class.getModule();

    /** Keys of messages already logged (class names, loader ids). Concurrent: transform runs on any thread. */
    private final Set<String> logged = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean logFull = new AtomicBoolean();
    /** Loader -> can it see our YieldPoint. Guarded by its own monitor; weak so loaders can die. */
    private final Map<ClassLoader, Boolean> visibility = Collections.synchronizedMap(new WeakHashMap<>());

    /** Classes instrumented / left alone after a failure. Statistics for verbose output and tests. */
    final AtomicInteger instrumented = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    /**
     * @param inst null when not running as an agent (no module read edges are added then)
     * @param log  where failures (and, with verbose, every instrumented class) are reported
     */
    public YieldPointTransformer(AgentConfig config, Instrumentation inst, PrintStream log) {
        this.config = config;
        this.instrumenter = new Instrumenter(config.entry);
        this.inst = inst;
        this.log = log;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        return transform(loader == null ? null : loader.getUnnamedModule(), loader, className,
                classBeingRedefined, protectionDomain, classfileBuffer);
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (!config.instruments(className)) {
            return null;
        }
        try {
            return transformIncluded(module, loader, className, classBeingRedefined, classfileBuffer);
        } catch (Throwable t) {
            failed.incrementAndGet();
            logOnce("class " + className, "left " + className.replace('/', '.') + " uninstrumented: " + t);
            return null;
        }
    }

    private byte[] transformIncluded(Module module, ClassLoader loader, String className,
                                     Class<?> classBeingRedefined, byte[] bytes) {
        if ((classBeingRedefined != null && classBeingRedefined.isHidden()) || className.contains("$$Lambda")) {
            return null;
        }
        if (!canSeeYieldPoint(loader)) {
            return null;
        }
        Instrumenter.Result result = instrumenter.instrument(bytes, config.switchesGoroutines(className));
        if (result == null) {
            return null;
        }
        if (config.verify) {
            verify(result.bytes(), loader);
        }
        if (inst != null && module != null && module.isNamed() && !module.canRead(yieldPointModule)) {
            inst.redefineModule(module, Set.of(yieldPointModule), Map.of(), Map.of(), Set.of(), Map.of());
        }
        instrumented.incrementAndGet();
        if (config.verbose) {
            log.println("goloom-agent: instrumented " + className.replace('/', '.') + " (" + result.backEdges()
                    + " back-edge and " + result.entries() + " entry checks"
                    + (config.switchesGoroutines(className) ? ", goroutines too)" : ", virtual threads only)"));
        }
        return result.bytes();
    }

    /** Whether classes defined by this loader link {@code YieldPoint} to ours. Cached per loader. */
    boolean canSeeYieldPoint(ClassLoader loader) {
        if (loader == null) {
            return false; // the boot loader: JDK classes only, never on our list
        }
        Boolean known = visibility.get(loader);
        if (known != null) {
            return known;
        }
        boolean sees;
        try {
            sees = Class.forName(YIELD_POINT_NAME, false, loader) == YieldPoint.class;
        } catch (Throwable t) { // ClassNotFoundException, LinkageError, or whatever a custom loader throws
            sees = false;
        }
        if (visibility.putIfAbsent(loader, sees) == null && !sees && loader != ClassLoader.getPlatformClassLoader()) {
            logOnce("loader " + System.identityHashCode(loader), "class loader " + loader
                    + " does not resolve " + YIELD_POINT_NAME + " to the agent's class (its delegation does not"
                    + " reach the system class loader); the classes it defines are not instrumented");
        }
        return sees;
    }

    /** ClassFile API verification of the result; throws (so the class is left alone) on any error. */
    private static void verify(byte[] bytes, ClassLoader loader) {
        ClassHierarchyResolver resolver = ClassHierarchyResolver.ofResourceParsing(loader)
                .orElse(ClassHierarchyResolver.defaultResolver());
        List<VerifyError> errors = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(resolver)).verify(bytes);
        if (!errors.isEmpty()) {
            throw new IllegalStateException("ClassFile verifier rejected the result (" + errors.size()
                    + " errors), first: " + errors.getFirst().getMessage());
        }
    }

    /** Retransforms the already-loaded classes that pass the filter (after a late install). */
    void retransformLoaded() {
        if (inst == null || !inst.isRetransformClassesSupported()) {
            return;
        }
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.isArray() || c.isPrimitive() || c.isHidden()) {
                continue;
            }
            String internal = c.getName().replace('.', '/');
            if (!config.instruments(internal) || !inst.isModifiableClass(c)) {
                continue;
            }
            try {
                inst.retransformClasses(c);
            } catch (Throwable t) {
                failed.incrementAndGet();
                logOnce("class " + internal, "could not retransform " + c.getName() + ": " + t);
            }
        }
    }

    /** Instruments one of the agent's own classes and throws the result away: loads the ClassFile API. */
    void warmUp() {
        try (var in = AgentConfig.class.getResourceAsStream("AgentConfig.class")) {
            if (in != null) {
                instrumenter.instrument(in.readAllBytes());
            }
        } catch (Throwable t) {
            if (config.verbose) {
                log.println("goloom-agent: warm-up failed (harmless): " + t);
            }
        }
    }

    /** Prints "goloom-agent: " + message unless the key was logged before. */
    void logOnce(String key, String message) {
        if (logged.size() >= MAX_LOGGED) {
            if (logFull.compareAndSet(false, true)) {
                log.println("goloom-agent: " + MAX_LOGGED + " messages logged; further failures are not reported");
            }
            return;
        }
        if (logged.add(key)) {
            log.println("goloom-agent: " + message);
        }
    }

    AgentConfig config() {
        return config;
    }
}
