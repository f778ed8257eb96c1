package dev.recurrent4j.train;

/**
 * SplitMix64 (Steele, Lea and Flood), the trainer's only source of randomness: shuffles and dropout seeds. Its
 * whole state is one {@code long}, saved in checkpoints, so a resumed run draws exactly what an uninterrupted run
 * would have. Not thread-safe.
 */
public final class SeededRandom {
    private long state;

    public SeededRandom(long seed) {
        this.state = seed;
    }

    /** A generator continuing from a saved {@link #state()}. */
    public static SeededRandom restore(long state) {
        return new SeededRandom(state);
    }

    /** The state; {@link #restore} continues from here. */
    public long state() {
        return state;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in {@code [0, 1)}. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in {@code [0, bound)}, without modulo bias. */
    public int nextInt(int bound) {
        if (bound < 1) {
            throw new IllegalArgumentException("bound: expected at least 1 but was " + bound);
        }
        int m = bound - 1;
        int r = (int) (nextLong() >>> 33); // 31 random bits; then java.util.Random's rejection of the partial block
        if ((bound & m) == 0) {
            return (int) ((bound * (long) r) >> 31);
        }
        for (int u = r; u - (r = u % bound) + m < 0; u = (int) (nextLong() >>> 33)) {
            // rejected: u fell into the last, partial block
        }
        return r;
    }

    /** {@code 0..n-1} in a uniformly random order (Fisher–Yates). */
    public int[] permutation(int n) {
        int[] order = new int[n];
        for (int k = 0; k < n; k++) {
            order[k] = k;
        }
        for (int k = n - 1; k > 0; k--) {
            int j = nextInt(k + 1);
            int swap = order[k];
            order[k] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
