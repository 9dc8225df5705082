package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.ChildJvm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** -Dgoloom.debug=threadlocal=1 reports a ThreadLocal left set and a lock held across a park or yield, with the stack. */
class ThreadLocalCheckTest {

    @Test
    void aThreadLocalLeftSetAndALockHeldAcrossAYieldAreReportedOnceWithTheStack() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ThreadLocalCheckTarget.class, List.of("-Dgoloom.debug=threadlocal=1"), List.of(), 60);
        assertEquals(0, r.exitValue(), r.output());
        String out = r.output();
        assertTrue(out.contains("with a ThreadLocal ") && out.contains("(value java.lang.String): the next goroutine on this carrier sees it; use io.goloom.core.GoLocal"), out);
        assertTrue(out.contains("with a lock java.util.concurrent.locks.ReentrantLock$NonfairSync"), out);
        assertTrue(out.contains("at io.goloom.scheduler.ThreadLocalCheckTarget.lambda$main"), "the goroutine's stack:\n" + out);
        assertEquals(1, out.split("with a ThreadLocal ", -1).length - 1, "reported once:\n" + out);
    }

    @Test
    void offByDefault() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ThreadLocalCheckTarget.class, List.of(), List.of(), 60);
        assertEquals(0, r.exitValue(), r.output());
        assertFalse(r.output().contains("parked or yielded"), r.output());
    }
}
