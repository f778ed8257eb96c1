package dev.recurrent4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.testing.TensorAssert;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Idle eviction and capacity, on a clock the test moves. */
class StreamRegistryTest {

    /** A clock that only moves when told. */
    static final class ManualClock extends Clock {
        private volatile long millis;

        void advance(Duration d) {
            millis += d.toMillis();
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private final InferenceModel model = InferTesting.model(CellType.GRU, 2, 3, 1, 0, DataType.FLOAT, 1);
    private final ManualClock clock = new ManualClock();
    private final List<String> evicted = new ArrayList<>();

    private StreamRegistry registry(EvictionPolicy policy) {
        return new StreamRegistry(model, policy, clock, (id, stream, reason) -> evicted.add(id + ":" + reason));
    }

    @Test
    void idleStreamsAreEvictedAndActiveOnesKept() {
        StreamRegistry registry = registry(EvictionPolicy.idleFor(Duration.ofMinutes(10), 100));
        Stream a = registry.open("a");
        registry.open("b");
        clock.advance(Duration.ofMinutes(6));
        a.step(new double[] {1, 2});
        clock.advance(Duration.ofMinutes(6)); // b idle 12 min, a idle 6
        assertEquals(1, registry.evictIdle());
        assertEquals(List.of("b:IDLE"), evicted);
        assertTrue(registry.get("a").isPresent());
        assertFalse(registry.get("b").isPresent());
        clock.advance(Duration.ofMinutes(9));
        assertTrue(registry.get("a").isPresent()); // a lookup counts as use
        clock.advance(Duration.ofMinutes(9));
        assertEquals(0, registry.evictIdle());

        a.acquire(); // a step in flight: never evicted, however long
        clock.advance(Duration.ofHours(1));
        assertEquals(0, registry.evictIdle());
        a.release();
        clock.advance(Duration.ofMinutes(11));
        assertEquals(1, registry.evictIdle());
        assertFalse(a.isOpen());
        assertThrows(IllegalStateException.class, () -> a.step(new double[2]));
    }

    @Test
    void aFullRegistryEvictsTheLeastRecentlyUsedOrRefuses() {
        StreamRegistry lru = registry(EvictionPolicy.idleFor(Duration.ofHours(1), 2));
        lru.open("a");
        clock.advance(Duration.ofSeconds(1));
        lru.open("b");
        clock.advance(Duration.ofSeconds(1));
        lru.get("a");
        lru.open("c");
        assertEquals(List.of("b:CAPACITY"), evicted);
        assertEquals(2, lru.size());

        StreamRegistry strict = registry(new EvictionPolicy(Duration.ofHours(1), 1, false));
        strict.open("x");
        RejectedExecutionException full = assertThrows(RejectedExecutionException.class, () -> strict.open("y"));
        assertTrue(full.getMessage().contains("maxStreams=1"), full.getMessage());
        assertThrows(IllegalStateException.class, () -> lru.open("a"));
    }

    @Test
    void evictedStreamsCanBePersistedAndRestored() {
        List<byte[]> saved = new ArrayList<>();
        StreamRegistry registry = new StreamRegistry(model, EvictionPolicy.idleFor(Duration.ofMinutes(1), 10), clock,
                (id, stream, reason) -> saved.add(stream.snapshot()));
        Stream s = registry.open("talk");
        double[] out = s.step(new double[] {0.5, -0.5});
        clock.advance(Duration.ofMinutes(2));
        registry.evictIdle();
        Stream back = registry.restore("talk", saved.get(0));
        assertEquals(1, back.steps());
        TensorAssert.assertSameBits("hidden", out, back.hidden());
        assertTrue(registry.close("talk"));
        assertFalse(registry.close("talk"));
    }
}
