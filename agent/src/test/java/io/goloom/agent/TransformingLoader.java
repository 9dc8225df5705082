package io.goloom.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A child-first test class loader: classes under {@code prefix} are read from the parent's
 * resources, passed through the transformer (when there is one) exactly as the JVM would pass
 * them to an agent, and defined here; everything else (JDK, JUnit, {@link YieldPoint}) comes
 * from the parent. A fresh loader per run gives every run fresh static state. Classes defined by
 * a non-boot loader are always verified by HotSpot, so defining the bytes is itself a
 * verifier check.
 */
final class TransformingLoader extends ClassLoader {
    static {
        registerAsParallelCapable();
    }

    private final String prefix;
    private final ClassFileTransformer transformer;
    /** Binary name -> the bytes defined (transformed or original). */
    final Map<String, byte[]> defined = new ConcurrentHashMap<>();

    /** @param transformer null to define the original bytes */
    TransformingLoader(String prefix, ClassFileTransformer transformer) {
        super(transformer == null ? "original" : "transformed", TransformingLoader.class.getClassLoader());
        this.prefix = prefix;
        this.transformer = transformer;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(prefix)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                byte[] bytes = classBytes(getParent(), name);
                if (bytes == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] out = null;
                if (transformer != null) {
                    try {
                        out = transformer.transform(getUnnamedModule(), this, name.replace('.', '/'), null, null, bytes);
                    } catch (IllegalClassFormatException e) {
                        throw new AssertionError(e);
                    }
                }
                byte[] def = out != null ? out : bytes;
                defined.put(name, def);
                c = defineClass(name, def, 0, def.length);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    static byte[] classBytes(ClassLoader from, String binaryName) {
        try (InputStream in = from.getResourceAsStream(binaryName.replace('.', '/') + ".class")) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
