package dev.recurrent4j.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Wall-clock timings of named phases, one sample per call, for the profiling runner. Every clock starts and stops
 * after {@link Backends#synchronize()}: the device first finishes what was queued before the phase (so it is not
 * billed to this one), then what the phase queued (so the phase is not billed only for launching its kernels).
 * Not thread-safe; one clock per run.
 */
public final class PhaseClock {
    /** Samples in nanoseconds, by phase, in the order the phases first ran. */
    private final Map<String, List<Long>> samples = new LinkedHashMap<>();

    /** Runs {@code work} as one sample of {@code phase} and returns its result. */
    public <T> T time(String phase, Supplier<T> work) {
        Backends.synchronize();
        long start = System.nanoTime();
        T result = work.get();
        Backends.synchronize();
        samples.computeIfAbsent(phase, p -> new ArrayList<>()).add(System.nanoTime() - start);
        return result;
    }

    /** {@link #time(String, Supplier)} for work without a result. */
    public void time(String phase, Runnable work) {
        time(phase, () -> {
            work.run();
            return null;
        });
    }

    /** The phases timed so far, in the order they first ran. */
    public List<String> phases() {
        return List.copyOf(samples.keySet());
    }

    /**
     * The statistics of one phase's samples.
     *
     * @throws IllegalArgumentException for a phase never timed
     */
    public Summary summary(String phase) {
        List<Long> values = samples.get(phase);
        if (values == null) {
            throw new IllegalArgumentException("phase: expected one of " + samples.keySet() + " but was " + phase);
        }
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return Summary.of(sorted);
    }

    /**
     * Statistics over one phase's samples, in milliseconds. {@code p90} is the nearest-rank 90th percentile (the
     * smallest sample that at least 90% of the samples do not exceed); {@code median} averages the two middle
     * samples when there is an even number.
     */
    public record Summary(int count, double minMs, double medianMs, double p90Ms, double meanMs, double totalMs) {

        static Summary of(long[] sortedNanos) {
            int n = sortedNanos.length;
            assert n > 0;
            double median = n % 2 == 1 ? sortedNanos[n / 2] : (sortedNanos[n / 2 - 1] + sortedNanos[n / 2]) / 2.0;
            long p90 = sortedNanos[(int) Math.ceil(0.9 * n) - 1];
            long total = Arrays.stream(sortedNanos).sum();
            return new Summary(n, sortedNanos[0] / 1e6, median / 1e6, p90 / 1e6, total / 1e6 / n, total / 1e6);
        }
    }
}
