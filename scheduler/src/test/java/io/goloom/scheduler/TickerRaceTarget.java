package io.goloom.scheduler;

import io.goloom.core.Chan;
import io.goloom.timers.TimerNode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The program {@link TickerStopRaceTest} runs under a debugger (a child JVM). The main thread
 * blocks receiving a 1 ms ticker's first tick and then stops it ({@code stop}) or resets it to 60 s
 * ({@code reset}). The test suspends the ticker's fire right after its channel send, lets main
 * run its stop or reset up to the end of the queue's cancel or reset, and only then lets the
 * fire go on to its re-arm. Exit 0 if the stop or reset held; 1 if the fire overrode it; 2 on
 * a timeout.
 */
public final class TickerRaceTarget {
    /** Set by the test (through JDI) once the held fire has returned. */
    public static volatile boolean fireReturned;

    public static void main(String[] args) throws Exception {
        boolean stop = args[0].equals("stop");
        try (GoRuntime rt = GoRuntime.builder().procs(1).deadlockDetection(false).build()) {
            Ticker tk = new Ticker(rt.sched, Duration.ofMillis(1));
            TimerNode n = TickerStopRaceTest.node(tk);
            Chan<Instant> c = tk.c();
            c.receive(); // the first tick (a plain thread blocks until the fire hands it over)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long newPeriod = TimeUnit.SECONDS.toNanos(60);
            long t0 = System.nanoTime();
            if (stop) {
                tk.stop();
            } else {
                tk.reset(Duration.ofNanos(newPeriod));
            }
            long t1 = System.nanoTime();
            boolean ticked = c.tryReceive() != null;
            while (!fireReturned) { // the fire the debugger held, finishing with its re-arm
                if (System.nanoTime() > deadline) {
                    System.out.println("TIMEOUT: the fire never finished: " + n);
                    System.exit(2);
                }
                Thread.onSpinWait();
            }
            ticked |= c.tryReceive() != null;
            long d = n.deadline();
            boolean ok = stop ? !n.isPending()
                    : n.isPending() && d - (t0 + newPeriod) >= 0 && d - (t1 + newPeriod) <= 0;
            System.out.println(args[0] + " during the fire: " + n + " (call between " + t0 + " and " + t1
                    + "), tick received after it returned: " + ticked);
            if (!ok || ticked) {
                System.out.println("BUG: the fire's re-arm overrode the " + args[0]);
                System.exit(1);
            }
            tk.stop();
        }
        System.out.println("OK");
        System.exit(0);
    }
}
