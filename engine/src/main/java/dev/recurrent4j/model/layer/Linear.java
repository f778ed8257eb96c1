package dev.recurrent4j.model.layer;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An affine map over rows, PyTorch's {@code nn.Linear}: {@code y = x W^T + b}, with {@code weight [O, In]} and
 * {@code bias [O]} in PyTorch's layout. The read-out of every head. Stateless: the caller owns the arrays.
 */
public final class Linear {
    private Linear() {}

    /**
     * @param x {@code [N, In]}; borrowed, not mutated
     * @param weight {@code [O, In]}
     * @param bias {@code [O]}, or {@code null}
     * @return {@code [N, O]}, a new 'c' array
     */
    public static INDArray forward(INDArray x, INDArray weight, INDArray bias) {
        assert x.rank() == 2 && x.size(1) == weight.size(1) : "x " + java.util.Arrays.toString(x.shape());
        INDArray y = Nd4j.create(x.dataType(), x.size(0), weight.size(0));
        Nd4j.gemm(x, weight, y, false, true, 1.0, 0.0);
        if (bias != null) {
            y.addiRowVector(bias);
        }
        return y;
    }

    /**
     * The backward of {@link #forward}: accumulates into the parameter gradients and returns dL/dx.
     *
     * @param x {@code [N, In]} the forward input; borrowed
     * @param weight {@code [O, In]}
     * @param dY {@code [N, O]} dL/dy; borrowed
     * @param dWeight {@code [O, In]}, mutated: {@code += dY^T x} (accumulates over rows)
     * @param dBias {@code [O]} or {@code null}, mutated: {@code += sum_n dY[n]}
     * @return {@code [N, In]} dL/dx = {@code dY W}, a new array
     */
    public static INDArray backward(INDArray x, INDArray weight, INDArray dY, INDArray dWeight, INDArray dBias) {
        Nd4j.gemm(dY, x, dWeight, true, false, 1.0, 1.0);
        if (dBias != null) {
            dBias.addi(dY.sum(0).reshape(dBias.shape()));
        }
        INDArray dX = Nd4j.create(x.dataType(), x.size(0), x.size(1));
        Nd4j.gemm(dY, weight, dX, false, false, 1.0, 0.0);
        return dX;
    }
}
