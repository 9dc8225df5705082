package com.example.app;

import com.sun.tools.attach.VirtualMachine;

/** Child-JVM main: runs a loop, attaches the agent to itself, runs it again and a new class. */
public final class AttachMain {
    private AttachMain() {
    }

    public static void main(String[] args) throws Exception {
        long before = Work.sum(500); // Work is loaded (and run) before the agent exists
        VirtualMachine vm = VirtualMachine.attach(String.valueOf(ProcessHandle.current().pid()));
        try {
            vm.loadAgent(args[0], args[1]);
        } finally {
            vm.detach();
        }
        Hook hook = Hook.install();
        long after = Work.sum(500);
        System.out.println("retransformed-checks=" + hook.take());
        int late = Late.count(27);
        System.out.println("late-checks=" + hook.take());
        System.out.println("result=" + (before == after) + "," + late);
    }
}
