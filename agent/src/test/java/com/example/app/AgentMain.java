package com.example.app;

import com.example.app.gen.Generated;

/** Child-JVM main for the end-to-end tests: prints how many checks each part made. */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) throws Exception {
        Hook hook = Hook.install();
        long r = Work.sum(1000);
        System.out.println("work-checks=" + hook.take());
        long g = Generated.sum(1000);
        System.out.println("gen-checks=" + hook.take());
        System.out.println("result=" + r + "," + g);
    }
}
