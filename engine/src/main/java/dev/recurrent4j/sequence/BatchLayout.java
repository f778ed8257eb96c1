package dev.recurrent4j.sequence;

import java.util.Arrays;

/**
 * Which rows of a batch are active at each time step. The batch is sorted by length, longest first (the model
 * reorders it once at the boundary), so the rows active at step t are always a prefix {@code [0, b_t)} and each
 * step works on contiguous rows, as PyTorch's packed sequences do.
 *
 * <p>A row past its length is inactive: its state is carried unchanged, its output is exactly 0, and it receives
 * and sends no gradient.
 */
public final class BatchLayout {
    private final long steps;
    private final int[] lengths;
    private final int[] activeRows;

    private BatchLayout(long steps, int[] lengths) {
        this.steps = steps;
        this.lengths = lengths.clone();
        this.activeRows = new int[(int) steps];
        for (int t = 0; t < steps; t++) {
            int b = 0;
            while (b < lengths.length && lengths[b] > t) {
                b++;
            }
            activeRows[t] = b;
        }
    }

    /**
     * A layout for lengths sorted longest first.
     *
     * @param steps T
     * @param sortedLengths B lengths, each in {@code 1..T}, non-increasing
     * @throws IllegalArgumentException if the lengths are out of range or not sorted
     */
    public static BatchLayout ofSortedLengths(long steps, int[] sortedLengths) {
        for (int b = 0; b < sortedLengths.length; b++) {
            if (sortedLengths[b] < 1 || sortedLengths[b] > steps) {
                throw new IllegalArgumentException("lengths[" + b + "]: expected 1.." + steps
                        + " but was " + sortedLengths[b]);
            }
            if (b > 0 && sortedLengths[b] > sortedLengths[b - 1]) {
                throw new IllegalArgumentException("lengths: expected non-increasing but was "
                        + Arrays.toString(sortedLengths));
            }
        }
        return new BatchLayout(steps, sortedLengths);
    }

    /** A layout where every one of {@code batch} sequences runs all {@code steps}. */
    public static BatchLayout full(long steps, int batch) {
        int[] lengths = new int[batch];
        Arrays.fill(lengths, (int) steps);
        return new BatchLayout(steps, lengths);
    }

    /** T. */
    public long steps() {
        return steps;
    }

    /** B. */
    public int batch() {
        return lengths.length;
    }

    /** {@code b_t}: the rows {@code [0, b_t)} are active at time step {@code t}. */
    public int activeRows(long t) {
        return activeRows[(int) t];
    }

    /** Whether every sequence runs all T steps. */
    public boolean isFull() {
        return activeRows[(int) steps - 1] == lengths.length;
    }
}
