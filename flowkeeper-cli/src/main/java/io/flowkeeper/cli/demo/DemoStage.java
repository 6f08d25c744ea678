package io.flowkeeper.cli.demo;

/**
 * One chapter of {@code flowkeeper demo}. Each capability adds a stage that shows what it does on the shared
 * {@link DemoContext} (a test bed with one host and two VMs, and a timeline). Stages run in order.
 */
public interface DemoStage {
    /** A short title, printed as the chapter heading. */
    String title();

    /** Runs the stage; throws on a failure the operator must see (the demo then exits non-zero). */
    void run(DemoContext context) throws Exception;
}
