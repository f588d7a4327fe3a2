// The classic Java service: it does its work until told to stop, then its
// shutdown hook (what Spring's graceful shutdown rides on) finishes the
// requests in flight and says so. run.sh starts it without `exec`, the way
// countless images do.
//
// Usage: java Main.java DIR   (the hook writes DIR/hook-started, then, after
// 1.5 s of "finishing requests", DIR/hook-done)

import java.nio.file.Files;
import java.nio.file.Path;

public class Main {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/out");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                say("shutdown hook: finishing the requests in flight");
                Files.writeString(dir.resolve("hook-started"), "started\n");
                Thread.sleep(1500);
                Files.writeString(dir.resolve("hook-done"), "done\n");
                say("shutdown hook: done, exiting");
            } catch (Exception e) {
                say("shutdown hook failed: " + e);
            }
        }));
        say("ready (pid " + ProcessHandle.current().pid() + ")");
        Thread.currentThread().join();
    }

    private static void say(String line) {
        System.out.println("[java] " + line);
        System.out.flush();
    }
}
