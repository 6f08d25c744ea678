package io.flowkeeper.api.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Directories only their owner can enter and files only their owner can read, from the moment they exist. Java
 * cannot set the process umask, so: the files our own code writes are created 0600 ({@link #openPrivate}); state
 * directories are created (or tightened) 0700 and what is already in them 0600/0700; and the files a library creates
 * with the process' default mode (Ratis' log segments, its MD5 files) are private from their first byte only when
 * the process runs with umask 077, which {@code bin/flowkeeper} and {@link #withPrivateUmask} set and
 * {@link #defaultModeLeaks} checks (behind the 0700 directory they are out of other users' reach either way).
 */
public final class PrivateFiles {
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private PrivateFiles() {}

    /**
     * Creates {@code dir} and its missing parents 0700, and makes every file below it 0600 and every directory
     * 0700 (symbolic links are left alone). No-op for the modes on a file system without POSIX permissions.
     */
    public static Path createPrivateDirectories(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (!Files.isDirectory(absolute)) {
            Path parent = absolute.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                createPrivateDirectories(parent);
            }
            try {
                Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(DIR));
            } catch (UnsupportedOperationException e) {
                Files.createDirectory(absolute);
            }
        }
        restrict(absolute);
        return dir;
    }

    /**
     * Opens {@code file} with {@code options}; a file this creates is 0600 whatever the umask, so no other user can
     * open it between its creation and a later chmod.
     */
    public static FileChannel openPrivate(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> set = new HashSet<>(List.of(options));
        if (!posix(file)) {
            return FileChannel.open(file, set);
        }
        return FileChannel.open(file, set, PosixFilePermissions.asFileAttribute(FILE));
    }

    /** Writes {@code content} to {@code file}, created 0600 if new, truncated if not; no fsync (callers decide). */
    public static void writePrivate(Path file, byte[] content) throws IOException {
        try (FileChannel ch = openPrivate(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    /**
     * The mode a file created in {@code dir} without an explicit one gets (as libraries create theirs), when the
     * process umask lets group or others have any of it (e.g. {@code "rw-r--r--"} under umask 022); empty when such
     * files are private or the file system has no POSIX modes. Creates and deletes a probe file in {@code dir}.
     */
    public static Optional<String> defaultModeLeaks(Path dir) throws IOException {
        if (!posix(dir)) {
            return Optional.empty();
        }
        Path probe = dir.resolve(".umask-probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.newByteChannel(probe, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(probe);
            return OWNER.containsAll(mode) ? Optional.empty() : Optional.of(PosixFilePermissions.toString(mode));
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /**
     * {@code command} run with umask 077, through {@code /bin/sh}, which then execs it (the process and its pid are
     * the command's own): for the node and agent JVMs tests and benches start, as {@code bin/flowkeeper} runs them.
     */
    public static List<String> withPrivateUmask(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "umask 077 && exec \"$0\" \"$@\""));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Every file and directory under {@code root} (itself included) that gives group or others any access, as
     * {@code "PATH MODE"} lines; empty when everything is its owner's alone (or the file system has no POSIX modes).
     */
    public static List<String> exposed(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        if (!posix(root)) {
            return found;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                if (!OWNER.containsAll(mode)) {
                    found.add(p + " " + PosixFilePermissions.toString(mode));
                }
            }
        }
        return found;
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static void restrict(Path root) throws IOException {
        if (!posix(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                setIfDifferent(d, DIR);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    setIfDifferent(f, FILE);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void setIfDifferent(Path p, Set<PosixFilePermission> mode) throws IOException {
        if (!Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(mode)) {
            Files.setPosixFilePermissions(p, mode);
        }
    }
}
