package net.gatehouse.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

    private final GatewayMetrics metrics = new GatewayMetrics();

    @Test
    void countsRecipientVerdictsByVerdictAndReason() {
        metrics.recipient("reject", "relay_denied");
        metrics.recipient("accept", "callout_accepted");
        metrics.recipient("accept", "callout_accepted");

        assertThat(metrics.scrape().lines())
                .contains("gatehouse_rcpt_verdicts_total{reason=\"relay_denied\",verdict=\"reject\"} 1.0")
                .contains("gatehouse_rcpt_verdicts_total{reason=\"callout_accepted\",verdict=\"accept\"} 2.0");
    }

    @Test
    void countsAVerdictOutsideTheVocabularyAsOther() {
        metrics.recipient("maybe", "mailbox_unknown");

        assertThat(metrics.scrape().lines())
                .contains("gatehouse_rcpt_verdicts_total{reason=\"mailbox_unknown\",verdict=\"other\"} 1.0");
    }

    @Test
    void boundsTheVerdictTagCombinationsAndCountsTheRestAsOther() {
        int extra = 50;
        for (int i = 0; i < GatewayMetrics.MAX_VERDICT_COMBINATIONS + extra; i++) {
            metrics.recipient("reject", "reason_" + i);
        }
        metrics.recipient("reject", "reason_0"); // a combination seen before the bound keeps its own series

        String scrape = metrics.scrape();
        assertThat(scrape.lines().filter(l -> l.startsWith("gatehouse_rcpt_verdicts_total{"))).hasSize(
                GatewayMetrics.MAX_VERDICT_COMBINATIONS + 1);
        assertThat(scrape.lines())
                .contains("gatehouse_rcpt_verdicts_total{reason=\"reason_0\",verdict=\"reject\"} 2.0")
                .contains("gatehouse_rcpt_verdicts_total{reason=\"other\",verdict=\"reject\"} " + extra + ".0")
                .noneMatch(l -> l.contains("reason=\"reason_" + GatewayMetrics.MAX_VERDICT_COMBINATIONS + "\""));
    }

    @Test
    void boundsSingleTagFamiliesToo() {
        for (int i = 0; i < GatewayMetrics.MAX_VALUES_PER_TAG + 5; i++) {
            metrics.messageRefused("reason_" + i);
        }

        assertThat(metrics.scrape().lines().filter(l -> l.startsWith("gatehouse_messages_refused_total{")))
                .hasSize(GatewayMetrics.MAX_VALUES_PER_TAG + 1)
                .contains("gatehouse_messages_refused_total{reason=\"other\"} 5.0");
    }

    @Test
    void countsConnectionsAndKeepsTheActiveGauge() {
        metrics.connectionOpened();
        metrics.connectionOpened();
        metrics.connectionOpened();
        metrics.connectionClosed();
        metrics.connectionRefused("max_connections_per_ip");

        assertThat(metrics.scrape().lines())
                .contains("gatehouse_smtp_connections_total 3.0")
                .contains("gatehouse_smtp_connections_active 2.0")
                .contains("gatehouse_smtp_connections_refused_total{limit=\"max_connections_per_ip\"} 1.0");
    }

    @Test
    void countsAcceptedMessagesWithTheirSizeAndRefusedOnesByReason() {
        metrics.messageAccepted(2_000);
        metrics.messageAccepted(100_000);
        metrics.messageRefused("size");

        assertThat(metrics.scrape().lines())
                .contains("gatehouse_messages_accepted_total 2.0")
                .contains("gatehouse_messages_accepted_size_bytes_count 2")
                .contains("gatehouse_messages_accepted_size_bytes_sum 102000.0")
                .contains("gatehouse_messages_accepted_size_bytes_bucket{le=\"16384.0\"} 1")
                .contains("gatehouse_messages_refused_total{reason=\"size\"} 1.0");
    }

    @Test
    void timesDnsLookupsInAHistogramByResult() {
        metrics.dnsLookup(Duration.ofMillis(20), "found");
        metrics.dnsLookup(Duration.ofSeconds(5), "tempfail");

        assertThat(metrics.scrape().lines())
                .contains("gatehouse_dns_latency_seconds_count{result=\"found\"} 1")
                .contains("gatehouse_dns_latency_seconds_sum{result=\"tempfail\"} 5.0")
                .contains("gatehouse_dns_latency_seconds_bucket{result=\"found\",le=\"+Inf\"} 1")
                .anyMatch(l -> l.startsWith("gatehouse_dns_latency_seconds_bucket{result=\"found\",le=\"0.0"));
    }

    @Test
    void showsEveryDeliveryResultFromTheStart() {
        metrics.delivery("sent");

        assertThat(metrics.scrape().lines())
                .contains("gatehouse_deliveries_total{result=\"sent\"} 1.0")
                .contains("gatehouse_deliveries_total{result=\"deferred\"} 0.0")
                .contains("gatehouse_deliveries_total{result=\"bounced\"} 0.0");
    }

    @Test
    void readsTheQueueGaugesAtEveryScrape() {
        AtomicInteger size = new AtomicInteger(3);
        metrics.queue(size::get, () -> 90);
        assertThat(metrics.scrape().lines())
                .contains("gatehouse_queue_size 3.0")
                .contains("gatehouse_queue_oldest_age_seconds 90.0");

        size.set(7);
        assertThat(metrics.scrape().lines()).contains("gatehouse_queue_size 7.0");
    }

    @Test
    void refusesASecondQueue() {
        metrics.queue(() -> 0, () -> 0);

        assertThatIllegalStateException().isThrownBy(() -> metrics.queue(() -> 1, () -> 1));
    }

    @Test
    void exposesJvmAndProcessBasics() {
        assertThat(metrics.scrape())
                .contains("jvm_memory_used_bytes{")
                .contains("jvm_threads_live_threads ")
                .contains("system_cpu_count ")
                .contains("process_uptime_seconds ");
    }

    @Test
    void letsComponentsRegisterTheirOwnMeters() {
        metrics.registry().counter("gatehouse.callout.probes", "result", "accepted").increment();

        assertThat(metrics.scrape().lines()).contains("gatehouse_callout_probes_total{result=\"accepted\"} 1.0");
    }
}
