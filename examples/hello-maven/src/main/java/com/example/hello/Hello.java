package com.example.hello;

import io.goloom.core.Chan;
import io.goloom.scheduler.Go;
import io.goloom.scheduler.GoRuntime;
import java.util.concurrent.atomic.AtomicLong;

public final class Hello {

    /** Adds 1..n in 100 goroutines, each sending its partial sum over a channel. */
    static long sum(long n) throws InterruptedException {
        AtomicLong total = new AtomicLong();
        try (GoRuntime rt = GoRuntime.create()) {          // GOMAXPROCS = cores (the container's limit)
            rt.run(() -> {                                   // the main goroutine; run() waits for it
                Chan<Long> partials = new Chan<>();          // unbuffered, as Go's make(chan int64)
                int workers = 100;
                for (int w = 1; w <= workers; w++) {
                    long first = w;
                    Go.go(() -> {                            // go func() { ... }()
                        long s = 0;
                        for (long i = first; i <= n; i += workers) {
                            s += i;
                        }
                        partials.send(s);                    // parks until main receives
                    });
                }
                for (int w = 0; w < workers; w++) {
                    total.addAndGet(partials.receive());
                }
            });
        }
        return total.get();
    }

    public static void main(String[] args) throws InterruptedException {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        System.out.println("sum of 1.." + n + " = " + sum(n));
    }
}
