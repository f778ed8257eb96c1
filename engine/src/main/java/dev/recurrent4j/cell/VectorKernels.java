package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.MatrixRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise part of each cell's step, forward and backward, as SIMD loops over float32 rows with the JDK's
 * Vector API, reading and writing ND4J's CPU buffers in place. The equations are those of the plain cells
 * ({@link LstmCell}, {@link GruCell}, {@link RnnCell}); every region handed in holds its rows back to back, and a
 * kernel works on the rows {@code [firstRow, lastRow)} of them.
 *
 * <p>How the code is shaped, and why. A vector costs nothing only while C2 compiles every operation on it as an
 * intrinsic within one compiled method; when a vector crosses a call C2 did not inline, or merges at a phi, it is
 * boxed: a heap allocation per operation (tens of kilobytes per step) and several times slower. C2 stops inlining
 * ordinary methods once a compilation has created about 18,000 nodes, and every Vector API call expands to
 * hundreds of them while parsing (the Vector API's own methods are force-inlined past that limit; ours are not).
 * So, in this class:
 * <ul>
 *   <li>no method of ours takes or returns a vector: loads, stores and arithmetic are written as Vector API calls
 *       in the loop bodies, so whichever of our methods C2 declines to inline, no vector crosses the call;
 *   <li>the activation (exp, about twenty vector operations) is written once, in {@link #activate}, and each
 *       forward kernel calls it from a single place, a loop over the row's segments;
 *   <li>no vector is chosen by a condition or carried across loop iterations; constants are vectors (the
 *       vector-scalar forms such as {@code x.add(1f)} are not intrinsified by C2 in JDK 17 and box), broadcast into
 *       locals before the loop, which C2 keeps in registers (a {@code static final} vector is reloaded from its
 *       object in every iteration: the activation ran 26 % slower that way);
 *   <li>a region travels as its {@code ByteBuffer} and the byte index of its first element ({@code gates},
 *       {@code gatesAt}), not as an object: an object handed to a method C2 did not inline would be allocated.
 * </ul>
 * {@code SteadyStateMemoryTest} holds this in place: a warmed-up stream step allocates nothing.
 *
 * <p>This is the only class that touches {@code jdk.incubator.vector}; it is loaded only when
 * {@link FusedCells#available()} says the module is present and ND4J runs on the CPU.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    // sigmoid(x) = 1 / (1 + exp(-x)) with exp by Cody-Waite reduction and a degree-7 Taylor polynomial, from +, *,
    // /, fused multiply-add and integer bit operations only: each is exactly rounded, so the interpreter, C1, C2 and
    // the scalar tail give the same bits. (The Vector API's own EXP/TANH use Intel SVML once C2 compiles them and a
    // Java fallback before: different last bits, so a training run would depend on when the JIT kicked in.)
    private static final float LIMIT = 80f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it to a float of magnitude below 2^22 rounds it to an integer held in the low bits. */
    private static final float ROUNDING = 12582912f;
    /** exp(-q) = sum of (-q)^k / k!: the Taylor coefficients of degree 7 down to 0, with the signs of (-1)^k. */
    private static final float[] TAYLOR = {-1f / 5040, 1f / 720, -1f / 120, 1f / 24, -1f / 6, 1f / 2, -1f, 1f};

    private VectorKernels() {}

    /** A float32 region's native bytes: with {@link #start}, how the kernels address it (no object per call). */
    private static ByteBuffer bytes(MatrixRegion region) {
        return region.buffer().bytes();
    }

    /** The byte index in {@link #bytes} of the region's first element. */
    private static int start(MatrixRegion region) {
        return region.buffer().byteIndex(region.offset());
    }

    /**
     * The activation, written once: {@code target = sigmoid(source)}, or tanh as {@code 2 sigmoid(2x) - 1}, over
     * {@code count} elements from the byte indices {@code from} and {@code to} (which may be the same).
     * exp(-x) for x clamped to [-80, 80] (beyond, the sigmoid is 0 or 1 in float anyway): with n = round(-x / ln 2)
     * and q = x + n ln 2 (|q| <= ln 2 / 2, ln 2 in two parts for precision), exp(-x) = 2^n exp(-q), and 2^n is built
     * from its bits: the low bits of {@code x * -log2(e) + 1.5 * 2^23} hold n; shifted left by 23 they leave n << 23,
     * and adding the exponent bias makes the float 2^n.
     */
    private static void activate(ByteBuffer source, int from, ByteBuffer target, int to, int count, boolean tanh) {
        float scale = tanh ? 2f : 1f;
        FloatVector s = FloatVector.broadcast(F, scale);
        FloatVector offset = FloatVector.broadcast(F, 1f - scale);
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector low = FloatVector.broadcast(F, -LIMIT);
        FloatVector high = FloatVector.broadcast(F, LIMIT);
        FloatVector minusLog2e = FloatVector.broadcast(F, -LOG2E);
        FloatVector ln2Hi = FloatVector.broadcast(F, LN2_HI);
        FloatVector ln2Lo = FloatVector.broadcast(F, LN2_LO);
        FloatVector rounding = FloatVector.broadcast(F, ROUNDING);
        FloatVector t7 = FloatVector.broadcast(F, TAYLOR[0]);
        FloatVector t6 = FloatVector.broadcast(F, TAYLOR[1]);
        FloatVector t5 = FloatVector.broadcast(F, TAYLOR[2]);
        FloatVector t4 = FloatVector.broadcast(F, TAYLOR[3]);
        FloatVector t3 = FloatVector.broadcast(F, TAYLOR[4]);
        FloatVector t2 = FloatVector.broadcast(F, TAYLOR[5]);
        FloatVector t1 = FloatVector.broadcast(F, TAYLOR[6]);
        IntVector exponentBias = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 127 << 23);
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector scaled = FloatVector.fromByteBuffer(F, source, from + 4 * j, LE).mul(s);
            // The clamp as compare-and-blend: Math.max/min's result for every input, NaN and -0 included (NaN
            // compares false and passes through). C2 expands max/min on float vectors into several instructions each
            // for Java's NaN and -0 rules; in a probe that clamp cost a fifth of the activation.
            FloatVector above = scaled.blend(low, scaled.compare(VectorOperators.LT, low));
            FloatVector x = above.blend(high, above.compare(VectorOperators.GT, high));
            FloatVector shifted = x.fma(minusLog2e, rounding);
            FloatVector n = shifted.sub(rounding);
            FloatVector q = n.fma(ln2Lo, n.fma(ln2Hi, x));
            FloatVector expQ = t7.fma(q, t6).fma(q, t5).fma(q, t4).fma(q, t3).fma(q, t2).fma(q, t1).fma(q, one);
            FloatVector twoToN = shifted.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(exponentBias)
                    .reinterpretAsFloats();
            FloatVector sigmoid = one.div(one.add(expQ.mul(twoToN)));
            sigmoid.fma(s, offset).intoByteBuffer(target, to + 4 * j, LE);
        }
        for (; j < count; j++) {
            float sigmoid = sigmoid(source.getFloat(from + 4 * j) * scale);
            target.putFloat(to + 4 * j, Math.fma(sigmoid, scale, 1f - scale));
        }
    }

    /** The same operations as {@link #activate}'s vector loop on one value, so a row's tail gets the same bits. */
    private static float sigmoid(float value) {
        float x = Math.min(Math.max(value, -LIMIT), LIMIT);
        float shifted = Math.fma(x, -LOG2E, ROUNDING);
        float n = shifted - ROUNDING;
        float q = Math.fma(n, LN2_LO, Math.fma(n, LN2_HI, x));
        float expQ = TAYLOR[0];
        for (int k = 1; k < TAYLOR.length; k++) {
            expQ = Math.fma(expQ, q, TAYLOR[k]);
        }
        float twoToN = Float.intBitsToFloat((Float.floatToRawIntBits(shifted) << 23) + (127 << 23));
        return 1f / (1f + expQ * twoToN);
    }

    /** {@code target += source} over rows {@code [firstRow, lastRow)} of two regions of the same shape. */
    static void addInPlace(MatrixRegion target, MatrixRegion source, int firstRow, int lastRow) {
        int skip = 4 * Math.toIntExact(firstRow * target.cols());
        addInPlace(bytes(target), start(target) + skip, bytes(source), start(source) + skip,
                Math.toIntExact((lastRow - firstRow) * target.cols()));
    }

    /** {@code target += source} over {@code count} elements from the byte indices {@code to} and {@code from}. */
    private static void addInPlace(ByteBuffer target, int to, ByteBuffer source, int from, int count) {
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector.fromByteBuffer(F, target, to + 4 * j, LE)
                    .add(FloatVector.fromByteBuffer(F, source, from + 4 * j, LE))
                    .intoByteBuffer(target, to + 4 * j, LE);
        }
        for (; j < count; j++) {
            target.putFloat(to + 4 * j, target.getFloat(to + 4 * j) + source.getFloat(from + 4 * j));
        }
    }

    /**
     * LSTM forward over the hidden units {@code [from, from + count)} of rows {@code [firstRow, lastRow)}: gates
     * {@code [b, 4H]} pre-activations in, activations i, f, g, o out; writes c', tanh(c'), h' (those units only).
     * Per row, five segments go through the one call of {@link #activate}: i, f, g, o in place, then tanh(c') into
     * {@code tanhC} once the cell update has written c'.
     */
    static void lstmForward(MatrixRegion gatesArray, MatrixRegion cPrevArray, MatrixRegion cNextArray,
            MatrixRegion tanhCArray, MatrixRegion hNextArray, int firstRow, int lastRow, int hidden, int from,
            int count) {
        ByteBuffer gates = bytes(gatesArray);
        int gatesAt = start(gatesArray);
        ByteBuffer cPrev = bytes(cPrevArray);
        int cPrevAt = start(cPrevArray);
        ByteBuffer cNext = bytes(cNextArray);
        int cNextAt = start(cNextArray);
        ByteBuffer tanhC = bytes(tanhCArray);
        int tanhCAt = start(tanhCArray);
        ByteBuffer hNext = bytes(hNextArray);
        int hNextAt = start(hNextArray);
        for (int r = firstRow; r < lastRow; r++) {
            int g = r * 4 * hidden + from;
            int s = r * hidden + from;
            for (int segment = 0; segment < 5; segment++) {
                ByteBuffer source = gates;
                ByteBuffer target = gates;
                int at = gatesAt + 4 * (g + segment * hidden);
                int to = at;
                if (segment == 4) {
                    lstmCellUpdate(gates, gatesAt, cPrev, cPrevAt, cNext, cNextAt, g, s, hidden, count);
                    source = cNext;
                    target = tanhC;
                    at = cNextAt + 4 * s;
                    to = tanhCAt + 4 * s;
                }
                activate(source, at, target, to, count, segment == 2 || segment == 4);
            }
            lstmOutput(gates, gatesAt, tanhC, tanhCAt, hNext, hNextAt, g, s, hidden, count);
        }
    }

    /** c' = f * c + i * g for {@code count} units of one row, from the activated gates at {@code g}. */
    private static void lstmCellUpdate(ByteBuffer gates, int gatesAt, ByteBuffer cPrev, int cPrevAt, ByteBuffer cNext,
            int cNextAt, int g, int s, int hidden, int count) {
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector in = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + j), LE);
            FloatVector forget = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + hidden + j), LE);
            FloatVector cell = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + 2 * hidden + j), LE);
            FloatVector c = FloatVector.fromByteBuffer(F, cPrev, cPrevAt + 4 * (s + j), LE);
            forget.mul(c).add(in.mul(cell)).intoByteBuffer(cNext, cNextAt + 4 * (s + j), LE);
        }
        for (; j < count; j++) {
            cNext.putFloat(cNextAt + 4 * (s + j), gates.getFloat(gatesAt + 4 * (g + hidden
                    + j)) * cPrev.getFloat(cPrevAt + 4 * (s + j))
                    + gates.getFloat(gatesAt + 4 * (g + j)) * gates.getFloat(gatesAt + 4 * (g + 2 * hidden + j)));
        }
    }

    /** h' = o * tanh(c') for {@code count} units of one row. */
    private static void lstmOutput(ByteBuffer gates, int gatesAt, ByteBuffer tanhC, int tanhCAt, ByteBuffer hNext,
            int hNextAt, int g, int s, int hidden, int count) {
        int o = g + 3 * hidden;
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (o + j), LE)
                    .mul(FloatVector.fromByteBuffer(F, tanhC, tanhCAt + 4 * (s + j), LE))
                    .intoByteBuffer(hNext, hNextAt + 4 * (s + j), LE);
        }
        for (; j < count; j++) {
            hNext.putFloat(hNextAt + 4 * (s + j), gates.getFloat(gatesAt + 4 * (o + j)) * tanhC.getFloat(tanhCAt
                    + 4 * (s + j)));
        }
    }

    /**
     * LSTM backward over rows {@code [firstRow, lastRow)}: from dL/dh' ({@code dH}, this step's output gradient
     * included) and dL/dc' ({@code dC}, replaced by dL/dc) and the cached activations, writes the pre-activation
     * gradients {@code dGates [b, 4H]}.
     */
    static void lstmBackward(MatrixRegion gatesArray, MatrixRegion cPrevArray, MatrixRegion tanhCArray,
            MatrixRegion dHArray, MatrixRegion dCArray, MatrixRegion dGatesArray, int firstRow, int lastRow,
            int hidden) {
        ByteBuffer gates = bytes(gatesArray);
        int gatesAt = start(gatesArray);
        ByteBuffer cPrev = bytes(cPrevArray);
        int cPrevAt = start(cPrevArray);
        ByteBuffer tanhC = bytes(tanhCArray);
        int tanhCAt = start(tanhCArray);
        ByteBuffer dH = bytes(dHArray);
        int dHAt = start(dHArray);
        ByteBuffer dC = bytes(dCArray);
        int dCAt = start(dCArray);
        ByteBuffer dGates = bytes(dGatesArray);
        int dGatesAt = start(dGatesArray);
        for (int r = firstRow; r < lastRow; r++) {
            int g = r * 4 * hidden;
            int s = r * hidden;
            lstmOutputGradient(gates, gatesAt, tanhC, tanhCAt, dH, dHAt, dC, dCAt, dGates, dGatesAt, g, s, hidden);
            lstmCellGradient(gates, gatesAt, cPrev, cPrevAt, dC, dCAt, dGates, dGatesAt, g, s, hidden);
        }
    }

    /** h' = o tanh(c'): dGates(o) = dh tanh(c') o (1 - o); dC += dh o (1 - tanh(c')^2), the total dL/dc'. */
    private static void lstmOutputGradient(ByteBuffer gates, int gatesAt, ByteBuffer tanhC, int tanhCAt, ByteBuffer dH,
            int dHAt, ByteBuffer dC, int dCAt, ByteBuffer dGates, int dGatesAt, int g, int s,
            int hidden) {
        int o = g + 3 * hidden;
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector out = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (o + j), LE);
            FloatVector tc = FloatVector.fromByteBuffer(F, tanhC, tanhCAt + 4 * (s + j), LE);
            FloatVector dh = FloatVector.fromByteBuffer(F, dH, dHAt + 4 * (s + j), LE);
            FloatVector dc = FloatVector.fromByteBuffer(F, dC, dCAt + 4 * (s + j), LE);
            dh.mul(tc).mul(out).mul(one.sub(out)).intoByteBuffer(dGates, dGatesAt + 4 * (o + j), LE);
            dc.add(dh.mul(out).mul(one.sub(tc.mul(tc)))).intoByteBuffer(dC, dCAt + 4 * (s + j), LE);
        }
        for (; j < hidden; j++) {
            float out = gates.getFloat(gatesAt + 4 * (o + j));
            float tc = tanhC.getFloat(tanhCAt + 4 * (s + j));
            float dh = dH.getFloat(dHAt + 4 * (s + j));
            dGates.putFloat(dGatesAt + 4 * (o + j), dh * tc * out * (1f - out));
            dC.putFloat(dCAt + 4 * (s + j), dC.getFloat(dCAt + 4 * (s + j)) + dh * out * (1f - tc * tc));
        }
    }

    /** c' = f c + i g: the gradients of i, f, g from the total dL/dc', and dC replaced by dL/dc = dL/dc' f. */
    private static void lstmCellGradient(ByteBuffer gates, int gatesAt, ByteBuffer cPrev, int cPrevAt, ByteBuffer dC,
            int dCAt, ByteBuffer dGates, int dGatesAt, int g, int s,
            int hidden) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector in = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + j), LE);
            FloatVector forget = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + hidden + j), LE);
            FloatVector cell = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + 2 * hidden + j), LE);
            FloatVector c = FloatVector.fromByteBuffer(F, cPrev, cPrevAt + 4 * (s + j), LE);
            FloatVector dc = FloatVector.fromByteBuffer(F, dC, dCAt + 4 * (s + j), LE);
            dc.mul(cell).mul(in).mul(one.sub(in)).intoByteBuffer(dGates, dGatesAt + 4 * (g + j), LE);
            dc.mul(c).mul(forget).mul(one.sub(forget))
                    .intoByteBuffer(dGates, dGatesAt + 4 * (g + hidden + j), LE);
            dc.mul(in).mul(one.sub(cell.mul(cell)))
                    .intoByteBuffer(dGates, dGatesAt + 4 * (g + 2 * hidden + j), LE);
            dc.mul(forget).intoByteBuffer(dC, dCAt + 4 * (s + j), LE);
        }
        for (; j < hidden; j++) {
            float in = gates.getFloat(gatesAt + 4 * (g + j));
            float forget = gates.getFloat(gatesAt + 4 * (g + hidden + j));
            float cell = gates.getFloat(gatesAt + 4 * (g + 2 * hidden + j));
            float dc = dC.getFloat(dCAt + 4 * (s + j));
            dGates.putFloat(dGatesAt + 4 * (g + j), dc * cell * in * (1f - in));
            dGates.putFloat(dGatesAt + 4 * (g + hidden + j), dc * cPrev.getFloat(cPrevAt + 4 * (s
                    + j)) * forget * (1f - forget));
            dGates.putFloat(dGatesAt + 4 * (g + 2 * hidden + j), dc * in * (1f - cell * cell));
            dC.putFloat(dCAt + 4 * (s + j), dc * forget);
        }
    }

    /**
     * GRU forward over the hidden units {@code [from, from + count)} of rows {@code [firstRow, lastRow)}:
     * {@code gates [b, 3H]} holds the input projection with b_ih and, for r and z, b_hh ({@link FusedCells}' GRU
     * folds them in), {@code projection [b, 3H]} the recurrent product without bias. Writes r, z, n into gates,
     * hn + b_hn into the projection's n columns (backward reads it; {@code biasHh} may be null) and
     * h' = n + z (h - n) (those units only). Per row and gate, a pass makes the pre-activation (x + h for r and z;
     * for n, hn + b_hn, then x_n + r (hn + b_hn) once r is activated) and one segment goes through the one call of
     * {@link #activate}.
     */
    static void gruForward(MatrixRegion gatesArray, MatrixRegion projectionArray, MatrixRegion biasHhArray,
            MatrixRegion hPrevArray, MatrixRegion hNextArray, int firstRow, int lastRow, int hidden, int from,
            int count) {
        ByteBuffer gates = bytes(gatesArray);
        int gatesAt = start(gatesArray);
        ByteBuffer projection = bytes(projectionArray);
        int projectionAt = start(projectionArray);
        ByteBuffer bias = biasHhArray == null ? null : bytes(biasHhArray);
        int biasNAt = biasHhArray == null ? 0 : start(biasHhArray) + 4 * (2 * hidden + from);
        ByteBuffer hPrev = bytes(hPrevArray);
        int hPrevAt = start(hPrevArray);
        ByteBuffer hNext = bytes(hNextArray);
        int hNextAt = start(hNextArray);
        for (int r = firstRow; r < lastRow; r++) {
            int g = r * 3 * hidden + from;
            for (int segment = 0; segment < 3; segment++) {
                int at = 4 * (g + segment * hidden);
                if (segment < 2) {
                    addInPlace(gates, gatesAt + at, projection, projectionAt + at, count);
                } else {
                    if (bias != null) {
                        addInPlace(projection, projectionAt + at, bias, biasNAt, count);
                    }
                    gruNewPreActivation(gates, gatesAt, projection, projectionAt, g, hidden, count);
                }
                activate(gates, gatesAt + at, gates, gatesAt + at, count, segment == 2);
            }
            gruHidden(gates, gatesAt, hPrev, hPrevAt, hNext, hNextAt, g, r * hidden + from, hidden, count);
        }
    }

    /** x_n + r * hn into the n gate of {@code count} units of one row, r already activated. */
    private static void gruNewPreActivation(ByteBuffer gates, int gatesAt, ByteBuffer projection, int projectionAt,
            int g, int hidden, int count) {
        int n = g + 2 * hidden;
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector reset = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + j), LE);
            FloatVector hn = FloatVector.fromByteBuffer(F, projection, projectionAt + 4 * (n + j), LE);
            FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (n + j), LE).add(reset.mul(hn))
                    .intoByteBuffer(gates, gatesAt + 4 * (n + j), LE);
        }
        for (; j < count; j++) {
            gates.putFloat(gatesAt + 4 * (n + j), gates.getFloat(gatesAt + 4 * (n + j)) + gates.getFloat(gatesAt
                    + 4 * (g + j)) * projection.getFloat(projectionAt + 4 * (n + j)));
        }
    }

    /** h' = n + z (h - n) for {@code count} units of one row. */
    private static void gruHidden(ByteBuffer gates, int gatesAt, ByteBuffer hPrev, int hPrevAt, ByteBuffer hNext,
            int hNextAt, int g, int s, int hidden, int count) {
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector update = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + hidden + j), LE);
            FloatVector next = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + 2 * hidden + j), LE);
            FloatVector h = FloatVector.fromByteBuffer(F, hPrev, hPrevAt + 4 * (s + j), LE);
            h.sub(next).mul(update).add(next).intoByteBuffer(hNext, hNextAt + 4 * (s + j), LE);
        }
        for (; j < count; j++) {
            float next = gates.getFloat(gatesAt + 4 * (g + 2 * hidden + j));
            hNext.putFloat(hNextAt + 4 * (s + j), (hPrev.getFloat(hPrevAt + 4 * (s
                    + j)) - next) * gates.getFloat(gatesAt + 4 * (g + hidden + j)) + next);
        }
    }

    /**
     * GRU backward over rows {@code [firstRow, lastRow)}: writes {@code dGates} (input side), {@code dGatesHh}
     * (recurrent side) and replaces {@code dH} (this step's output gradient included) by its direct path
     * {@code z * dH}; the caller adds the recurrent GEMM.
     */
    static void gruBackward(MatrixRegion gatesArray, MatrixRegion projectionArray, MatrixRegion hPrevArray,
            MatrixRegion dHArray, MatrixRegion dGatesArray, MatrixRegion dGatesHhArray, int firstRow, int lastRow,
            int hidden) {
        ByteBuffer gates = bytes(gatesArray);
        int gatesAt = start(gatesArray);
        ByteBuffer projection = bytes(projectionArray);
        int projectionAt = start(projectionArray);
        ByteBuffer hPrev = bytes(hPrevArray);
        int hPrevAt = start(hPrevArray);
        ByteBuffer dH = bytes(dHArray);
        int dHAt = start(dHArray);
        ByteBuffer dGates = bytes(dGatesArray);
        int dGatesAt = start(dGatesArray);
        ByteBuffer dGatesHh = bytes(dGatesHhArray);
        int dGatesHhAt = start(dGatesHhArray);
        for (int r = firstRow; r < lastRow; r++) {
            int g = r * 3 * hidden;
            int s = r * hidden;
            gruUpdateGradient(gates, gatesAt, hPrev, hPrevAt, dH, dHAt, dGates, dGatesAt, dGatesHh, dGatesHhAt, g, s,
                    hidden);
            gruResetGradient(gates, gatesAt, projection, projectionAt, dGates, dGatesAt, dGatesHh, dGatesHhAt, g,
                    hidden);
        }
    }

    /**
     * h' = (1 - z) n + z h: the pre-activation gradients of n and z (both sides), and dH replaced by z * dL/dh'.
     */
    private static void gruUpdateGradient(ByteBuffer gates, int gatesAt, ByteBuffer hPrev, int hPrevAt, ByteBuffer dH,
            int dHAt, ByteBuffer dGates, int dGatesAt, ByteBuffer dGatesHh, int dGatesHhAt, int g,
            int s, int hidden) {
        int z = g + hidden;
        int n = g + 2 * hidden;
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector update = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (z + j), LE);
            FloatVector next = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (n + j), LE);
            FloatVector dh = FloatVector.fromByteBuffer(F, dH, dHAt + 4 * (s + j), LE);
            FloatVector h = FloatVector.fromByteBuffer(F, hPrev, hPrevAt + 4 * (s + j), LE);
            FloatVector dNextPre = dh.mul(one.sub(update)).mul(one.sub(next.mul(next)));
            FloatVector dUpdatePre = dh.mul(h.sub(next)).mul(update).mul(one.sub(update));
            dUpdatePre.intoByteBuffer(dGates, dGatesAt + 4 * (z + j), LE);
            dUpdatePre.intoByteBuffer(dGatesHh, dGatesHhAt + 4 * (z + j), LE);
            dNextPre.intoByteBuffer(dGates, dGatesAt + 4 * (n + j), LE);
            dh.mul(update).intoByteBuffer(dH, dHAt + 4 * (s + j), LE);
        }
        for (; j < hidden; j++) {
            float update = gates.getFloat(gatesAt + 4 * (z + j));
            float next = gates.getFloat(gatesAt + 4 * (n + j));
            float dh = dH.getFloat(dHAt + 4 * (s + j));
            float dNextPre = dh * (1f - update) * (1f - next * next);
            float dUpdatePre = dh * (hPrev.getFloat(hPrevAt + 4 * (s + j)) - next) * update * (1f - update);
            dGates.putFloat(dGatesAt + 4 * (z + j), dUpdatePre);
            dGatesHh.putFloat(dGatesHhAt + 4 * (z + j), dUpdatePre);
            dGates.putFloat(dGatesAt + 4 * (n + j), dNextPre);
            dH.putFloat(dHAt + 4 * (s + j), dh * update);
        }
    }

    /** n = tanh(x_n + r hn): the reset gate's gradient (both sides) and the recurrent side of n, r * da_n. */
    private static void gruResetGradient(ByteBuffer gates, int gatesAt, ByteBuffer projection, int projectionAt,
            ByteBuffer dGates, int dGatesAt, ByteBuffer dGatesHh, int dGatesHhAt, int g,
            int hidden) {
        int n = g + 2 * hidden;
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(hidden);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector reset = FloatVector.fromByteBuffer(F, gates, gatesAt + 4 * (g + j), LE);
            FloatVector dNextPre = FloatVector.fromByteBuffer(F, dGates, dGatesAt + 4 * (n + j), LE);
            FloatVector hn = FloatVector.fromByteBuffer(F, projection, projectionAt + 4 * (n + j), LE);
            FloatVector dResetPre = dNextPre.mul(hn).mul(reset).mul(one.sub(reset));
            dResetPre.intoByteBuffer(dGates, dGatesAt + 4 * (g + j), LE);
            dResetPre.intoByteBuffer(dGatesHh, dGatesHhAt + 4 * (g + j), LE);
            dNextPre.mul(reset).intoByteBuffer(dGatesHh, dGatesHhAt + 4 * (n + j), LE);
        }
        for (; j < hidden; j++) {
            float reset = gates.getFloat(gatesAt + 4 * (g + j));
            float dNextPre = dGates.getFloat(dGatesAt + 4 * (n + j));
            float dResetPre = dNextPre * projection.getFloat(projectionAt + 4 * (n + j)) * reset * (1f - reset);
            dGates.putFloat(dGatesAt + 4 * (g + j), dResetPre);
            dGatesHh.putFloat(dGatesHhAt + 4 * (g + j), dResetPre);
            dGatesHh.putFloat(dGatesHhAt + 4 * (n + j), dNextPre * reset);
        }
    }

    /**
     * Elman forward over the hidden units {@code [from, from + count)} of rows {@code [firstRow, lastRow)}:
     * h' = tanh(pre) or relu(pre).
     */
    static void rnnForward(MatrixRegion preArray, MatrixRegion hNextArray, boolean relu, int firstRow, int lastRow,
            int hidden, int from, int count) {
        ByteBuffer pre = bytes(preArray);
        int preAt = start(preArray);
        ByteBuffer hNext = bytes(hNextArray);
        int hNextAt = start(hNextArray);
        for (int r = firstRow; r < lastRow; r++) {
            int at = 4 * (r * hidden + from);
            if (relu) {
                relu(pre, preAt + at, hNext, hNextAt + at, count);
            } else {
                activate(pre, preAt + at, hNext, hNextAt + at, count, true);
            }
        }
    }

    /** {@code target = max(source, 0)} over {@code count} elements from the byte indices {@code from}, {@code to}. */
    private static void relu(ByteBuffer source, int from, ByteBuffer target, int to, int count) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(count);
        int j = 0;
        for (; j < bound; j += F.length()) {
            FloatVector.fromByteBuffer(F, source, from + 4 * j, LE).max(zero).intoByteBuffer(target, to + 4 * j, LE);
        }
        for (; j < count; j++) {
            target.putFloat(to + 4 * j, Math.max(source.getFloat(from + 4 * j), 0f));
        }
    }

    /**
     * Elman backward over rows {@code [firstRow, lastRow)}: dGates = dH * (1 - h'^2) for tanh, dH * (h' > 0) for
     * relu ({@code dH} with this step's output gradient included).
     */
    static void rnnBackward(MatrixRegion hNextArray, MatrixRegion dHArray, MatrixRegion dGatesArray, boolean relu,
            int firstRow, int lastRow) {
        int skip = 4 * Math.toIntExact(firstRow * hNextArray.cols());
        int count = Math.toIntExact((lastRow - firstRow) * hNextArray.cols());
        ByteBuffer hNext = bytes(hNextArray);
        int hNextAt = start(hNextArray) + skip;
        ByteBuffer dH = bytes(dHArray);
        int dHAt = start(dHArray) + skip;
        ByteBuffer dGates = bytes(dGatesArray);
        int dGatesAt = start(dGatesArray) + skip;
        FloatVector zero = FloatVector.zero(F);
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(count);
        int j = 0;
        if (relu) {
            for (; j < bound; j += F.length()) {
                FloatVector h = FloatVector.fromByteBuffer(F, hNext, hNextAt + 4 * j, LE);
                FloatVector dh = FloatVector.fromByteBuffer(F, dH, dHAt + 4 * j, LE);
                zero.blend(dh, h.compare(VectorOperators.GT, zero)).intoByteBuffer(dGates, dGatesAt + 4 * j, LE);
            }
        } else {
            for (; j < bound; j += F.length()) {
                FloatVector h = FloatVector.fromByteBuffer(F, hNext, hNextAt + 4 * j, LE);
                FloatVector dh = FloatVector.fromByteBuffer(F, dH, dHAt + 4 * j, LE);
                dh.mul(one.sub(h.mul(h))).intoByteBuffer(dGates, dGatesAt + 4 * j, LE);
            }
        }
        for (; j < count; j++) {
            float h = hNext.getFloat(hNextAt + 4 * j);
            float dh = dH.getFloat(dHAt + 4 * j);
            dGates.putFloat(dGatesAt + 4 * j, relu ? (h > 0f ? dh : 0f) : dh * (1f - h * h));
        }
    }
}
