package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.sun.jdi.Bootstrap;
import com.sun.jdi.ThreadReference;
import com.sun.jdi.VirtualMachine;
import com.sun.jdi.connect.Connector;
import com.sun.jdi.connect.LaunchingConnector;
import com.sun.jdi.event.Event;
import com.sun.jdi.event.EventSet;
import com.sun.jdi.event.VMDeathEvent;
import com.sun.jdi.event.VMDisconnectEvent;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A test program run in a child JVM under the debugger (JDI), for tests that force one
 * interleaving with breakpoints and watchpoints instead of timing. The child gets this JVM's
 * class path and goloom's JVM flags, starts suspended, and its output is captured.
 */
final class JdiTarget implements AutoCloseable {
    final VirtualMachine vm;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Thread stdout, stderr;

    JdiTarget(Class<?> main, String args) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        StringBuilder opts = new StringBuilder();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("-Xss")) {
                opts.append(a).append(' ');
            }
        }
        opts.append("-cp ").append(cp);
        LaunchingConnector lc = Bootstrap.virtualMachineManager().defaultConnector();
        Map<String, Connector.Argument> ca = lc.defaultArguments();
        ca.get("main").setValue(main.getName() + (args.isEmpty() ? "" : " " + args));
        ca.get("options").setValue(opts.toString());
        ca.get("home").setValue(System.getProperty("java.home"));
        vm = lc.launch(ca);
        stdout = pipe(vm.process().getInputStream());
        stderr = pipe(vm.process().getErrorStream());
    }

    /** The next event set, failing the test (with the child's output) if none comes in time. */
    EventSet next(long timeoutMs) throws InterruptedException {
        EventSet es = vm.eventQueue().remove(timeoutMs);
        assertNotNull(es, "no debugger event for " + timeoutMs + " ms; target output:\n" + output());
        return es;
    }

    static boolean isEnd(Event e) {
        return e instanceof VMDeathEvent || e instanceof VMDisconnectEvent;
    }

    /** Resumes everything and returns the child's exit code once it has exited (-1 on a timeout). */
    int awaitExit() throws Exception {
        for (;;) {
            EventSet es = next(60_000);
            for (Event e : es) {
                if (isEnd(e)) {
                    return exitCode();
                }
            }
            es.resume();
        }
    }

    int exitCode() throws Exception {
        if (!vm.process().waitFor(30, TimeUnit.SECONDS)) {
            return -1;
        }
        stdout.join(10_000);
        stderr.join(10_000);
        return vm.process().exitValue();
    }

    ThreadReference thread(String name) {
        for (ThreadReference t : vm.allThreads()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no thread named " + name + " in the target");
    }

    String output() {
        synchronized (out) {
            return out.toString();
        }
    }

    @Override
    public void close() {
        vm.process().destroyForcibly();
    }

    private Thread pipe(InputStream in) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try {
                for (int n; (n = in.read(b)) > 0; ) {
                    synchronized (out) {
                        out.write(b, 0, n);
                    }
                }
            } catch (Exception ignored) {
                // the child is gone
            }
        }, "target-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
