package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.MatrixRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A cell's recurrent weights {@code W_hh [G*H, H]} packed for the step's product {@code h W_hh^T} done in Java, a
 * panel of hidden units at a time: the product a {@link ParallelStep} splits between threads.
 *
 * <p>A panel is the output columns of a few consecutive hidden units ({@link #units()}) as SIMD vectors of
 * {@link #PANEL} columns: for the LSTM (GRU) the four (three) gates of {@code PANEL} units, for the Elman cells four
 * vectors of consecutive units. Its weights are stored k-major, one row of four (three) vectors per k; the
 * micro-kernel reads that row and broadcasts one element of h per batch row, three (GRU: four) batch rows of
 * accumulators at a time, twelve vectors in all. Measured on the 2-core AVX2 machine, [32, 256] x [256, 1024]:
 * about 40 GFLOP/s on one core, near OpenBLAS's per-core rate on the same product.
 *
 * <p>Each output element is one fused multiply-add chain over k in order, whichever thread or panel range
 * computes it: the result does not depend on how the units are split. It differs from OpenBLAS's (another summation
 * order) by rounding only. Like {@link VectorKernels}, no method here takes or returns a vector (see there for why).
 */
final class PackedWeights {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Units per vector. */
    static final int PANEL = F.length();

    private final float[] packed;
    private final int hidden;
    private final int columns;
    private final int vectors;
    /** Hidden units per panel. */
    private final int units;
    /** Where vector v of panel p starts, in columns: {@code p * panelStride + v * vectorStride}. */
    private final int panelStride;
    private final int vectorStride;

    private PackedWeights(MatrixRegion weights, int vectors, int units, int panelStride, int vectorStride) {
        this.hidden = Math.toIntExact(weights.cols());
        this.columns = Math.toIntExact(weights.rows());
        this.vectors = vectors;
        this.units = units;
        this.panelStride = panelStride;
        this.vectorStride = vectorStride;
        FloatBuffer plain = weights.buffer().bytes().slice(weights.buffer().byteIndex(weights.offset()),
                4 * columns * hidden).order(LE).asFloatBuffer();
        this.packed = new float[columns * hidden];
        int index = 0;
        for (int panel = 0; panel < hidden / units; panel++) {
            for (int k = 0; k < hidden; k++) {
                for (int v = 0; v < vectors; v++) {
                    int column = panel * panelStride + v * vectorStride;
                    for (int j = 0; j < PANEL; j++) {
                        packed[index++] = plain.get((column + j) * hidden + k);
                    }
                }
            }
        }
    }

    /**
     * The weights of a cell with {@code gates} gates, a panel per {@code PANEL} units (each gate a vector), or for a
     * one-gate cell four vectors of consecutive units; {@code null} when H does not divide into such panels.
     */
    static PackedWeights of(MatrixRegion weightHh, int gates) {
        int hidden = Math.toIntExact(weightHh.cols());
        if (gates == 1) {
            return hidden % (4 * PANEL) == 0 ? new PackedWeights(weightHh, 4, 4 * PANEL, 4 * PANEL, PANEL) : null;
        }
        assert gates == 3 || gates == 4;
        return hidden % PANEL == 0 ? new PackedWeights(weightHh, gates, PANEL, PANEL, hidden) : null;
    }

    /** Hidden units per panel: a part of a step covers whole panels. */
    int units() {
        return units;
    }

    /** The columns of the product, G*H. */
    int columns() {
        return columns;
    }

    /**
     * {@code c[:, cols] = a W[cols]^T}, or {@code +=} when {@code accumulate}, for every row of {@code a} and the
     * columns of the hidden units {@code [from, to)} (multiples of {@link #units()}).
     *
     * @param a {@code [M, H]}, rows back to back; read only
     * @param c {@code [M, G*H]}, rows back to back; the other columns are not touched
     */
    void multiply(MatrixRegion a, MatrixRegion c, int from, int to, boolean accumulate) {
        assert a.cols() == hidden && c.cols() == columns && a.rows() == c.rows();
        assert from % units == 0 && to % units == 0;
        int rows = Math.toIntExact(a.rows());
        ByteBuffer aBytes = a.buffer().bytes();
        int aAt = a.buffer().byteIndex(a.offset());
        ByteBuffer cBytes = c.buffer().bytes();
        int cAt = c.buffer().byteIndex(c.offset());
        for (int panel = from / units; panel < to / units; panel++) {
            int panelAt = panel * hidden * vectors * PANEL;
            int column = cAt + 4 * panel * panelStride;
            if (vectors == 4) {
                for (int m = 0; m < rows; m += 3) {
                    threeRows(aBytes, aAt, rows, m, panelAt, cBytes, column, accumulate);
                }
            } else {
                for (int m = 0; m < rows; m += 4) {
                    fourRows(aBytes, aAt, rows, m, panelAt, cBytes, column, accumulate);
                }
            }
        }
    }

    /**
     * Rows {@code [m, m + 3)} of a four-vector panel (rows at or past {@code rows} repeat the last row and are not
     * stored); the panel's first output element is at byte {@code cAt} of row 0.
     */
    private void threeRows(ByteBuffer a, int aAt, int rows, int m, int panelAt, ByteBuffer c, int cAt,
            boolean accumulate) {
        int last = rows - 1;
        int a0 = aAt + 4 * hidden * m;
        int a1 = aAt + 4 * hidden * Math.min(m + 1, last);
        int a2 = aAt + 4 * hidden * Math.min(m + 2, last);
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c03 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c13 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c23 = c00;
        float[] w = packed;
        int width = 4 * PANEL;
        for (int k = 0; k < hidden; k++) {
            int q = panelAt + k * width;
            FloatVector b0 = FloatVector.fromArray(F, w, q);
            FloatVector b1 = FloatVector.fromArray(F, w, q + PANEL);
            FloatVector b2 = FloatVector.fromArray(F, w, q + 2 * PANEL);
            FloatVector b3 = FloatVector.fromArray(F, w, q + 3 * PANEL);
            FloatVector x = FloatVector.broadcast(F, a.getFloat(a0 + 4 * k));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a.getFloat(a1 + 4 * k));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a.getFloat(a2 + 4 * k));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
        }
        int row = 4 * columns;
        int step = 4 * vectorStride;
        int o0 = cAt + row * m;
        int o1 = o0 + row;
        int o2 = o1 + row;
        int n = rows - m;
        if (accumulate) {
            c00.add(FloatVector.fromByteBuffer(F, c, o0, LE)).intoByteBuffer(c, o0, LE);
            c01.add(FloatVector.fromByteBuffer(F, c, o0 + step, LE)).intoByteBuffer(c, o0 + step, LE);
            c02.add(FloatVector.fromByteBuffer(F, c, o0 + 2 * step, LE)).intoByteBuffer(c, o0 + 2 * step, LE);
            c03.add(FloatVector.fromByteBuffer(F, c, o0 + 3 * step, LE)).intoByteBuffer(c, o0 + 3 * step, LE);
            if (n > 1) {
                c10.add(FloatVector.fromByteBuffer(F, c, o1, LE)).intoByteBuffer(c, o1, LE);
                c11.add(FloatVector.fromByteBuffer(F, c, o1 + step, LE)).intoByteBuffer(c, o1 + step, LE);
                c12.add(FloatVector.fromByteBuffer(F, c, o1 + 2 * step, LE)).intoByteBuffer(c, o1 + 2 * step, LE);
                c13.add(FloatVector.fromByteBuffer(F, c, o1 + 3 * step, LE)).intoByteBuffer(c, o1 + 3 * step, LE);
            }
            if (n > 2) {
                c20.add(FloatVector.fromByteBuffer(F, c, o2, LE)).intoByteBuffer(c, o2, LE);
                c21.add(FloatVector.fromByteBuffer(F, c, o2 + step, LE)).intoByteBuffer(c, o2 + step, LE);
                c22.add(FloatVector.fromByteBuffer(F, c, o2 + 2 * step, LE)).intoByteBuffer(c, o2 + 2 * step, LE);
                c23.add(FloatVector.fromByteBuffer(F, c, o2 + 3 * step, LE)).intoByteBuffer(c, o2 + 3 * step, LE);
            }
        } else {
            c00.intoByteBuffer(c, o0, LE);
            c01.intoByteBuffer(c, o0 + step, LE);
            c02.intoByteBuffer(c, o0 + 2 * step, LE);
            c03.intoByteBuffer(c, o0 + 3 * step, LE);
            if (n > 1) {
                c10.intoByteBuffer(c, o1, LE);
                c11.intoByteBuffer(c, o1 + step, LE);
                c12.intoByteBuffer(c, o1 + 2 * step, LE);
                c13.intoByteBuffer(c, o1 + 3 * step, LE);
            }
            if (n > 2) {
                c20.intoByteBuffer(c, o2, LE);
                c21.intoByteBuffer(c, o2 + step, LE);
                c22.intoByteBuffer(c, o2 + 2 * step, LE);
                c23.intoByteBuffer(c, o2 + 3 * step, LE);
            }
        }
    }

    /** As {@link #threeRows}, rows {@code [m, m + 4)} of a three-vector panel (the GRU's). */
    private void fourRows(ByteBuffer a, int aAt, int rows, int m, int panelAt, ByteBuffer c, int cAt,
            boolean accumulate) {
        int last = rows - 1;
        int a0 = aAt + 4 * hidden * m;
        int a1 = aAt + 4 * hidden * Math.min(m + 1, last);
        int a2 = aAt + 4 * hidden * Math.min(m + 2, last);
        int a3 = aAt + 4 * hidden * Math.min(m + 3, last);
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c32 = c00;
        float[] w = packed;
        int width = 3 * PANEL;
        for (int k = 0; k < hidden; k++) {
            int q = panelAt + k * width;
            FloatVector b0 = FloatVector.fromArray(F, w, q);
            FloatVector b1 = FloatVector.fromArray(F, w, q + PANEL);
            FloatVector b2 = FloatVector.fromArray(F, w, q + 2 * PANEL);
            FloatVector x = FloatVector.broadcast(F, a.getFloat(a0 + 4 * k));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(F, a.getFloat(a1 + 4 * k));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(F, a.getFloat(a2 + 4 * k));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(F, a.getFloat(a3 + 4 * k));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
        }
        int row = 4 * columns;
        int step = 4 * vectorStride;
        int o0 = cAt + row * m;
        int o1 = o0 + row;
        int o2 = o1 + row;
        int o3 = o2 + row;
        int n = rows - m;
        if (accumulate) {
            c00.add(FloatVector.fromByteBuffer(F, c, o0, LE)).intoByteBuffer(c, o0, LE);
            c01.add(FloatVector.fromByteBuffer(F, c, o0 + step, LE)).intoByteBuffer(c, o0 + step, LE);
            c02.add(FloatVector.fromByteBuffer(F, c, o0 + 2 * step, LE)).intoByteBuffer(c, o0 + 2 * step, LE);
            if (n > 1) {
                c10.add(FloatVector.fromByteBuffer(F, c, o1, LE)).intoByteBuffer(c, o1, LE);
                c11.add(FloatVector.fromByteBuffer(F, c, o1 + step, LE)).intoByteBuffer(c, o1 + step, LE);
                c12.add(FloatVector.fromByteBuffer(F, c, o1 + 2 * step, LE)).intoByteBuffer(c, o1 + 2 * step, LE);
            }
            if (n > 2) {
                c20.add(FloatVector.fromByteBuffer(F, c, o2, LE)).intoByteBuffer(c, o2, LE);
                c21.add(FloatVector.fromByteBuffer(F, c, o2 + step, LE)).intoByteBuffer(c, o2 + step, LE);
                c22.add(FloatVector.fromByteBuffer(F, c, o2 + 2 * step, LE)).intoByteBuffer(c, o2 + 2 * step, LE);
            }
            if (n > 3) {
                c30.add(FloatVector.fromByteBuffer(F, c, o3, LE)).intoByteBuffer(c, o3, LE);
                c31.add(FloatVector.fromByteBuffer(F, c, o3 + step, LE)).intoByteBuffer(c, o3 + step, LE);
                c32.add(FloatVector.fromByteBuffer(F, c, o3 + 2 * step, LE)).intoByteBuffer(c, o3 + 2 * step, LE);
            }
        } else {
            c00.intoByteBuffer(c, o0, LE);
            c01.intoByteBuffer(c, o0 + step, LE);
            c02.intoByteBuffer(c, o0 + 2 * step, LE);
            if (n > 1) {
                c10.intoByteBuffer(c, o1, LE);
                c11.intoByteBuffer(c, o1 + step, LE);
                c12.intoByteBuffer(c, o1 + 2 * step, LE);
            }
            if (n > 2) {
                c20.intoByteBuffer(c, o2, LE);
                c21.intoByteBuffer(c, o2 + step, LE);
                c22.intoByteBuffer(c, o2 + 2 * step, LE);
            }
            if (n > 3) {
                c30.intoByteBuffer(c, o3, LE);
                c31.intoByteBuffer(c, o3 + step, LE);
                c32.intoByteBuffer(c, o3 + 2 * step, LE);
            }
        }
    }
}
