package io.flowkeeper.agent;

import java.nio.file.Path;
import java.util.List;

/** Runs a {@link HostAgent} in a child JVM for {@link AgentCrashTest}: args are run dir, bridge, snapshot dir. */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) throws Exception {
        HostAgent agent = new HostAgent(new AgentConfig(Path.of(args[0]), List.of(args[1]), Path.of(args[2])),
                new AgentListener() {
                    @Override
                    public void journaling(String bridge, int flows) {
                        System.out.println("JOURNALING " + flows);
                    }
                }).start();
        Thread.sleep(Long.MAX_VALUE);
        agent.close();
    }
}
