package example.app;

import example.lib.Registry;
import io.goloom.scheduler.Go;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Native goroutines calling library code (example.lib) that loops while holding a
 * ReentrantLock, each call long enough (tens of ms) for sysmon to ask the goroutine to yield
 * inside it. Prints "ok" or the first failure; args: goroutines, calls each, steps per call.
 */
public class GoroutineLibraryApp {
    public static void main(String[] args) throws Exception {
        int goroutines = Integer.parseInt(args[0]);
        int calls = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        Registry registry = new Registry();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(goroutines);
        long[] sink = new long[goroutines];
        for (int g = 0; g < goroutines; g++) {
            int k = g;
            Go.go(() -> {
                try {
                    for (int c = 0; c < calls; c++) {
                        sink[k] += registry.update(k * 31L + c, steps);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        Throwable t = failure.get();
        System.out.println(t == null ? "ok" : "failed: " + t);
    }
}
