package io.goloom.agent;

import java.lang.instrument.Instrumentation;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The agent's entry points: {@code premain} for {@code -javaagent:goloom-agent.jar=<args>},
 * {@code agentmain} for dynamic attach and for {@code Launcher-Agent-Class} (an executable jar
 * that embeds the agent). See {@link AgentConfig} for the arguments.
 *
 * <p>When the argument string is null or blank (Launcher-Agent-Class passes none), the system
 * property {@code goloom.agent} supplies it: {@code java -Dgoloom.agent=include=com.example. -jar app.jar}.
 *
 * <p>One install per JVM: a second install with the same arguments does nothing, one with
 * different arguments throws IllegalStateException rather than stacking a second transformer.
 */
public final class GoloomAgent {

    /** The system property read when the agent gets no arguments. */
    public static final String ARGS_PROPERTY = "goloom.agent";

    private static final AtomicReference<YieldPointTransformer> INSTALLED = new AtomicReference<>();

    private GoloomAgent() {
    }

    /**
     * {@code -javaagent} entry point. Bad arguments (or a second install with other ones) stop
     * the JVM with status 1 and the message on stderr: an exception thrown from premain would
     * make the JVM abort ("FATAL ERROR in native method: processing of -javaagent failed",
     * status 134, a core dump where enabled). premain runs before main, so nothing of the
     * application has run.
     */
    public static void premain(String args, Instrumentation inst) {
        try {
            install(args, inst);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Dynamic attach and Launcher-Agent-Class entry point. Already-loaded classes that pass the
     * filter are retransformed (unless {@code retransform=false}); methods already running keep
     * their old code until they are called again.
     *
     * @throws IllegalArgumentException on bad arguments
     */
    public static void agentmain(String args, Instrumentation inst) {
        install(args, inst);
    }

    private static void install(String args, Instrumentation inst) {
        String effective = args == null || args.isBlank() ? System.getProperty(ARGS_PROPERTY) : args;
        AgentConfig config = AgentConfig.parse(effective);
        YieldPointTransformer transformer = new YieldPointTransformer(config, inst, System.err);
        if (!INSTALLED.compareAndSet(null, transformer)) {
            String first = INSTALLED.get().config().source;
            if (first.equals(effective)) {
                return; // e.g. -javaagent and Launcher-Agent-Class with the same options: one install
            }
            throw new IllegalStateException("goloom-agent: already installed in this JVM with '" + first
                    + "'; refusing a second install with '" + effective + "'");
        }
        transformer.warmUp();
        inst.addTransformer(transformer, inst.isRetransformClassesSupported());
        if (config.retransform) {
            transformer.retransformLoaded();
        }
        if (config.verbose) {
            System.err.println("goloom-agent: installed (" + config + ")");
        }
    }
}
