package dev.recurrent4j.infer;

import dev.recurrent4j.tensor.Blas;
import dev.recurrent4j.tensor.MatrixRegion;
import dev.recurrent4j.tensor.Shapes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code out = hidden W^T + b}, PyTorch's {@code nn.Linear(D*H, O)} with its {@code weight [O, D*H]} and
 * {@code bias [O]}. Immutable: the arrays are private copies.
 */
public final class LinearHead implements OutputHead {
    private static final String[] WEIGHT = {"O", "D*H"};
    private static final String[] BIAS = {"O"};

    /** {@code [O, D*H]}, 'c'; never mutated. */
    private final INDArray weight;
    /** {@code [O]}, or {@code null} without bias; never mutated. */
    private final INDArray bias;

    private LinearHead(INDArray weight, INDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /**
     * A head over copies of {@code weight} and {@code bias}.
     *
     * @param weight {@code [O, D*H]}
     * @param bias {@code [O]} of the same data type, or {@code null}
     * @throws IllegalArgumentException for a wrong rank, size or data type
     */
    public static LinearHead of(INDArray weight, INDArray bias) {
        Shapes.requireShape("weight", weight, WEIGHT, new long[] {-1, -1});
        if (bias != null) {
            Shapes.requireShape("bias", bias, BIAS, new long[] {weight.size(0)});
            Shapes.requireDataType("bias", bias, weight.dataType());
        }
        return new LinearHead(weight.dup('c'), bias == null ? null : bias.dup('c'));
    }

    /** From a {@code state_dict}-like map holding {@code prefix + "weight"} and optionally {@code prefix + "bias"}. */
    public static LinearHead fromTorchStateDict(Map<String, INDArray> tensors, String prefix) {
        INDArray weight = tensors.get(prefix + "weight");
        if (weight == null) {
            throw new IllegalArgumentException(prefix + "weight: expected a [O, D*H] tensor but it is missing; names: "
                    + tensors.keySet());
        }
        return of(weight, tensors.get(prefix + "bias"));
    }

    @Override
    public int inputSize() {
        return (int) weight.size(1);
    }

    @Override
    public int outputSize() {
        return (int) weight.size(0);
    }

    /** The bias is added as a rank-1 product {@code ones [n, 1] b [1, O]}, the same operations as {@link Bound}. */
    @Override
    public void apply(INDArray hidden, INDArray out) {
        Blas.gemm(hidden, false, weight, true, 1.0, 0.0, out);
        if (bias != null) {
            Blas.gemm(Nd4j.ones(out.dataType(), out.size(0), 1), false, bias.reshape(1, bias.length()), false, 1.0,
                    1.0, out);
        }
    }

    /** This head with memory wrappers of its own for one thread's steps of up to {@code maxRows} rows. */
    Bound bind(int maxRows) {
        return new Bound(maxRows);
    }

    /**
     * The head for one {@link StepExecutor}: regions made once (per row count), so that applying it allocates
     * nothing. The numbers are those of {@link #apply}. Not thread-safe, like the executor.
     */
    final class Bound {
        private final MatrixRegion weightRegion;
        private final MatrixRegion biasRegion;
        /** Per row count n: {@code [n, 1]} ones. */
        private final MatrixRegion[] ones;

        private Bound(int maxRows) {
            weightRegion = MatrixRegion.of(weight);
            biasRegion = bias == null ? null : MatrixRegion.of(bias);
            ones = new MatrixRegion[maxRows + 1];
            if (bias != null) {
                MatrixRegion all = MatrixRegion.of(Nd4j.ones(weight.dataType(), maxRows, 1));
                for (int n = 1; n <= maxRows; n++) {
                    ones[n] = all.firstRows(n);
                }
            }
        }

        /** {@code out = hidden W^T + b} for {@code [n, D*H]} hidden and {@code [n, O]} out. */
        void apply(MatrixRegion hidden, MatrixRegion out) {
            Blas.gemm(hidden, false, weightRegion, true, 1.0, 0.0, out);
            if (biasRegion != null) {
                Blas.gemm(ones[(int) out.rows()], false, biasRegion, false, 1.0, 1.0, out);
            }
        }
    }

    @Override
    public Map<String, INDArray> parameters() {
        Map<String, INDArray> named = new LinkedHashMap<>();
        named.put("weight", weight);
        if (bias != null) {
            named.put("bias", bias);
        }
        return named;
    }
}
