package io.goloom.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import example.apps.HelidonApp;
import example.apps.HttpServerApp;
import example.apps.JettyApp;
import example.apps.TomcatApp;
import example.apps.Replies;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The server apps under test, their class paths (the app classes and the libraries from Maven
 * Central, never goloom's classes: goloom comes only through {@code -javaagent}) and the check
 * of one {@code GET /} reply.
 */
enum ServerApp {
    /** The JDK's {@code com.sun.net.httpserver.HttpServer}, a virtual thread per exchange. */
    HTTPSERVER("httpserver", HttpServerApp.class),
    /** Jetty 12 on {@code VirtualThreadPool}. */
    JETTY("jetty", JettyApp.class,
            "org.eclipse.jetty.server.Server", "org.eclipse.jetty.http.HttpField", "org.eclipse.jetty.io.EndPoint",
            "org.eclipse.jetty.util.thread.VirtualThreadPool", "org.slf4j.LoggerFactory"),
    /** Helidon 4 SE's web server (about 35 jars: every {@code io/helidon/} jar of the test class path). */
    HELIDON("helidon", HelidonApp.class, "io/helidon/", new String[0]),
    /** Embedded Tomcat 11 with {@code useVirtualThreads}. */
    TOMCAT("tomcat", TomcatApp.class, "org.apache.catalina.startup.Tomcat", "jakarta.annotation.PostConstruct");

    /** A handler thread on goloom: {@code VirtualThread[#31]/runnable@goloom-m2}. */
    static final Pattern ON_GOLOOM = Pattern.compile("VirtualThread\\[#\\d+.*]/runnable@goloom-m\\d+");
    /** A handler thread on the JDK's scheduler: {@code VirtualThread[#31]/runnable@ForkJoinPool-1-worker-1}. */
    static final Pattern ON_FORK_JOIN_POOL = Pattern.compile("VirtualThread\\[#\\d+.*]/runnable@ForkJoinPool-\\d+-worker-\\d+");

    private static final Pattern HELLO = Pattern.compile(
            "\\{\"app\":\"([a-z]+)\",\"req\":\"([^\"]*)\",\"thread\":\"([^\"]*)\",\"pad\":\" *\"}");

    final String name;
    final Class<?> main;
    /** A Maven repository directory (e.g. {@code io/helidon/}) whose every jar on the test class path is the app's, or null. */
    private final String libraryDir;
    private final String[] libraryClasses;

    ServerApp(String name, Class<?> main, String... libraryClasses) {
        this(name, main, null, libraryClasses);
    }

    /** A library of many jars: every jar of the test class path under {@code libraryDir}, and the jars of {@code libraryClasses}. */
    ServerApp(String name, Class<?> main, String libraryDir, String[] libraryClasses) {
        this.name = name;
        this.main = main;
        this.libraryDir = libraryDir;
        this.libraryClasses = libraryClasses;
    }

    /**
     * The app's classes (a directory), every jar of the test class path under
     * {@link #libraryDir}, and its other libraries' jars, each found through one of its classes.
     */
    List<Path> classPath() {
        List<Path> cp = new ArrayList<>();
        cp.add(codeSource(main));
        if (libraryDir != null) {
            String dir = File.separator + libraryDir.replace('/', File.separatorChar);
            String testCp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            for (String e : testCp.split(File.pathSeparator)) {
                if (e.contains(dir) && e.endsWith(".jar")) {
                    cp.add(Path.of(e));
                }
            }
        }
        for (String c : libraryClasses) {
            try {
                cp.add(codeSource(Class.forName(c, false, ServerApp.class.getClassLoader())));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("library class " + c + " not on the test class path: check apps/pom.xml", e);
            }
        }
        return cp;
    }

    /** {@code -cp <class path> <main> 0}. */
    List<String> classPathLaunch() {
        return List.of("-cp", String.join(File.pathSeparator, classPath().stream().map(Path::toString).toList()),
                main.getName(), "0");
    }

    /** {@code -jar <fat jar> 0}, the fat jar written into {@code dir}. */
    List<String> jarLaunch(Path dir) throws IOException {
        return List.of("-jar", fatJar(dir.resolve(name + "-app.jar")).toString(), "0");
    }

    /**
     * A fat jar, as a build would make for {@code java -jar}: the app's classes, every class and
     * resource of its libraries (service files concatenated, signatures and the libraries'
     * manifests and module descriptors left out) and a manifest naming the main class.
     */
    Path fatJar(Path jar) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Path classes = codeSource(main);
        String pkg = main.getPackageName().replace('.', '/');
        try (Stream<Path> files = Files.walk(classes.resolve(pkg))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                entries.put(classes.relativize(f).toString().replace(File.separatorChar, '/'), Files.readAllBytes(f));
            }
        }
        for (Path lib : classPath().subList(1, classPath().size())) {
            try (JarFile jf = new JarFile(lib.toFile())) {
                for (JarEntry e : jf.stream().filter(e -> !e.isDirectory()).toList()) {
                    String n = e.getName();
                    if (n.equals("META-INF/MANIFEST.MF") || n.endsWith("module-info.class")
                            || n.matches("META-INF/[^/]+\\.(SF|DSA|RSA|EC)")) {
                        continue;
                    }
                    try (InputStream in = jf.getInputStream(e)) {
                        byte[] b = in.readAllBytes();
                        entries.merge(n, b, n.startsWith("META-INF/services/") ? ServerApp::concatLines : (old, dup) -> old);
                    }
                }
            }
        }
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, main.getName());
        Set<String> dirs = new HashSet<>();
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, mf)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                for (int i = e.getKey().indexOf('/'); i >= 0; i = e.getKey().indexOf('/', i + 1)) {
                    String d = e.getKey().substring(0, i + 1);
                    if (!d.equals("META-INF/") && dirs.add(d)) {
                        out.putNextEntry(new JarEntry(d));
                        out.closeEntry();
                    }
                }
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return jar;
    }

    private static byte[] concatLines(byte[] a, byte[] b) {
        String s = new String(a, StandardCharsets.UTF_8);
        return (s.endsWith("\n") ? s : s + "\n").concat(new String(b, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }

    private static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks one reply to {@code GET /?i=<req>}: status 200, exactly {@link Replies#SIZE} bytes of
     * JSON from this app for this request, and a handler thread matching {@code carrier}.
     * Returns the handler thread's string.
     */
    String checkHello(HttpConn.Reply r, String req, Pattern carrier) {
        assertEquals(200, r.status(), () -> "status of request " + req + ": " + r);
        assertEquals(Replies.SIZE, r.body().length(), () -> "body size of request " + req + ": " + r.body());
        assertTrue(!"close".equalsIgnoreCase(r.headers().get("connection")), () -> "the server closes the keep-alive connection: " + r);
        Matcher m = HELLO.matcher(r.body());
        assertTrue(m.matches(), () -> "not the app's JSON: " + r.body());
        assertEquals(name, m.group(1), () -> "reply from another app: " + r.body());
        assertEquals(req, m.group(2), () -> "reply to another request: " + r.body());
        String thread = m.group(3);
        assertTrue(carrier.matcher(thread).matches(),
                () -> "request " + req + " was handled by " + thread + ", not a thread matching " + carrier.pattern());
        return thread;
    }
}
