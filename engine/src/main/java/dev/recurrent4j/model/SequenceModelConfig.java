package dev.recurrent4j.model;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The architecture of a {@link SequenceModel}: input encoding → recurrent stack → linear head.
 *
 * <pre>{@code
 * SequenceModelConfig lm = new SequenceModelConfig(InputEncoding.embedding(65, 32),
 *         RecurrentConfig.of(CellType.LSTM, 32, 128), HeadKind.PER_STEP, 65);
 * }</pre>
 *
 * @param input how the input becomes features; its {@code features} must equal {@code recurrent.inputSize()}
 * @param recurrent the recurrent stack; time-major ({@code batchFirst} false), its data type is the model's
 * @param head where the read-out looks
 * @param outputSize O, the outputs of the head (classes, vocabulary or regression targets); at least 1
 * @throws IllegalArgumentException for a null part, mismatched sizes, a batch-first stack or {@code O < 1}
 */
public record SequenceModelConfig(InputEncoding input, RecurrentConfig recurrent, HeadKind head, int outputSize) {

    public SequenceModelConfig {
        if (input == null || recurrent == null || head == null) {
            throw new IllegalArgumentException("input, recurrent and head: expected non-null but "
                    + (input == null ? "input" : recurrent == null ? "recurrent" : "head") + " was null");
        }
        if (input.features() != recurrent.inputSize()) {
            throw new IllegalArgumentException("recurrent.inputSize: expected I=" + input.features()
                    + " (the features of " + input + ") but was " + recurrent.inputSize());
        }
        if (recurrent.batchFirst()) {
            throw new IllegalArgumentException("recurrent.batchFirst: expected false (a sequence model is time-major"
                    + " [T, B, *]) but was true");
        }
        if (outputSize < 1) {
            throw new IllegalArgumentException("outputSize: expected at least 1 but was " + outputSize);
        }
    }

    public DataType dataType() {
        return recurrent.dataType();
    }

    /** D*H, the features the head reads. */
    public int headInputSize() {
        return recurrent.directions() * recurrent.hiddenSize();
    }
}
