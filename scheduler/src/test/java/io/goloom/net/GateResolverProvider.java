package io.goloom.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The test JVM's name resolver (installed through META-INF/services): every name goes to the
 * JDK's built-in resolver except those under {@value #DOMAIN}, which resolve to 127.0.0.1 only
 * after a {@link Gate} opens. The lookup waits for the gate inside native code (poll(2) on a
 * pipe), as getaddrinfo waits for a DNS server: the carrier thread shows RUNNABLE, so sysmon
 * learns of the wait only if the caller declared the call blocking.
 */
public final class GateResolverProvider extends InetAddressResolverProvider {

    static final String DOMAIN = ".gate.goloom.test";
    /** The gate lookups under DOMAIN wait for. Set by the test before its lookup. */
    static volatile Gate gate;
    /** Lookups that reached this resolver for names under DOMAIN. */
    static final AtomicInteger GATED = new AtomicInteger();

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                if (!host.endsWith(DOMAIN)) {
                    return builtin.lookupByName(host, policy);
                }
                GATED.incrementAndGet();
                Gate g = gate;
                if (g == null || !g.await(10_000)) {
                    throw new UnknownHostException(host + ": the gate did not open within 10 s (this lookup blocked its P)");
                }
                return Stream.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1}));
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                return builtin.lookupByAddress(addr);
            }
        };
    }

    @Override
    public String name() {
        return "goloom-test-gate";
    }

    /** A pipe: {@link #await} blocks in poll(2) until {@link #open} writes a byte. */
    static final class Gate implements AutoCloseable {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final MethodHandle PIPE = call("pipe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        private static final MethodHandle POLL = call("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        private static final MethodHandle WRITE = call("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        private static final short POLLIN = 1;

        private final Arena arena = Arena.ofShared();
        private final int readFd;
        private final int writeFd;

        Gate() throws Throwable {
            MemorySegment fds = arena.allocate(8);
            if ((int) PIPE.invokeExact(fds) != 0) {
                throw new IllegalStateException("pipe failed");
            }
            readFd = fds.get(JAVA_INT, 0);
            writeFd = fds.get(JAVA_INT, 4);
        }

        /** Blocks in native code until the gate opens (true) or {@code ms} pass (false). */
        boolean await(int ms) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment pfd = a.allocate(8);
                pfd.set(JAVA_INT, 0, readFd);
                pfd.set(JAVA_SHORT, 4, POLLIN);
                return (int) POLL.invokeExact(pfd, 1L, ms) == 1;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        void open() {
            try {
                long unused = (long) WRITE.invokeExact(writeFd, arena.allocate(1), 1L);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        @Override
        public void close() throws Exception {
            try {
                int a = (int) CLOSE.invokeExact(readFd);
                int b = (int) CLOSE.invokeExact(writeFd);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            arena.close();
        }

        private static MethodHandle call(String name, FunctionDescriptor fd) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd);
        }
    }
}
