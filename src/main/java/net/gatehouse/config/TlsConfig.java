package net.gatehouse.config;

import java.nio.file.Path;

/** PEM certificate chain and private key for STARTTLS. */
public record TlsConfig(Path cert, Path key) {
}
