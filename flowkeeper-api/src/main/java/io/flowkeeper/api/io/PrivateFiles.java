package io.flowkeeper.api.io;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Directories only their owner can enter and files only their owner can read. Java cannot set the process umask,
 * so state directories are created (or tightened) 0700 and what is already in them 0600/0700: files a library
 * creates later with its own mode stay unreachable behind the 0700 directory.
 */
public final class PrivateFiles {
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

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

    private static void restrict(Path root) throws IOException {
        if (!root.getFileSystem().supportedFileAttributeViews().contains("posix")) {
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
