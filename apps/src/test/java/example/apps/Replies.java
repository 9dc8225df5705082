package example.apps;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What both server apps answer, so that one client checks both. Plain application code: it
 * knows nothing of goloom beyond its carrier threads' names and two counts read by reflection.
 *
 * <ul>
 *   <li>{@code GET /?i=N}: {@link #SIZE} bytes of JSON,
 *       {@code {"app":"jetty","req":"N","thread":"VirtualThread[#31]/runnable@goloom-m2","pad":"   "}}:
 *       the request it answers and the handler's {@code Thread.currentThread()}.</li>
 *   <li>{@code GET /threads}: waits until {@code main} has returned, then a text report, first
 *       line {@code main=returned scheduler=S carriers=C blocked=B goloomCarrierCount=G} (S: the
 *       system property {@code goloom.virtualThreadScheduler} that goloom's agent sets; C: the
 *       threads named {@code goloom-m<N>}; B and G: goloom's {@code GoRuntime.getDefault()}
 *       {@code blockedCarriers()} and {@code carrierCount()}, {@code n/a} and -1 without
 *       goloom), then the carrier threads grouped by state and top frames.</li>
 *   <li>{@code GET /stop}: answers {@code stopping}, then {@code System.exit(0)}.</li>
 * </ul>
 */
public final class Replies {

    /** The size of every {@code GET /} reply body, in bytes. */
    public static final int SIZE = 256;

    /** The name of goloom's carrier threads (Ms) of the default runtime. */
    public static final Pattern CARRIER = Pattern.compile("goloom-m\\d+");

    private static volatile Thread main;

    private Replies() {
    }

    /** Called first thing by an app's {@code main}, on the main thread. */
    public static void mainStarted() {
        main = Thread.currentThread();
    }

    /** Called last thing by an app's {@code main}; the test waits for this line. */
    public static void mainReturning(int port) {
        System.out.println("port " + port);
        System.out.println("main returned");
        System.out.flush();
    }

    /** The body of {@code GET /?<query>}: exactly {@link #SIZE} bytes. */
    public static byte[] hello(String app, String query) {
        String req = query != null && query.startsWith("i=") ? query.substring(2) : "";
        String head = "{\"app\":\"" + app + "\",\"req\":\"" + req + "\",\"thread\":\""
                + Thread.currentThread().toString().replace('"', '\'') + "\",\"pad\":\"";
        int pad = SIZE - head.length() - 2;
        if (pad < 0) {
            throw new IllegalStateException("reply longer than " + SIZE + " bytes: " + head);
        }
        return (head + " ".repeat(pad) + "\"}").getBytes(StandardCharsets.US_ASCII);
    }

    /** The body of {@code GET /threads}, once {@code main} has returned. */
    public static byte[] threads() throws InterruptedException {
        Thread m = main;
        if (m == null) {
            throw new IllegalStateException("the app's main did not call Replies.mainStarted()");
        }
        m.join(); // the report also proves that main has returned: this handler runs after that
        // Carriers grouped by what they do (state and top frames, park frames left out), in
        // the order of their numbers: "18 WAITING M.notesleep <- Scheduler.stopm <- ...: goloom-m2 ...".
        Map<String, List<String>> groups = new TreeMap<>();
        int blockedBefore = goloomCount("blockedCarriers");
        int carriers = 0;
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (CARRIER.matcher(t.getName()).matches()) {
                carriers++;
                String what = t.getState() + " " + Arrays.stream(e.getValue())
                        .dropWhile(f -> f.getClassName().equals("jdk.internal.misc.Unsafe")
                                || f.getClassName().equals("java.util.concurrent.locks.LockSupport"))
                        .limit(5)
                        .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
                        .collect(Collectors.joining(" <- "));
                groups.computeIfAbsent(what, k -> new ArrayList<>()).add(t.getName());
            }
        }
        // A carrier counted above may have been blocked before the count or have become so
        // during it (sysmon counts it blocked before it starts the carrier that replaces it):
        // the larger of the two counts.
        int blocked = Math.max(blockedBefore, goloomCount("blockedCarriers"));
        StringBuilder sb = new StringBuilder();
        sb.append("main=returned scheduler=").append(System.getProperty("goloom.virtualThreadScheduler"))
                .append(" carriers=").append(carriers)
                .append(" blocked=").append(blocked < 0 ? "n/a" : String.valueOf(blocked))
                .append(" goloomCarrierCount=").append(goloomCount("carrierCount")).append('\n')
                .append(handoffs()).append('\n');
        groups.forEach((what, names) -> {
            names.sort(Comparator.comparingInt(n -> Integer.parseInt(n.substring(n.lastIndexOf('m') + 1))));
            sb.append(names.size()).append(' ').append(what).append(": ").append(String.join(" ", names)).append('\n');
        });
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * {@code GoRuntime.getDefault().<method>()} when goloom's agent put goloom on the class path,
     * else -1. Reflection keeps the app free of goloom: it compiles and runs without it.
     */
    private static int goloomCount(String method) {
        try {
            Object rt = defaultRuntime();
            return (int) rt.getClass().getMethod(method).invoke(rt);
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    /**
     * goloom's P hand-offs so far by reason ({@code handoffs syscall=0 jdk=3 native=0}: the
     * carriers started beside the two), or {@code handoffs n/a} without goloom. Reflection, as
     * {@link #goloomCount}.
     */
    private static String handoffs() {
        try {
            Object rt = defaultRuntime();
            Object metrics = rt.getClass().getMethod("metrics").invoke(rt);
            java.lang.reflect.Method get = metrics.getClass().getMethod("get", String.class);
            StringBuilder sb = new StringBuilder("handoffs");
            for (String reason : new String[] {"syscall", "jdk-blocked", "native"}) {
                sb.append(' ').append(reason).append('=').append(get.invoke(metrics, "/goloom/sched/handoffs/" + reason + ":events"));
            }
            return sb.toString();
        } catch (ReflectiveOperationException e) {
            return "handoffs n/a";
        }
    }

    /** {@code GoRuntime.getDefault()}, found by reflection: the app compiles and runs without goloom. */
    private static Object defaultRuntime() throws ReflectiveOperationException {
        return Class.forName("io.goloom.scheduler.GoRuntime").getMethod("getDefault").invoke(null);
    }

    /** Exits the JVM from a new thread, so that the handler that asked for it completes first. */
    public static void exitSoon() {
        Thread.ofPlatform().start(() -> System.exit(0));
    }
}
