package io.goloom.scheduler;

import io.goloom.core.Chan;
import java.util.concurrent.locks.ReentrantLock;

/** Child JVM for ThreadLocalCheckTest: a goroutine parks with a ThreadLocal set, another yields holding a ReentrantLock. */
public final class ThreadLocalCheckTarget {
    static final ThreadLocal<String> USER = new ThreadLocal<>();

    public static void main(String[] args) throws Exception {
        try (GoRuntime rt = GoRuntime.create(1)) {
            rt.run(() -> {
                Chan<Integer> ch = new Chan<>();
                Go.go(() -> {
                    USER.set("ann");
                    ch.receive(); // parks with the carrier's ThreadLocal set
                    USER.remove();
                });
                Go.yield();
                ch.send(1);
                ReentrantLock lock = new ReentrantLock();
                lock.lock();
                try {
                    Go.yield(); // yields holding a lock the carrier owns
                } finally {
                    lock.unlock();
                }
            });
        }
        System.out.println("done");
    }
}
