package dev.recurrent4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of {@link SequenceModel#forward}: the head's outputs, the recurrent network's final state, and
 * (internally) what {@link SequenceModel#backward} needs. Pass it back to the model that produced it; close it once
 * its backward is done, so that the next forward reuses the memory of its caches ({@link ForwardResult#close()}).
 */
public final class ModelForward implements AutoCloseable {
    private final INDArray output;
    final SequenceModel model;
    final SequenceBatch batch;
    final ForwardResult recurrent;
    /** {@code [T*B]} time-major token ids, or {@code null} for dense input. */
    final int[] ids;
    /** The head's input: {@code [T*B, D*H]} (per step) or {@code [B, D*H]} (last step). */
    final INDArray headInput;
    /** {@code [T*B, 1]} 1 at valid steps, 0 at padding; {@code null} when every step is valid or the head is last-step. */
    final INDArray mask;

    ModelForward(INDArray output, SequenceModel model, SequenceBatch batch, ForwardResult recurrent, int[] ids,
            INDArray headInput, INDArray mask) {
        this.output = output;
        this.model = model;
        this.batch = batch;
        this.recurrent = recurrent;
        this.ids = ids;
        this.headInput = headInput;
        this.mask = mask;
    }

    /**
     * The head's outputs (logits or regression values): {@code [T, B, O]} for {@link HeadKind#PER_STEP}, exactly 0
     * at padded steps, or {@code [B, O]} for {@link HeadKind#LAST_STEP}. A new array.
     */
    public INDArray output() {
        return output;
    }

    /** {@code [L*D, B, H]} the recurrent network's final state; carry it into the next segment (TBPTT). */
    public RecurrentState finalState() {
        return recurrent.finalState();
    }

    /** The recurrent network's own outputs {@code [T, B, D*H]}, 0 at padding. */
    public INDArray recurrentOutput() {
        return recurrent.output();
    }

    /** The batch this forward ran on. */
    public SequenceBatch batch() {
        return batch;
    }

    /**
     * Hands the recurrent caches' memory back to the model's network (see {@link ForwardResult#close()}); the
     * outputs and final state stay valid, backward no longer accepts this result.
     */
    @Override
    public void close() {
        recurrent.close();
    }
}
