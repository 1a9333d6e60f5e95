package net.gatehouse.directory;

import com.unboundid.ldap.sdk.BindResult;
import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.DirectoryConfig.Server;
import net.gatehouse.store.StoreException;
import net.gatehouse.tls.TlsContexts;

/**
 * Opens a bound connection to a directory: its servers in the order given, the first that connects,
 * completes TLS (LDAPS, or StartTLS when {@code start_tls} is on for an {@code ldap://} server) with
 * a certificate signed by the CA of {@code ca_file} (or a CA the JDK trusts) for the server's host
 * name, and accepts the bind. Each server gets {@code connect_timeout} for all of that.
 *
 * <p>The bind password is read anew for each connection (from {@code bind_password_file}, else the
 * store, where the console and the API set it, else the environment), so a rotated password needs
 * no restart; it appears in no message.
 */
final class LdapConnector {

    /** No server could be used; the message says why for each, without secrets. */
    static final class UnreachableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnreachableException(String message) {
            super(message);
        }
    }

    private final DirectoryConfig config;
    private final Supplier<Map<String, String>> environment;
    private final Function<String, Optional<String>> stored;

    /** @param stored the password set in the console or the API, by directory name */
    LdapConnector(DirectoryConfig config, Supplier<Map<String, String>> environment,
                  Function<String, Optional<String>> stored) {
        this.config = config;
        this.environment = environment;
        this.stored = stored;
    }

    /** A bound connection, with the server it is connected to in its connection name. */
    LDAPConnection connect() throws UnreachableException {
        SSLContext tls;
        try {
            tls = tlsContext();
        } catch (IOException | GeneralSecurityException e) {
            throw new UnreachableException("ca_file " + config.caFile().map(Object::toString).orElse("")
                    + " cannot be used: " + e.getMessage());
        }
        List<String> failures = new ArrayList<>();
        for (Server server : config.servers()) {
            try {
                return connect(server, tls);
            } catch (LDAPException e) {
                failures.add(server + ": " + describe(e));
            } catch (IOException e) {
                failures.add(server + ": " + e.getMessage());
            }
        }
        throw new UnreachableException(String.join("; ", failures));
    }

    private LDAPConnection connect(Server server, SSLContext tls) throws LDAPException, IOException {
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        int timeout = (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
        options.setConnectTimeoutMillis(timeout);
        options.setResponseTimeoutMillis(timeout);
        options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
        options.setAbandonOnTimeout(true);
        options.setUseSynchronousMode(true);
        LDAPConnection connection = server.ldaps()
                ? new LDAPConnection(new HostnameVerifyingSocketFactory(tls.getSocketFactory()), options, server.host(),
                        server.port())
                : new LDAPConnection(options, server.host(), server.port());
        try {
            connection.setConnectionName(server.toString());
            if (!server.ldaps() && config.startTls()) {
                ExtendedResult started = connection.processExtendedOperation(
                        new StartTLSExtendedRequest(new HostnameVerifyingSocketFactory(tls.getSocketFactory())));
                if (started.getResultCode() != ResultCode.SUCCESS) {
                    throw new LDAPException(started.getResultCode(), "StartTLS refused: "
                            + started.getDiagnosticMessage());
                }
            }
            if (!config.bindDn().isEmpty()) {
                SimpleBindRequest bind = new SimpleBindRequest(config.bindDn(), password());
                bind.setResponseTimeoutMillis(timeout);
                BindResult result = connection.bind(bind);
                if (result.getResultCode() != ResultCode.SUCCESS) {
                    throw new LDAPException(result.getResultCode(), "bind refused");
                }
            }
            return connection;
        } catch (LDAPException | IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** From {@code bind_password_file}; else the one set in the console or the API; else the environment. */
    private String password() throws IOException {
        if (config.bindPasswordFile().isPresent()) {
            // one line; a trailing line break is not part of the password
            return Files.readString(config.bindPasswordFile().get(), StandardCharsets.UTF_8).strip();
        }
        Optional<String> set;
        try {
            set = stored.apply(config.name());
        } catch (StoreException e) {
            throw new IOException("the bind password set in the console cannot be read now: " + e.getMessage());
        }
        if (set.isPresent()) {
            return set.get();
        }
        String password = environment.get().getOrDefault(config.passwordVariable(), "");
        if (password.isEmpty()) {
            throw new IOException("no bind password: none is set in the console, and " + config.passwordVariable()
                    + " is not set");
        }
        return password;
    }

    private SSLContext tlsContext() throws IOException, GeneralSecurityException {
        return TlsContexts.trusting(config.caFile());
    }

    /** The result in words an administrator can act on; UnboundID's messages carry no password. */
    static String describe(LDAPException e) {
        ResultCode code = e.getResultCode();
        if (code == ResultCode.INVALID_CREDENTIALS) {
            return "invalid credentials for bind_dn (49): the DN or the password is wrong";
        }
        String message = e.getExceptionMessage() == null ? "" : e.getExceptionMessage()
                .replaceAll(", ldapSDKVersion=[^,]*, revision=[0-9a-f]*", "");
        return code.getName() + " (" + code.intValue() + ")" + (message.isEmpty() ? "" : ": " + message);
    }
}
