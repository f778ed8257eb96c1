package dev.recurrent4j.infer;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * A service's streams by id, with idle eviction: a stream idle for longer than {@link EvictionPolicy#maxIdle()} is
 * closed and dropped by the next sweep ({@link #evictIdle()}, which also runs on every {@link #open}); when
 * {@link EvictionPolicy#maxStreams()} are open, opening another evicts the least recently used idle stream or is
 * refused, as the policy says. A stream with a step in flight is never evicted.
 *
 * <p>The listener sees each evicted stream after it is closed and dropped; {@link Stream#snapshot()} still works on
 * it, so a service can persist what it evicts and {@link #restore} it later. The clock is injectable for tests.
 * Thread-safe: lookups are lock-free; opening, closing and sweeping take one lock.
 */
public final class StreamRegistry {

    /** Why a stream left the registry. */
    public enum Reason { IDLE, CAPACITY }

    /** Told about every eviction, in the thread that caused it; must not call back into the registry's lock holders. */
    @FunctionalInterface
    public interface EvictionListener {
        void evicted(String id, Stream stream, Reason reason);
    }

    private final InferenceModel model;
    private final EvictionPolicy policy;
    private final Clock clock;
    private final EvictionListener listener;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private final Object lock = new Object();

    public StreamRegistry(InferenceModel model, EvictionPolicy policy) {
        this(model, policy, Clock.systemUTC(), (id, stream, reason) -> { });
    }

    public StreamRegistry(InferenceModel model, EvictionPolicy policy, Clock clock, EvictionListener listener) {
        if (model == null || policy == null || clock == null || listener == null) {
            throw new IllegalArgumentException("model, policy, clock and listener: expected non-null values");
        }
        this.model = model;
        this.policy = policy;
        this.clock = clock;
        this.listener = listener;
    }

    /**
     * Opens a new stream with a zero state under {@code id}.
     *
     * @throws IllegalStateException if {@code id} is taken
     * @throws RejectedExecutionException if the registry is full and the policy refuses (or every stream is busy)
     */
    public Stream open(String id) {
        return add(id, new Stream(model, id, clock));
    }

    /**
     * Opens a stream under {@code id} in the state of a snapshot (from this or another instance).
     *
     * @throws SnapshotException if the snapshot does not fit this model; see {@link InferenceModel#restoreStream}
     */
    public Stream restore(String id, byte[] snapshot) {
        Stream stream = new Stream(model, id, clock);
        StreamSnapshots.restore(snapshot, stream);
        return add(id, stream);
    }

    /** The stream under {@code id}, touched (its idle time restarts), or empty. */
    public Optional<Stream> get(String id) {
        Stream stream = streams.get(id);
        if (stream == null || !stream.isOpen()) {
            return Optional.empty();
        }
        stream.touch();
        return Optional.of(stream);
    }

    /** The stream under {@code id}, opening it if there is none. */
    public Stream getOrOpen(String id) {
        synchronized (lock) {
            Optional<Stream> existing = get(id);
            return existing.isPresent() ? existing.get() : open(id);
        }
    }

    /** Closes and drops the stream under {@code id}; whether there was one. */
    public boolean close(String id) {
        Stream stream = streams.remove(id);
        if (stream != null) {
            stream.close();
        }
        return stream != null;
    }

    /** How many streams are held. */
    public int size() {
        return streams.size();
    }

    /** Evicts every idle stream idle for longer than the policy allows; how many went. */
    public int evictIdle() {
        List<Map.Entry<String, Stream>> evicted = new ArrayList<>();
        synchronized (lock) {
            long now = clock.millis();
            long maxIdle = policy.maxIdle().toMillis();
            for (Map.Entry<String, Stream> e : streams.entrySet()) {
                Stream stream = e.getValue();
                if (!stream.isOpen()) {
                    streams.remove(e.getKey(), stream); // closed by its owner: just forget it
                } else if (now - stream.lastUsedMillis() > maxIdle && stream.closeIfIdle()) {
                    streams.remove(e.getKey(), stream);
                    evicted.add(e);
                }
            }
        }
        evicted.forEach(e -> listener.evicted(e.getKey(), e.getValue(), Reason.IDLE));
        return evicted.size();
    }

    private Stream add(String id, Stream stream) {
        if (id == null) {
            throw new IllegalArgumentException("id: expected a stream id but was null");
        }
        evictIdle();
        Stream victim = null;
        String victimId = null;
        synchronized (lock) {
            Stream existing = streams.get(id);
            if (existing != null && existing.isOpen()) {
                throw new IllegalStateException("stream " + id + ": already open");
            }
            if (streams.size() >= policy.maxStreams()) {
                if (!policy.evictLeastRecentlyUsedWhenFull()) {
                    throw new RejectedExecutionException("stream " + id + ": the registry is full (maxStreams="
                            + policy.maxStreams() + ")");
                }
                for (Map.Entry<String, Stream> e : streams.entrySet()) { // least recently used idle stream
                    Stream candidate = e.getValue();
                    if (!candidate.isBusy() && (victim == null
                            || candidate.lastUsedMillis() < victim.lastUsedMillis())) {
                        victim = candidate;
                        victimId = e.getKey();
                    }
                }
                if (victim == null || !victim.closeIfIdle()) {
                    throw new RejectedExecutionException("stream " + id + ": the registry is full (maxStreams="
                            + policy.maxStreams() + ") and every stream is stepping");
                }
                streams.remove(victimId, victim);
            }
            streams.put(id, stream);
        }
        if (victim != null) {
            listener.evicted(victimId, victim, Reason.CAPACITY);
        }
        return stream;
    }
}
