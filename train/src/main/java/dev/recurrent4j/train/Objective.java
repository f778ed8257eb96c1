package dev.recurrent4j.train;

import dev.recurrent4j.model.ModelParameters;

/**
 * What a {@link Trainer} optimises: a model and a loss over minibatches of type {@code B}. The trainer owns the
 * loop, the optimizer and the randomness; the objective owns forward, loss and backward (and, for truncated BPTT,
 * the state carried from one segment to the next).
 *
 * @param <B> the minibatch type
 */
public interface Objective<B> {

    /** The parameters the optimizer updates in place: the model's live arrays. */
    ModelParameters parameters();

    /**
     * Forward in training mode, the loss, and backward.
     *
     * @param batch one minibatch
     * @param seed for anything random in the step (dropout masks)
     */
    Step trainStep(B batch, long seed);

    /** Forward in evaluation mode and the loss's metrics, without gradients. */
    Metrics evaluate(B batch);

    /** Called before each training epoch and each evaluation pass: forget any state carried between batches. */
    default void reset() {}

    /**
     * The architecture, a Jackson-serialisable value (a config record), saved in checkpoints and compared when one
     * is resumed or loaded.
     */
    Object architecture();

    /**
     * One training step's result.
     *
     * @param gradients d(mean loss)/d(each parameter); the trainer clips and consumes them
     * @param metrics the batch's sums and counts, with {@link Metrics#LOSS}
     * @param items what throughput counts (tokens or sequences)
     */
    record Step(ModelParameters gradients, Metrics metrics, long items) {}
}
