package io.goloom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.ChildJvm;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The netpoll suite on the Selector backend. The backend is fixed per JVM, so this runs
 * {@link SelectorNetSuite} in a child JVM with {@code -Dgoloom.netpoll=selector} (same class
 * path and goloom flags as this one, through {@link NetSuiteMain}) and fails with the child's
 * report if any of its tests failed. The child's per-test lines are copied to this test's output.
 */
class SelectorNetTest {

    @Test
    @Timeout(240)
    void theSuitePassesOnTheSelectorBackend() throws Exception {
        ChildJvm.Result r = ChildJvm.run(NetSuiteMain.class, List.of("-Dgoloom.netpoll=selector"),
                List.of(SelectorNetSuite.class.getName()), 230);
        System.out.println("---- selector backend (child JVM) ----\n" + r.output());
        assertTrue(r.finished(), "the child JVM timed out:\n" + r.output());
        assertEquals(0, r.exitValue(), "the selector suite failed:\n" + r.output());
        assertTrue(r.output().contains(" passed, 0 failed"), r.output());
    }
}
