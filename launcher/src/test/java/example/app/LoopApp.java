package example.app;

/**
 * An application outside io.goloom (goloom's agent never instruments io.goloom.*): a counted
 * loop the agent gives a yield point, run in a virtual thread of the launcher.
 */
public class LoopApp {
    public static void main(String[] args) throws Exception {
        long sum = 0;
        for (int i = 0; i < 1_000_000; i++) {
            sum += i;
        }
        Thread t = Thread.ofVirtual().start(() -> System.out.println("child on goloom: "
                + Thread.currentThread().toString().contains("goloom")));
        t.join();
        System.out.println("sum " + sum);
    }
}
