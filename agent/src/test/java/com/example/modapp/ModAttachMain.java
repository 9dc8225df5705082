package com.example.modapp;

import com.sun.tools.attach.VirtualMachine;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child-JVM main run as a named module that attaches the agent to itself: the module was
 * defined before the agent existed, so its instrumented (retransformed) loop links to
 * YieldPoint in the class path's unnamed module only because the agent adds the read edge.
 */
public final class ModAttachMain {
    private ModAttachMain() {
    }

    static long spin(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += i;
        }
        return s;
    }

    public static void main(String[] args) throws Exception {
        long before = spin(100);
        VirtualMachine vm = VirtualMachine.attach(String.valueOf(ProcessHandle.current().pid()));
        try {
            vm.loadAgent(args[0], args[1]);
        } finally {
            vm.detach();
        }
        AtomicLong calls = new AtomicLong();
        Class<?> yp = Class.forName("io.goloom.agent.YieldPoint");
        Runnable counter = calls::incrementAndGet;
        yp.getField("handler").set(null, counter);
        yp.getField("virtualHandler").set(null, counter); // include= classes call checkVirtual()
        yp.getField("requests").setInt(null, 1);
        yp.getField("virtualRequests").setInt(null, 1);
        long after = spin(100);
        System.out.println("reads-unnamed=" + ModAttachMain.class.getModule().canRead(yp.getModule()));
        System.out.println("mod-checks=" + calls.get());
        System.out.println("result=" + (before == after));
    }
}
