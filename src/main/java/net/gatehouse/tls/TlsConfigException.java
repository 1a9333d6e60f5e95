package net.gatehouse.tls;

import java.nio.file.Path;

/**
 * A certificate or key file that cannot be used for TLS. The message names the file and the
 * reason ({@code /etc/gatehouse/key.pem: encrypted private keys are not supported; ...}) so it can
 * be shown to the administrator as it is.
 *
 * <p>Checked, because it is an expected outcome of reading configuration at start-up, not a bug.
 */
public final class TlsConfigException extends Exception {

    private final transient Path file;

    TlsConfigException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
    }

    TlsConfigException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
    }

    /** The file at fault: the certificate chain or the private key. */
    public Path file() {
        return file;
    }
}
