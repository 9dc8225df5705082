package io.goloom.scheduler;

import com.sun.tools.attach.VirtualMachine;
import java.util.Set;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * {@code ./goloom dump <pid> [--json]}: prints the goroutine dump of every goloom runtime in
 * another JVM. Attaches with the JDK's attach API, starts the target's local management agent
 * (a no-op when it runs), connects over its local JMX connector and calls {@code dump()} (or
 * {@code dumpJson()}) on each {@code io.goloom:type=Runtime,*} MXBean. Needs the same user as
 * the target, as jcmd does.
 */
public final class DumpTool {

    private DumpTool() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || args.length == 2 && !args[1].equals("--json")) {
            System.err.println("usage: ./goloom dump <pid> [--json]");
            System.exit(2);
        }
        long pid;
        try {
            pid = Long.parseLong(args[0]);
        } catch (NumberFormatException e) {
            System.err.println("goloom dump: '" + args[0] + "' is not a process id (see jps or pgrep java)");
            System.exit(2);
            return;
        }
        System.out.print(dump(pid, args.length == 2));
    }

    /**
     * The dumps of every goloom runtime in process {@code pid}, one after the other (a line
     * saying so when there is none).
     *
     * @throws IllegalStateException when the process cannot be attached to (gone, another user,
     *         -XX:+DisableAttachMechanism); the message says which
     */
    public static String dump(long pid, boolean json) throws Exception {
        String address;
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (Exception e) {
            throw new IllegalStateException("goloom dump: cannot attach to process " + pid
                    + " (is it a JVM of this user, without -XX:+DisableAttachMechanism?): " + e, e);
        }
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection conn = c.getMBeanServerConnection();
            Set<ObjectName> names = conn.queryNames(new ObjectName(RuntimeBean.DOMAIN_TYPE + ",*"), null);
            if (names.isEmpty()) {
                return json ? "[]\n" : "goloom dump: process " + pid + " has no goloom runtime open\n";
            }
            StringBuilder sb = new StringBuilder(json ? "[" : "");
            boolean first = true;
            for (ObjectName on : new java.util.TreeSet<>(names)) {
                Object d = conn.invoke(on, json ? "dumpJson" : "dump", null, null);
                if (json) {
                    sb.append(first ? "" : ",").append(d);
                } else {
                    sb.append(first ? "" : "\n").append(d);
                }
                first = false;
            }
            return sb.append(json ? "]\n" : "").toString();
        }
    }
}
