package io.flowkeeper.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads the version from the jar manifest, so {@code --version} always matches the build. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {
            "flowkeeper " + (version == null ? "(development build)" : version),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
