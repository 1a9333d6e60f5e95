package net.gatehouse.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import net.gatehouse.metrics.PromQl.Grouping;
import net.gatehouse.metrics.PromQl.Matcher;
import net.gatehouse.metrics.PromQl.Selector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The dashboard test's PromQL reader finds the series and labels an expression uses, and nothing else. */
class PromQlTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            up                                                                                  | up
            sum(rate(a_total[5m]))                                                              | a_total
            sum by (verdict) (rate(a_total{instance=~"$instance"}[$__rate_interval])) * 60      | a_total
            sum(rate(a_total[1h30m] offset 5m)) / sum(rate(b_total[5m]))                        | a_total,b_total
            histogram_quantile(0.95, sum by (le, result) (rate(c_seconds_bucket[5m])))          | c_seconds_bucket
            max(a) by (instance) > 1e-3                                                         | a
            a and on (instance) b unless ignoring(job) group_left(x) c                          | a,b,c
            count_values("version", build_info)                                                 | build_info
            label_replace(up, "host", "$1", "instance", "(.*):.*")                              | up
            {__name__="named_by_matcher", job="x"}                                              | named_by_matcher
            sum without (id) (jvm_memory_used_bytes{area="heap"})                               | jvm_memory_used_bytes
            max_over_time(a[1h:5m]) - min(b @ end())                                            | a,b
            topk(5, sum by (reason) (increase(a_total[${__range}])))                            | a_total
            vector(1) + time() + Inf - NaN                                                      | ''
            """)
    void findsTheMetricsAnExpressionReads(String expression, String metrics) {
        Set<String> expected = metrics.isEmpty() ? Set.of() : Set.of(metrics.split(","));
        assertThat(PromQl.parse(expression).metrics()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void readsLabelMatchersWithTheirOperatorsAndUnescapedValues() {
        PromQl query = PromQl.parse("rate(a_total{instance=~\"$instance\", verdict!=\"accept\", reason=\"say \\\"no\\\"\", "
                + "result!~'hit|miss'}[5m])");

        assertThat(query.selectors()).containsExactly(new Selector("a_total", List.of(
                new Matcher("instance", "=~", "$instance"), new Matcher("verdict", "!=", "accept"),
                new Matcher("reason", "=", "say \"no\""), new Matcher("result", "!~", "hit|miss"))));
    }

    @Test
    void groupsLabelsWithTheMetricsOfTheirOwnAggregation() {
        PromQl query = PromQl.parse("sum by (result) (rate(a_total[5m])) / ignoring(result) group_left "
                + "sum(rate(b_total[5m])) without (le)");

        assertThat(query.groupings()).containsExactly(
                new Grouping("sum", false, List.of("result"), Set.of("a_total")),
                new Grouping("sum", true, List.of("le"), Set.of("b_total")));
    }

    @Test
    void nestedAggregationsEachSeeTheMetricsInside() {
        PromQl query = PromQl.parse("max by (instance) (sum by (instance, result) (rate(a_total[5m])))");

        assertThat(query.groupings()).containsExactly(
                new Grouping("max", false, List.of("instance"), Set.of("a_total")),
                new Grouping("sum", false, List.of("instance", "result"), Set.of("a_total")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            sum(rate(a_total{x="unterminated}[5m]))
            sum(rate(a_total[5m])
            a_total{x=~}
            {job="no metric name"}
            sum by (a b
            """)
    void refusesWhatItCannotRead(String expression) {
        assertThatThrownBy(() -> PromQl.parse(expression)).isInstanceOf(IllegalArgumentException.class);
    }
}
