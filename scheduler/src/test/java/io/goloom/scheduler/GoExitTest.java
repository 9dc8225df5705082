package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.goloom.core.WaitGroup;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Go.goexit: finally blocks run innermost first, the goroutine ends, nothing is reported as a panic. */
@Timeout(60)
class GoExitTest {

    @Test
    void goexitRunsTheFinallyBlocksThenEndsTheGoroutineQuietly() throws Exception {
        CopyOnWriteArrayList<String> steps = new CopyOnWriteArrayList<>();
        CopyOnWriteArrayList<Throwable> panics = new CopyOnWriteArrayList<>();
        try (GoRuntime rt = GoRuntime.builder().procs(2).panicHandler((g, t) -> panics.add(t)).build()) {
            rt.run(() -> {
                WaitGroup wg = new WaitGroup();
                wg.add(1);
                Go.go(() -> {
                    try {
                        try {
                            try {
                                Go.goexit();
                                steps.add("after goexit");
                            } catch (Exception e) {
                                steps.add("caught as an Exception");
                            } finally {
                                steps.add("inner finally");
                            }
                            steps.add("after the inner try");
                        } finally {
                            steps.add("outer finally");
                        }
                    } finally {
                        wg.done();
                    }
                });
                wg.await();
                // In an errgroup subtask: it ends, and is no failure.
                ErrGroup g = ErrGroup.create();
                g.go(() -> {
                    try {
                        Go.goexit();
                    } finally {
                        steps.add("subtask finally");
                    }
                });
                assertNull(g.await());
                Go.goexit(); // in main: run() returns as if main had returned
            });
        }
        assertEquals(List.of("inner finally", "outer finally", "subtask finally"), steps);
        assertEquals(List.of(), panics);
    }

    @Test
    void goexitOutsideAGoroutineSaysWhere() throws Exception {
        assertThrows(IllegalStateException.class, Go::goexit);
        Throwable[] inVirtual = new Throwable[1];
        Thread.ofVirtual().start(() -> {
            try {
                Go.goexit();
            } catch (Throwable t) {
                inVirtual[0] = t;
            }
        }).join();
        assertEquals(IllegalStateException.class, inVirtual[0].getClass());
    }
}
