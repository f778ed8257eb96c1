package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
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
 * implementation takes, to show what choosing GEMM over GEMV costs at B=1.
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

    GemvFloor(CellType cell, Shape shape, long seed) {
        Nd4j.getRandom().setSeed(seed);
        long gateWidth = (long) cell.gates() * shape.hiddenSize;
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

    /** The same two products as one-row GEMMs; returns {@code h . W_hh^T} {@code [1, G*H]}. */
    INDArray stepAsGemm() {
        Nd4j.gemm(xRow, weightIh, inputProductRow, false, true, 1.0, 0.0);
        Nd4j.gemm(hRow, weightHh, hiddenProductRow, false, true, 1.0, 0.0);
        return hiddenProductRow;
    }
}
