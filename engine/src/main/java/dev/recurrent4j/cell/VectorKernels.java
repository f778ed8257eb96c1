package dev.recurrent4j.cell;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The elementwise part of each cell's step, forward and backward, as one pass over float32 rows with the JDK's
 * Vector API (SIMD, with vectorized tanh), reading and writing ND4J's CPU buffers in place.
 *
 * <p>This is the only class that touches {@code jdk.incubator.vector}; it is loaded only when
 * {@link FusedCells#available()} says the module is present and ND4J runs on the CPU. Every array handed in is a
 * contiguous row block ('c' order, element-wise stride 1) of {@code rows} rows; the equations are those of the
 * plain cells ({@link LstmCell}, {@link GruCell}, {@link RnnCell}), with {@code sigmoid(x) = (1 + tanh(x/2)) / 2}.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorKernels() {}

    /** A float32 array's native bytes and its first element's index in them. */
    private record Block(ByteBuffer bytes, int base) {
        static Block of(INDArray array) {
            assert array.elementWiseStride() == 1 && array.ordering() == 'c' : "expected a contiguous row block";
            return new Block(array.data().asNio(), (int) array.offset());
        }

        FloatVector load(int index) {
            return FloatVector.fromByteBuffer(F, bytes, (base + index) * 4, LE);
        }

        void store(int index, FloatVector value) {
            value.intoByteBuffer(bytes, (base + index) * 4, LE);
        }

        float get(int index) {
            return bytes.getFloat((base + index) * 4);
        }

        void put(int index, float value) {
            bytes.putFloat((base + index) * 4, value);
        }
    }

    private static FloatVector sigmoid(FloatVector x) {
        return x.mul(0.5f).lanewise(VectorOperators.TANH).mul(0.5f).add(0.5f);
    }

    private static FloatVector tanh(FloatVector x) {
        return x.lanewise(VectorOperators.TANH);
    }

    private static float sigmoid(float x) {
        return 0.5f + 0.5f * (float) Math.tanh(0.5f * x);
    }

    private static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    /**
     * LSTM forward: gates {@code [b, 4H]} pre-activations in, activations i, f, g, o out; writes c', tanh(c'), h'.
     */
    static void lstmForward(INDArray gatesArray, INDArray cPrevArray, INDArray cNextArray, INDArray tanhCArray,
            INDArray hNextArray, int rows, int hidden) {
        Block gates = Block.of(gatesArray);
        Block cPrev = Block.of(cPrevArray);
        Block cNext = Block.of(cNextArray);
        Block tanhC = Block.of(tanhCArray);
        Block hNext = Block.of(hNextArray);
        int bound = F.loopBound(hidden);
        for (int r = 0; r < rows; r++) {
            int g = r * 4 * hidden;
            int s = r * hidden;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector in = sigmoid(gates.load(g + j));
                FloatVector forget = sigmoid(gates.load(g + hidden + j));
                FloatVector cell = tanh(gates.load(g + 2 * hidden + j));
                FloatVector out = sigmoid(gates.load(g + 3 * hidden + j));
                FloatVector c = forget.mul(cPrev.load(s + j)).add(in.mul(cell));
                FloatVector tc = tanh(c);
                gates.store(g + j, in);
                gates.store(g + hidden + j, forget);
                gates.store(g + 2 * hidden + j, cell);
                gates.store(g + 3 * hidden + j, out);
                cNext.store(s + j, c);
                tanhC.store(s + j, tc);
                hNext.store(s + j, out.mul(tc));
            }
            for (; j < hidden; j++) {
                float in = sigmoid(gates.get(g + j));
                float forget = sigmoid(gates.get(g + hidden + j));
                float cell = tanh(gates.get(g + 2 * hidden + j));
                float out = sigmoid(gates.get(g + 3 * hidden + j));
                float c = forget * cPrev.get(s + j) + in * cell;
                float tc = tanh(c);
                gates.put(g + j, in);
                gates.put(g + hidden + j, forget);
                gates.put(g + 2 * hidden + j, cell);
                gates.put(g + 3 * hidden + j, out);
                cNext.put(s + j, c);
                tanhC.put(s + j, tc);
                hNext.put(s + j, out * tc);
            }
        }
    }

    /**
     * LSTM backward: from dL/dh' ({@code dH}) and dL/dc' ({@code dC}, replaced by dL/dc) and the cached
     * activations, writes the pre-activation gradients {@code dGates [b, 4H]}.
     */
    static void lstmBackward(INDArray gatesArray, INDArray cPrevArray, INDArray tanhCArray, INDArray dHArray,
            INDArray dCArray, INDArray dGatesArray, int rows, int hidden) {
        Block gates = Block.of(gatesArray);
        Block cPrev = Block.of(cPrevArray);
        Block tanhC = Block.of(tanhCArray);
        Block dH = Block.of(dHArray);
        Block dC = Block.of(dCArray);
        Block dGates = Block.of(dGatesArray);
        int bound = F.loopBound(hidden);
        for (int r = 0; r < rows; r++) {
            int g = r * 4 * hidden;
            int s = r * hidden;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector in = gates.load(g + j);
                FloatVector forget = gates.load(g + hidden + j);
                FloatVector cell = gates.load(g + 2 * hidden + j);
                FloatVector out = gates.load(g + 3 * hidden + j);
                FloatVector tc = tanhC.load(s + j);
                FloatVector dh = dH.load(s + j);
                FloatVector dOut = dh.mul(tc);
                FloatVector dc = dC.load(s + j).add(dh.mul(out).mul(tc.mul(tc).neg().add(1f)));
                FloatVector dIn = dc.mul(cell);
                FloatVector dCell = dc.mul(in);
                FloatVector dForget = dc.mul(cPrev.load(s + j));
                dC.store(s + j, dc.mul(forget));
                dGates.store(g + j, dIn.mul(in).mul(in.neg().add(1f)));
                dGates.store(g + hidden + j, dForget.mul(forget).mul(forget.neg().add(1f)));
                dGates.store(g + 2 * hidden + j, dCell.mul(cell.mul(cell).neg().add(1f)));
                dGates.store(g + 3 * hidden + j, dOut.mul(out).mul(out.neg().add(1f)));
            }
            for (; j < hidden; j++) {
                float in = gates.get(g + j);
                float forget = gates.get(g + hidden + j);
                float cell = gates.get(g + 2 * hidden + j);
                float out = gates.get(g + 3 * hidden + j);
                float tc = tanhC.get(s + j);
                float dh = dH.get(s + j);
                float dOut = dh * tc;
                float dc = dC.get(s + j) + dh * out * (1f - tc * tc);
                float dIn = dc * cell;
                float dCell = dc * in;
                float dForget = dc * cPrev.get(s + j);
                dC.put(s + j, dc * forget);
                dGates.put(g + j, dIn * in * (1f - in));
                dGates.put(g + hidden + j, dForget * forget * (1f - forget));
                dGates.put(g + 2 * hidden + j, dCell * (1f - cell * cell));
                dGates.put(g + 3 * hidden + j, dOut * out * (1f - out));
            }
        }
    }

    /**
     * GRU forward: {@code gates [b, 3H]} holds the input projection (with b_ih), {@code projection [b, 3H]} the
     * recurrent product without bias; adds {@code biasHh} (may be null) to the projection in place, writes r, z, n
     * into gates and h' = n + z (h - n).
     */
    static void gruForward(INDArray gatesArray, INDArray projectionArray, INDArray biasHhArray, INDArray hPrevArray,
            INDArray hNextArray, int rows, int hidden) {
        Block gates = Block.of(gatesArray);
        Block projection = Block.of(projectionArray);
        Block bias = biasHhArray == null ? null : Block.of(biasHhArray);
        Block hPrev = Block.of(hPrevArray);
        Block hNext = Block.of(hNextArray);
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(hidden);
        for (int r = 0; r < rows; r++) {
            int g = r * 3 * hidden;
            int s = r * hidden;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector hr = projection.load(g + j).add(bias == null ? zero : bias.load(j));
                FloatVector hz = projection.load(g + hidden + j).add(bias == null ? zero : bias.load(hidden + j));
                FloatVector hn = projection.load(g + 2 * hidden + j)
                        .add(bias == null ? zero : bias.load(2 * hidden + j));
                FloatVector reset = sigmoid(gates.load(g + j).add(hr));
                FloatVector update = sigmoid(gates.load(g + hidden + j).add(hz));
                FloatVector next = tanh(gates.load(g + 2 * hidden + j).add(reset.mul(hn)));
                projection.store(g + j, hr);
                projection.store(g + hidden + j, hz);
                projection.store(g + 2 * hidden + j, hn);
                gates.store(g + j, reset);
                gates.store(g + hidden + j, update);
                gates.store(g + 2 * hidden + j, next);
                hNext.store(s + j, hPrev.load(s + j).sub(next).mul(update).add(next));
            }
            for (; j < hidden; j++) {
                float hr = projection.get(g + j) + (bias == null ? 0f : bias.get(j));
                float hz = projection.get(g + hidden + j) + (bias == null ? 0f : bias.get(hidden + j));
                float hn = projection.get(g + 2 * hidden + j) + (bias == null ? 0f : bias.get(2 * hidden + j));
                float reset = sigmoid(gates.get(g + j) + hr);
                float update = sigmoid(gates.get(g + hidden + j) + hz);
                float next = tanh(gates.get(g + 2 * hidden + j) + reset * hn);
                projection.put(g + j, hr);
                projection.put(g + hidden + j, hz);
                projection.put(g + 2 * hidden + j, hn);
                gates.put(g + j, reset);
                gates.put(g + hidden + j, update);
                gates.put(g + 2 * hidden + j, next);
                hNext.put(s + j, (hPrev.get(s + j) - next) * update + next);
            }
        }
    }

    /**
     * GRU backward: writes {@code dGates} (input side), {@code dGatesHh} (recurrent side) and replaces {@code dH}
     * by its direct path {@code z * dH} (the recurrent GEMM is added by the caller).
     */
    static void gruBackward(INDArray gatesArray, INDArray projectionArray, INDArray hPrevArray, INDArray dHArray,
            INDArray dGatesArray, INDArray dGatesHhArray, int rows, int hidden) {
        Block gates = Block.of(gatesArray);
        Block projection = Block.of(projectionArray);
        Block hPrev = Block.of(hPrevArray);
        Block dH = Block.of(dHArray);
        Block dGates = Block.of(dGatesArray);
        Block dGatesHh = Block.of(dGatesHhArray);
        int bound = F.loopBound(hidden);
        for (int r = 0; r < rows; r++) {
            int g = r * 3 * hidden;
            int s = r * hidden;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector reset = gates.load(g + j);
                FloatVector update = gates.load(g + hidden + j);
                FloatVector next = gates.load(g + 2 * hidden + j);
                FloatVector dh = dH.load(s + j);
                FloatVector dNextPre = dh.mul(update.neg().add(1f)).mul(next.mul(next).neg().add(1f));
                FloatVector dUpdatePre = dh.mul(hPrev.load(s + j).sub(next)).mul(update).mul(update.neg().add(1f));
                FloatVector dResetPre = dNextPre.mul(projection.load(g + 2 * hidden + j)).mul(reset)
                        .mul(reset.neg().add(1f));
                dGates.store(g + j, dResetPre);
                dGates.store(g + hidden + j, dUpdatePre);
                dGates.store(g + 2 * hidden + j, dNextPre);
                dGatesHh.store(g + j, dResetPre);
                dGatesHh.store(g + hidden + j, dUpdatePre);
                dGatesHh.store(g + 2 * hidden + j, dNextPre.mul(reset));
                dH.store(s + j, dh.mul(update));
            }
            for (; j < hidden; j++) {
                float reset = gates.get(g + j);
                float update = gates.get(g + hidden + j);
                float next = gates.get(g + 2 * hidden + j);
                float dh = dH.get(s + j);
                float dNextPre = dh * (1f - update) * (1f - next * next);
                float dUpdatePre = dh * (hPrev.get(s + j) - next) * update * (1f - update);
                float dResetPre = dNextPre * projection.get(g + 2 * hidden + j) * reset * (1f - reset);
                dGates.put(g + j, dResetPre);
                dGates.put(g + hidden + j, dUpdatePre);
                dGates.put(g + 2 * hidden + j, dNextPre);
                dGatesHh.put(g + j, dResetPre);
                dGatesHh.put(g + hidden + j, dUpdatePre);
                dGatesHh.put(g + 2 * hidden + j, dNextPre * reset);
                dH.put(s + j, dh * update);
            }
        }
    }

    /** Elman forward: h' = tanh(pre) or relu(pre), over {@code count} contiguous elements. */
    static void rnnForward(INDArray preArray, INDArray hNextArray, boolean relu, int count) {
        Block pre = Block.of(preArray);
        Block hNext = Block.of(hNextArray);
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = pre.load(j);
            hNext.store(j, relu ? x.max(zero) : tanh(x));
        }
        for (; j < count; j++) {
            float x = pre.get(j);
            hNext.put(j, relu ? Math.max(x, 0f) : tanh(x));
        }
    }

    /** Elman backward: dGates = dH * (1 - h'^2) for tanh, dH * (h' > 0) for relu. */
    static void rnnBackward(INDArray hNextArray, INDArray dHArray, INDArray dGatesArray, boolean relu, int count) {
        Block hNext = Block.of(hNextArray);
        Block dH = Block.of(dHArray);
        Block dGates = Block.of(dGatesArray);
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector h = hNext.load(j);
            FloatVector dh = dH.load(j);
            dGates.store(j, relu ? zero.blend(dh, h.compare(VectorOperators.GT, 0f)) : dh.mul(h.mul(h).neg().add(1f)));
        }
        for (; j < count; j++) {
            float h = hNext.get(j);
            float dh = dH.get(j);
            dGates.put(j, relu ? (h > 0f ? dh : 0f) : dh * (1f - h * h));
        }
    }
}
