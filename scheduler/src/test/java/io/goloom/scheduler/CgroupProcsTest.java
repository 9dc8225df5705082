package io.goloom.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.testkit.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container-aware default GOMAXPROCS (Go 1.25): min(CPUs, max(2, ceil(quota / period))),
 * the limit found through a fake /proc/self/cgroup, /proc/self/mountinfo and cgroup tree, the
 * tightest of the process's cgroup and its parents, re-read by sysmon (driven by its test hook,
 * not by the clock) and applied unless GOMAXPROCS was set explicitly.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CgroupProcsTest {

    private static final String V2_MOUNT = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
    private static final String OTHER_MOUNTS = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
            + "24 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=100k\n";

    @TempDir
    Path root;

    private void write(String rel, String content) throws IOException {
        Path f = root.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
    }

    private void v2(String cgroupPath) throws IOException {
        write("proc/self/cgroup", "0::" + cgroupPath + "\n");
        write("proc/self/mountinfo", OTHER_MOUNTS + V2_MOUNT);
    }

    @Test
    void goRule() {
        assertEquals(8, CgroupCpu.defaultProcs(8, 0)); // no limit
        assertEquals(3, CgroupCpu.defaultProcs(8, 2.5)); // fractions round up
        assertEquals(2, CgroupCpu.defaultProcs(8, 0.5)); // at least 2 ...
        assertEquals(1, CgroupCpu.defaultProcs(1, 0.5)); // ... unless fewer CPUs
        assertEquals(4, CgroupCpu.defaultProcs(4, 16)); // never above the CPUs
    }

    @Test
    void v2LimitOnAParentCapsTheLeaf() throws IOException {
        v2("/kubepods.slice/pod1/ctr");
        write("sys/fs/cgroup/cpu.stat", "usage_usec 1\n"); // the root cgroup has no cpu.max
        write("sys/fs/cgroup/kubepods.slice/cpu.max", "max 100000\n");
        write("sys/fs/cgroup/kubepods.slice/pod1/cpu.max", "300000 100000\n");
        write("sys/fs/cgroup/kubepods.slice/pod1/ctr/cpu.max", "max 100000\n");
        CgroupCpu cg = CgroupCpu.open(root);
        assertTrue(cg.found(), cg.toString());
        assertEquals(3.0, cg.limit(), 1e-9);
        assertEquals(3, cg.defaultProcs(8));
        // A tighter leaf wins over the parent.
        write("sys/fs/cgroup/kubepods.slice/pod1/ctr/cpu.max", "150000 100000\n");
        assertEquals(2, cg.defaultProcs(8));
    }

    @Test
    void v2MaxMeansNoLimit() throws IOException {
        v2("/user.slice/session-1.scope");
        write("sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
        write("sys/fs/cgroup/user.slice/session-1.scope/cpu.max", "max 100000\n");
        CgroupCpu cg = CgroupCpu.open(root);
        assertTrue(cg.found());
        assertEquals(0, cg.limit());
        assertEquals(8, cg.defaultProcs(8));
    }

    @Test
    void v2InsideAContainerWhoseCgroupIsTheMountRoot() throws IOException {
        // A container with its own cgroup namespace: "0::/" and the mount's root is its cgroup.
        write("proc/self/cgroup", "0::/\n");
        write("proc/self/mountinfo", OTHER_MOUNTS
                + "31 22 0:27 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n");
        write("sys/fs/cgroup/cpu.max", "250000 100000\n");
        assertEquals(3, CgroupCpu.open(root).defaultProcs(16));
        // Without a namespace, a bind mount of the container's cgroup (field 4 is its path).
        write("proc/self/cgroup", "0::/docker/abc\n");
        write("proc/self/mountinfo", OTHER_MOUNTS
                + "31 22 0:27 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n");
        assertEquals(3, CgroupCpu.open(root).defaultProcs(16));
    }

    @Test
    void v1QuotaAndPeriod() throws IOException {
        write("proc/self/cgroup", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n");
        write("proc/self/mountinfo", OTHER_MOUNTS
                + "33 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
                + "34 25 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n" + V2_MOUNT);
        write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
        write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
        write("sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_quota_us", "-1\n");
        write("sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_period_us", "100000\n");
        write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "450000\n");
        write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
        write("sys/fs/cgroup/cpu.max", "100000 100000\n"); // the v2 hierarchy has no cpu controller here: ignored
        CgroupCpu cg = CgroupCpu.open(root);
        assertEquals(4.5, cg.limit(), 1e-9, cg.toString());
        assertEquals(5, cg.defaultProcs(8));
        write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");
        assertEquals(8, cg.defaultProcs(8));
    }

    @Test
    void escapedMountPoint() throws IOException {
        write("proc/self/cgroup", "0::/a\n");
        write("proc/self/mountinfo", "30 23 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n");
        write("sys/fs/my cgroup/a/cpu.max", "200000 100000\n");
        assertEquals(2, CgroupCpu.open(root).defaultProcs(8));
    }

    @Test
    void missingOrMalformedFilesFallBackToTheCpus() throws IOException {
        assertFalse(CgroupCpu.open(root).found()); // no /proc at all
        assertEquals(6, CgroupCpu.open(root).defaultProcs(6));
        v2("/a"); // cgroup and mount found, but no limit files
        assertEquals(6, CgroupCpu.open(root).defaultProcs(6));
        write("sys/fs/cgroup/a/cpu.max", "garbage\n");
        assertEquals(6, CgroupCpu.open(root).defaultProcs(6));
        write("sys/fs/cgroup/a/cpu.max", "100000 0\n");
        assertEquals(6, CgroupCpu.open(root).defaultProcs(6));
        write("proc/self/mountinfo", "not a mountinfo line\n");
        assertEquals(6, CgroupCpu.open(root).defaultProcs(6));
        write("proc/self/cgroup", "0::/../../etc\n");
        write("proc/self/mountinfo", V2_MOUNT);
        assertEquals(6, CgroupCpu.open(root).defaultProcs(6)); // never reads outside the mount
    }

    /**
     * A runtime built without procs starts at the container's default and follows it: the
     * limit changes, sysmon's next re-read (forced by its hook) applies it while goroutines run;
     * an explicit setMaxProcs stops that; setDefaultMaxProcs follows again.
     */
    @Test
    void sysmonFollowsALiveChangeUnlessProcsWereSet() throws Exception {
        v2("/pod/ctr");
        write("sys/fs/cgroup/pod/cpu.max", "300000 100000\n");
        try (GoRuntime rt = GoRuntime.builder().cgroupForTest(root, 8).build()) {
            assertEquals(3, rt.procs());
            // Keep goroutines running across the changes.
            AtomicInteger ran = new AtomicInteger();
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch stopped = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) {
                rt.go(() -> {
                    while (stop.getCount() > 0) {
                        ran.incrementAndGet();
                        Go.yield();
                    }
                    stopped.countDown();
                });
            }
            // Running before the first change: without this wait the four re-reads (tens of ms)
            // could all pass before any goroutine ran (one CI run: ran == 0 at the end).
            Await.awaitCondition("a goroutine ran", Duration.ofSeconds(30), () -> ran.get() > 0);
            write("sys/fs/cgroup/pod/cpu.max", "500000 100000\n");
            reread(rt);
            assertEquals(5, rt.procs(), "sysmon applied the new limit");
            write("sys/fs/cgroup/pod/cpu.max", "120000 100000\n");
            reread(rt);
            assertEquals(2, rt.procs(), "ceil(1.2) = 2");

            assertEquals(2, rt.setMaxProcs(4)); // explicit: the container is no longer followed
            write("sys/fs/cgroup/pod/cpu.max", "700000 100000\n");
            reread(rt);
            assertEquals(4, rt.procs(), "an explicit GOMAXPROCS is not overwritten by the default");

            assertEquals(4, rt.setDefaultMaxProcs());
            assertEquals(7, rt.procs());
            write("sys/fs/cgroup/pod/cpu.max", "600000 100000\n");
            reread(rt);
            assertEquals(6, rt.procs(), "followed again after setDefaultMaxProcs");
            stop.countDown();
            assertTrue(stopped.await(30, TimeUnit.SECONDS));
            assertTrue(ran.get() > 0);
        }
    }

    /** Sysmon re-reads at its next tick (its test hook); returns once that re-read has been applied. */
    private static void reread(GoRuntime rt) {
        long before = rt.sched.sysmon.cgroupReads;
        rt.sched.sysmon.rereadCgroupNow();
        Await.awaitCondition("sysmon re-read the cgroup", Duration.ofSeconds(30), () -> rt.sched.sysmon.cgroupReads > before);
    }

    @Test
    void explicitProcsAreNeverFollowed() throws Exception {
        v2("/pod");
        write("sys/fs/cgroup/pod/cpu.max", "300000 100000\n");
        try (GoRuntime rt = GoRuntime.builder().procs(5).cgroupForTest(root, 8).build()) {
            assertEquals(5, rt.procs());
            assertNull(rt.sched.cgroup);
        }
        try (GoRuntime rt = GoRuntime.builder().maxThreads(2).cgroupForTest(root, 8).build()) {
            assertEquals(2, rt.procs(), "the default is capped by maxThreads");
        }
    }
}
