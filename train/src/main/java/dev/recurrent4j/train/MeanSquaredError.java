package dev.recurrent4j.train;

import dev.recurrent4j.tensor.Shapes;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Mean squared error, PyTorch's {@code F.mse_loss} with {@code reduction='mean'} over the valid values: per
 * sequence ({@code [B, O]}) or per step ({@code [T, B, O]}, padded steps masked out). Also reports
 * {@link Metrics#MAE} (and, through {@link Metrics#means()}, RMSE).
 */
public final class MeanSquaredError {
    private MeanSquaredError() {}

    /**
     * @param predictions {@code [B, O]} or {@code [T, B, O]}; borrowed
     * @param targets the same shape and data type; borrowed
     * @param lengths for {@code [T, B, O]}: B lengths in {@code 1..T} (steps past them are masked out), or
     *     {@code null} for every step; ignored for {@code [B, O]}
     * @throws IllegalArgumentException for shapes that differ
     */
    public static LossResult of(INDArray predictions, INDArray targets, int[] lengths) {
        if (predictions == null || targets == null || !Arrays.equals(predictions.shape(), targets.shape())) {
            throw new IllegalArgumentException("targets: expected the predictions' shape "
                    + (predictions == null ? "null" : Arrays.toString(predictions.shape())) + " but was "
                    + (targets == null ? "null" : Arrays.toString(targets.shape())));
        }
        Shapes.requireDataType("targets", targets, predictions.dataType());
        INDArray difference = predictions.sub(targets);
        double count = difference.length();
        if (predictions.rank() == 3 && lengths != null) {
            int steps = (int) predictions.size(0);
            int batch = (int) predictions.size(1);
            long outputs = predictions.size(2);
            double[] mask = new double[steps * batch];
            count = 0;
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < Math.min(lengths[b], steps); t++) {
                    mask[t * batch + b] = 1.0;
                    count += outputs;
                }
            }
            difference.reshape('c', (long) steps * batch, outputs).muliColumnVector(
                    Nd4j.create(mask, new long[] {(long) steps * batch, 1}, 'c').castTo(predictions.dataType()));
        }
        double squared = difference.castTo(DataType.DOUBLE).norm2Number().doubleValue();
        squared *= squared;
        double absolute = Transforms.abs(difference, true).castTo(DataType.DOUBLE).sumNumber().doubleValue();
        Metrics metrics = new Metrics().add(Metrics.LOSS, squared, count).add(Metrics.MSE, squared, count)
                .add(Metrics.MAE, absolute, count);
        return new LossResult(metrics, difference.muli(2.0 / count)); // d/dp mean (p - y)^2 = 2 (p - y) / count
    }
}
