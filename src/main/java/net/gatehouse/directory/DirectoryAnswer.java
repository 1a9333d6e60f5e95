package net.gatehouse.directory;

import java.util.List;

/** What the directories of a domain say about an address at RCPT TO. */
public sealed interface DirectoryAnswer {

    /** For the chain of reasons of {@code check} and the address tester. */
    String how();

    /** The address is in the snapshot of {@code directory}. */
    record Found(String directory, String how) implements DirectoryAnswer {
    }

    /** Every directory of the domain has a snapshot, and the address is in none. */
    record Absent(List<String> directories, String how) implements DirectoryAnswer {
    }

    /** Not in the snapshots there are, and at least one directory has none yet: nobody can tell. */
    record Unavailable(String how) implements DirectoryAnswer {
    }
}
