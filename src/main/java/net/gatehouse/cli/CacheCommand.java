package net.gatehouse.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code gatehouse cache}: the verification cache's tools (SPEC §9) against a running node, through
 * its API ({@code /api/v1/cache}) with a token, so that in a cluster they act on the shared cache
 * every node reads, and the node audits every flush and re-probe (door {@code cli}, the token's user).
 */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Show, flush or re-probe cached verification verdicts on a running node, through its API.",
                "The node: --url, or $GATEHOUSE_URL, or http://127.0.0.1:8080 (the console's listen address).",
                "The token (gatehouse token create --user NAME): --token-file, or $GATEHOUSE_API_TOKEN.",
                "Exit code: 0 done, 1 not cached (show), 2 bad usage or no token, 3 the node refused or failed."},
        subcommands = {CacheCommand.Show.class, CacheCommand.Flush.class, CacheCommand.Probe.class})
final class CacheCommand {

    static final int EXIT_NOT_CACHED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_REFUSED = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private CacheCommand() {
    }

    /** Where the node is and the token to show it. */
    static final class Node {
        @Option(names = "--url", paramLabel = "URL",
                description = "The node's console/API, e.g. http://127.0.0.1:8080 (default: $GATEHOUSE_URL, "
                        + "else http://127.0.0.1:8080).")
        String url;

        @Option(names = "--token-file", paramLabel = "FILE",
                description = "A file holding the API token (default: $GATEHOUSE_API_TOKEN).")
        Path tokenFile;

        String baseUrl() {
            String chosen = url != null ? url : System.getenv().getOrDefault("GATEHOUSE_URL", "http://127.0.0.1:8080");
            return chosen.endsWith("/") ? chosen.substring(0, chosen.length() - 1) : chosen;
        }

        /** The token, or null after saying why there is none. */
        String token() {
            if (tokenFile != null) {
                try {
                    String token = Files.readString(tokenFile).strip();
                    if (!token.isEmpty()) {
                        return token;
                    }
                    System.err.println("gatehouse: " + tokenFile + " is empty");
                } catch (IOException e) {
                    System.err.println("gatehouse: cannot read the token file " + tokenFile + ": " + e.getMessage());
                }
                return null;
            }
            String token = System.getenv("GATEHOUSE_API_TOKEN");
            if (token == null || token.isBlank()) {
                System.err.println("gatehouse: no API token: give --token-file FILE or set GATEHOUSE_API_TOKEN "
                        + "(create one with: gatehouse token create --config FILE --user NAME)");
                return null;
            }
            return token.strip();
        }

        /** Calls the API; prints the error and returns null when the node refused or failed. */
        Answer call(String method, String path) {
            String token = token();
            if (token == null) {
                return new Answer(EXIT_USAGE, null);
            }
            URI uri;
            try {
                uri = URI.create(baseUrl() + path);
            } catch (IllegalArgumentException e) {
                System.err.println("gatehouse: --url is not a URL: " + baseUrl());
                return new Answer(EXIT_USAGE, null);
            }
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                    .header("Authorization", "Bearer " + token)
                    .header("X-Gatehouse-Door", "cli")
                    .header("Accept", "application/json")
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .build();
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                JsonNode body = response.body().isBlank() ? null : JsonMapper.builder().build().readTree(response.body());
                if (response.statusCode() == 200) {
                    return new Answer(0, body);
                }
                String error = body != null && body.has("error") ? body.get("error").asString() : response.body();
                System.err.println("gatehouse: " + baseUrl() + " answered " + response.statusCode() + ": " + error);
                return new Answer(response.statusCode() == 404 ? EXIT_NOT_CACHED : EXIT_REFUSED, null);
            } catch (IOException e) {
                System.err.println("gatehouse: cannot reach " + baseUrl() + ": " + e);
                return new Answer(EXIT_REFUSED, null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Answer(EXIT_REFUSED, null);
            } catch (RuntimeException e) {   // a body that is not JSON: not a Gatehouse API
                System.err.println("gatehouse: " + baseUrl() + " did not answer as the Gatehouse API: " + e.getMessage());
                return new Answer(EXIT_REFUSED, null);
            }
        }
    }

