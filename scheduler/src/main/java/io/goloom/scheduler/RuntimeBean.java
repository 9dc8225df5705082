package io.goloom.scheduler;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

/**
 * A runtime's {@link GoRuntimeMXBean}: registered with the platform MBean server once the JVM
 * uses JMX, unregistered when the runtime closes. Two runtimes with one name get
 * {@code name=<name>#2} and so on. Never on a hot path.
 *
 * <p>When: creating the platform MBean server costs 300-400 ms and about a thousand classes on
 * a 2-core machine (it registers every platform MXBean), so goloom never creates it just for
 * its own bean. The bean is registered at once if the JVM already has an MBean server (JMX in
 * use: {@code -Dcom.sun.management.jmxremote...}, or the app made one); else sysmon looks once
 * a second ({@link #registerIfJmxStarted}) and registers it within a second of JMX starting
 * (JConsole or {@code ./goloom dump} attaching, or any code calling
 * {@code ManagementFactory.getPlatformMBeanServer()}); {@link #objectName()} registers it on demand.
 *
 * <p>Threads: the runtime's builder and closer, sysmon, and whoever asks for the name; all
 * under this object's monitor (so the bean is registered once, and never after it closed).
 */
final class RuntimeBean implements GoRuntimeMXBean {

    static final String DOMAIN_TYPE = "io.goloom:type=Runtime";

    private final GoRuntime rt;
    /** Guarded by this. */
    private ObjectName registered;
    /** Guarded by this: set by unregister, after which nothing registers. */
    private boolean closed;
    /**
     * False once registered or closed. Written under the monitor, read without it (sysmon's
     * once-a-second look, the builder's check): only a hint that saves the look; register()
     * decides under the monitor. Volatile so that sysmon stops looking soon after it turns false.
     */
    private volatile boolean pending = true;

    RuntimeBean(GoRuntime rt) {
        this.rt = rt;
    }

    /** At the runtime's build: registers now if the JVM already runs JMX (cheap check). */
    void registerIfJmxStarted() {
        if (pending && !MBeanServerFactory.findMBeanServer(null).isEmpty()) {
            register();
        }
    }

    /** Still waiting for JMX (sysmon keeps looking once a second while this holds). */
    boolean pending() {
        return pending;
    }

    private synchronized void register() {
        if (registered != null || closed) {
            return;
        }
        pending = false;
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (int i = 1; ; i++) {
            try {
                ObjectName on = new ObjectName(DOMAIN_TYPE + ",name=" + quoteIfNeeded(i == 1 ? rt.name() : rt.name() + "#" + i));
                server.registerMBean(this, on);
                registered = on;
                return;
            } catch (InstanceAlreadyExistsException e) {
                // another runtime has this name: try the next suffix
            } catch (JMException | SecurityException e) {
                System.err.println("goloom: runtime " + rt.name() + ": no MXBean (" + e + "); dumps stay in-process");
                return;
            }
        }
    }

    /** The name as is when it is a legal unquoted value (the usual case), else quoted. */
    private static String quoteIfNeeded(String v) {
        for (int i = 0; i < v.length(); i++) {
            if (",=:\"*?\n".indexOf(v.charAt(i)) >= 0) {
                return ObjectName.quote(v);
            }
        }
        return v;
    }

    synchronized void unregister() {
        closed = true;
        pending = false;
        ObjectName on = registered;
        registered = null;
        if (on != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(on);
            } catch (JMException e) {
                // already gone
            }
        }
    }

    /** The bean's name, registering it first if JMX had not started yet; null once closed. */
    synchronized ObjectName objectName() {
        register();
        return registered;
    }

    @Override
    public String getName() {
        return rt.name();
    }

    @Override
    public int getParallelism() {
        return rt.procs();
    }

    @Override
    public int getGoroutineCount() {
        return rt.numGoroutine();
    }

    @Override
    public int getPoolSize() {
        return rt.carrierCount();
    }

    @Override
    public int getMountedCount() {
        int n = 0;
        for (M m : rt.sched.allm()) {
            if (m.curg() != null || m.task != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public long getQueuedCount() {
        long n = rt.sched.globalQueueSize();
        for (P p : rt.sched.allp) {
            n += p.runqsize();
        }
        return n;
    }

    @Override
    public java.util.Map<String, Long> getMetrics() {
        return rt.metrics().values();
    }

    @Override
    public long getSchedLatencyP50Nanos() {
        return rt.schedLatency().quantileNanos(0.5);
    }

    @Override
    public long getSchedLatencyP99Nanos() {
        return rt.schedLatency().quantileNanos(0.99);
    }

    @Override
    public String dump() {
        return rt.dump();
    }

    @Override
    public String dumpJson() {
        return rt.dumpJson();
    }

    @Override
    public boolean isTraceRunning() {
        return rt.trace().isRunning();
    }

    @Override
    public void startTrace(int eventsPerP) {
        rt.trace().start(eventsPerP);
    }

    @Override
    public void stopTrace() {
        rt.trace().stop();
    }

    @Override
    public String writeTrace(String path) throws java.io.IOException {
        java.nio.file.Path p = java.nio.file.Path.of(path).toAbsolutePath();
        rt.trace().writeTo(p);
        return p.toString();
    }
}
