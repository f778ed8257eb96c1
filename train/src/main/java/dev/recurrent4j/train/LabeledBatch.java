package dev.recurrent4j.train;

import dev.recurrent4j.model.SequenceBatch;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A minibatch for a {@link dev.recurrent4j.model.SequenceModel} with its targets, exactly one kind of them:
 *
 * <ul>
 *   <li>{@code stepClasses}: a class per valid step (tagging, language modelling), row b as long as sequence b;
 *       trained with per-step softmax cross-entropy;</li>
 *   <li>{@code sequenceClasses}: a class per sequence (classification); per-sequence cross-entropy;</li>
 *   <li>{@code values}: regression targets {@code [B, O]} or {@code [T, B, O]}; mean squared error.</li>
 * </ul>
 * Arrays are borrowed and must not be mutated while the batch is in use.
 */
public record LabeledBatch(SequenceBatch input, int[][] stepClasses, int[] sequenceClasses, INDArray values) {

    public LabeledBatch {
        if (input == null) {
            throw new IllegalArgumentException("input: expected a SequenceBatch but was null");
        }
        int kinds = (stepClasses != null ? 1 : 0) + (sequenceClasses != null ? 1 : 0) + (values != null ? 1 : 0);
        if (kinds != 1) {
            throw new IllegalArgumentException("targets: expected exactly one of stepClasses, sequenceClasses and"
                    + " values but got " + kinds);
        }
        if (stepClasses != null) {
            int[] lengths = Arrays.stream(stepClasses).mapToInt(r -> r == null ? -1 : r.length).toArray();
            if (!Arrays.equals(lengths, input.lengths())) {
                throw new IllegalArgumentException("stepClasses: expected rows of the input's lengths "
                        + Arrays.toString(input.lengths()) + " but their lengths were " + Arrays.toString(lengths));
            }
        }
        if (sequenceClasses != null && sequenceClasses.length != input.batch()) {
            throw new IllegalArgumentException("sequenceClasses: expected B=" + input.batch() + " classes but was "
                    + sequenceClasses.length);
        }
    }

    public static LabeledBatch perStep(SequenceBatch input, int[][] classes) {
        return new LabeledBatch(input, classes, null, null);
    }

    public static LabeledBatch perSequence(SequenceBatch input, int[] classes) {
        return new LabeledBatch(input, null, classes, null);
    }

    public static LabeledBatch regression(SequenceBatch input, INDArray values) {
        return new LabeledBatch(input, null, null, values);
    }

    /** What throughput counts: valid steps for per-step targets, else sequences. */
    public long items() {
        return stepClasses != null ? Arrays.stream(input.lengths()).asLongStream().sum() : input.batch();
    }
}
