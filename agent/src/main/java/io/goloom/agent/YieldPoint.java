package io.goloom.agent;

/**
 * The one class instrumented code calls: {@code invokestatic io/goloom/agent/YieldPoint.check()V}
 * or {@code checkVirtual()V} at every loop back-edge (and, with {@code entry=true}, at method
 * entry) of the classes the agent instruments. {@code check()} is the yield point of code that
 * may switch native goroutines (the agent's {@code goroutines=} classes); {@code checkVirtual()}
 * that of all other instrumented code, which only JDK virtual threads may yield at (see
 * {@link AgentConfig}: a native goroutine shares its carrier's thread identity, locks and
 * ThreadLocals, so it must not be switched inside code that may hold them).
 *
 * <h2>Contract with the runtime</h2>
 * <pre>
 *  requests  volatile int. Outstanding preemption requests anywhere in the process. The runtime
 *            increments it when sysmon asks a goroutine (or a virtual thread on goloom's
 *            carriers) to yield, and decrements it when that request is honoured or withdrawn.
 *            0 means "nobody is asked to yield": check() costs one volatile read and returns.
 *            Several threads update it, so updates must be atomic read-modify-writes, never
 *            requests++: e.g. MethodHandles.publicLookup().findStaticVarHandle(yieldPointClass,
 *            "requests", int.class).getAndAdd(+1 / -1). Pair every increment with exactly one
 *            decrement: a count that drifts away from 0 leaves every check on the slow path.
 *  handler   volatile Runnable. Set once by the runtime (reflectively, so goloom does not
 *            depend on this module):
 *              Class.forName("io.goloom.agent.YieldPoint").getField("handler").set(null, h)
 *            check() calls it on the current thread while requests != 0. The handler decides
 *            whether the current thread runs a goroutine with a pending request (and yields it),
 *            or a virtual thread on a goloom carrier whose P has one (Thread.yield()); on any
 *            other thread it must return at once: while any request is pending, every thread
 *            calls it at every back-edge. With no handler (the agent used without goloom)
 *            check() does nothing.
 *  virtualRequests  volatile int. The requests made to JDK virtual threads (each counted in
 *            requests too), incremented and decremented with them; checkVirtual() reads only
 *            this one, since a native goroutine's request cannot be honoured there.
 *  virtualHandler  volatile Runnable. Set with handler; what checkVirtual() calls while
 *            virtualRequests != 0: the same as handler for a virtual thread on goloom's carriers, and
 *            nothing at all for a native goroutine (it must not yield there) or any other
 *            thread. Without it checkVirtual() does nothing.
 * </pre>
 *
 * <p>The handler is called on whatever thread reached the yield point, possibly with monitors
 * held, inside a class initializer, or in a constructor before {@code super()} (an
 * uninitialized {@code this} is only an operand-stack/local state of the caller; a static call
 * does not touch it). All of that is legal for a static call; whether a yield is possible there
 * (pinned frames) is the runtime's business. The handler must not throw: an exception from it
 * propagates into user code at the back-edge. It must not run instrumented code either (that
 * code would reach check() again while requests is still non-zero, recursively).
 *
 * <h2>Why this shape</h2>
 * <ul>
 *   <li>One process-wide counter, not a per-thread flag: reading a per-thread flag needs
 *       {@code Thread.currentThread()} plus a field load (and, in a goroutine, the carrier is
 *       not the G), while the common case here is "nobody anywhere is asked to yield". When
 *       some G is asked, every thread that passes a yield point takes the slow path once per
 *       back-edge until the request is honoured; sysmon's requests are rare (a P running the
 *       same G for 10 ms) and short-lived, so this costs little in aggregate.</li>
 *   <li>{@code volatile}, not plain: a plain static read of a field the loop never writes may
 *       be hoisted out of the loop by the JIT, and the check would never see the request.
 *       On x86 a volatile read is a plain load that the compiler may not hoist.</li>
 *   <li>{@link #check()} is tiny (getstatic, ifeq, invokestatic, return: 10 bytes of
 *       bytecode), so the JIT inlines it at every back-edge; the call to the handler sits in
 *       the out-of-line {@code slow()}.</li>
 * </ul>
 *
 * <p>This class has no static initializer on purpose: initializing it runs no code, so the
 * first check() from any class initializer cannot deadlock or recurse.
 */
public final class YieldPoint {

    /**
     * Outstanding preemption requests in the process. Written by the runtime (increment when a
     * request is made, decrement when it is honoured or withdrawn); read by every
     * {@link #check()}. Volatile: the read in check() pairs with the runtime's write, and must
     * not be hoisted out of the loop that contains the check.
     */
    public static volatile int requests;

    /**
     * The part of {@link #requests} that a virtual thread can honour: outstanding requests to
     * JDK virtual threads on goloom's carriers (each also counted in requests). Read by
     * {@link #checkVirtual()}, which a native goroutine never yields at: a goroutine's request
     * pending for as long as it runs library code must not put every checkVirtual() in the
     * process on the slow path. Same update rules as requests.
     */
    public static volatile int virtualRequests;

    /**
     * Called by {@link #check()} on the current thread while {@link #requests} is non-zero.
     * Registered by the runtime; null when the agent runs without goloom. Volatile: published
     * once by the runtime, read on the slow path only.
     */
    public static volatile Runnable handler;

    /**
     * Called by {@link #checkVirtual()} while {@link #virtualRequests} is non-zero: yields a JDK
     * virtual thread that is asked to, never a native goroutine. Registered by the runtime
     * with {@link #handler}; null without goloom. Volatile: as handler.
     */
    public static volatile Runnable virtualHandler;

    private YieldPoint() {
    }

    /**
     * The inserted yield point. One volatile read when no request is pending anywhere;
     * otherwise hands the current thread to the runtime's {@link #handler}.
     */
    public static void check() {
        if (requests != 0) {
            slow();
        }
    }

    /**
     * The yield point of code that may hold thread-owned state: one volatile read when no
     * virtual thread is asked to yield; otherwise hands the current thread to the runtime's
     * {@link #virtualHandler}, which yields only a JDK virtual thread.
     */
    public static void checkVirtual() {
        if (virtualRequests != 0) {
            slowVirtual();
        }
    }

    /** Cold path of {@link #check()}: kept out of line so check() stays small enough to inline. */
    private static void slow() {
        Runnable h = handler;
        if (h != null) {
            h.run();
        }
    }

    /** Cold path of {@link #checkVirtual()}. */
    private static void slowVirtual() {
        Runnable h = virtualHandler;
        if (h != null) {
            h.run();
        }
    }
}
