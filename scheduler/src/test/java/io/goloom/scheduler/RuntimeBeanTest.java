package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.Chan;
import io.goloom.testkit.ChildJvm;
import java.lang.management.ManagementFactory;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * A runtime does not start JMX for its MXBean (creating the platform MBean server cost every
 * goloom JVM 300-400 ms at startup), and its bean still shows up once JMX starts, also while the
 * runtime is idle (sysmon in its deep sleep). In a fresh child JVM: no MBean server exists yet.
 */
class RuntimeBeanTest {

    @Test
    void theBeanWaitsForJmxAndAppearsOnceItStarts() throws Exception {
        ChildJvm.Result r = ChildJvm.run(Target.class, List.of(), List.of(), 60);
        assertTrue(r.finished(), r.output());
        assertEquals(0, r.exitValue(), r.output());
        List<String> lines = r.output().lines().filter(l -> l.startsWith("jmx ")).toList();
        assertEquals(List.of("jmx servers after a goroutine ran: 0", "jmx bean registered once JMX started: true",
                "jmx bean after close: false"), lines, r.output());
    }

    /** The child: a runtime runs a goroutine and goes idle; then the program starts JMX. */
    public static final class Target {
        public static void main(String[] args) throws Exception {
            ObjectName name = new ObjectName(RuntimeBean.DOMAIN_TYPE + ",name=lazy");
            MBeanServer server;
            try (GoRuntime rt = GoRuntime.builder().name("lazy").procs(2).build()) {
                Chan<Integer> c = new Chan<>(0);
                rt.go(() -> c.send(42));
                if (c.receive() != 42) {
                    throw new AssertionError("goroutine");
                }
                System.out.println("jmx servers after a goroutine ran: " + MBeanServerFactory.findMBeanServer(null).size());
                server = ManagementFactory.getPlatformMBeanServer(); // JMX starts: sysmon looks once a second
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (server.queryNames(name, null).isEmpty() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                System.out.println("jmx bean registered once JMX started: " + !server.queryNames(name, null).isEmpty());
            }
            System.out.println("jmx bean after close: " + !server.queryNames(name, null).isEmpty());
        }
    }
}
