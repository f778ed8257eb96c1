package dev.recurrent4j.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loss over a batch: its metrics (with {@link Metrics#LOSS}, whose mean is the batch's loss) and the gradient
 * of that mean with respect to the model's output.
 *
 * @param metrics sums and counts: the loss and what the loss knows (cross-entropy and accuracy, or MSE and MAE)
 * @param gradient d(mean loss)/d(output), the output's shape, 0 at padded steps
 */
public record LossResult(Metrics metrics, INDArray gradient) {
    /** The mean loss. */
    public double loss() {
        return metrics.mean(Metrics.LOSS);
    }
}
