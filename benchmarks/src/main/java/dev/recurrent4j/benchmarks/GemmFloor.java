package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The GEMM floor of a whole-sequence pass: exactly the matrix products a single-layer, unidirectional cell cannot
 * avoid, through {@link Nd4j#gemm} into outputs allocated once here. Nothing else: no bias, no activation, no
 * copies, no views made while timing. A cell implementation can only approach this from above, so
 * {@code ours / floor} is the overhead of everything that is not a matrix product.
 *
 * <p>Forward, per sequence batch:
 * <ul>
 *   <li>one input projection {@code [T*B, I] x [I, G*H]} (weights kept in PyTorch's {@code [G*H, I]} packing and
 *       transposed by the GEMM, as the engine does);</li>
 *   <li>T recurrent products {@code [B, H] x [H, G*H]}, step t reading its own row block of a {@code [T*B, H]}
 *       hidden history.</li>
 * </ul>
 * Backward adds, with dGates {@code [T*B, G*H]}:
 * <ul>
 *   <li>{@code dW_ih [G*H, I] = dGates^T x X} and {@code dW_hh [G*H, H] = dGates^T x H_prev}, each one GEMM over
 *       all steps at once (the accumulation over t folded into the product);</li>
 *   <li>{@code dX [T*B, I] = dGates x W_ih}, one GEMM;</li>
 *   <li>T recurrent products {@code dH_prev [B, H] = dGates_t [B, G*H] x W_hh}.</li>
 * </ul>
 * The same list holds for every cell (G = 1, 3, 4); the GRU's {@code r * (W_hn h + b_hn)} changes what multiplies
 * the products, not how many there are. Not a floor for multi-layer or bidirectional networks (scale it).
 */
final class GemmFloor {
    private final long steps;
    /** {@code [T*B, I]}, {@code [G*H, I]}, {@code [G*H, H]}: operands, random, never mutated. */
    private final INDArray inputs;
    private final INDArray weightIh;
    private final INDArray weightHh;
    /** {@code [T*B, H]} hidden history and its T row blocks {@code [B, H]} (views made once). */
    private final INDArray hiddenHistory;
    private final INDArray[] hiddenAt;
    /** {@code [T*B, G*H]} output of the input projection; {@code [B, G*H]} output of each recurrent product. */
    private final INDArray projection;
    private final INDArray recurrent;
    /** {@code [T*B, G*H]} upstream gate gradients and their T row blocks {@code [B, G*H]} (views made once). */
    private final INDArray dGates;
    private final INDArray[] dGatesAt;
    /** Backward outputs: {@code [G*H, I]}, {@code [G*H, H]}, {@code [T*B, I]}, {@code [B, H]}. */
    private final INDArray dWeightIh;
    private final INDArray dWeightHh;
    private final INDArray dInputs;
    private final INDArray dHidden;

    GemmFloor(CellType cell, Shape shape, long seed) {
        Nd4j.getRandom().setSeed(seed);
        long rows = (long) shape.steps * shape.batch;
        long gateWidth = (long) cell.gates() * shape.hiddenSize;
        steps = shape.steps;
        inputs = Nd4j.rand(DataType.FLOAT, rows, shape.inputSize).subi(0.5);
        weightIh = Nd4j.rand(DataType.FLOAT, gateWidth, shape.inputSize).subi(0.5).divi(8);
        weightHh = Nd4j.rand(DataType.FLOAT, gateWidth, shape.hiddenSize).subi(0.5).divi(8);
        hiddenHistory = Nd4j.rand(DataType.FLOAT, rows, shape.hiddenSize).subi(0.5);
        projection = Nd4j.create(DataType.FLOAT, rows, gateWidth);
        recurrent = Nd4j.create(DataType.FLOAT, shape.batch, gateWidth);
        dGates = Nd4j.rand(DataType.FLOAT, rows, gateWidth).subi(0.5);
        dWeightIh = Nd4j.create(DataType.FLOAT, gateWidth, shape.inputSize);
        dWeightHh = Nd4j.create(DataType.FLOAT, gateWidth, shape.hiddenSize);
        dInputs = Nd4j.create(DataType.FLOAT, rows, shape.inputSize);
        dHidden = Nd4j.create(DataType.FLOAT, shape.batch, shape.hiddenSize);
        hiddenAt = new INDArray[shape.steps];
        dGatesAt = new INDArray[shape.steps];
        for (int t = 0; t < shape.steps; t++) {
            NDArrayIndexRows block = new NDArrayIndexRows((long) t * shape.batch, (long) (t + 1) * shape.batch);
            hiddenAt[t] = block.of(hiddenHistory);
            dGatesAt[t] = block.of(dGates);
        }
        validate(shape);
    }

    /** The forward products; returns the last recurrent product {@code [B, G*H]}. */
    INDArray forward() {
        Nd4j.gemm(inputs, weightIh, projection, false, true, 1.0, 0.0);
        for (int t = 0; t < steps; t++) {
            Nd4j.gemm(hiddenAt[t], weightHh, recurrent, false, true, 1.0, 0.0);
        }
        return recurrent;
    }

    /** The forward products, then the backward ones; returns {@code dH_prev} of step 0 {@code [B, H]}. */
    INDArray forwardBackward() {
        forward();
        for (int t = (int) steps - 1; t >= 0; t--) {
            Nd4j.gemm(dGatesAt[t], weightHh, dHidden, false, false, 1.0, 0.0);
        }
        Nd4j.gemm(dGates, inputs, dWeightIh, true, false, 1.0, 0.0);        // accumulates over t
        Nd4j.gemm(dGates, hiddenHistory, dWeightHh, true, false, 1.0, 0.0); // accumulates over t
        Nd4j.gemm(dGates, weightIh, dInputs, false, false, 1.0, 0.0);
        return dHidden;
    }

    /** Checks every product once against {@code mmul}, so a wrong transpose flag cannot time the wrong thing. */
    private void validate(Shape shape) {
        forwardBackward();
        Checks.close("floor projection", projection, inputs.mmul(weightIh.transpose()), 1e-3);
        Checks.close("floor recurrent", recurrent, hiddenAt[shape.steps - 1].mmul(weightHh.transpose()), 1e-3);
        Checks.close("floor dW_ih", dWeightIh, dGates.transpose().mmul(inputs), 1e-2);
        Checks.close("floor dW_hh", dWeightHh, dGates.transpose().mmul(hiddenHistory), 1e-2);
        Checks.close("floor dX", dInputs, dGates.mmul(weightIh), 1e-3);
        Checks.close("floor dH", dHidden, dGatesAt[0].mmul(weightHh), 1e-3);
    }

    /** Rows {@code [from, to)} of a 'c' matrix as a contiguous view. */
    private record NDArrayIndexRows(long from, long to) {
        INDArray of(INDArray matrix) {
            return matrix.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
        }
    }
}
