package dev.recurrent4j.cell;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import dev.recurrent4j.tensor.MatrixRegion;

/**
 * The elementwise part of each cell's step, forward and backward, in short SIMD passes over float32 rows with the
 * JDK's Vector API, reading and writing ND4J's CPU buffers in place. tanh is computed from exp in plain float
 * arithmetic, so results do not depend on which JIT tier runs the code (see the constants below).
 *
 * <p>This is the only class that touches {@code jdk.incubator.vector}; it is loaded only when
 * {@link FusedCells#available()} says the module is present and ND4J runs on the CPU. Every region handed in holds
 * {@code rows} rows back to back; the equations are those of the plain cells ({@link LstmCell}, {@link GruCell}, {@link RnnCell}), with {@code sigmoid(x) = (1 + tanh(x/2)) / 2}.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    // Constants as vectors: the vector-scalar forms (x.add(1f)) are not intrinsified by C2 in JDK 17 and box.
    private static final FloatVector ZERO = FloatVector.zero(F);
    private static final FloatVector HALF = FloatVector.broadcast(F, 0.5f);
    private static final FloatVector ONE = FloatVector.broadcast(F, 1f);
    private static final FloatVector TWO = FloatVector.broadcast(F, 2f);
    // exp(-y) for y >= 0 by Cody-Waite reduction and a degree-7 Taylor polynomial: only +, -, *, / and integer bit
    // operations, which give the same bits in the interpreter, C1 and C2. (The Vector API's own TANH/EXP use Intel
    // SVML once C2 compiles them and a Java fallback before: different last bits, so a training run would depend on
    // when the JIT kicked in, and two runs with one seed would differ.)
    private static final FloatVector LOG2E = FloatVector.broadcast(F, 1.44269504088896341f);
    private static final FloatVector LN2_HI = FloatVector.broadcast(F, 0.693359375f);
    private static final FloatVector LN2_LO = FloatVector.broadcast(F, -2.12194440e-4f);
    private static final FloatVector MAX_Y = FloatVector.broadcast(F, 80f);
    private static final FloatVector C2 = FloatVector.broadcast(F, 1f / 2);
    private static final FloatVector C3 = FloatVector.broadcast(F, 1f / 6);
    private static final FloatVector C4 = FloatVector.broadcast(F, 1f / 24);
    private static final FloatVector C5 = FloatVector.broadcast(F, 1f / 120);
    private static final FloatVector C6 = FloatVector.broadcast(F, 1f / 720);
    private static final FloatVector C7 = FloatVector.broadcast(F, 1f / 5040);
    /** 1.5 * 2^23: adding and subtracting it rounds a float below 2^22 to the nearest integer. */
    private static final FloatVector ROUNDING = FloatVector.broadcast(F, 12582912f);
    /** 2^k and 2^-(2^k) for k = 6..0: 2^-m for an integer 0 <= m < 128 as a product selected bit by bit. */
    private static final FloatVector[] BIT = new FloatVector[7];
    private static final FloatVector[] BIT_SCALE = new FloatVector[7];

    static {
        for (int k = 0; k < 7; k++) {
            BIT[k] = FloatVector.broadcast(F, (float) (1 << k));
            BIT_SCALE[k] = FloatVector.broadcast(F, (float) Math.scalb(1.0, -(1 << k)));
        }
    }

    private VectorKernels() {}

    /** A float32 region's native bytes and the byte index of its first element. */
    private record Block(ByteBuffer bytes, int base) {
        static Block of(MatrixRegion region) {
            return new Block(region.buffer().bytes(), region.buffer().byteIndex(region.offset()));
        }

        /** {@code null} for an absent region. */
        static Block ofNullable(MatrixRegion region) {
            return region == null ? null : of(region);
        }

        FloatVector load(int index) {
            return FloatVector.fromByteBuffer(F, bytes, base + index * 4, LE);
        }

        void store(int index, FloatVector value) {
            value.intoByteBuffer(bytes, base + index * 4, LE);
        }

        float get(int index) {
            return bytes.getFloat(base + index * 4);
        }

        void put(int index, float value) {
            bytes.putFloat(base + index * 4, value);
        }
    }

    /** dL/dh' plus this step's output gradient, if any. */
    private static FloatVector upstream(Block dH, Block dOutput, int index) {
        return dOutput == null ? dH.load(index) : dH.load(index).add(dOutput.load(index));
    }

    private static float upstreamScalar(Block dH, Block dOutput, int index) {
        return dOutput == null ? dH.get(index) : dH.get(index) + dOutput.get(index);
    }

    private static FloatVector sigmoid(FloatVector x) {
        return tanh(x.mul(HALF)).mul(HALF).add(HALF);
    }

    /** tanh(x) = sign(x) (1 - t) / (1 + t) with t = exp(-2|x|); absolute error about 1e-7. */
    private static FloatVector tanh(FloatVector x) {
        FloatVector t = expOfMinus(x.abs().mul(TWO));
        FloatVector magnitude = ONE.sub(t).div(ONE.add(t));
        VectorMask<Float> negative = x.compare(VectorOperators.LT, ZERO);
        return magnitude.blend(magnitude.neg(), negative);
    }

    /** exp(-y) for y >= 0 (clamped at 80, where it is below float's smallest normal anyway). Float ops only. */
    private static FloatVector expOfMinus(FloatVector y) {
        FloatVector x = y.min(MAX_Y).neg();
        FloatVector n = x.mul(LOG2E).add(ROUNDING).sub(ROUNDING);      // round(x / ln 2), an integer <= 0
        FloatVector r = x.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));         // |r| <= ln 2 / 2
        FloatVector p = C7.mul(r).add(C6).mul(r).add(C5).mul(r).add(C4).mul(r).add(C3).mul(r).add(C2).mul(r).add(ONE)
                .mul(r).add(ONE);
        FloatVector m = n.neg();
        FloatVector scale = ONE;
        for (int k = 6; k >= 0; k--) {                                  // scale = 2^-m, one bit of m at a time
            VectorMask<Float> set = m.compare(VectorOperators.GE, BIT[k]);
            scale = scale.blend(scale.mul(BIT_SCALE[k]), set);
            m = m.blend(m.sub(BIT[k]), set);
        }
        return p.mul(scale);
    }

    private static float sigmoid(float x) {
        return 0.5f + 0.5f * (float) Math.tanh(0.5f * x);
    }

    private static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    /**
     * LSTM forward: gates {@code [b, 4H]} pre-activations in, activations i, f, g, o out; writes c', tanh(c'), h'.
     * Two short passes per row rather than one long one: short loop bodies are what C2 turns fully into SIMD
     * (a long body leaves some vector operations un-intrinsified, boxed and slow).
     */
    static void lstmForward(MatrixRegion gatesArray, MatrixRegion cPrevArray, MatrixRegion cNextArray,
            MatrixRegion tanhCArray, MatrixRegion hNextArray, int rows, int hidden) {
        Block gates = Block.of(gatesArray);
        Block cPrev = Block.of(cPrevArray);
        Block cNext = Block.of(cNextArray);
        Block tanhC = Block.of(tanhCArray);
        Block hNext = Block.of(hNextArray);
        for (int r = 0; r < rows; r++) {
            int g = r * 4 * hidden;
            sigmoidInPlace(gates, g, 2 * hidden);              // i, f
            tanhInPlace(gates, g + 2 * hidden, hidden);        // g
            sigmoidInPlace(gates, g + 3 * hidden, hidden);     // o
            lstmCellUpdate(gates, g, cPrev, cNext, tanhC, hNext, r * hidden, hidden);
        }
    }

    private static void sigmoidInPlace(Block block, int start, int count) {
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            block.store(start + j, sigmoid(block.load(start + j)));
        }
        for (; j < count; j++) {
            block.put(start + j, sigmoid(block.get(start + j)));
        }
    }

    private static void tanhInPlace(Block block, int start, int count) {
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            block.store(start + j, tanh(block.load(start + j)));
        }
        for (; j < count; j++) {
            block.put(start + j, tanh(block.get(start + j)));
        }
    }

    /** c' = f * c + i * g, tanh(c'), h' = o * tanh(c') for one row, from activated gates at {@code g}. */
    private static void lstmCellUpdate(Block gates, int g, Block cPrev, Block cNext, Block tanhC, Block hNext, int s,
            int hidden) {
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector c = gates.load(g + hidden + j).mul(cPrev.load(s + j))
                    .add(gates.load(g + j).mul(gates.load(g + 2 * hidden + j)));
            FloatVector tc = tanh(c);
            cNext.store(s + j, c);
            tanhC.store(s + j, tc);
            hNext.store(s + j, gates.load(g + 3 * hidden + j).mul(tc));
        }
        for (; j < hidden; j++) {
            float c = gates.get(g + hidden + j) * cPrev.get(s + j) + gates.get(g + j) * gates.get(g + 2 * hidden + j);
            float tc = tanh(c);
            cNext.put(s + j, c);
            tanhC.put(s + j, tc);
            hNext.put(s + j, gates.get(g + 3 * hidden + j) * tc);
        }
    }

    /**
     * LSTM backward: from dL/dh' ({@code dH}, plus {@code dOutput}) and dL/dc' ({@code dC}, replaced by dL/dc) and
     * the cached activations, writes the pre-activation gradients {@code dGates [b, 4H]}. Two short passes per row,
     * as in {@link #lstmForward}.
     */
    static void lstmBackward(MatrixRegion gatesArray, MatrixRegion cPrevArray, MatrixRegion tanhCArray,
            MatrixRegion dOutputArray, MatrixRegion dHArray, MatrixRegion dCArray, MatrixRegion dGatesArray, int rows,
            int hidden) {
        Block dOutput = Block.ofNullable(dOutputArray);
        Block gates = Block.of(gatesArray);
        Block cPrev = Block.of(cPrevArray);
        Block tanhC = Block.of(tanhCArray);
        Block dH = Block.of(dHArray);
        Block dC = Block.of(dCArray);
        Block dGates = Block.of(dGatesArray);
        for (int r = 0; r < rows; r++) {
            int g = r * 4 * hidden;
            int s = r * hidden;
            lstmOutputGradient(gates, tanhC, dOutput, dH, dC, dGates, g, s, hidden);
            lstmCellGradient(gates, cPrev, dC, dGates, g, s, hidden);
        }
    }

    /** h' = o tanh(c'): dGates(o) = dh tanh(c') o (1 - o); dC += dh o (1 - tanh(c')^2), the total dL/dc'. */
    private static void lstmOutputGradient(Block gates, Block tanhC, Block dOutput, Block dH, Block dC, Block dGates,
            int g, int s, int hidden) {
        int o = g + 3 * hidden;
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector out = gates.load(o + j);
            FloatVector tc = tanhC.load(s + j);
            FloatVector dh = upstream(dH, dOutput, s + j);
            dGates.store(o + j, dh.mul(tc).mul(out).mul(ONE.sub(out)));
            dC.store(s + j, dC.load(s + j).add(dh.mul(out).mul(ONE.sub(tc.mul(tc)))));
        }
        for (; j < hidden; j++) {
            float out = gates.get(o + j);
            float tc = tanhC.get(s + j);
            float dh = upstreamScalar(dH, dOutput, s + j);
            dGates.put(o + j, dh * tc * out * (1f - out));
            dC.put(s + j, dC.get(s + j) + dh * out * (1f - tc * tc));
        }
    }

    /** c' = f c + i g: the gradients of i, f, g from the total dL/dc', and dC replaced by dL/dc = dL/dc' f. */
    private static void lstmCellGradient(Block gates, Block cPrev, Block dC, Block dGates, int g, int s,
            int hidden) {
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector in = gates.load(g + j);
            FloatVector forget = gates.load(g + hidden + j);
            FloatVector cell = gates.load(g + 2 * hidden + j);
            FloatVector dc = dC.load(s + j);
            dGates.store(g + j, dc.mul(cell).mul(in).mul(ONE.sub(in)));
            dGates.store(g + hidden + j, dc.mul(cPrev.load(s + j)).mul(forget).mul(ONE.sub(forget)));
            dGates.store(g + 2 * hidden + j, dc.mul(in).mul(ONE.sub(cell.mul(cell))));
            dC.store(s + j, dc.mul(forget));
        }
        for (; j < hidden; j++) {
            float in = gates.get(g + j);
            float forget = gates.get(g + hidden + j);
            float cell = gates.get(g + 2 * hidden + j);
            float dc = dC.get(s + j);
            dGates.put(g + j, dc * cell * in * (1f - in));
            dGates.put(g + hidden + j, dc * cPrev.get(s + j) * forget * (1f - forget));
            dGates.put(g + 2 * hidden + j, dc * in * (1f - cell * cell));
            dC.put(s + j, dc * forget);
        }
    }

    /**
     * GRU forward: {@code gates [b, 3H]} holds the input projection (with b_ih), {@code projection [b, 3H]} the
     * recurrent product without bias; adds {@code biasHh} (may be null) to the projection in place, writes r, z, n
     * into gates and h' = n + z (h - n). Short passes per row, as in {@link #lstmForward}.
     */
    static void gruForward(MatrixRegion gatesArray, MatrixRegion projectionArray, MatrixRegion biasHhArray,
            MatrixRegion hPrevArray, MatrixRegion hNextArray, int rows, int hidden) {
        Block gates = Block.of(gatesArray);
        Block projection = Block.of(projectionArray);
        Block bias = Block.ofNullable(biasHhArray);
        Block hPrev = Block.of(hPrevArray);
        Block hNext = Block.of(hNextArray);
        for (int r = 0; r < rows; r++) {
            int g = r * 3 * hidden;
            if (bias != null) {
                addInPlace(projection, g, bias, 0, 3 * hidden);
            }
            addSigmoidInPlace(gates, g, projection, g, 2 * hidden); // r, z
            gruNewAndUpdate(gates, projection, g, hPrev, hNext, r * hidden, hidden);
        }
    }

    /** {@code target[start..] += source[from..]} over {@code count} elements. */
    private static void addInPlace(Block target, int start, Block source, int from, int count) {
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            target.store(start + j, target.load(start + j).add(source.load(from + j)));
        }
        for (; j < count; j++) {
            target.put(start + j, target.get(start + j) + source.get(from + j));
        }
    }

    /** {@code target[start..] = sigmoid(target[start..] + source[from..])} over {@code count} elements. */
    private static void addSigmoidInPlace(Block target, int start, Block source, int from, int count) {
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            target.store(start + j, sigmoid(target.load(start + j).add(source.load(from + j))));
        }
        for (; j < count; j++) {
            target.put(start + j, sigmoid(target.get(start + j) + source.get(from + j)));
        }
    }

    /** n = tanh(x_n + r * hn) into gates, and h' = n + z (h - n), for one row at {@code g}. */
    private static void gruNewAndUpdate(Block gates, Block projection, int g, Block hPrev, Block hNext, int s,
            int hidden) {
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector next = tanh(gates.load(g + 2 * hidden + j)
                    .add(gates.load(g + j).mul(projection.load(g + 2 * hidden + j))));
            gates.store(g + 2 * hidden + j, next);
            hNext.store(s + j, hPrev.load(s + j).sub(next).mul(gates.load(g + hidden + j)).add(next));
        }
        for (; j < hidden; j++) {
            float next = tanh(gates.get(g + 2 * hidden + j) + gates.get(g + j) * projection.get(g + 2 * hidden + j));
            gates.put(g + 2 * hidden + j, next);
            hNext.put(s + j, (hPrev.get(s + j) - next) * gates.get(g + hidden + j) + next);
        }
    }

    /**
     * GRU backward: writes {@code dGates} (input side), {@code dGatesHh} (recurrent side) and replaces {@code dH}
     * by its direct path {@code z * dH} (the recurrent GEMM is added by the caller). Two short passes per row.
     */
    static void gruBackward(MatrixRegion gatesArray, MatrixRegion projectionArray, MatrixRegion hPrevArray,
            MatrixRegion dOutputArray, MatrixRegion dHArray, MatrixRegion dGatesArray, MatrixRegion dGatesHhArray,
            int rows, int hidden) {
        Block dOutput = Block.ofNullable(dOutputArray);
        Block gates = Block.of(gatesArray);
        Block projection = Block.of(projectionArray);
        Block hPrev = Block.of(hPrevArray);
        Block dH = Block.of(dHArray);
        Block dGates = Block.of(dGatesArray);
        Block dGatesHh = Block.of(dGatesHhArray);
        for (int r = 0; r < rows; r++) {
            int g = r * 3 * hidden;
            int s = r * hidden;
            gruUpdateGradient(gates, hPrev, dOutput, dH, dGates, dGatesHh, g, s, hidden);
            gruResetGradient(gates, projection, dGates, dGatesHh, g, hidden);
        }
    }

    /**
     * h' = (1 - z) n + z h: the pre-activation gradients of n and z (both sides), and dH replaced by z * dL/dh'.
     */
    private static void gruUpdateGradient(Block gates, Block hPrev, Block dOutput, Block dH, Block dGates,
            Block dGatesHh, int g, int s, int hidden) {
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector update = gates.load(g + hidden + j);
            FloatVector next = gates.load(g + 2 * hidden + j);
            FloatVector dh = upstream(dH, dOutput, s + j);
            FloatVector dNextPre = dh.mul(ONE.sub(update)).mul(ONE.sub(next.mul(next)));
            FloatVector dUpdatePre = dh.mul(hPrev.load(s + j).sub(next)).mul(update).mul(ONE.sub(update));
            dGates.store(g + hidden + j, dUpdatePre);
            dGatesHh.store(g + hidden + j, dUpdatePre);
            dGates.store(g + 2 * hidden + j, dNextPre);
            dH.store(s + j, dh.mul(update));
        }
        for (; j < hidden; j++) {
            float update = gates.get(g + hidden + j);
            float next = gates.get(g + 2 * hidden + j);
            float dh = upstreamScalar(dH, dOutput, s + j);
            float dNextPre = dh * (1f - update) * (1f - next * next);
            float dUpdatePre = dh * (hPrev.get(s + j) - next) * update * (1f - update);
            dGates.put(g + hidden + j, dUpdatePre);
            dGatesHh.put(g + hidden + j, dUpdatePre);
            dGates.put(g + 2 * hidden + j, dNextPre);
            dH.put(s + j, dh * update);
        }
    }

    /** n = tanh(x_n + r hn): the reset gate's gradient (both sides) and the recurrent side of n, r * da_n. */
    private static void gruResetGradient(Block gates, Block projection, Block dGates, Block dGatesHh, int g,
            int hidden) {
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector reset = gates.load(g + j);
            FloatVector dNextPre = dGates.load(g + 2 * hidden + j);
            FloatVector dResetPre = dNextPre.mul(projection.load(g + 2 * hidden + j)).mul(reset)
                    .mul(ONE.sub(reset));
            dGates.store(g + j, dResetPre);
            dGatesHh.store(g + j, dResetPre);
            dGatesHh.store(g + 2 * hidden + j, dNextPre.mul(reset));
        }
        for (; j < hidden; j++) {
            float reset = gates.get(g + j);
            float dNextPre = dGates.get(g + 2 * hidden + j);
            float dResetPre = dNextPre * projection.get(g + 2 * hidden + j) * reset * (1f - reset);
            dGates.put(g + j, dResetPre);
            dGatesHh.put(g + j, dResetPre);
            dGatesHh.put(g + 2 * hidden + j, dNextPre * reset);
        }
    }

    /** Elman forward: h' = tanh(pre) or relu(pre), over {@code count} contiguous elements. */
    static void rnnForward(MatrixRegion preArray, MatrixRegion hNextArray, boolean relu, int count) {
        Block pre = Block.of(preArray);
        Block hNext = Block.of(hNextArray);
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector x = pre.load(j);
            hNext.store(j, relu ? x.max(ZERO) : tanh(x));
        }
        for (; j < count; j++) {
            float x = pre.get(j);
            hNext.put(j, relu ? Math.max(x, 0f) : tanh(x));
        }
    }

    /** Elman backward: dGates = dH * (1 - h'^2) for tanh, dH * (h' > 0) for relu. */
    static void rnnBackward(MatrixRegion hNextArray, MatrixRegion dOutputArray, MatrixRegion dHArray,
            MatrixRegion dGatesArray, boolean relu, int count) {
        Block dOutput = Block.ofNullable(dOutputArray);
        Block hNext = Block.of(hNextArray);
        Block dH = Block.of(dHArray);
        Block dGates = Block.of(dGatesArray);
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector h = hNext.load(j);
            FloatVector dh = upstream(dH, dOutput, j);
            dGates.store(j, relu ? ZERO.blend(dh, h.compare(VectorOperators.GT, ZERO)) : dh.mul(ONE.sub(h.mul(h))));
        }
        for (; j < count; j++) {
            float h = hNext.get(j);
            float dh = upstreamScalar(dH, dOutput, j);
            dGates.put(j, relu ? (h > 0f ? dh : 0f) : dh * (1f - h * h));
        }
    }
}
