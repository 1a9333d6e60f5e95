package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SpareFilesTest {

    private final AtomicLong now = new AtomicLong(1_000);

    @Test
    void aSpareIsHandedOutOnlyOnceItIsOldEnough() {
        SpareFiles spares = new SpareFiles(10, 100, now::get);
        assertThat(spares.giveBack(Path.of("a.spare"))).isTrue();
        now.addAndGet(99);
        assertThat(spares.take()).isEmpty();
        now.addAndGet(1);
        assertThat(spares.take()).contains(Path.of("a.spare"));
        assertThat(spares.take()).isEmpty();
    }

    @Test
    void oldestFirst() {
        SpareFiles spares = new SpareFiles(10, 100, now::get);
        spares.giveBack(Path.of("a.spare"));
        now.addAndGet(50);
        spares.giveBack(Path.of("b.spare"));
        now.addAndGet(100);
        assertThat(spares.take()).contains(Path.of("a.spare"));
        assertThat(spares.take()).contains(Path.of("b.spare"));
    }

    @Test
    void keepsNoMoreThanItsCapacity() {
        SpareFiles spares = new SpareFiles(2, 0, now::get);
        assertThat(spares.giveBack(Path.of("a.spare"))).isTrue();
        assertThat(spares.adopt(Path.of("b.spare"))).isTrue();
        assertThat(spares.hasRoom()).isFalse();
        assertThat(spares.giveBack(Path.of("c.spare"))).isFalse();
        assertThat(spares.size()).isEqualTo(2);
    }

    @Test
    void filesFoundAtStartUpAreFreeAtOnce() {
        SpareFiles spares = new SpareFiles(10, 100, now::get);
        spares.adopt(Path.of("a.spare"));
        assertThat(spares.take()).contains(Path.of("a.spare"));
    }

    @Test
    void refusesNegativeSettings() {
        assertThatThrownBy(() -> new SpareFiles(-1, 0, now::get)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SpareFiles(1, -1, now::get)).isInstanceOf(IllegalArgumentException.class);
    }
}
