package dev.recurrent4j.infer;

import java.time.Duration;

/**
 * When a {@link StreamRegistry} drops streams.
 *
 * @param maxIdle a stream that has not stepped (nor been looked up) for longer is evicted by the next sweep
 * @param maxStreams the most streams the registry holds, at least 1
 * @param evictLeastRecentlyUsedWhenFull when full, whether opening a stream evicts the least recently used idle one
 *     ({@code true}) or is refused with a {@link java.util.concurrent.RejectedExecutionException} ({@code false})
 */
public record EvictionPolicy(Duration maxIdle, int maxStreams, boolean evictLeastRecentlyUsedWhenFull) {

    public EvictionPolicy {
        if (maxIdle == null || maxIdle.isNegative() || maxIdle.isZero()) {
            throw new IllegalArgumentException("maxIdle: expected a positive duration but was " + maxIdle);
        }
        if (maxStreams < 1) {
            throw new IllegalArgumentException("maxStreams: expected at least 1 but was " + maxStreams);
        }
    }

    /** Idle streams go after {@code maxIdle}; a full registry evicts its least recently used idle stream. */
    public static EvictionPolicy idleFor(Duration maxIdle, int maxStreams) {
        return new EvictionPolicy(maxIdle, maxStreams, true);
    }
}
