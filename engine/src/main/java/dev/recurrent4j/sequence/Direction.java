package dev.recurrent4j.sequence;

/**
 * The direction a layer walks the sequence in. Both directions store their states in one {@code [T+1, B, H]}
 * buffer in time order, so that the states entering every step form one contiguous slab for the weight-gradient
 * GEMM: forward keeps the initial state at index 0 and the state after time t at t+1; reverse keeps the initial
 * state at index T and the state after time t at t.
 */
public enum Direction {
    FORWARD,
    REVERSE;

    /** Index in the state buffer of the state entering time step {@code t}. */
    int prevIndex(long t) {
        return (int) (this == FORWARD ? t : t + 1);
    }

    /** Index in the state buffer of the state leaving time step {@code t}. */
    int nextIndex(long t) {
        return (int) (this == FORWARD ? t + 1 : t);
    }

    /** Index in the state buffer of the initial state. */
    int initialIndex(long steps) {
        return (int) (this == FORWARD ? 0 : steps);
    }

    /** Index in the state buffer of the final state (the state after the direction's last step). */
    int finalIndex(long steps) {
        return (int) (this == FORWARD ? steps : 0);
    }

    /** The time step processed {@code k}-th, for {@code k} in {@code 0..T-1}. */
    long timeAt(long k, long steps) {
        return this == FORWARD ? k : steps - 1 - k;
    }
}
