package com.example.modapp;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Child-JVM main run as a named module (the test writes its module-info): its instrumented
 * loop links to YieldPoint in the class path's unnamed module only because the agent adds the
 * read edge.
 */
public final class ModMain {
    private ModMain() {
    }

    public static void main(String[] args) throws Exception {
        AtomicLong calls = new AtomicLong();
        Class<?> yp = Class.forName("io.goloom.agent.YieldPoint");
        Runnable counter = calls::incrementAndGet;
        yp.getField("handler").set(null, counter);
        yp.getField("virtualHandler").set(null, counter); // include= classes call checkVirtual()
        yp.getField("requests").setInt(null, 1);
        yp.getField("virtualRequests").setInt(null, 1);
        long s = 0;
        for (int i = 0; i < 100; i++) {
            s += i;
        }
        System.out.println("module=" + ModMain.class.getModule().getName());
        System.out.println("mod-checks=" + calls.get());
        System.out.println("result=" + s);
    }
}
