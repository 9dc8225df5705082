package io.goloom.scheduler;

import com.sun.tools.attach.VirtualMachine;
import java.util.Set;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * {@code ./goloom dump <pid> [--json | --trace-start [N] | --trace FILE]}: prints the goroutine dump of every goloom runtime in
 * another JVM. Attaches with the JDK's attach API, starts the target's local management agent
 * (a no-op when it runs), connects over its local JMX connector and calls {@code dump()} (or
 * {@code dumpJson()}) on each {@code io.goloom:type=Runtime,*} MXBean. {@code --trace-start [N]}
 * starts each runtime's flight recorder and {@code --trace FILE} writes a snapshot of it (the
 * trigger from outside; {@link GoRuntimeMXBean#writeTrace}). Needs the same user as the target, as
 * jcmd does.
 */
public final class DumpTool {

    private DumpTool() {
    }

    static final String USAGE = "usage: ./goloom dump <pid> [--json]\n"
            + "       ./goloom dump <pid> --trace-start [N]   start each runtime's flight recorder (N events per P; default 65536)\n"
            + "       ./goloom dump <pid> --trace FILE        write a snapshot of each runtime's flight recorder (./goloom trace FILE)";

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            usage();
        }
        long pid;
        try {
            pid = Long.parseLong(args[0]);
        } catch (NumberFormatException e) {
            System.err.println("goloom dump: '" + args[0] + "' is not a process id (see jps or pgrep java)");
            System.exit(2);
            return;
        }
        try {
            run(pid, args);
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage()); // names the fix; the stack trace would bury it
            System.exit(1);
        }
    }

    private static void run(long pid, String[] args) throws Exception {
        if (args.length == 1 || args.length == 2 && args[1].equals("--json")) {
            System.out.print(dump(pid, args.length == 2));
        } else if (args.length == 3 && args[1].equals("--trace")) {
            System.out.print(trace(pid, args[2]));
        } else if ((args.length == 2 || args.length == 3) && args[1].equals("--trace-start")) {
            int n = ExecTrace.DEFAULT_EVENTS_PER_P;
            if (args.length == 3) {
                try {
                    n = Integer.parseInt(args[2]);
                } catch (NumberFormatException e) {
                    usage();
                }
            }
            System.out.print(traceStart(pid, n));
        } else {
            usage();
        }
    }

    private static void usage() {
        System.err.println(USAGE);
        System.exit(2);
    }

    /** Starts the flight recorder of every goloom runtime in process {@code pid} that is off; one line per runtime. */
    public static String traceStart(long pid, int eventsPerP) throws Exception {
        return withRuntimes(pid, (conn, names) -> {
            StringBuilder sb = new StringBuilder();
            for (ObjectName on : names) {
                String rt = String.valueOf(conn.getAttribute(on, "Name"));
                if ((Boolean) conn.getAttribute(on, "TraceRunning")) {
                    sb.append("goloom dump: the flight recorder of runtime ").append(rt).append(" was running already\n");
                } else {
                    conn.invoke(on, "startTrace", new Object[] {eventsPerP}, new String[] {"int"});
                    sb.append("goloom dump: started the flight recorder of runtime ").append(rt).append('\n');
                }
            }
            return sb.toString();
        }, "goloom dump: process " + pid + " has no goloom runtime open\n");
    }

    /**
     * Writes a flight-recorder snapshot of every goloom runtime in process {@code pid}: to
     * {@code file} (resolved here, written by the target) when there is one runtime, else to
     * {@code file.<runtime name>}. One line per runtime: the file written, or that its recorder
     * is off and how to start it.
     */
    public static String trace(long pid, String file) throws Exception {
        return withRuntimes(pid, (conn, names) -> {
            StringBuilder sb = new StringBuilder();
            String abs = java.nio.file.Path.of(file).toAbsolutePath().toString();
            for (ObjectName on : names) {
                String rt = String.valueOf(conn.getAttribute(on, "Name"));
                if (!(Boolean) conn.getAttribute(on, "TraceRunning")) {
                    sb.append("goloom dump: the flight recorder of runtime ").append(rt).append(" is off: start it with ./goloom dump ")
                            .append(pid).append(" --trace-start (or -Dgoloom.debug=trace=1, GoRuntime.trace().start()), then take the snapshot\n");
                    continue;
                }
                String target = names.size() == 1 ? abs : abs + "." + rt;
                Object written = conn.invoke(on, "writeTrace", new Object[] {target}, new String[] {String.class.getName()});
                sb.append("goloom dump: wrote ").append(written).append(" (runtime ").append(rt)
                        .append("): ./goloom trace ").append(written).append('\n');
            }
            return sb.toString();
        }, "goloom dump: process " + pid + " has no goloom runtime open\n");
    }

    /**
     * The dumps of every goloom runtime in process {@code pid}, one after the other (a line
     * saying so when there is none).
     *
     * @throws IllegalStateException when the process cannot be attached to (gone, another user,
     *         -XX:+DisableAttachMechanism); the message says which
     */
    public static String dump(long pid, boolean json) throws Exception {
        String none = json ? "[]\n" : "goloom dump: process " + pid + " has no goloom runtime open\n";
        return withRuntimes(pid, (conn, names) -> {
            StringBuilder sb = new StringBuilder(json ? "[" : "");
            boolean first = true;
            for (ObjectName on : names) {
                Object d = conn.invoke(on, json ? "dumpJson" : "dump", null, null);
                if (json) {
                    sb.append(first ? "" : ",").append(d);
                } else {
                    sb.append(first ? "" : "\n").append(d);
                }
                first = false;
            }
            return sb.append(json ? "]\n" : "").toString();
        }, none);
    }

    /**
     * The local JMX address of process {@code pid}: attaches with the JDK's attach API and
     * starts its local management agent (a no-op when it runs).
     *
     * @throws IllegalStateException when the process cannot be attached to; the message says which
     */
    private static String managementAddress(long pid) throws Exception {
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (Exception e) {
            throw new IllegalStateException("goloom dump: cannot attach to process " + pid
                    + " (is it a JVM of this user, without -XX:+DisableAttachMechanism?): " + e, e);
        }
        try {
            return vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
    }

    /** What to do with the runtimes' MXBeans of one process. */
    private interface OnRuntimes {
        String apply(MBeanServerConnection conn, java.util.SortedSet<ObjectName> names) throws Exception;
    }

    /** How long to wait for a runtime's bean after attaching: sysmon looks for JMX once a second. */
    static final long RUNTIME_BEAN_WAIT_MS = 3_000;

    /** {@code f} over the runtimes' MXBeans of process {@code pid}, in name order; {@code none} when it has none. */
    private static String withRuntimes(long pid, OnRuntimes f, String none) throws Exception {
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(managementAddress(pid)))) {
            MBeanServerConnection conn = c.getMBeanServerConnection();
            ObjectName pattern = new ObjectName(RuntimeBean.DOMAIN_TYPE + ",*");
            Set<ObjectName> names = conn.queryNames(pattern, null);
            // A runtime registers its bean within a second of JMX starting (RuntimeBean), and
            // attaching may just have started it: look again for up to RUNTIME_BEAN_WAIT_MS.
            long deadline = System.nanoTime() + RUNTIME_BEAN_WAIT_MS * 1_000_000L;
            while (names.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
                names = conn.queryNames(pattern, null);
            }
            return names.isEmpty() ? none : f.apply(conn, new java.util.TreeSet<>(names));
        } catch (java.rmi.UnmarshalException e) {
            if (rejectedByFilter(e)) {
                throw new IllegalStateException("goloom dump: process " + pid + " refused the JMX call: its deserialization"
                        + " filter (ObjectInputFilter) rejects JMX's classes (Helidon installs one that rejects everything"
                        + " by default). Start it with -Djdk.serialFilter='" + JMX_SERIAL_FILTER + "' (Helidon accepts a"
                        + " pattern that ends in !*), or add those patterns to its own filter", e);
            }
            throw e;
        }
    }

    /** A deserialization filter that lets JMX's calls in and rejects everything else (what Helidon asks for: ends in !*). */
    static final String JMX_SERIAL_FILTER =
            "java.lang.*;java.util.*;java.rmi.MarshalledObject;java.rmi.dgc.*;java.rmi.server.*;javax.management.**;javax.security.auth.Subject;!*";

    private static boolean rejectedByFilter(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.InvalidClassException && String.valueOf(t.getMessage()).contains("REJECTED")) {
                return true;
            }
        }
        return false;
    }
}
