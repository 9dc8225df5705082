package io.goloom.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.goloom.core.JvmFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Fork;

/**
 * JMH's {@code @Fork(jvmArgsAppend)} must be a compile-time constant, so the benchmarks spell
 * goloom's JVM flags out; this test holds every such list to goloom.jvmargs (the one copy).
 * A benchmark whose {@code @Fork} appends nothing inherits the flags of the JVM that runs JMH
 * ({@code ./goloom bench} passes {@code @goloom.jvmargs}).
 */
class ForkFlagsTest {

    @Test
    void everyForkThatAppendsJvmArgsStartsWithGoloomJvmargs() throws Exception {
        List<String> flags = JvmFlags.flags();
        Path classes = Path.of(YieldBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> checked = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes.resolve("io/goloom/bench/jmh"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (name.contains("jmh_generated")) {
                    continue;
                }
                Fork fork = Class.forName(name, false, getClass().getClassLoader()).getDeclaredAnnotation(Fork.class);
                if (fork == null || fork.jvmArgsAppend().length == 1 && fork.jvmArgsAppend()[0].equals(Fork.BLANK_ARGS)) {
                    continue;
                }
                List<String> append = Arrays.asList(fork.jvmArgsAppend());
                assertTrue(append.size() >= flags.size(), name + ": @Fork(jvmArgsAppend) " + append);
                assertEquals(flags, append.subList(0, flags.size()),
                        name + ": @Fork(jvmArgsAppend) must start with goloom.jvmargs' flags, in its order");
                checked.add(name);
            }
        }
        // YieldBench, TimerChurnBench, ChanBench.Procs1/2, MutexBench.Procs1/2 at least.
        assertTrue(checked.size() >= 6, "found only " + checked);
    }
}
