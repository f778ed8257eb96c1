package dev.recurrent4j.model;

import dev.recurrent4j.tensor.Shapes;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch of B input sequences for a {@link SequenceModel}: dense features or token ids, with each sequence's
 * length. Arrays are borrowed, not copied, and must not be mutated while the batch is in use.
 *
 * @param features {@code [T, B, I]} dense features, time-major, or {@code null} for token input
 * @param tokens B token sequences, {@code tokens[b]} of length {@code lengths[b]} (ragged), or {@code null} for
 *     dense input
 * @param lengths B lengths in {@code 1..T}; for tokens, the rows' lengths
 * @throws IllegalArgumentException unless exactly one of features and tokens is given, for an empty sequence or a
 *     length that does not match
 */
public record SequenceBatch(INDArray features, int[][] tokens, int[] lengths) {

    public SequenceBatch {
        if ((features == null) == (tokens == null)) {
            throw new IllegalArgumentException("features and tokens: expected exactly one of them but got "
                    + (features == null ? "neither" : "both"));
        }
        if (features != null) {
            Shapes.requireShape("features", features, new String[] {"T", "B", "I"}, new long[] {-1, -1, -1});
            if (lengths == null) {
                lengths = new int[(int) features.size(1)];
                Arrays.fill(lengths, (int) features.size(0));
            }
        } else {
            if (tokens.length == 0) {
                throw new IllegalArgumentException("tokens: expected at least one sequence but was empty");
            }
            int[] actual = new int[tokens.length];
            for (int b = 0; b < tokens.length; b++) {
                if (tokens[b] == null || tokens[b].length == 0) {
                    throw new IllegalArgumentException("tokens[" + b + "]: expected at least one token but was "
                            + (tokens[b] == null ? "null" : "empty"));
                }
                actual[b] = tokens[b].length;
            }
            if (lengths != null && !Arrays.equals(lengths, actual)) {
                throw new IllegalArgumentException("lengths: expected the token rows' lengths "
                        + Arrays.toString(actual) + " but was " + Arrays.toString(lengths));
            }
            lengths = actual;
        }
    }

    /** Dense features {@code [T, B, I]} with lengths in {@code 1..T}, or {@code null} for all T steps. */
    public static SequenceBatch dense(INDArray features, int[] lengths) {
        return new SequenceBatch(features, null, lengths);
    }

    /** Token sequences, one row each, of any lengths of at least 1 (T is the longest). */
    public static SequenceBatch tokens(int[]... sequences) {
        return new SequenceBatch(null, sequences, null);
    }

    /** Whether this batch holds token ids. */
    public boolean hasTokens() {
        return tokens != null;
    }

    /** B. */
    public int batch() {
        return lengths.length;
    }

    /** T: the features' first dimension, or the longest token row. */
    public int steps() {
        return features != null ? (int) features.size(0) : Arrays.stream(lengths).max().orElseThrow();
    }

    /** Whether every sequence has all T steps. */
    public boolean isFull() {
        int steps = steps();
        return Arrays.stream(lengths).allMatch(l -> l == steps);
    }

    /** {@code [T*B]} the ids time-major ({@code t*B + b}), 0 at padded steps. Token batches only. */
    int[] timeMajorIds() {
        int steps = steps();
        int batch = batch();
        int[] ids = new int[steps * batch];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens[b].length; t++) {
                ids[t * batch + b] = tokens[b][t];
            }
        }
        return ids;
    }
}
