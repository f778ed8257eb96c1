package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The floor of one streaming step at B=1 for a single layer: the two matrix-vector products a cell cannot avoid,
 * {@code W_ih [G*H, I] . x [I]} and {@code W_hh [G*H, H] . h [H]}, into vectors allocated once here.
 *
 * <p>At B=1 the products are GEMVs, and the floor uses BLAS level 2 ({@code sgemv} through ND4J's
 * {@code BlasWrapper.level2().gemv}): that is what a step should cost. {@link #stepAsGemm()} does the same two
 * products as one-row GEMMs ({@code [1, I] x [I, G*H]}, {@code Nd4j.gemm}), the path a batch-generic
 * implementation takes, to show what choosing GEMM over GEMV costs at B=1. {@link #stepRawBlas()} calls
 * {@code cblas_sgemv} of the same OpenBLAS library directly (JavaCPP's {@code openblas_nolapack}, which ND4J itself
 * calls), on pointers taken once: the products without ND4J's per-call dispatch and Java-heap allocation.
 */
final class GemvFloor {
    /** {@code [G*H, I]} and {@code [G*H, H]}, 'c' order (PyTorch packing); never mutated. */
    private final INDArray weightIh;
    private final INDArray weightHh;
    /** {@code [I]} and {@code [H]} inputs, and the same data as rows {@code [1, I]}, {@code [1, H]}. */
    private final INDArray x;
    private final INDArray h;
    private final INDArray xRow;
    private final INDArray hRow;
    /** {@code [G*H]} outputs, and {@code [1, G*H]} for the GEMM variant. */
    private final INDArray inputProduct;
    private final INDArray hiddenProduct;
    private final INDArray inputProductRow;
    private final INDArray hiddenProductRow;
    /** Native pointers to the same buffers, for {@link #stepRawBlas()}. */
    private final FloatPointer weightIhPointer;
    private final FloatPointer weightHhPointer;
    private final FloatPointer xPointer;
    private final FloatPointer hPointer;
    private final FloatPointer inputProductPointer;
    private final FloatPointer hiddenProductPointer;
    private final int gateWidth;
    private final int inputSize;
    private final int hiddenSize;

    GemvFloor(CellType cell, Shape shape, long seed) {
        Nd4j.getRandom().setSeed(seed);
        long gateWidth = (long) cell.gates() * shape.hiddenSize;
        this.gateWidth = (int) gateWidth;
        inputSize = shape.inputSize;
        hiddenSize = shape.hiddenSize;
        weightIh = Nd4j.rand(DataType.FLOAT, gateWidth, shape.inputSize).subi(0.5).divi(8);
        weightHh = Nd4j.rand(DataType.FLOAT, gateWidth, shape.hiddenSize).subi(0.5).divi(8);
        x = Nd4j.rand(DataType.FLOAT, shape.inputSize).subi(0.5);
        h = Nd4j.rand(DataType.FLOAT, shape.hiddenSize).subi(0.5);
        xRow = x.reshape(1, shape.inputSize);
        hRow = h.reshape(1, shape.hiddenSize);
        inputProduct = Nd4j.create(DataType.FLOAT, gateWidth);
        hiddenProduct = Nd4j.create(DataType.FLOAT, gateWidth);
        inputProductRow = Nd4j.create(DataType.FLOAT, 1, gateWidth);
        hiddenProductRow = Nd4j.create(DataType.FLOAT, 1, gateWidth);
        weightIhPointer = pointer(weightIh);
        weightHhPointer = pointer(weightHh);
        xPointer = pointer(x);
        hPointer = pointer(h);
        inputProductPointer = pointer(inputProduct);
        hiddenProductPointer = pointer(hiddenProduct);

        stepRawBlas();
        Checks.close("cblas_sgemv W_ih.x", inputProduct,
                weightIh.mmul(x.reshape(shape.inputSize, 1)).reshape(gateWidth), 1e-4);
        step();
        stepAsGemm();
        INDArray expectedInput = weightIh.mmul(x.reshape(shape.inputSize, 1)).reshape(gateWidth);
        INDArray expectedHidden = weightHh.mmul(h.reshape(shape.hiddenSize, 1)).reshape(gateWidth);
        Checks.close("gemv W_ih.x", inputProduct, expectedInput, 1e-4);
        Checks.close("gemv W_hh.h", hiddenProduct, expectedHidden, 1e-4);
        Checks.close("gemm-row x.W_ih^T", inputProductRow.reshape(gateWidth), expectedInput, 1e-4);
        Checks.close("gemm-row h.W_hh^T", hiddenProductRow.reshape(gateWidth), expectedHidden, 1e-4);
    }

    /** The two GEMVs; returns {@code W_hh . h} {@code [G*H]}. */
    INDArray step() {
        Nd4j.getBlasWrapper().level2().gemv('c', 'N', 1.0, weightIh, x, 0.0, inputProduct);
        Nd4j.getBlasWrapper().level2().gemv('c', 'N', 1.0, weightHh, h, 0.0, hiddenProduct);
        return hiddenProduct;
    }

    /** The two GEMVs straight into OpenBLAS ({@code cblas_sgemv}, row-major, no transpose); returns W_hh . h. */
    INDArray stepRawBlas() {
        openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, gateWidth,
                inputSize, 1f, weightIhPointer, inputSize, xPointer, 1, 0f, inputProductPointer, 1);
        openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, gateWidth,
                hiddenSize, 1f, weightHhPointer, hiddenSize, hPointer, 1, 0f, hiddenProductPointer, 1);
        return hiddenProduct;
    }

    /** A float pointer to a 'c' order, offset-0 array's first element. */
    private static FloatPointer pointer(INDArray array) {
        if (array.ordering() != 'c' || array.offset() != 0 || array.isView()) {
            throw new IllegalStateException("raw BLAS needs a 'c' order array of its own, not a view");
        }
        return new FloatPointer(array.data().addressPointer());
    }

    /** The same two products as one-row GEMMs; returns {@code h . W_hh^T} {@code [1, G*H]}. */
    INDArray stepAsGemm() {
        Nd4j.gemm(xRow, weightIh, inputProductRow, false, true, 1.0, 0.0);
        Nd4j.gemm(hRow, weightHh, hiddenProductRow, false, true, 1.0, 0.0);
        return hiddenProductRow;
    }
}
