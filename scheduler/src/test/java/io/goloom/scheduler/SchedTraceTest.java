package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** -Dgoloom.debug=schedtrace=X[,scheddetail=1]: Go's schedtrace lines on stderr (issue 14). */
class SchedTraceTest {

    /**
     * Go's schedtrace line (runtime/proc.go, schedtrace: "SCHED ", ms, "ms: gomaxprocs=", ...,
     * " runqueue=", then " [" the per-P lengths "]"), plus goloom's trailing runtime key.
     */
    static final Pattern GO_LINE = Pattern.compile("SCHED \\d+ms: gomaxprocs=\\d+ idleprocs=\\d+ threads=\\d+ spinningthreads=\\d+"
            + " needspinning=\\d+ idlethreads=\\d+ runqueue=\\d+ \\[(\\d+ )*\\d+\\]( runtime=\\S+)?");
    static final Pattern GO_DETAIL = Pattern.compile("SCHED \\d+ms: gomaxprocs=\\d+ idleprocs=\\d+ threads=\\d+ spinningthreads=\\d+"
            + " needspinning=\\d+ idlethreads=\\d+ runqueue=\\d+ gcwaiting=\\d+ nmidlelocked=\\d+ stopwait=\\d+ sysmonwait=\\d+( runtime=\\S+)?");

    @Test
    void everyLineParsesWithGosFormat() throws Exception {
        try (LiveChildJvm child = new LiveChildJvm(List.of("-Dgoloom.debug=schedtrace=50"), "io.goloom.testapp.StuckProgram", "traced")) {
            child.await(child.stdout, "READY");
            for (int i = 0; i < 4; i++) {
                String l = child.await(child.stderr, "SCHED ");
                assertTrue(GO_LINE.matcher(l).matches(), "not Go's schedtrace format: " + l);
                assertTrue(l.contains(" gomaxprocs=2 ") && l.endsWith(" runtime=traced") && l.matches(".* \\[\\d+ \\d+\\] .*"), l);
            }
        }
    }

    @Test
    void scheddetailAddsPsMsAndGs() throws Exception {
        try (LiveChildJvm child = new LiveChildJvm(List.of("-Dgoloom.debug=schedtrace=50,scheddetail=1"), "io.goloom.testapp.StuckProgram", "detail")) {
            child.await(child.stdout, "READY");
            String l = child.await(child.stderr, "SCHED ");
            assertTrue(GO_DETAIL.matcher(l).matches(), l);
            assertTrue(child.await(child.stderr, "  P").matches("  P0: status=\\d schedtick=\\d+ syscalltick=\\d+ m=(\\d+|nil) runqsize=\\d+ timerslen=\\d+"));
            assertTrue(child.await(child.stderr, "  M").matches("  M\\d+: p=(\\d+|nil) curg=(\\d+|nil) spinning=(true|false) blocked=(true|false)"));
            String g = child.await(child.stderr, "  G");
            assertTrue(g.matches("  G\\d+: status=\\d+\\([^)]*\\) m=(\\d+|nil)"), g);
            // G1 (the program's receiver) parks on a channel; blocks printed before it did (the
            // trace starts with the runtime) may still be in the pipe
            String chanWaiter = child.await(child.stderr, "  G1: ");
            for (int i = 0; i < 50 && !chanWaiter.contains("(chan receive)"); i++) {
                assertTrue(chanWaiter.matches("  G1: status=\\d+\\([^)]*\\) m=(\\d+|nil)"), chanWaiter);
                chanWaiter = child.await(child.stderr, "  G1: ");
            }
            assertTrue(chanWaiter.matches("  G1: status=4\\(chan receive\\) m=nil"), chanWaiter);
        }
    }

    @Test
    void settingsParseGodebugStyle() {
        assertArrayEquals(new int[] {0, 0}, SchedTrace.settings(null));
        assertArrayEquals(new int[] {1000, 0}, SchedTrace.settings("schedtrace=1000"));
        assertArrayEquals(new int[] {500, 1}, SchedTrace.settings("other=x, schedtrace=500,scheddetail=1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedTrace.settings("schedtrace=1s"));
        assertTrue(e.getMessage().contains("schedtrace takes a number"), e.getMessage());
    }
}
