package io.goloom.core;

import jdk.internal.access.SharedSecrets;

/**
 * Defines small generated classes in {@code java.lang} with the boot loader: goloom's way to put
 * a frame where the JVM honours its internal annotations ({@code @DontInline}, for
 * the netpoller's NIO calls) or where rewritten JDK code can call it
 * (transparent mode's hooks). Needs {@code --add-exports java.base/jdk.internal.access=ALL-UNNAMED},
 * which goloom's launcher, jars and build pass.
 */
public final class BootClasses {
    private BootClasses() {
    }

    /**
     * The boot class {@code binaryName}: already defined (by this or another class loader's
     * goloom), else defined from {@code bytes}. Names carry a version suffix ({@code $1}) so an
     * incompatible older definition is never reused.
     *
     * @throws IllegalStateException if the JVM refuses the definition
     */
    public static Class<?> define(String binaryName, java.util.function.Supplier<byte[]> bytes) {
        try {
            return Class.forName(binaryName, false, null);
        } catch (ClassNotFoundException notYet) {
            // define below
        }
        JvmFlags.require(); // SharedSecrets needs jdk.internal.access: name the flag if it is missing
        try {
            return SharedSecrets.getJavaLangAccess().defineClass(null, binaryName, bytes.get(), null, "goloom");
        } catch (LinkageError e) {
            try {
                return Class.forName(binaryName, false, null); // lost a definition race
            } catch (ClassNotFoundException stillMissing) {
                throw new IllegalStateException("goloom: cannot define " + binaryName, e);
            }
        }
    }
}
