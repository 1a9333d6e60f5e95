package net.gatehouse.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestDns;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Grafana dashboard in {@code ops/grafana/} queries only what the gateway exports: after some
 * traffic, every series, label and label value its queries name is on {@code /metrics}.
 */
class GrafanaDashboardIT {

    private static final Path DASHBOARD = Path.of("ops/grafana/gatehouse.json");
    /** Labels Prometheus adds to every series it scrapes: never on /metrics itself. */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job");
    /** SPEC §7's list, and what README says the metrics show: the dashboard has a panel for each. */
    private static final Set<String> ESSENTIAL = Set.of("gatehouse_smtp_connections_total",
            "gatehouse_rcpt_verdicts_total", "gatehouse_callout_latency_seconds_bucket", "gatehouse_callout_cache_total",
            "gatehouse_dns_latency_seconds_bucket", "gatehouse_queue_size", "gatehouse_queue_oldest_age_seconds",
            "gatehouse_deliveries_total", "gatehouse_callout_catchall_domains", "gatehouse_harvest_blocks_total");
    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(?:\\{[^}]*})?\\s*,\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)$");

    @TempDir
    Path directory;

    @Test
    void everySeriesTheDashboardQueriesIsExportedAfterTraffic() throws Exception {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
        List<String> expressions = expressions(dashboard);
        assertThat(expressions).hasSizeGreaterThan(20);

        Map<String, List<Map<String, String>>> exported;
        try (TestBackend backend = TestBackend.start().onlyAccept("alice@example.test") // not a catch-all
                     .tempFailRecipient("busy@example.test");
             TestBackend mx = TestBackend.start();
             TestDns dns = TestDns.start().mailDomain("world.test", "mx.world.test", "127.0.0.1");
             TestGateway gateway = TestGateway.in(directory)
                     .protect("example.test", backend.hostPort())
                     .policy("recipient_verification: callout")
                     .trust("127.0.0.2/32")
                     .dns(dns).remotePort(mx.port())
                     .smtp("max_connections_per_ip: 2")
                     .smtp("max_message_size: 4KiB")
                     .console("127.0.0.1:0").consoleUser("grafana", "viewer")
                     .start()) {
            sendTraffic(gateway);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> backend.transactions().size() == 1 && mx.transactions().size() == 1);
            exported = exposition(scrape(gateway.gateway().consolePort().orElseThrow()));
        }

        List<String> problems = new ArrayList<>();
        Set<String> queried = new TreeSet<>();
        for (String expression : expressions) {
            PromQl query = PromQl.parse(expression);
            assertThat(query.selectors()).as("series in %s", expression).isNotEmpty();
            for (PromQl.Selector selector : query.selectors()) {
                queried.add(selector.metric());
                checkSelector(selector, exported, expression, problems);
            }
            for (PromQl.Grouping grouping : query.groupings()) {
                checkGrouping(grouping, exported, expression, problems);
            }
        }
        for (String variableQuery : variableQueries(dashboard)) {
            Matcher labelValues = LABEL_VALUES.matcher(variableQuery);
            assertThat(labelValues.matches()).as("a template variable's query: %s", variableQuery).isTrue();
            queried.add(labelValues.group(1));
            checkSelector(new PromQl.Selector(labelValues.group(1), List.of()), exported, variableQuery, problems);
            checkLabels(labelValues.group(1), List.of(labelValues.group(2)), exported, variableQuery, problems);
        }
        assertThat(problems).as("queries of %s naming what /metrics does not have", DASHBOARD).isEmpty();
        assertThat(queried).containsAll(ESSENTIAL);
    }

    @Test
    void everyPanelUsesTheDataSourceAndInstanceVariables() throws Exception {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));

        assertThat(dashboard.path("uid").asString()).isEqualTo("gatehouse");
        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        dashboard.path("templating").path("list").forEach(variable -> variables.put(variable.path("name").asString(), variable));
        assertThat(variables).containsKeys("datasource", "instance");
        assertThat(variables.get("datasource").path("type").asString()).isEqualTo("datasource");
        assertThat(variables.get("datasource").path("query").asString()).isEqualTo("prometheus");

        List<JsonNode> panels = panels(dashboard);
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels) {
            assertThat(ids.add(panel.path("id").asInt())).as("unique id of %s", panel.path("title").asString()).isTrue();
            if (panel.path("type").asString().equals("row")) {
                continue;
            }
            String title = panel.path("title").asString();
            assertThat(panel.path("datasource").path("uid").asString()).as(title).isEqualTo("${datasource}");
            assertThat(panel.path("description").asString()).as(title).isNotBlank();
            assertThat(panel.path("targets").size()).as(title).isPositive();
            for (JsonNode target : panel.path("targets")) {
                for (PromQl.Selector selector : PromQl.parse(target.path("expr").asString()).selectors()) {
                    assertThat(selector.matchers()).as("%s: %s", title, target.path("expr").asString())
                            .contains(new PromQl.Matcher("instance", "=~", "$instance"));
                }
            }
        }
    }

    /**
     * Recipients accepted, refused, relay-denied and deferred; callouts and a cache hit; deliveries to
     * the back-end and, for a trusted client, via MX; a message and a connection refused.
     */
    private static void sendTraffic(TestGateway gateway) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            assertThat(client.command("MAIL FROM:<sender@elsewhere.test>").code()).isEqualTo(250);
            assertThat(code(client.command("RCPT TO:<alice@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(code(client.command("RCPT TO:<nobody@example.test>"))).isEqualTo("550 5.1.1");
            assertThat(code(client.command("RCPT TO:<someone@elsewhere.test>"))).isEqualTo("554 5.7.1");
            assertThat(code(client.command("RCPT TO:<busy@example.test>"))).isEqualTo("451 4.4.3");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            assertThat(client.command("Subject: hello\r\n\r\nHello Alice.\r\n.").code()).isEqualTo(250);

            assertThat(client.command("MAIL FROM:<sender@elsewhere.test>").code()).isEqualTo(250);
            assertThat(code(client.command("RCPT TO:<alice@example.test>"))).isEqualTo("250 2.1.5"); // from the cache
            assertThat(client.command("DATA").code()).isEqualTo(354);
            Reply tooLarge = client.command("Subject: large\r\n\r\n" + "x".repeat(78).concat("\r\n").repeat(80) + ".");
            assertThat(code(tooLarge)).isEqualTo("552 5.3.4");
            client.command("QUIT");
        }
        // A trusted client relays outbound: an MX lookup and a delivery to the MX.
        try (SmtpTestClient trusted = SmtpTestClient.connectFrom("127.0.0.2", gateway.port())) {
            trusted.command("EHLO trusted.test");
            Reply queued = trusted.sendMail("app@example.test", List.of("someone@world.test"), "Subject: out\r\n\r\nHi.\r\n");
            assertThat(queued.code()).isEqualTo(250);
            trusted.command("QUIT");
        }
        // max_connections_per_ip is 2: a third connection from one address is refused.
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.gateway().metrics().connectionsActive() == 0);
        try (SmtpTestClient first = SmtpTestClient.connect(gateway.port());
             SmtpTestClient second = SmtpTestClient.connect(gateway.port());
             SmtpTestClient third = SmtpTestClient.open(gateway.port())) {
            assertThat(code(third.read())).isEqualTo("421 4.7.0");
        }
    }

    private static void checkSelector(PromQl.Selector selector, Map<String, List<Map<String, String>>> exported,
                                      String expression, List<String> problems) {
        List<Map<String, String>> samples = exported.getOrDefault(selector.metric(), List.of());
        if (samples.isEmpty()) {
            problems.add(selector.metric() + ": no sample on /metrics (in " + expression + ")");
            return;
        }
        checkLabels(selector.metric(), selector.matchers().stream().map(PromQl.Matcher::label).toList(), exported,
                expression, problems);
        for (PromQl.Matcher matcher : selector.matchers()) {
            if (TARGET_LABELS.contains(matcher.label()) || matcher.value().contains("$")) {
                continue;
            }
            Set<String> values = new TreeSet<>();
            samples.forEach(sample -> values.add(sample.getOrDefault(matcher.label(), "")));
            boolean found = switch (matcher.op()) {
                case "=" -> values.contains(matcher.value());
                case "=~" -> values.stream().anyMatch(value -> value.matches(matcher.value()));
                default -> true; // != and !~ exclude: nothing to find
            };
            if (!found) {
                problems.add(selector.metric() + ": no sample with " + matcher.label() + matcher.op() + "\""
                        + matcher.value() + "\", only " + values + " (in " + expression + ")");
            }
        }
    }

    private static void checkGrouping(PromQl.Grouping grouping, Map<String, List<Map<String, String>>> exported,
                                      String expression, List<String> problems) {
        if (grouping.metrics().isEmpty()) {
            problems.add(grouping.aggregation() + " by " + grouping.labels() + " aggregates no series (in " + expression + ")");
        }
        for (String metric : grouping.metrics()) {
            checkLabels(metric, grouping.labels(), exported, expression, problems);
            if (metric.endsWith("_bucket") && !grouping.without() && !grouping.labels().contains("le")) {
                problems.add(metric + ": aggregated without keeping le, so no quantile can be computed (in "
                        + expression + ")");
            }
        }
    }

    private static void checkLabels(String metric, List<String> labels, Map<String, List<Map<String, String>>> exported,
                                    String expression, List<String> problems) {
        for (String label : labels) {
            if (TARGET_LABELS.contains(label)) {
                continue;
            }
            boolean present = exported.getOrDefault(metric, List.of()).stream().anyMatch(sample -> sample.containsKey(label));
            if (!present) {
                problems.add(metric + ": no label " + label + " (in " + expression + ")");
            }
        }
    }

    /** Every panel, rows' nested panels included. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    private static List<String> expressions(JsonNode dashboard) {
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("expr").isString()).as("expr of a target of %s", panel.path("title")).isTrue();
                expressions.add(target.path("expr").asString());
            }
        }
        return expressions;
    }

    /** The PromQL (or Grafana's label_values) of the query variables. */
    private static List<String> variableQueries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asString().equals("query")) {
                JsonNode query = variable.path("query");
                queries.add((query.isObject() ? query.path("query") : query).asString().strip());
            }
        }
        return queries;
    }

    private static String scrape(int consolePort) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + consolePort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        }
    }

    /** The samples of the Prometheus text format, by series name: each sample's labels. */
    private static Map<String, List<Map<String, String>>> exposition(String text) {
        Map<String, List<Map<String, String>>> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (end < line.length() && line.charAt(end) == '{') {
                int i = end + 1;
                while (line.charAt(i) != '}') {
                    int equals = line.indexOf('=', i);
                    String name = line.substring(i, equals).strip();
                    StringBuilder value = new StringBuilder();
                    int j = equals + 2; // past ="
                    for (; line.charAt(j) != '"'; j++) {
                        if (line.charAt(j) == '\\') {
                            j++;
                            value.append(line.charAt(j) == 'n' ? '\n' : line.charAt(j));
                        } else {
                            value.append(line.charAt(j));
                        }
                    }
                    labels.put(name, value.toString());
                    i = j + 1;
                    if (line.charAt(i) == ',') {
                        i++;
                    }
                }
            }
            samples.computeIfAbsent(line.substring(0, end), name -> new ArrayList<>()).add(labels);
        }
        return samples;
    }

    private static String code(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }
}
