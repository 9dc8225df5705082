package io.goloom.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The runtime's side of the preemption agent (module {@code agent}). Instrumented code calls
 * {@code io.goloom.agent.YieldPoint.check()} at loop back-edges, which reads one volatile int,
 * {@code YieldPoint.requests}, and calls the registered handler only while it is non-zero.
 * goloom keeps that counter equal to the number of preemption requests outstanding: it is
 * incremented exactly when a request flag goes false -> true and decremented exactly when one
 * goes true -> false (both by CAS on the flag), never blindly.
 *
 * <p>The agent jar is on the system class path when present; core depends on nothing, so the
 * link is reflective and optional: without the agent both methods are a null check.
 */
public final class AgentHook {
    private AgentHook() {
    }

    /** {@code YieldPoint.requests}, or null without the agent. */
    private static final VarHandle REQUESTS;
    /** {@code YieldPoint.virtualRequests}, or null without the agent. */
    private static final VarHandle VIRTUAL_REQUESTS;
    /** {@code YieldPoint.handler}, or null without the agent. */
    private static final VarHandle HANDLER;
    /** {@code YieldPoint.virtualHandler}, or null without the agent (or with an older one). */
    private static final VarHandle VIRTUAL_HANDLER;
    static {
        VarHandle requests = null, virtualRequests = null, handler = null, virtualHandler = null;
        try {
            Class<?> yp = Class.forName("io.goloom.agent.YieldPoint", true, ClassLoader.getSystemClassLoader());
            MethodHandles.Lookup pub = MethodHandles.publicLookup();
            requests = pub.findStaticVarHandle(yp, "requests", int.class);
            virtualRequests = pub.findStaticVarHandle(yp, "virtualRequests", int.class);
            handler = pub.findStaticVarHandle(yp, "handler", Runnable.class);
            virtualHandler = pub.findStaticVarHandle(yp, "virtualHandler", Runnable.class);
        } catch (ReflectiveOperationException | LinkageError | SecurityException absent) {
            // no agent: instrumented code cannot exist, nothing to count
        }
        REQUESTS = requests;
        VIRTUAL_REQUESTS = virtualRequests;
        HANDLER = handler;
        VIRTUAL_HANDLER = virtualHandler;
    }

    /** Is the agent's hook class present? */
    public static boolean present() {
        return REQUESTS != null;
    }

    /** A request flag went false -> true. */
    public static void requested() {
        if (REQUESTS != null) {
            REQUESTS.getAndAdd(1);
        }
    }

    /** A request flag went true -> false. */
    public static void honoured() {
        if (REQUESTS != null) {
            REQUESTS.getAndAdd(-1);
        }
    }

    /**
     * A JDK virtual thread's request flag went false -> true: counted in both counters, so
     * YieldPoint.checkVirtual(), which reads only virtualRequests, sees it. Increment
     * virtualRequests first and decrement it last ({@link #taskHonoured}), so that
     * virtualRequests <= requests whenever both are read in order.
     */
    public static void taskRequested() {
        if (VIRTUAL_REQUESTS != null) {
            VIRTUAL_REQUESTS.getAndAdd(1);
        }
        requested();
    }

    /** A JDK virtual thread's request flag went true -> false. */
    public static void taskHonoured() {
        honoured();
        if (VIRTUAL_REQUESTS != null) {
            VIRTUAL_REQUESTS.getAndAdd(-1);
        }
    }

    /**
     * Registers what instrumented code runs while requests are pending (the scheduler does,
     * once): {@code handler} at the yield points that may switch native goroutines
     * ({@code YieldPoint.check()}), {@code virtualOnly} at those that may only yield JDK virtual
     * threads ({@code YieldPoint.checkVirtual()}, in code that may hold thread-owned state).
     */
    public static void registerHandler(Runnable handler, Runnable virtualOnly) {
        if (HANDLER != null) {
            HANDLER.setVolatile(handler);
        }
        if (VIRTUAL_HANDLER != null) {
            VIRTUAL_HANDLER.setVolatile(virtualOnly);
        }
    }
}
