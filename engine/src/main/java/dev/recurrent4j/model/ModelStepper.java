package dev.recurrent4j.model;

import dev.recurrent4j.model.layer.Linear;
import dev.recurrent4j.tensor.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One step of a unidirectional {@link SequenceModel} with a per-step head, for generation and decoding: input
 * (token ids or features) → encoding → {@link StepSession} → head. The same numbers as the model's forward at that
 * step. Not thread-safe (one per thread); the model is shared. Create with {@link SequenceModel#newStepper(int)}.
 */
public final class ModelStepper {
    private final SequenceModel model;
    private final StepSession session;

    ModelStepper(SequenceModel model, int maxBatch) {
        SequenceModelConfig config = model.config();
        if (config.head() != HeadKind.PER_STEP) {
            throw new IllegalArgumentException("model: expected a per-step head for step-by-step use but was "
                    + config.head());
        }
        this.model = model;
        this.session = model.network().newStepSession(maxBatch);
    }

    /** A zero state {@code [L, b, H]} (h, and c for the LSTM) for {@code b} sequences, 'c' order. */
    public RecurrentState zeroState(int b) {
        RecurrentConfig rnn = model.config().recurrent();
        INDArray h = Nd4j.zeros(rnn.dataType(), rnn.numLayers(), b, rnn.hiddenSize());
        return new RecurrentState(h, rnn.cell().hasCellState() ? h.dup('c') : null);
    }

    /**
     * Advances {@code b = tokens.length} sequences by one token each.
     *
     * @param tokens b token ids in {@code 0..V-1}
     * @param state {@code [L, b, H]} 'c' order; read, then overwritten with the new state
     * @return {@code [b, O]} the head's outputs (logits), a new array
     * @throws IllegalArgumentException for dense models, bad ids, or the cases of {@link StepSession#step}
     */
    public INDArray step(int[] tokens, RecurrentState state) {
        SequenceModelConfig config = model.config();
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("tokens: expected at least one id but was "
                    + (tokens == null ? "null" : "empty"));
        }
        int[][] column = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            column[b] = new int[] {tokens[b]};
        }
        SequenceModel.Encoded encoded = SequenceModel.encode(config.input(), model.embedding(),
                SequenceBatch.tokens(column), config.dataType());
        return readOut(session.step(encoded.x().slice(0), state));
    }

    /**
     * Advances {@code b} sequences by one step of dense features.
     *
     * @param x {@code [b, I]}; not mutated
     * @param state as {@link #step(int[], RecurrentState)}
     * @return {@code [b, O]} the head's outputs, a new array
     */
    public INDArray step(INDArray x, RecurrentState state) {
        if (model.config().input().takesTokens()) {
            throw new IllegalArgumentException("x: expected token ids for " + model.config().input()
                    + " but got features");
        }
        Shapes.requireShape("x", x, new String[] {"b", "I"}, new long[] {-1, model.config().input().features()});
        return readOut(session.step(x, state));
    }

    private INDArray readOut(INDArray hidden) {
        ModelParameters p = model.parameters();
        return Linear.forward(hidden, p.get(SequenceModel.HEAD_WEIGHT), p.get(SequenceModel.HEAD_BIAS));
    }
}
