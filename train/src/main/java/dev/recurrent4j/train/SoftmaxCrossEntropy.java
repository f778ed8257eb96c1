package dev.recurrent4j.train;

import dev.recurrent4j.model.layer.OneHot;
import dev.recurrent4j.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Softmax cross-entropy on logits, PyTorch's {@code F.cross_entropy} with {@code reduction='mean'} over the valid
 * items: per step (language modelling, tagging; padded steps masked out) or per sequence (classification). Also
 * counts correct arg-max predictions for {@link Metrics#ACCURACY}.
 *
 * <p>Computed stably ({@code log-sum-exp} with the row maximum subtracted) in bulk ND4J operations; the loss sums
 * are taken in double.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {}

    /**
     * @param logits {@code [T, B, V]}; borrowed
     * @param targets B rows of class ids in {@code 0..V-1}; row b's length is sequence b's length (steps past it
     *     are padding and masked out)
     * @throws IllegalArgumentException for a row longer than T, a batch size or id out of range
     */
    public static LossResult perStep(INDArray logits, int[][] targets) {
        Shapes.requireShape("logits", logits, new String[] {"T", "B", "V"}, new long[] {-1, -1, -1});
        int steps = (int) logits.size(0);
        int batch = (int) logits.size(1);
        int classes = (int) logits.size(2);
        if (targets == null || targets.length != batch) {
            throw new IllegalArgumentException("targets: expected B=" + batch + " rows but was "
                    + (targets == null ? "null" : targets.length));
        }
        int[] ids = new int[steps * batch];
        double[] weights = new double[steps * batch];
        for (int b = 0; b < batch; b++) {
            if (targets[b] == null || targets[b].length > steps) {
                throw new IllegalArgumentException("targets[" + b + "]: expected at most T=" + steps + " ids but was "
                        + (targets[b] == null ? "null" : targets[b].length));
            }
            for (int t = 0; t < targets[b].length; t++) {
                ids[t * batch + b] = checkId(targets[b][t], classes, "targets[" + b + "][" + t + "]");
                weights[t * batch + b] = 1.0;
            }
        }
        return compute(logits.reshape('c', (long) steps * batch, classes), ids, weights, logits.shape());
    }

    /**
     * @param logits {@code [B, C]}; borrowed
     * @param targets B class ids in {@code 0..C-1}
     */
    public static LossResult perSequence(INDArray logits, int[] targets) {
        Shapes.requireShape("logits", logits, new String[] {"B", "C"}, new long[] {-1, -1});
        int batch = (int) logits.size(0);
        int classes = (int) logits.size(1);
        if (targets == null || targets.length != batch) {
            throw new IllegalArgumentException("targets: expected B=" + batch + " ids but was "
                    + (targets == null ? "null" : targets.length));
        }
        double[] weights = new double[batch];
        for (int b = 0; b < batch; b++) {
            checkId(targets[b], classes, "targets[" + b + "]");
            weights[b] = 1.0;
        }
        return compute(logits, targets, weights, logits.shape());
    }

    /**
     * @param logits {@code [N, V]}
     * @param ids N target ids
     * @param weights N weights, 1 for a valid item and 0 for padding
     */
    private static LossResult compute(INDArray logits, int[] ids, double[] weights, long[] shape) {
        DataType type = logits.dataType();
        int rows = ids.length;
        int classes = (int) logits.size(1);
        INDArray shifted = logits.subColumnVector(logits.max(1).reshape(rows, 1));
        INDArray probabilities = Transforms.exp(shifted, true);
        INDArray sums = probabilities.sum(1).reshape(rows, 1);
        probabilities.diviColumnVector(sums);
        INDArray oneHot = OneHot.encode(ids, classes, type);
        // loss_n = log(sum_v exp(shifted_nv)) - shifted_n,target
        double[] logSums = Transforms.log(sums, false).castTo(DataType.DOUBLE).data().asDouble();
        double[] picked = shifted.muli(oneHot).sum(1).castTo(DataType.DOUBLE).data().asDouble();
        long[] predicted = Nd4j.argMax(logits, 1).castTo(DataType.LONG).data().asLong();
        double loss = 0;
        double correct = 0;
        double count = 0;
        for (int n = 0; n < rows; n++) {
            if (weights[n] != 0) {
                loss += weights[n] * (logSums[n] - picked[n]);
                correct += predicted[n] == ids[n] ? weights[n] : 0;
                count += weights[n];
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("targets: expected at least one target but there were none");
        }
        // d(mean loss)/d(logits) = (softmax - onehot) * weight / count
        INDArray gradient = probabilities.subi(oneHot);
        boolean allValid = count == rows;
        if (allValid) {
            gradient.muli(1.0 / count);
        } else {
            double[] scale = new double[rows];
            for (int n = 0; n < rows; n++) {
                scale[n] = weights[n] / count;
            }
            gradient.muliColumnVector(Nd4j.create(scale, new long[] {rows, 1}, 'c').castTo(type));
        }
        Metrics metrics = new Metrics().add(Metrics.LOSS, loss, count).add(Metrics.CROSS_ENTROPY, loss, count)
                .add(Metrics.ACCURACY, correct, count);
        return new LossResult(metrics, gradient.reshape('c', shape));
    }

    private static int checkId(int id, int classes, String name) {
        if (id < 0 || id >= classes) {
            throw new IllegalArgumentException(name + ": expected a class id in 0.." + (classes - 1) + " but was "
                    + id);
        }
        return id;
    }
}
