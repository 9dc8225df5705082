package io.goloom.bench.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** /proc parsing, the busiest-process ranking, the quiet test and report.md's section, from fixed text. */
class MachineLoadTest {

    @Test
    void parsesLoadavg() {
        assertArrayEquals(new double[] {0.52, 0.58, 1.5}, MachineLoad.parseLoadavg("0.52 0.58 1.50 2/345 12345\n"));
        assertThrows(IllegalArgumentException.class, () -> MachineLoad.parseLoadavg("0.52"));
    }

    @Test
    void parsesStatWithACommandHoldingSpacesAndParentheses() {
        // fields after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String line = "4242 (my (odd) cmd) R 1 4242 4242 0 -1 4194304 100 0 0 0 750 250 0 0 20 0 3 0 12345 1000 100";
        MachineLoad.Proc p = MachineLoad.parseStat(line);
        assertEquals(4242, p.pid());
        assertEquals("my (odd) cmd", p.name());
        assertEquals(1000, p.ticks()); // utime 750 + stime 250
        assertThrows(IllegalArgumentException.class, () -> MachineLoad.parseStat("4242 (x) R 1 2"));
        assertThrows(IllegalArgumentException.class, () -> MachineLoad.parseStat("garbage"));
    }

    private static Map<Long, MachineLoad.Proc> procs(MachineLoad.Proc... ps) {
        Map<Long, MachineLoad.Proc> m = new java.util.HashMap<>();
        for (MachineLoad.Proc p : ps) {
            m.put(p.pid(), p);
        }
        return m;
    }

    @Test
    void ranksOtherProcessesByCpuAndLeavesCompareOut() {
        // a 2 s window at 100 ticks/s: 200 ticks = one core
        var before = procs(new MachineLoad.Proc(1, "init", 5), new MachineLoad.Proc(10, "javac", 1000),
                new MachineLoad.Proc(11, "compare", 50), new MachineLoad.Proc(12, "idle", 7),
                new MachineLoad.Proc(13, "reused", 900));
        var after = procs(new MachineLoad.Proc(1, "init", 5), new MachineLoad.Proc(10, "javac", 1300),
                new MachineLoad.Proc(11, "compare", 450), new MachineLoad.Proc(12, "idle", 8),
                new MachineLoad.Proc(13, "reused", 40), // pid reused: counts from 0
                new MachineLoad.Proc(14, "newcomer", 100)); // started in the window
        List<MachineLoad.Busy> busy = MachineLoad.busiest(before, after, 2.0, Set.of(11L));
        assertEquals(List.of(new MachineLoad.Busy(10, "javac", 1.5), new MachineLoad.Busy(14, "newcomer", 0.5),
                new MachineLoad.Busy(13, "reused", 0.2)), busy); // idle (0.005 cores) is below LIST_CPU
        assertEquals(1.5 + 0.5 + 0.2 + 0.005, MachineLoad.totalCores(before, after, 2.0, Set.of(11L)), 1e-9);
    }

    @Test
    void describesABusyProcessByItsCommandLine() {
        assertEquals("java: java -cp x.jar Main", MachineLoad.describe("java", "java\0-cp\0x.jar\0Main\0"));
        assertEquals("kthreadd", MachineLoad.describe("kthreadd", ""));
        assertEquals("kthreadd", MachineLoad.describe("kthreadd", null));
        String longOne = MachineLoad.describe("java", "/usr/bin/java\0" + "--add-opens\0x=y\0".repeat(40) + "org.example.Main\0--flag");
        assertEquals(MachineLoad.MAX_COMMAND, longOne.length() - "java: ".length());
        assertTrue(longOne.startsWith("java: /usr/bin/java --add-opens"), longOne);
        assertTrue(longOne.endsWith(" org.example.Main --flag") && longOne.contains(" ... "), longOne);
    }

    @Test
    void aBusyMachineGetsAWarningAndAQuietOneNone() {
        var quiet = new MachineLoad.Result(new double[] {0.1, 0.2, 0.3}, 2.1, new double[] {1.9, 1.0, 0.5}, List.of(),
                0.05, 2);
        assertTrue(quiet.quiet());
        assertNull(quiet.warning());
        String md = MachineLoad.markdown(quiet);
        assertTrue(md.contains("- load average (1 / 5 / 15 min) at the start: 0.10 / 0.20 / 0.30\n"), md);
        assertTrue(md.contains("- highest 1-minute load during the run: 2.10 ("), md);
        assertTrue(md.contains("- load average at the end: 1.90 / 1.00 / 0.50\n"), md);
        assertTrue(md.contains("0.05 cores; none used 2% of a core or more"), md);
        assertTrue(!md.contains("Warning"), md);

        var loaded = new MachineLoad.Result(new double[] {1.23, 0.9, 0.4}, 2.5, null,
                List.of(new MachineLoad.Busy(10, "javac", 0.97)), 1.1, 2);
        assertTrue(!loaded.quiet());
        assertEquals("the machine was not quiet at the start: 1-minute load 1.23 (> 0.5), other processes used 1.10 "
                + "cores (> 0.5); its numbers may not reproduce on a quiet machine", loaded.warning());
        md = MachineLoad.markdown(loaded);
        assertTrue(md.startsWith("## Machine load\n\n**Warning: the machine was not quiet"), md);
        assertTrue(md.contains("  - `javac` (pid 10): 97% of a core\n"), md);
        assertTrue(md.contains("- load average at the end: not available\n"), md);

        // load alone, CPU alone
        assertTrue(!new MachineLoad.Result(new double[] {0.6, 0, 0}, 0, null, List.of(), 0, 2).quiet());
        assertTrue(!new MachineLoad.Result(new double[] {0.1, 0, 0}, 0, null, List.of(), 0.6, 2).quiet());
        assertTrue(new MachineLoad.Result(null, Double.NaN, null, List.of(), 0, 2).quiet()); // nothing readable
    }
}
