package net.gatehouse.queue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user and group the spool belongs to: those of the gateway. The command line may run as root
 * beside a gateway that runs as its own user; a file it creates in the spool (a journal, a request)
 * is given to the spool's owner, so that the gateway can append to it and delete it.
 */
final class SpoolOwner {

    private static final Logger log = LoggerFactory.getLogger(SpoolOwner.class);

    private final Path directory;

    /** @param directory a directory of the spool that the gateway created, whose owner is the spool's */
    SpoolOwner(Path directory) {
        this.directory = directory;
    }

    /**
     * Gives {@code file} to the spool's owner and group. Without the privilege to change owners the
     * file stays as it is (the command then ran as that user).
     */
    void give(Path file) {
        try {
            PosixFileAttributes spool = Files.readAttributes(directory, PosixFileAttributes.class);
            PosixFileAttributes created = Files.readAttributes(file, PosixFileAttributes.class);
            PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (!created.owner().equals(spool.owner())) {
                view.setOwner(spool.owner());
            }
            if (!created.group().equals(spool.group())) {
                view.setGroup(spool.group());
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("spool_owner_unchanged file={} error=\"{}\"", file, e.getMessage());
        }
    }
}
