package io.goloom.core.spi;

import io.goloom.core.G;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * The scheduler-owned fields of a goroutine: the links of the scheduler's lists and the
 * readied-at sample. {@link G} extends this class; the fields are private here and reached only
 * through the static accessors below, in a package that core's module exports to the scheduler
 * and netpoll alone ({@code exports io.goloom.core.spi to ...}), so user code holding a G (on
 * the module path) cannot read or write them: {@code g.schedlink} does not compile there. On the
 * class path every package is open, as before.
 *
 * <p>The accessors are static and trivial: the JIT inlines them into a plain field load or store
 * (no allocation, no fence, no virtual call); they add no ordering of their own. Who guards each
 * field is the caller's rule, as written at each field.
 */
public abstract class SchedLinks extends Continuation {

    /** Link in scheduler lists (global run queue, batches, a poll's ready list). Guarded by whoever owns the list. */
    private G schedlink;
    /** Links in the scheduler's registry of live Gs. Guarded by the registry's stripe lock. */
    private G allPrev, allNext;
    /** Nanos when made runnable, for the scheduling-latency histogram; 0 = not sampled. Written by the readier, read and cleared by the M that runs the G. */
    private long readiedAt;
    /**
     * Who created this G, for dumps ("created by ... in goroutine N"): the creating goroutine's
     * id (0 = a plain thread) and the class of the task passed to go (a lambda's class names the
     * class whose code ran the go statement). Written once by newproc before the G is published
     * (the queue's release orders them for every reader that found the G there; dumps read them
     * racily through the registry's lock). Recorded instead of the creator's frame: a
     * StackWalker per go costs microseconds; these are two plain stores.
     */
    private long parentGoid;
    private Class<?> taskClass;
    /**
     * The goroutine's {@link io.goloom.core.GoLocal} values by slot ({@link LocalSlots}); null
     * until the first set. Read and written only by the goroutine itself, and by its creator
     * before the G is published to a run queue (inheritance, {@link LocalSlots#inherit}).
     */
    private Object[] locals;

    protected SchedLinks(ContinuationScope scope, Runnable body) {
        super(scope, body);
    }

    public static G schedlink(G g) {
        return ((SchedLinks) g).schedlink;
    }

    public static void setSchedlink(G g, G next) {
        ((SchedLinks) g).schedlink = next;
    }

    public static G allPrev(G g) {
        return ((SchedLinks) g).allPrev;
    }

    public static void setAllPrev(G g, G prev) {
        ((SchedLinks) g).allPrev = prev;
    }

    public static G allNext(G g) {
        return ((SchedLinks) g).allNext;
    }

    public static void setAllNext(G g, G next) {
        ((SchedLinks) g).allNext = next;
    }

    public static long readiedAt(G g) {
        return ((SchedLinks) g).readiedAt;
    }

    public static void setReadiedAt(G g, long nanos) {
        ((SchedLinks) g).readiedAt = nanos;
    }

    public static long parentGoid(G g) {
        return ((SchedLinks) g).parentGoid;
    }

    public static Class<?> taskClass(G g) {
        return ((SchedLinks) g).taskClass;
    }

    /** Records the creator (newproc, before the G is published). */
    public static void setCreator(G g, long parentGoid, Class<?> taskClass) {
        SchedLinks l = g;
        l.parentGoid = parentGoid;
        l.taskClass = taskClass;
    }

    public static Object[] locals(G g) {
        return ((SchedLinks) g).locals;
    }

    public static void setLocals(G g, Object[] locals) {
        ((SchedLinks) g).locals = locals;
    }
}
