package io.goloom.bench.jmh;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the agent's yield points cost when nobody asks for a yield: the same loops, as compiled
 * ({@code variant=plain}) and with {@code YieldPoint.check()} at every back-edge
 * ({@code variant=instrumented}), in the same run. The check is one volatile read of
 * {@code YieldPoint.requests} (0 here) per back-edge.
 *
 * <ul>
 *   <li>{@code tightLoop}: a scalar arithmetic recurrence, a few cycles per iteration: the worst
 *       case, reported as it is.</li>
 *   <li>{@code quicksort}, {@code fnv1a}, {@code murmur3}: realistic loops (sorting 10k ints with
 *       a hand-written quicksort + insertion sort, hashing 64 KiB byte by byte and 4 bytes at a
 *       time). Issue 6's target: under 5% slower instrumented.</li>
 * </ul>
 *
 * <p>How the instrumented copy is made: {@link Kernels} ({@link Work}) is compiled into this jar
 * as usual; at setup the instrumented variant reads {@code Work}'s class bytes, runs them through
 * the agent's {@code io.goloom.agent.Instrumenter} (found on the class path, or in
 * {@code agent/target/goloom-agent-*.jar} next to this jar's module, or at
 * {@code -Dgoloom.agent.jar=...}), and defines the result in a fresh class loader whose parent
 * sees the agent's {@code YieldPoint}. Both variants are then called through the same interface,
 * one variant per fork, so every call site is monomorphic. Reflection keeps this file compiling
 * whether or not bench depends on the agent module.
 *
 * <p>Run: {@code ./goloom bench AgentOverheadBench} (build the agent module first if bench does
 * not depend on it: {@code mvn -pl agent package}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2)
@State(Scope.Benchmark)
public class AgentOverheadBench {

    static final int TIGHT_ITERATIONS = 1 << 20;
    static final int SORT_SIZE = 10_000;
    static final int HASH_BYTES = 64 * 1024;

    @Param({"plain", "instrumented"})
    public String variant;

