package net.gatehouse.config;

import java.util.Optional;

/** The web console and REST API listener; absent when the file has no {@code console} section. */
public record ConsoleConfig(Optional<ListenAddress> listen) {
}
