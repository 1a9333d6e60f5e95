package net.gatehouse.web;

import net.gatehouse.users.Secrets;
import net.gatehouse.users.Role;
import net.gatehouse.users.Passwords;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import net.gatehouse.store.Actor;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.StoreException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is asking: console users by their session cookie, API clients by their bearer token. Also
 * the login (rate-limited by {@link LoginThrottle}) and the CSRF check.
 *
 * <p>The session cookie is {@code HttpOnly} (scripts cannot read it), {@code SameSite=Strict}
 * (other sites cannot make the browser send it) and {@code Secure} when the console is reached over
 * HTTPS. Its value is 256 random bits; the store keeps only its hash. Sessions last
 * {@link #SESSION_LIFETIME} from login, and end at logout, at a password change and when the user
 * is removed.
 *
 * <p>While the store cannot be reached (SPEC §6), a session or token that this node verified in the
 * store before is still recognised, until its session would have expired (a token: for
 * {@link #SESSION_LIFETIME}), so that administrators can read the console, which is read-only
 * meanwhile. A logout, a password change or a removal made on another node just before the outage
 * reaches this node only when the store is back; since nothing can be changed meanwhile, such a
 * session can only read. New logins need the store.
 */
public final class Authenticator {

    public static final String SESSION_COOKIE = "gatehouse_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    static final String CSRF_FIELD = "_csrf";
    public static final Duration SESSION_LIFETIME = Duration.ofHours(12);

    private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

    private final ConsoleUsers users;
    private final Clock clock;
    private final LoginThrottle throttle;
    private final Counter failures;
    private final Counter guessingAlarms;
    /** Credentials verified in the store, by hash, for while it cannot be reached; bounded. */
    private final Map<String, Remembered> verified = new ConcurrentHashMap<>();

    private record Remembered(Principal principal, Instant until) {
    }

    private static final int MAX_REMEMBERED = 10_000;

    /** The outcome of a login attempt. */
    public sealed interface Login {
        record Success(Principal principal) implements Login {
        }

        record Refused() implements Login {
        }

        record Throttled(Duration retryAfter) implements Login {
        }
    }

    public Authenticator(ConsoleUsers users, Clock clock, MeterRegistry registry) {
        this.users = users;
        this.clock = clock;
        this.throttle = new LoginThrottle(clock);
        this.failures = Counter.builder("gatehouse_console_login_failures")
                .description("Console logins refused for a wrong user name or password").register(registry);
        this.guessingAlarms = Counter.builder("gatehouse_console_login_guessing_alarms")
                .description("User names that drew " + LoginThrottle.ALARM_FAILURES + " failed logins within "
                        + LoginThrottle.WINDOW.toMinutes() + " minutes from all addresses together")
                .register(registry);
    }

    /** The principal of the request: from a bearer token on the API, from the session cookie elsewhere. */
    public Optional<Principal> authenticate(Context ctx) {
        String authorization = ctx.header("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return token(authorization.substring(7).strip());
        }
        String cookie = ctx.cookie(SESSION_COOKIE);
        if (cookie == null || cookie.isEmpty()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        String hash = Secrets.sha256(cookie);
        try {
            Optional<Principal> found = users.session(hash, now).flatMap(session -> users.user(session.userName())
                    .flatMap(user -> Role.parse(user.role()))
                    .map(role -> remember(hash, new Principal(session.userName(), role, session.csrf(), false,
                            Actor.Door.CONSOLE), session.expiresAt())));
            if (found.isEmpty()) {
                verified.remove(hash);
            }
            return found;
        } catch (StoreException e) {
            return remembered(hash, e);
        }
    }

    private Principal remember(String hash, Principal principal, Instant until) {
        if (verified.size() < MAX_REMEMBERED || verified.containsKey(hash)) {
            verified.put(hash, new Remembered(principal, until));
        }
        return principal;
    }

    /** @throws StoreException the store's failure, if this credential was not verified before */
    private Optional<Principal> remembered(String hash, StoreException failure) {
        Remembered known = verified.get(hash);
        if (known == null || !clock.instant().isBefore(known.until())) {
            throw failure;
        }
        return Optional.of(known.principal());
    }

    private Optional<Principal> token(String token) {
        if (token.isEmpty()) {
            return Optional.empty();
        }
        String hash = Secrets.sha256(token);
        Instant now = clock.instant();
        try {
            Optional<Principal> found = users.useToken(hash, now)
                    .flatMap(t -> users.user(t.userName()).flatMap(user -> Role.parse(user.role()))
                            .map(role -> remember(hash, new Principal(t.userName(), role, "", true, Actor.Door.API),
                                    now.plus(SESSION_LIFETIME))));
            if (found.isEmpty()) {
                verified.remove(hash);
            }
            return found;
        } catch (StoreException e) {
            return remembered(hash, e);
        }
    }

    /**
     * Whether a request that changes something carries the session's CSRF token, in the
     * {@value #CSRF_HEADER} header (htmx) or the {@value #CSRF_FIELD} form field. Requests with a
     * bearer token need none; safe methods need none.
     */
    public static boolean csrfValid(Context ctx, Principal principal) {
        HandlerType method = ctx.method();
        if (principal.viaToken() || method == HandlerType.GET || method == HandlerType.HEAD
                || method == HandlerType.OPTIONS) {
            return true;
        }
        String presented = ctx.header(CSRF_HEADER);
        if (presented == null) {
            presented = ctx.formParam(CSRF_FIELD);
        }
        return Secrets.same(presented, principal.csrf());
    }

    /** Checks the password and, if right and not throttled, starts a session and sets its cookie. */
    public Login login(Context ctx, String user, String password) {
        String client = ctx.ip();
        Duration wait = throttle.wait(client, user);
        if (!wait.isZero()) {
            log.warn("console_login_throttled user=\"{}\" client={} retry_after={}s", printable(user), client,
                    wait.toSeconds() + 1);
            return new Login.Throttled(wait);
        }
        Optional<ConsoleUsers.User> found = users.user(user);
        boolean right = found.isPresent() ? Passwords.verify(password, found.get().passwordHash())
                : Passwords.verify(password, DUMMY_HASH); // the same work whether the user exists or not
        Optional<Role> role = found.flatMap(u -> Role.parse(u.role()));
        if (!right || role.isEmpty()) {
            failures.increment();
            log.warn("console_login_failed user=\"{}\" client={}", printable(user), client);
            throttle.failed(client, user).ifPresent(alarm -> {
                guessingAlarms.increment();
                log.warn("console_login_guessing user=\"{}\" failures={} window={}m note=\"failed logins for this "
                        + "user from many addresses; each address is throttled on its own, the user is not locked out\"",
                        printable(alarm.user()), alarm.failures(), LoginThrottle.WINDOW.toMinutes());
            });
            return new Login.Refused();
        }
        throttle.succeeded(client, user);
        String id = Secrets.random("");
        String csrf = Secrets.random("");
        Instant now = clock.instant();
        users.purgeExpiredSessions(now);
        users.createSession(new ConsoleUsers.Session(Secrets.sha256(id), user, csrf, now, now.plus(SESSION_LIFETIME)));
        setCookie(ctx, id, SESSION_LIFETIME.toSeconds());
        log.info("console_login user=\"{}\" client={}", printable(user), client);
        return new Login.Success(new Principal(user, role.get(), csrf, false, Actor.Door.CONSOLE));
    }

    public void logout(Context ctx) {
        String cookie = ctx.cookie(SESSION_COOKIE);
        if (cookie != null && !cookie.isEmpty()) {
            verified.remove(Secrets.sha256(cookie));
            users.deleteSession(Secrets.sha256(cookie));
        }
        setCookie(ctx, "", 0);
    }

    private static void setCookie(Context ctx, String value, long maxAgeSeconds) {
        String secure = "https".equalsIgnoreCase(ctx.scheme()) ? "; Secure" : "";
        ctx.res().addHeader("Set-Cookie", SESSION_COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAgeSeconds
                + "; HttpOnly; SameSite=Strict" + secure);
    }

    /** User names typed at the login form are attacker text: keep log lines one line of ASCII. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(64).forEach(c -> out.append(c >= 0x20 && c < 0x7f && c != '"' ? (char) c : '?'));
        return out.toString();
    }

    private static final String DUMMY_HASH = Passwords.hash(Secrets.random(""));
}