    Kernels kernels;
    int[] unsorted;
    int[] scratch;
    byte[] data;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        SplittableRandom rnd = new SplittableRandom(42);
        unsorted = rnd.ints(SORT_SIZE).toArray();
        scratch = new int[SORT_SIZE];
        data = new byte[HASH_BYTES];
        rnd.nextBytes(data);
        Kernels plain = new Work();
        kernels = switch (variant) {
            case "plain" -> plain;
            case "instrumented" -> instrumented();
            default -> throw new IllegalArgumentException("variant " + variant);
        };
        // Same answers from both copies, or the comparison means nothing.
        int[] a = unsorted.clone();
        int[] b = unsorted.clone();
        plain.sort(a);
        kernels.sort(b);
        int[] expected = unsorted.clone();
        Arrays.sort(expected);
        if (!Arrays.equals(a, expected) || !Arrays.equals(b, expected)
                || plain.tight(1000) != kernels.tight(1000)
                || plain.fnv1a(data) != kernels.fnv1a(data) || plain.murmur3(data) != kernels.murmur3(data)) {
            throw new IllegalStateException("instrumented and plain kernels disagree");
        }
    }

    @Benchmark
    public long tightLoop() {
        return kernels.tight(TIGHT_ITERATIONS);
    }

    @Benchmark
    public int quicksort() {
        System.arraycopy(unsorted, 0, scratch, 0, SORT_SIZE);
        kernels.sort(scratch);
        return scratch[SORT_SIZE / 2];
    }

    @Benchmark
    public int fnv1a() {
        return kernels.fnv1a(data);
    }

    @Benchmark
    public int murmur3() {
        return kernels.murmur3(data);
    }

    /** The loops under test; both variants are called through this interface. */
    public interface Kernels {
        long tight(int n);

        void sort(int[] a);

        int fnv1a(byte[] data);

        int murmur3(byte[] data);
    }

    /** Plain Java loops: javac's output, instrumented (or not) as a whole class. */
    public static final class Work implements Kernels {
        @Override
        public long tight(int n) {
            long x = 0x9E3779B97F4A7C15L;
            for (int i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x += i;
            }
            return x;
        }

        @Override
        public void sort(int[] a) {
            quicksort(a, 0, a.length - 1);
        }

        private static void quicksort(int[] a, int lo, int hi) {
            while (hi - lo > 16) {
                int mid = (lo + hi) >>> 1;
                int pivot = median(a[lo], a[mid], a[hi]);
                int i = lo;
                int j = hi;
                while (i <= j) {
                    while (a[i] < pivot) {
                        i++;
                    }
                    while (a[j] > pivot) {
                        j--;
                    }
                    if (i <= j) {
                        int t = a[i];
                        a[i] = a[j];
                        a[j] = t;
                        i++;
                        j--;
                    }
                }
                // Recurse into the smaller half, loop on the larger: O(log n) stack.
                if (j - lo < hi - i) {
                    quicksort(a, lo, j);
                    lo = i;
                } else {
                    quicksort(a, i, hi);
                    hi = j;
                }
            }
            for (int i = lo + 1; i <= hi; i++) {
                int v = a[i];
                int k = i - 1;
                while (k >= lo && a[k] > v) {
                    a[k + 1] = a[k];
                    k--;
                }
                a[k + 1] = v;
            }
        }

        private static int median(int a, int b, int c) {
            return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
        }

        @Override
        public int fnv1a(byte[] data) {
            int h = 0x811C9DC5;
            for (byte b : data) {
                h ^= b & 0xFF;
                h *= 0x01000193;
            }
            return h;
        }

        @Override
        public int murmur3(byte[] data) {
            int h = 0x9747B28C;
            int n = data.length & ~3;
            for (int i = 0; i < n; i += 4) {
                int k = (data[i] & 0xFF) | (data[i + 1] & 0xFF) << 8 | (data[i + 2] & 0xFF) << 16 | data[i + 3] << 24;
                k *= 0xCC9E2D51;
                k = Integer.rotateLeft(k, 15);
                k *= 0x1B873593;
                h ^= k;
                h = Integer.rotateLeft(h, 13);
                h = h * 5 + 0xE6546B64;
            }
            int tail = data.length & 3;
            if (tail != 0) {
                int k = data[n] & 0xFF;
                if (tail >= 2) {
                    k ^= (data[n + 1] & 0xFF) << 8;
                }
                if (tail == 3) {
                    k ^= (data[n + 2] & 0xFF) << 16;
                }
                k *= 0xCC9E2D51;
                k = Integer.rotateLeft(k, 15);
                k *= 0x1B873593;
                h ^= k;
            }
            h ^= data.length;
            h ^= h >>> 16;
            h *= 0x85EBCA6B;
            h ^= h >>> 13;
            h *= 0xC2B2AE35;
            h ^= h >>> 16;
            return h;
        }
    }

    /** {@link Work} run through the agent's Instrumenter and defined in a fresh loader. */
    private static Kernels instrumented() throws Exception {
        ClassLoader agent = agentLoader();
        Class<?> instrumenterClass = Class.forName("io.goloom.agent.Instrumenter", true, agent);
        Object instrumenter = instrumenterClass.getConstructor(boolean.class).newInstance(false);
        Method instrument = instrumenterClass.getMethod("instrument", byte[].class);
        String name = Work.class.getName();
        byte[] original;
        try (var in = Work.class.getResourceAsStream("/" + name.replace('.', '/') + ".class")) {
            original = in.readAllBytes();
        }
        Object result = instrument.invoke(instrumenter, (Object) original);
        if (result == null) {
            throw new IllegalStateException("the agent found no back-edges in " + name);
        }
        byte[] bytes = (byte[]) result.getClass().getMethod("bytes").invoke(result);
        int checks = (int) result.getClass().getMethod("backEdges").invoke(result);
        System.out.println("# AgentOverheadBench: " + name + " instrumented with " + checks + " back-edge checks");
        Class<?> copy = new DefiningLoader(agent).define(name, bytes);
        return (Kernels) copy.getConstructor().newInstance();
    }

    /** Defines one class from bytes; everything else (Kernels, YieldPoint) comes from the parent. */
    private static final class DefiningLoader extends ClassLoader {
        DefiningLoader(ClassLoader parent) {
            super("instrumented-kernels", parent);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }

    /** A loader that sees the agent's classes and, through its parent, this benchmark's. */
    private static ClassLoader agentLoader() throws Exception {
        ClassLoader mine = AgentOverheadBench.class.getClassLoader();
        try {
            Class.forName("io.goloom.agent.Instrumenter", false, mine);
            return mine; // bench depends on the agent module
        } catch (ClassNotFoundException notOnClassPath) {
            Path jar = agentJar();
            return new URLClassLoader("goloom-agent", new URL[] {jar.toUri().toURL()}, mine);
        }
    }

    private static Path agentJar() throws URISyntaxException, IOException {
        String property = System.getProperty("goloom.agent.jar");
        if (property != null) {
            return Path.of(property);
        }
        // bench/target/goloom-bench.jar (or bench/target/classes) -> <root>/agent/target
        Path here = Path.of(AgentOverheadBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        for (Path p = here; p != null; p = p.getParent()) {
            Path target = p.resolve("agent/target");
            if (Files.isDirectory(target)) {
                try (Stream<Path> files = Files.list(target)) {
                    var found = files.filter(f -> {
                        String n = f.getFileName().toString();
                        return n.startsWith("goloom-agent-") && n.endsWith(".jar")
                                && !n.matches(".*-(sources|javadoc|tests)\\.jar"); // ./goloom install adds these
                    }).findFirst();
                    if (found.isPresent()) {
                        return found.get();
                    }
                }
            }
        }
        throw new IllegalStateException("io.goloom.agent.Instrumenter is not on the class path and no agent jar was"
                + " found under agent/target: run `mvn -pl agent package` or pass -Dgoloom.agent.jar=<path>");
    }
}
