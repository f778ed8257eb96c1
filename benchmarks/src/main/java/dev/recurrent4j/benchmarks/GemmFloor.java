package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
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
    /** Native pointers to the same buffers (per-step ones positioned at their row block), for raw BLAS. */
    private final FloatPointer inputsPointer;
    private final FloatPointer weightIhPointer;
    private final FloatPointer weightHhPointer;
    private final FloatPointer hiddenHistoryPointer;
    private final FloatPointer[] hiddenAtPointer;
    private final FloatPointer projectionPointer;
    private final FloatPointer recurrentPointer;
    private final FloatPointer dGatesPointer;
    private final FloatPointer[] dGatesAtPointer;
    private final FloatPointer dWeightIhPointer;
    private final FloatPointer dWeightHhPointer;
    private final FloatPointer dInputsPointer;
    private final FloatPointer dHiddenPointer;
    private final int batch;
    private final int rows;
    private final int inputSize;
    private final int hiddenSize;
    private final int gateWidth;

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
        batch = shape.batch;
        this.rows = (int) rows;
        inputSize = shape.inputSize;
        hiddenSize = shape.hiddenSize;
        this.gateWidth = (int) gateWidth;
        inputsPointer = pointer(inputs);
        weightIhPointer = pointer(weightIh);
        weightHhPointer = pointer(weightHh);
        hiddenHistoryPointer = pointer(hiddenHistory);
        projectionPointer = pointer(projection);
        recurrentPointer = pointer(recurrent);
        dGatesPointer = pointer(dGates);
        dWeightIhPointer = pointer(dWeightIh);
        dWeightHhPointer = pointer(dWeightHh);
        dInputsPointer = pointer(dInputs);
        dHiddenPointer = pointer(dHidden);
        hiddenAtPointer = new FloatPointer[shape.steps];
        dGatesAtPointer = new FloatPointer[shape.steps];
        for (int t = 0; t < shape.steps; t++) {
            hiddenAtPointer[t] = new FloatPointer(hiddenHistoryPointer).position((long) t * batch * hiddenSize);
            dGatesAtPointer[t] = new FloatPointer(dGatesPointer).position((long) t * batch * gateWidth);
        }
        validate(shape);
        forwardBackwardRawBlas();
        validate(shape, "raw BLAS ");
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

    /** The same products as {@link #forward()}, straight into OpenBLAS. */
    INDArray forwardRawBlas() {
        sgemm(false, true, rows, gateWidth, inputSize, inputsPointer, weightIhPointer, projectionPointer);
        for (int t = 0; t < steps; t++) {
            sgemm(false, true, batch, gateWidth, hiddenSize, hiddenAtPointer[t], weightHhPointer, recurrentPointer);
        }
        return recurrent;
    }

    /** The same products as {@link #forwardBackward()}, straight into OpenBLAS. */
    INDArray forwardBackwardRawBlas() {
        forwardRawBlas();
        for (int t = (int) steps - 1; t >= 0; t--) {
            sgemm(false, false, batch, hiddenSize, gateWidth, dGatesAtPointer[t], weightHhPointer, dHiddenPointer);
        }
        sgemm(true, false, gateWidth, inputSize, rows, dGatesPointer, inputsPointer, dWeightIhPointer);
        sgemm(true, false, gateWidth, hiddenSize, rows, dGatesPointer, hiddenHistoryPointer, dWeightHhPointer);
        sgemm(false, false, rows, inputSize, gateWidth, dGatesPointer, weightIhPointer, dInputsPointer);
        return dHidden;
    }

    /** Row-major {@code C [m, n] = op(A) op(B)}, op(A) {@code [m, k]}, op(B) {@code [k, n]}, dense rows. */
    private static void sgemm(boolean transposeA, boolean transposeB, int m, int n, int k, FloatPointer a,
            FloatPointer b, FloatPointer c) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transposeA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transposeB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, 1f, a, transposeA ? m : k, b, transposeB ? k : n, 0f, c, n);
    }

    /** A float pointer to a 'c' order, offset-0 array's first element. */
    private static FloatPointer pointer(INDArray array) {
        if (array.ordering() != 'c' || array.offset() != 0 || array.isView()) {
            throw new IllegalStateException("raw BLAS needs a 'c' order array of its own, not a view");
        }
        return new FloatPointer(array.data().addressPointer());
    }

    /** Checks every product once against {@code mmul}, so a wrong transpose flag cannot time the wrong thing. */
    private void validate(Shape shape) {
        forwardBackward();
        validate(shape, "");
    }

    private void validate(Shape shape, String prefix) {
        Checks.close(prefix + "floor projection", projection, inputs.mmul(weightIh.transpose()), 1e-3);
        Checks.close(prefix + "floor recurrent", recurrent, hiddenAt[shape.steps - 1].mmul(weightHh.transpose()),
                1e-3);
        Checks.close(prefix + "floor dW_ih", dWeightIh, dGates.transpose().mmul(inputs), 1e-2);
        Checks.close(prefix + "floor dW_hh", dWeightHh, dGates.transpose().mmul(hiddenHistory), 1e-2);
        Checks.close(prefix + "floor dX", dInputs, dGates.mmul(weightIh), 1e-3);
        Checks.close(prefix + "floor dH", dHidden, dGatesAt[0].mmul(weightHh), 1e-3);
    }

    /** Rows {@code [from, to)} of a 'c' matrix as a contiguous view. */
    private record NDArrayIndexRows(long from, long to) {
        INDArray of(INDArray matrix) {
            return matrix.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
        }
    }
}
