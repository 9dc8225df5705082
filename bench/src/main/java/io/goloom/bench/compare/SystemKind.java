package io.goloom.bench.compare;

/** What runs the tasks of a workload. The names are the ones summary.json and the file names use. */
public enum SystemKind {
    /** goloom goroutines: {@code GoRuntime.create(procs)}. */
    GOLOOM("goloom"),
    /** Stock JDK virtual threads, scheduler parallelism = procs (set on the child JVM's command line). */
    VTHREADS("vthreads"),
    /** Plain platform threads; procs does not apply (the OS schedules them on every core). */
    PLATFORM("platform"),
    /**
     * Stock virtual-thread code (exactly {@link #VTHREADS}'s) in a JVM started in goloom's
     * transparent mode, as {@code ./goloom run} starts it (a patched java.base): every
     * virtual thread runs on goloom's carriers, so the difference is what the carrier
     * scheduler alone buys an unmodified virtual-thread program. See {@link TransparentMode}.
     */
    GOLOOM_VT("goloom-vt"),
    /**
     * Go itself: the workload's Go program (bench/go/&lt;program&gt;), built by compare with the
     * {@code go} on PATH and run with {@code GOMAXPROCS=procs}; never in a JVM. See {@link GoSystem}.
     */
    GO("go");

    private final String id;

    SystemKind(String id) {
        this.id = id;
    }

    /** The lower-case name used in summary.json, file names and on the command line. */
    public String id() {
        return id;
    }

    /** The system called {@code id}. @throws IllegalArgumentException for an unknown name */
    public static SystemKind of(String id) {
        for (SystemKind s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown system '" + id + "' (known: goloom, vthreads, platform, goloom-vt, go)");
    }

    @Override
    public String toString() {
        return id;
    }
}
