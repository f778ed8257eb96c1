package dev.recurrent4j.train;

import dev.recurrent4j.model.SequenceBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Truncated backpropagation through time (Williams and Peng's BPTT(k1, k2)): the data is cut into segments of
 * {@code k1} steps that are run forward in order, each starting from the previous segment's final state (detached:
 * states are plain values), and gradients flow back through the last {@code k2 <= k1} steps of each segment. The
 * loss covers every step of the segment; the head sees them all, only the recurrence is cut.
 *
 * @param forwardSteps k1, the segment length
 * @param backwardSteps k2, in {@code 1..k1}
 */
public record Tbptt(int forwardSteps, int backwardSteps) {

    public Tbptt {
        if (forwardSteps < 1) {
            throw new IllegalArgumentException("forwardSteps: expected k1 >= 1 but was " + forwardSteps);
        }
        if (backwardSteps < 1 || backwardSteps > forwardSteps) {
            throw new IllegalArgumentException("backwardSteps: expected k2 in 1..k1=" + forwardSteps + " but was "
                    + backwardSteps);
        }
    }

    /** k1 = k2 = {@code steps}: plain truncated BPTT over consecutive segments. */
    public static Tbptt of(int steps) {
        return new Tbptt(steps, steps);
    }

    /**
     * Cuts a token stream into {@code streams} parallel streams (the batch) and those into consecutive segments of
     * k1 steps, each input token's target being the next token: the classic language-modelling layout, in which
     * row b of segment s+1 continues row b of segment s.
     *
     * @param tokens the whole text as ids, at least {@code streams + 1} of them
     * @return the segments, in order (the last may be shorter)
     * @throws IllegalArgumentException for too short a stream or {@code streams < 1}
     */
    public List<LabeledBatch> segments(int[] tokens, int streams) {
        if (streams < 1) {
            throw new IllegalArgumentException("streams: expected at least 1 but was " + streams);
        }
        if (tokens == null || tokens.length < streams + 1) {
            throw new IllegalArgumentException("tokens: expected at least streams+1=" + (streams + 1)
                    + " tokens but was " + (tokens == null ? "null" : tokens.length));
        }
        int length = (tokens.length - 1) / streams;
        List<LabeledBatch> segments = new ArrayList<>();
        for (int from = 0; from < length; from += forwardSteps) {
            int steps = Math.min(forwardSteps, length - from);
            int[][] inputs = new int[streams][steps];
            int[][] targets = new int[streams][steps];
            for (int b = 0; b < streams; b++) {
                System.arraycopy(tokens, b * length + from, inputs[b], 0, steps);
                System.arraycopy(tokens, b * length + from + 1, targets[b], 0, steps);
            }
            segments.add(LabeledBatch.perStep(SequenceBatch.tokens(inputs), targets));
        }
        return segments;
    }
}
