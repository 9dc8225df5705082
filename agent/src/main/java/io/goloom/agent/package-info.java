/**
 * goloom's Java agent: yield points at the loop back-edges (and optionally method entries) of
 * the classes a user names, so that CPU-bound code that never calls goloom can still be
 * time-sliced. Depends on nothing but the JDK; bytecode work uses only {@code java.lang.classfile}.
 *
 * <h2>Goal</h2>
 * JDK 25's {@code Continuation.tryPreempt} is unsupported, so goloom preempts cooperatively:
 * sysmon sets a request, and the goroutine yields at its next yield point. Code that loops
 * without calling goloom has no yield point and can hold a P forever (Go before 1.14 had the
 * same hole, for loops without calls). The agent closes it: every loop passes a check on every
 * iteration, and the check is cheap enough to leave on.
 *
 * <h2>Pieces</h2>
 * <pre>
 *  GoloomAgent           premain / agentmain: parse args, install the transformer, retransform
 *  AgentConfig           args and the class-name filter (include, exclude, never)
 *  YieldPointTransformer ClassFileTransformer: filter, loader visibility, module reads, failures
 *  Instrumenter          bytes -> bytes: inserts the checks (pure, no class loading)
 *  YieldPoint            the hook the inserted code calls; the only class the runtime touches
 * </pre>
 *
 * <h2>The protocol with the runtime</h2>
 * Inserted code calls {@code YieldPoint.check()}: {@code if (requests != 0) slow();}. The
 * runtime increments the volatile {@code YieldPoint.requests} when sysmon asks a G (or a
 * virtual thread on a goloom carrier) to yield and decrements it when the request is honoured
 * or withdrawn; it registers {@code YieldPoint.handler} reflectively, so neither side has a
 * compile-time dependency on the other. The handler yields the current G when the request is
 * its own, calls {@code Thread.yield()} for a virtual thread whose carrier's P has one, and
 * returns at once on any other thread. Details on {@link io.goloom.agent.YieldPoint}.
 *
 * <h2>Guarantees</h2>
 * Instrumented code computes the same results, throws the same exceptions with the same
 * messages, and shows the same stack traces (no extra frame, same line numbers) as before,
 * except for the check's own frames while a thread is inside it. Every class it changes passes
 * the verifier: the original StackMapTable is carried over, which is valid because a call to
 * a {@code ()V} static method changes no local or stack slot and no label moves (argument in
 * {@link io.goloom.agent.Instrumenter}). A class it cannot transform (bad bytes, a method
 * pushed past 64 KB or a branch pushed past ±32 KB, anything thrown) is left byte for byte as
 * it was and reported once on stderr.
 *
 * <h2>Designs rejected</h2>
 * <ul>
 *   <li><b>Regenerating stack maps</b> ({@code ClassFile.of()}'s default for changed code).
 *       It needs the supertypes of every type merged at a join point, i.e. reading or loading
 *       other classes through the defining loader from inside a transformer: loading-order
 *       changes, ClassCircularityError, and failures for classes whose supertypes have no
 *       .class resource. Our insertion changes no frame, so the original frames are reused
 *       (re-pointed through labels) instead.</li>
 *   <li><b>A per-thread or per-G flag read at the check.</b> The common case is "no request
 *       anywhere"; one process-wide counter answers it with one load, without
 *       {@code Thread.currentThread()} (which in a goroutine is the carrier, not the G).</li>
 *   <li><b>Calling {@code Go.checkpoint()} directly.</b> It would make instrumented code link
 *       against goloom's scheduler, break code instrumented without goloom present, and couple
 *       the agent to the runtime's classes. One tiny hook class decouples them.</li>
 *   <li><b>Checks at more places</b> (every basic block, every call site). A cycle made of
 *       branches and fall-throughs must contain a branch backward in code order, so back-edges
 *       suffice for loops; entry checks (optional) cover deep recursion. More checks would only
 *       cost more.</li>
 *   <li><b>A loop-iteration counter that checks every N iterations.</b> It needs a local (new
 *       frames, new stack maps) and an increment per iteration, costing about what the volatile
 *       read costs while making the yield latency depend on the loop body.</li>
 *   <li><b>Putting {@code YieldPoint} on the boot class path</b> so every loader sees it: the
 *       premain class is already loaded from the system class path, so that would create a
 *       second {@code YieldPoint} that the runtime never registers on. Classes the boot and
 *       platform loaders define are the JDK's, which are never instrumented anyway.</li>
 *   <li><b>ASM or another bytecode library</b>: a dependency, and one more thing to keep
 *       current with class-file versions; the JDK's API is final in 24+.</li>
 * </ul>
 */
package io.goloom.agent;
