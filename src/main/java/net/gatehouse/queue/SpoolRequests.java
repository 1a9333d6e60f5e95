package net.gatehouse.queue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the command line asks of the running gateway, left as empty files in the spool: {@code
 * requests/ID} to look at a message again, {@code flush} to attempt every deferred message now.
 * Files rather than a socket: the command line works on the spool alone, whether or not a gateway
 * runs, and a gateway that is not running needs no request (it reads the journals at start-up).
 * The gateway looks once a second.
 */
final class SpoolRequests {

    private static final Logger log = LoggerFactory.getLogger(SpoolRequests.class);
    private static final String FLUSH_REQUEST = "flush";

    private final Path flush;
    private final Path requests;
    private final SpoolOwner owner;

    /** @param spool the spool directory; {@code requests/} is created in it if missing */
    SpoolRequests(Path spool, SpoolOwner owner) throws IOException {
        this.flush = spool.resolve(FLUSH_REQUEST);
        this.requests = Files.createDirectories(spool.resolve("requests"));
        this.owner = owner;
    }

    /** Gives the requests directory to the spool's owner, for when the command line created it. */
    void giveToOwner() {
        owner.give(requests);
    }

    /** Forgets the requests made to a gateway that was not running: what they asked for is in the journals. */
    void forgetAll() throws IOException {
        try (DirectoryStream<Path> answered = Files.newDirectoryStream(requests)) {
            for (Path file : answered) {
                Files.deleteIfExists(file);
            }
        }
    }

    void requestFlush() throws IOException {
        Files.writeString(flush, "");
        owner.give(flush);
    }

    boolean takeFlushRequest() {
        try {
            return Files.deleteIfExists(flush);
        } catch (IOException e) {
            return false;
        }
    }

    void requestReview(QueueId id) throws IOException {
        Path request = requests.resolve(id.value());
        try {
            Files.createFile(request);
        } catch (FileAlreadyExistsException pending) {
            return; // asked already, not yet looked at: the gateway reads the journal as it is then
        }
        owner.give(request);
    }

    List<QueueId> reviewRequests() {
        List<QueueId> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(requests)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (QueueId.isValid(name)) {
                    ids.add(new QueueId(name));
                }
            }
        } catch (IOException e) {
            log.warn("spool_requests_unreadable directory={} error=\"{}\"", requests, e.getMessage());
        }
        return ids;
    }

    void reviewed(QueueId id) {
        try {
            Files.deleteIfExists(requests.resolve(id.value()));
        } catch (IOException e) {
            log.warn("spool_request_undeletable queue_id={} error=\"{}\"", id, e.getMessage());
        }
    }
}
