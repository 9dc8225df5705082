package io.goloom.scheduler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The container's CPU limit, for the default GOMAXPROCS (Go 1.25's cgroup-aware default:
 * runtime/cgroup_linux.go, internal/runtime/cgroup).
 *
 * <h2>The rule (Go's defaultGOMAXPROCS)</h2>
 * GOMAXPROCS = min(available processors, max(2, ceil(limit))), where limit = quota / period is
 * the average CPU throughput the cgroup allows; no limit (or no cgroup, or anything unreadable)
 * leaves the available processors. The minimum of 2 keeps a container limited to a fraction of
 * a CPU from losing all parallelism (a goroutine blocked in a call with its P handed off still
 * leaves one running); with a single available processor it stays 1.
 *
 * <h2>Where the limit is</h2>
 * <ul>
 *   <li>{@code /proc/self/cgroup}: a v1 line whose controller list has {@code cpu} wins
 *       ({@code 4:cpu,cpuacct:/docker/abc}); else the v2 line {@code 0::/path}.</li>
 *   <li>{@code /proc/self/mountinfo}: the mount of that hierarchy (file system {@code cgroup2},
 *       or {@code cgroup} with {@code cpu} among its super options); the process's cgroup
 *       directory is the mount point plus the cgroup path made relative to the mount's root
 *       (field 4: a container sees its own cgroup as the mount's root). Paths are unescaped
 *       (\040 is a space).</li>
 *   <li>The limit files, in that directory and every parent up to the mount point (beyond Go,
 *       which reads the leaf only): v2 {@code cpu.max} ("max 100000" or "quota period"), v1
 *       {@code cpu.cfs_quota_us} (-1: none) and {@code cpu.cfs_period_us}. The tightest
 *       limit on the way up is the effective one: a limit set on a parent (a Kubernetes pod,
 *       a systemd slice) caps every child.</li>
 * </ul>
 * The directories are found once (as Go does; a process moved to another cgroup is not
 * followed); the limit files are re-read on every {@link #limit()} (sysmon, about once a
 * second). Every path is taken under {@code root}, "/" in production, so a test points it at a
 * fake tree of {@code proc/self/cgroup}, {@code proc/self/mountinfo} and cgroup files.
 *
 * <h2>Threads</h2>
 * Immutable after construction; {@link #limit()} only reads files. Nothing here throws: a
 * missing or malformed file means "no limit".
 */
final class CgroupCpu {

    /** The limit-file directories, the process's cgroup first, then its parents up to the mount point. */
    private final List<Path> dirs;
    private final boolean v1;

    private CgroupCpu(List<Path> dirs, boolean v1) {
        this.dirs = dirs;
        this.v1 = v1;
    }

    /** The process's CPU cgroup under {@code root} ("/" in production), or one with no limit if none is found. */
    static CgroupCpu open(Path root) {
        try {
            return find(root);
        } catch (IOException | RuntimeException e) {
            return new CgroupCpu(List.of(), false); // no cgroup, or unreadable: no limit (as Go)
        }
    }

    /** Go's defaultGOMAXPROCS: min(ncpu, max(2, ceil(limit))), or ncpu without a limit ({@code limit <= 0}). */
    static int defaultProcs(int ncpu, double limit) {
        if (!(limit > 0)) {
            return ncpu;
        }
        double l = Math.max(2, Math.ceil(limit));
        return l < ncpu ? (int) l : ncpu;
    }

    /** The default GOMAXPROCS for {@code ncpu} available processors under this cgroup's current limit. */
    int defaultProcs(int ncpu) {
        return defaultProcs(ncpu, limit());
    }

    /**
     * The tightest CPU limit (quota / period, in CPUs) of the process's cgroup and its parents,
     * read now; 0 if none is set or nothing can be read.
     */
    double limit() {
        double min = 0;
        for (Path d : dirs) {
            double l = v1 ? readV1(d) : readV2(d);
            if (l > 0 && (min == 0 || l < min)) {
                min = l;
            }
        }
        return min;
    }

    /** Found any cgroup directory to read (for tests and the runtime's description). */
    boolean found() {
        return !dirs.isEmpty();
    }

    private static CgroupCpu find(Path root) throws IOException {
        String v2Path = null, v1Path = null;
        for (String line : Files.readAllLines(root.resolve("proc/self/cgroup"), StandardCharsets.UTF_8)) {
            // hierarchy-ID:controller-list:cgroup-path (the path may itself contain ':')
            int a = line.indexOf(':');
            int b = a < 0 ? -1 : line.indexOf(':', a + 1);
            if (b < 0) {
                continue;
            }
            String id = line.substring(0, a), controllers = line.substring(a + 1, b), path = line.substring(b + 1);
            if (id.equals("0") && controllers.isEmpty()) {
                v2Path = path;
            } else if (hasCpu(controllers)) {
                v1Path = path;
                break; // a v1 cpu controller takes precedence, and there is only one
            }
        }
        boolean v1 = v1Path != null;
        String cgPath = v1 ? v1Path : v2Path;
        if (cgPath == null) {
            return new CgroupCpu(List.of(), false);
        }
        String mountRoot = null, mountPoint = null;
        for (String line : Files.readAllLines(root.resolve("proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
            String[] f = line.split(" ");
            int sep = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    sep = i;
                    break;
                }
            }
            if (sep < 0 || sep + 1 >= f.length || f.length < 5) {
                continue;
            }
            String fstype = f[sep + 1];
            boolean match = v1 ? fstype.equals("cgroup") && sep + 3 < f.length && hasCpu(f[sep + 3]) : fstype.equals("cgroup2");
            if (match) {
                mountRoot = unescape(f[3]);
                mountPoint = unescape(f[4]);
                break;
            }
        }
        if (mountPoint == null) {
            return new CgroupCpu(List.of(), false);
        }
        // The cgroup path relative to the mount's root (a container's own cgroup is its root).
        String rel = cgPath;
        if (!mountRoot.equals("/") && (rel.equals(mountRoot) || rel.startsWith(mountRoot + "/"))) {
            rel = rel.substring(mountRoot.length());
        }
        Path mount = under(root, mountPoint);
        Path dir = under(mount, rel);
        if (!dir.normalize().startsWith(mount.normalize())) {
            return new CgroupCpu(List.of(), false); // ".." in a path: refuse rather than read outside the mount
        }
        List<Path> dirs = new ArrayList<>();
        for (Path d = dir.normalize(); d != null && d.startsWith(mount.normalize()); d = d.getParent()) {
            dirs.add(d);
        }
        return new CgroupCpu(List.copyOf(dirs), v1);
    }

    /** {@code base} joined with an absolute path from /proc ("/" and "" give base itself). */
    private static Path under(Path base, String abs) {
        String rel = abs;
        while (rel.startsWith("/")) {
            rel = rel.substring(1);
        }
        return rel.isEmpty() ? base : base.resolve(rel);
    }

    private static boolean hasCpu(String commaList) {
        for (String c : commaList.split(",")) {
            if (c.equals("cpu")) {
                return true;
            }
        }
        return false;
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo (octal). */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int at) {
        if (at + 3 > s.length()) {
            return false;
        }
        for (int i = at; i < at + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }

    /** cpu.max: "max 100000" (no limit) or "quota period" in microseconds; 0 when absent or malformed. */
    private static double readV2(Path dir) {
        String s = read(dir.resolve("cpu.max"));
        if (s == null) {
            return 0;
        }
        String[] f = s.trim().split("\\s+");
        if (f.length != 2 || f[0].equals("max")) {
            return 0;
        }
        return ratio(f[0], f[1]);
    }

    /** cpu.cfs_quota_us (-1: no limit) over cpu.cfs_period_us; 0 when absent or malformed. */
    private static double readV1(Path dir) {
        String q = read(dir.resolve("cpu.cfs_quota_us"));
        String p = q == null ? null : read(dir.resolve("cpu.cfs_period_us"));
        return p == null ? 0 : ratio(q.trim(), p.trim());
    }

    private static double ratio(String quota, String period) {
        try {
            long q = Long.parseLong(quota), p = Long.parseLong(period);
            return q > 0 && p > 0 ? (double) q / p : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            return null; // missing (the root cgroup has no cpu.max), unreadable: no limit here
        }
    }

    @Override
    public String toString() {
        return "CgroupCpu[" + (v1 ? "v1 " : "v2 ") + dirs + "]";
    }
}
