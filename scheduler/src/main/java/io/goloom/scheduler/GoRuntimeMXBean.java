package io.goloom.scheduler;

/**
 * The platform MXBean of one goloom runtime, registered as
 * {@code io.goloom:type=Runtime,name=<runtime name>} while the runtime is open: visible in
 * JConsole and JMC, and what {@code ./goloom dump <pid>} calls from outside the process.
 * goloom does not start JMX for it (the platform MBean server costs a JVM 300-400 ms to
 * create): the bean is registered when the runtime is built if JMX already runs, else within
 * a second of JMX starting (a tool attaching, {@code -Dcom.sun.management.jmxremote}, any call
 * of {@code ManagementFactory.getPlatformMBeanServer()}), or by {@link GoRuntime#mxBeanName()}. Shaped
 * like the JDK's {@code jdk.management.VirtualThreadSchedulerMXBean} (parallelism, mounted,
 * queued), plus the goroutine dump and the flight recorder's trigger (start it, write a
 * snapshot: {@code ./goloom dump <pid> --trace FILE}, or JConsole's Operations tab).
 */
public interface GoRuntimeMXBean {

    /** The runtime's name (its Ms are named after it). */
    String getName();

    /** GOMAXPROCS: the number of Ps (the VirtualThreadSchedulerMXBean's parallelism). */
    int getParallelism();

    /** Live goroutines. */
    int getGoroutineCount();

    /** Carrier threads (Ms) the runtime counts now. */
    int getPoolSize();

    /** Ms running a goroutine or a virtual thread now (racy). */
    int getMountedCount();

    /** Goroutines and tasks queued in the Ps' run queues and the global queue (racy). */
    long getQueuedCount();

    /** {@link GoRuntime#metrics()}: every metric by its runtime/metrics-style name. */
    java.util.Map<String, Long> getMetrics();

    /** The median of the sampled scheduling latency (ready to running), nanoseconds. */
    long getSchedLatencyP50Nanos();

    /** The 99th percentile of the sampled scheduling latency, nanoseconds. */
    long getSchedLatencyP99Nanos();

    /** The goroutine dump, Go's format (see {@link GoRuntime#dump()}). */
    String dump();

    /** The goroutine dump as JSON (see {@link GoRuntime#dumpJson()}). */
    String dumpJson();

    /** Is the flight recorder ({@link GoRuntime#trace()}) recording? */
    boolean isTraceRunning();

    /** Starts the flight recorder, keeping the last {@code eventsPerP} events of each P (16 to 16,777,216). */
    void startTrace(int eventsPerP);

    /** Stops the flight recorder; its rings are kept for {@link #writeTrace}. */
    void stopTrace();

    /**
     * Writes a snapshot of the flight recorder to {@code path} in the target JVM's file system
     * (relative to its working directory) and returns the absolute path written; convert it
     * with {@code ./goloom trace <file>}.
     *
     * @throws IllegalStateException if the recorder was never started (the message says how)
     */
    String writeTrace(String path) throws java.io.IOException;
}
