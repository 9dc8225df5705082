package io.goloom.scheduler;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A runtime's {@link GoRuntimeMXBean}: registered with the platform MBean server when the
 * runtime is built, unregistered when it closes. Two runtimes with one name get
 * {@code name=<name>#2} and so on. Never on a hot path.
 */
final class RuntimeBean implements GoRuntimeMXBean {

    static final String DOMAIN_TYPE = "io.goloom:type=Runtime";

    private final GoRuntime rt;
    private volatile ObjectName registered;

    RuntimeBean(GoRuntime rt) {
        this.rt = rt;
    }

    void register() {
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

    void unregister() {
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

    ObjectName objectName() {
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