    /** The exit code, and the JSON when there is one. */
    record Answer(int exitCode, JsonNode body) {
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show an address's cached verdict: source, age, remaining lifetime, the probe's timing "
                    + "and the back-end's reply as received.", "Exit code 1 when it is not cached."})
    static final class Show implements Callable<Integer> {
        @Mixin
        Node node;

        @Parameters(paramLabel = "ADDRESS", description = "e.g. alice@example.com")
        String address;

        @Override
        public Integer call() {
            Answer answer = node.call("GET", "/api/v1/cache/" + encode(address));
            if (answer.body() != null) {
                printEntry(answer.body(), "");
            }
            return answer.exitCode();
        }
    }

    @Command(name = "flush", mixinStandardHelpOptions = true,
            description = "Flush an address's cached verdict, a domain's (--domain), or every one (--all). Audited.")
    static final class Flush implements Callable<Integer> {
        @Mixin
        Node node;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        static final class Target {
            @Parameters(paramLabel = "ADDRESS", description = "The address whose verdict to flush.")
            String address;

            @Option(names = "--domain", paramLabel = "DOMAIN", description = "Flush the verdicts of a domain's "
                    + "addresses (not its subdomains').")
            String domain;

            @Option(names = "--all", description = "Flush every cached verdict.")
            boolean all;
        }

        @Override
        public Integer call() {
            String path = target.address != null ? "/api/v1/cache/" + encode(target.address)
                    : target.domain != null ? "/api/v1/cache?domain=" + encode(target.domain) : "/api/v1/cache";
            Answer answer = node.call("DELETE", path);
            if (answer.body() != null) {
                JsonNode body = answer.body();
                String scope = body.get("scope").asString();
                System.out.println("flushed " + body.get("flushed").asLong() + " cached verdict(s)"
                        + (scope.equals("all") ? "" : " of " + body.get("target").asString()));
            }
            return answer.exitCode();
        }
    }

    @Command(name = "probe", mixinStandardHelpOptions = true,
            description = "Probe an address's back-end now, whatever the cache holds, and show the new entry. Audited.")
    static final class Probe implements Callable<Integer> {
        @Mixin
        Node node;

        @Parameters(paramLabel = "ADDRESS", description = "e.g. alice@example.com")
        String address;

        @Override
        public Integer call() {
            Answer answer = node.call("POST", "/api/v1/cache/" + encode(address) + "/probe");
            if (answer.body() != null) {
                JsonNode body = answer.body();
                System.out.println("probe:      " + body.get("result").asString() + " (" + body.get("how").asString() + ")");
                if (!body.get("reason").asString().isEmpty()) {
                    System.out.println("reason:     " + body.get("reason").asString());
                }
                if (body.get("entry").isNull()) {
                    System.out.println("cached:     nothing (only accepts and rejections are cached)");
                } else {
                    printEntry(body.get("entry"), "");
                }
            }
            return answer.exitCode();
        }
    }

    static void printEntry(JsonNode entry, String indent) {
        Map<String, String> lines = new java.util.LinkedHashMap<>();
        lines.put("address", entry.get("address").asString());
        lines.put("verdict", entry.get("verdict").asString());
        lines.put("source", entry.get("source").asString()
                + (entry.get("node").asString().isEmpty() ? "" : " by " + entry.get("node").asString()));
        lines.put("written", entry.get("written").asString() + " (age " + entry.get("ageSeconds").asLong() + " s)");
        lines.put("remaining", entry.get("remainingSeconds").asLong() + " s of " + entry.get("lifetimeSeconds").asLong()
                + " s; refreshed after " + entry.get("refreshAfterSeconds").asLong() + " s");
        lines.put("probe time", entry.get("probeMillis").isNull() ? "not recorded" : entry.get("probeMillis").asLong() + " ms");
        lines.put("back-end", entry.get("backendReply").isNull() ? "reply not recorded" : entry.get("backendReply").asString());
        lines.forEach((key, value) -> System.out.printf("%s%-11s %s%n", indent, key + ":", value));
    }

    private static String encode(String text) {
        return URLEncoder.encode(text.strip(), StandardCharsets.UTF_8).replace("+", "%20");
    }
}
