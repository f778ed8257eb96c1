package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertAllZero;
import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static dev.recurrent4j.testing.TestTensors.batchRows;
import static dev.recurrent4j.testing.TestTensors.flipTime;
import static dev.recurrent4j.testing.TestTensors.normal;
import static dev.recurrent4j.testing.TestTensors.timeRange;
import static dev.recurrent4j.testing.TestTensors.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.ReferenceCell;
import dev.recurrent4j.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Two ways of computing the same thing must agree (STYLE.md point 14): the fused runner and the plain
 * {@link ReferenceCell}; a variable-length batch and each sequence alone; the reverse direction and a forward
 * pass over the flipped sequence; batch-first and time-major; truncated BPTT over all steps and full BPTT; a
 * forward continued from a carried state and one forward over the whole sequence; float32 and float64; a network
 * and its safetensors round trip; dropout in evaluation and training mode. All in float64 unless stated; "equal"
 * means within 1e-12 of the largest entry where only summation order differs, and bit-identical where the two
 * computations must do the same arithmetic.
 */
class EquivalenceTest {
    private static final int I = 3;
    private static final int H = 4;
    private static final int B = 3;
    private static final int T = 5;
    /** Unsorted, with a sequence shorter than the others on both sides. */
    private static final int[] LENGTHS = {5, 2, 4};
    private static final double SAME = 1e-12;

    private static RecurrentConfig config(CellType cell) {
        return RecurrentConfig.of(cell, I, H).withDataType(DataType.DOUBLE);
    }

    /** Random network inputs, and the probe gradients for backward, shaped for {@code config}. */
    private record Data(INDArray x, RecurrentState initial, INDArray dOutput, RecurrentState dFinal) {
        static Data random(RecurrentConfig config, long seed, int steps, int batch) {
            Random random = new Random(seed);
            DataType type = config.dataType();
            long states = (long) config.numLayers() * config.directions();
            boolean lstm = config.cell().hasCellState();
            INDArray x = normal(random, type, 1.0, steps, batch, config.inputSize());
            INDArray h0 = normal(random, type, 0.5, states, batch, config.hiddenSize());
            INDArray c0 = lstm ? normal(random, type, 0.5, states, batch, config.hiddenSize()) : null;
            INDArray dOutput = normal(random, type, 1.0, steps, batch,
                    (long) config.directions() * config.hiddenSize());
            INDArray dH = normal(random, type, 1.0, states, batch, config.hiddenSize());
            INDArray dC = lstm ? normal(random, type, 1.0, states, batch, config.hiddenSize()) : null;
            return new Data(x, new RecurrentState(h0, c0), dOutput, new RecurrentState(dH, dC));
        }
    }

    // ----------------------------------------------------------------------------------------- fused = plain

    /** The runner (one input GEMM for all steps, in-place cells) against a loop of {@link ReferenceCell#step}. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void fusedForwardEqualsReferenceCellLoop(CellType cell) {
        RecurrentConfig config = config(cell);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 100 + cell.ordinal());
        Data data = Data.random(config, 200 + cell.ordinal(), T, B);
        ForwardResult out = net.forward(data.x(), data.initial(), null);

        Map<String, INDArray> p = net.toTorchStateDict();
        CellWeights w = new CellWeights(p.get("weight_ih_l0"), p.get("weight_hh_l0"), p.get("bias_ih_l0"),
                p.get("bias_hh_l0"));
        ReferenceCell.State state = new ReferenceCell.State(data.initial().h().slice(0).dup(),
                cell.hasCellState() ? data.initial().c().slice(0).dup() : null);
        for (int t = 0; t < T; t++) {
            state = ReferenceCell.step(cell, w, data.x().slice(t), state);
            assertClose(cell + " output at t=" + t, state.h(), out.output().slice(t), SAME);
        }
        assertClose(cell + " h_n", state.h(), out.finalState().h().slice(0), SAME);
        if (cell.hasCellState()) {
            assertClose(cell + " c_n", state.c(), out.finalState().c().slice(0), SAME);
        }
    }

    // ------------------------------------------------------------- batched = one at a time, masked = truncated

    /**
     * A padded, unsorted batch through 2 bidirectional layers gives, per sequence, what that sequence gives alone
     * truncated to its own length: outputs (and exact zeros past the length), final states, dx, dh0/dc0; and the
     * parameter gradients are the sum of the single-sequence ones.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void batchedEqualsOneSequenceAtATime(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 300 + cell.ordinal());
        Data data = Data.random(config, 400 + cell.ordinal(), T, B);
        ForwardResult batched = net.forward(data.x(), data.initial(), LENGTHS);
        Gradients g = net.backward(batched, data.dOutput(), data.dFinal());

        Map<String, INDArray> summed = null;
        for (int b = 0; b < B; b++) {
            int len = LENGTHS[b];
            String name = cell + " sequence " + b + " (length " + len + ")";
            ForwardResult alone = net.forward(timeRange(batchRows(data.x(), b), 0, len),
                    batchRows(data.initial(), b), null);
            Gradients ga = net.backward(alone, timeRange(batchRows(data.dOutput(), b), 0, len),
                    batchRows(data.dFinal(), b));

            assertClose(name + " output", alone.output(), timeRange(batchRows(batched.output(), b), 0, len), SAME);
            assertClose(name + " dx", ga.input(), timeRange(batchRows(g.input(), b), 0, len), SAME);
            if (len < T) {
                assertAllZero(name + " output padding", timeRange(batchRows(batched.output(), b), len, T));
                assertAllZero(name + " dx padding", timeRange(batchRows(g.input(), b), len, T));
            }
            assertStatesClose(name + " final state", alone.finalState(), batchRows(batched.finalState(), b));
            assertStatesClose(name + " d initial state", ga.initialState(), batchRows(g.initialState(), b));
            summed = sum(summed, ga.byTorchName());
        }
        for (Map.Entry<String, INDArray> e : g.byTorchName().entrySet()) {
            assertClose(cell + " grad " + e.getKey() + " = sum over sequences", summed.get(e.getKey()), e.getValue(),
                    SAME);
        }
    }

    // ------------------------------------------------------------ reverse = forward over the flipped sequence

    /**
     * The reverse half of a bidirectional layer is a forward layer with the {@code _reverse} weights run over each
     * sequence's own steps flipped in time. With upstream gradients only on the reverse half, the bidirectional
     * gradients are the flipped unidirectional ones (and the forward direction's parameters get exactly 0).
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void reverseDirectionEqualsForwardOverFlippedSequence(CellType cell) {
        RecurrentConfig biConfig = config(cell).withBidirectional(true);
        RecurrentNetwork bi = RecurrentNetwork.initialize(biConfig, 500 + cell.ordinal());
        Map<String, INDArray> biParams = bi.toTorchStateDict();
        Map<String, INDArray> reverseParams = new LinkedHashMap<>();
        for (String kind : new String[] {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
            reverseParams.put(kind + "_l0", biParams.get(kind + "_l0_reverse"));
        }
        RecurrentNetwork uni = RecurrentNetwork.fromTorchStateDict(config(cell), reverseParams);

        Data data = Data.random(biConfig, 600 + cell.ordinal(), T, B);
        INDArray dOutput = data.dOutput().dup();
        dOutput.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, H)).assign(0.0);
        RecurrentState dFinal = new RecurrentState(zeroRow(data.dFinal().h(), 0), zeroRow(data.dFinal().c(), 0));
        ForwardResult out = bi.forward(data.x(), data.initial(), LENGTHS);
        Gradients g = bi.backward(out, dOutput, dFinal);
        INDArray reverseHalf = out.output().get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(H, 2 * H));
        INDArray reverseDOutput = dOutput.get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(H, 2 * H));

        Map<String, INDArray> summed = null;
        for (int b = 0; b < B; b++) {
            int len = LENGTHS[b];
            String name = cell + " sequence " + b + " (length " + len + ")";
            INDArray flipped = flipTime(timeRange(batchRows(data.x(), b), 0, len));
            RecurrentState initial = new RecurrentState(stateRow(data.initial().h(), 1, b),
                    stateRow(data.initial().c(), 1, b));
            ForwardResult forward = uni.forward(flipped, initial, null);
            Gradients gu = uni.backward(forward, flipTime(timeRange(batchRows(reverseDOutput, b), 0, len)),
                    new RecurrentState(stateRow(dFinal.h(), 1, b), stateRow(dFinal.c(), 1, b)));

            assertClose(name + " reverse output", flipTime(forward.output()),
                    timeRange(batchRows(reverseHalf, b), 0, len), SAME);
            assertClose(name + " reverse h_n", forward.finalState().h(), stateRow(out.finalState().h(), 1, b), SAME);
            assertClose(name + " dx", flipTime(gu.input()), timeRange(batchRows(g.input(), b), 0, len), SAME);
            assertClose(name + " dh0 reverse", gu.initialState().h(), stateRow(g.initialState().h(), 1, b), SAME);
            if (cell.hasCellState()) {
                assertClose(name + " reverse c_n", forward.finalState().c(), stateRow(out.finalState().c(), 1, b),
                        SAME);
                assertClose(name + " dc0 reverse", gu.initialState().c(), stateRow(g.initialState().c(), 1, b),
                        SAME);
            }
            summed = sum(summed, gu.byTorchName());
        }
        for (Map.Entry<String, INDArray> e : summed.entrySet()) {
            assertClose(cell + " grad " + e.getKey() + "_reverse", e.getValue(),
                    g.byTorchName().get(e.getKey() + "_reverse"), SAME);
            assertAllZero(cell + " grad " + e.getKey() + " (no gradient reaches the forward direction)",
                    g.byTorchName().get(e.getKey()));
        }
    }

    // ------------------------------------------------------------------------------ batch-first = time-major

    /** Batch-first only transposes at the boundary: the same arithmetic, so bit-identical results. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void batchFirstEqualsTimeMajor(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true);
        RecurrentNetwork timeMajor = RecurrentNetwork.initialize(config, 700 + cell.ordinal());
        RecurrentNetwork batchFirst = RecurrentNetwork.fromTorchStateDict(config.withBatchFirst(true),
                timeMajor.toTorchStateDict());
        Data data = Data.random(config, 800 + cell.ordinal(), T, B);

        ForwardResult a = timeMajor.forward(data.x(), data.initial(), LENGTHS);
        Gradients ga = timeMajor.backward(a, data.dOutput(), data.dFinal());
        ForwardResult b = batchFirst.forward(swapTB(data.x()), data.initial(), LENGTHS);
        Gradients gb = batchFirst.backward(b, swapTB(data.dOutput()), data.dFinal());

        assertArrayEquals(new long[] {B, T, 2 * H}, b.output().shape(), "batch-first output shape [B, T, D*H]");
        assertArrayEquals(new long[] {B, T, I}, gb.input().shape(), "batch-first dx shape [B, T, I]");
        assertClose(cell + " output", swapTB(a.output()), b.output(), 0);
        assertStatesClose(cell + " final state", a.finalState(), b.finalState(), 0);
        assertClose(cell + " dx", swapTB(ga.input()), gb.input(), 0);
        assertStatesClose(cell + " d initial state", ga.initialState(), gb.initialState(), 0);
        assertParametersClose(cell + " grad", ga.byTorchName(), gb.byTorchName(), 0);
    }

    // --------------------------------------------------------------------------- truncated BPTT and carried state

    /** backwardTruncated with k = T cuts nothing: the same gradients as backward. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void truncatedOverAllStepsEqualsFullBackward(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 900 + cell.ordinal());
        Data data = Data.random(config, 1000 + cell.ordinal(), T, B);
        ForwardResult out = net.forward(data.x(), data.initial(), LENGTHS);
        Gradients full = net.backward(out, data.dOutput(), data.dFinal());
        Gradients truncated = net.backwardTruncated(out, data.dOutput(), data.dFinal(), T);

        assertClose(cell + " dx", full.input(), truncated.input(), 0);
        assertStatesClose(cell + " d initial state", full.initialState(), truncated.initialState(), 0);
        assertParametersClose(cell + " grad", full.byTorchName(), truncated.byTorchName(), 0);
        assertTrue(Arrays.stream(values(full.initialState().h())).anyMatch(v -> v != 0),
                "dh0 must be non-zero here, or the comparison would be vacuous");
    }

    /**
     * backward reuses its memory for the pre-activation gradients across calls: a padded batch after a full one
     * (whose gradients filled that memory) gets bit for bit what a network that never ran backward gets.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void backwardAfterAnotherBackwardEqualsAFirstBackward(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true);
        RecurrentNetwork used = RecurrentNetwork.initialize(config, 950 + cell.ordinal());
        RecurrentNetwork fresh = RecurrentNetwork.fromTorchStateDict(config, used.toTorchStateDict());
        Data full = Data.random(config, 960 + cell.ordinal(), T, B);
        used.backward(used.forward(full.x(), full.initial(), null), full.dOutput(), full.dFinal());

        Data padded = Data.random(config, 970 + cell.ordinal(), T, B);
        Gradients afterFull = used.backward(used.forward(padded.x(), padded.initial(), LENGTHS), padded.dOutput(),
                padded.dFinal());
        Gradients first = fresh.backward(fresh.forward(padded.x(), padded.initial(), LENGTHS), padded.dOutput(),
                padded.dFinal());

        assertClose(cell + " dx", first.input(), afterFull.input(), 0);
        assertStatesClose(cell + " d initial state", first.initialState(), afterFull.initialState(), 0);
        assertParametersClose(cell + " grad", first.byTorchName(), afterFull.byTorchName(), 0);
    }

    /**
     * A closed forward result hands its caches' memory to the next forward: that forward and its backward equal a
     * fresh network's bit for bit, the closed result's outputs and final state are untouched by the reuse, and
     * backward refuses the closed result.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void forwardReusingAClosedResultsCachesEqualsAFreshForward(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true);
        RecurrentNetwork used = RecurrentNetwork.initialize(config, 980 + cell.ordinal());
        RecurrentNetwork fresh = RecurrentNetwork.fromTorchStateDict(config, used.toTorchStateDict());
        Data first = Data.random(config, 990 + cell.ordinal(), T, B);
        ForwardResult closed = used.forward(first.x(), first.initial(), null);
        INDArray closedOutput = closed.output().dup();
        INDArray closedFinalH = closed.finalState().h().dup();
        closed.close();
        closed.close(); // twice: nothing more

        Data second = Data.random(config, 995 + cell.ordinal(), T, B);
        ForwardResult reused = used.forward(second.x(), second.initial(), LENGTHS);
        ForwardResult expected = fresh.forward(second.x(), second.initial(), LENGTHS);
        assertClose(cell + " output", expected.output(), reused.output(), 0);
        assertStatesClose(cell + " final state", expected.finalState(), reused.finalState(), 0);
        Gradients reusedGradients = used.backward(reused, second.dOutput(), second.dFinal());
        Gradients expectedGradients = fresh.backward(expected, second.dOutput(), second.dFinal());
        assertClose(cell + " dx", expectedGradients.input(), reusedGradients.input(), 0);
        assertParametersClose(cell + " grad", expectedGradients.byTorchName(), reusedGradients.byTorchName(), 0);

        assertClose(cell + " closed output", closedOutput, closed.output(), 0);
        assertClose(cell + " closed final h", closedFinalH, closed.finalState().h(), 0);
        assertTrue(closed.isClosed());
        IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> used.backward(closed, first.dOutput(), first.dFinal()));
        assertTrue(refused.getMessage().startsWith("forward: expected an open result but it was closed"),
                refused.getMessage());
    }

    /**
     * Running T1 steps, then T2 steps from {@code finalState()} of the first segment, equals one forward over the
     * T1+T2 steps; with variable lengths the second segment's lengths are what remains of each sequence.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void forwardContinuedFromCarriedStateEqualsOneForward(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 1100 + cell.ordinal());
        Data data = Data.random(config, 1200 + cell.ordinal(), T, B);
        int split = 2;
        int[] lengths = {5, 3, 4}; // every sequence runs past the split
        ForwardResult whole = net.forward(data.x(), data.initial(), lengths);

        ForwardResult first = net.forward(timeRange(data.x(), 0, split), data.initial(), null);
        int[] rest = Arrays.stream(lengths).map(len -> len - split).toArray();
        ForwardResult second = net.forward(timeRange(data.x(), split, T), first.finalState(), rest);

        assertClose(cell + " first segment output", timeRange(whole.output(), 0, split), first.output(), SAME);
        assertClose(cell + " second segment output", timeRange(whole.output(), split, T), second.output(), SAME);
        assertStatesClose(cell + " final state", whole.finalState(), second.finalState());
    }

    // ----------------------------------------------------------------------------------------- float32 = float64

    @ParameterizedTest
    @EnumSource(CellType.class)
    void float32AgreesWithFloat64(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true);
        RecurrentNetwork doubles = RecurrentNetwork.initialize(config, 1300 + cell.ordinal());
        Map<String, INDArray> floatParams = new LinkedHashMap<>();
        doubles.toTorchStateDict().forEach((k, v) -> floatParams.put(k, v.castTo(DataType.FLOAT)));
        RecurrentNetwork floats = RecurrentNetwork.fromTorchStateDict(config.withDataType(DataType.FLOAT),
                floatParams);
        Data d = Data.random(config, 1400 + cell.ordinal(), T, B);
        Data f = new Data(toFloat(d.x()), toFloat(d.initial()), toFloat(d.dOutput()), toFloat(d.dFinal()));

        ForwardResult outD = doubles.forward(d.x(), d.initial(), LENGTHS);
        Gradients gD = doubles.backward(outD, d.dOutput(), d.dFinal());
        ForwardResult outF = floats.forward(f.x(), f.initial(), LENGTHS);
        Gradients gF = floats.backward(outF, f.dOutput(), f.dFinal());

        assertEquals(DataType.FLOAT, outF.output().dataType(), "float32 network output type");
        assertEquals(DataType.FLOAT, gF.input().dataType(), "float32 network dx type");
        double tolerance = 1e-4;
        assertClose(cell + " output", outD.output(), outF.output(), tolerance);
        assertStatesClose(cell + " final state", outD.finalState(), outF.finalState(), tolerance);
        assertClose(cell + " dx", gD.input(), gF.input(), tolerance);
        assertStatesClose(cell + " d initial state", gD.initialState(), gF.initialState(), tolerance);
        assertParametersClose(cell + " grad", gD.byTorchName(), gF.byTorchName(), tolerance);
    }

    // -------------------------------------------------------------------------------- export / import round trip

    @ParameterizedTest
    @EnumSource(CellType.class)
    void safetensorsRoundTripGivesBitIdenticalOutputs(CellType cell, @TempDir Path directory) throws IOException {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true).withDataType(type);
            RecurrentNetwork original = RecurrentNetwork.initialize(config, 1500 + cell.ordinal());
            Path file = directory.resolve(cell + "-" + type + ".safetensors");
            SafeTensors.write(file, original.toTorchStateDict());
            Map<String, INDArray> read = SafeTensors.read(file);
            assertEquals(Parameters.expectedNames(config), read.keySet(), "names read back, in state_dict order");
            RecurrentNetwork restored = RecurrentNetwork.fromTorchStateDict(config, read);

            Data data = Data.random(config, 1600 + cell.ordinal(), T, B);
            ForwardResult a = original.forward(data.x(), data.initial(), LENGTHS);
            ForwardResult b = restored.forward(data.x(), data.initial(), LENGTHS);
            String name = cell + " " + type;
            assertArrayEquals(values(a.output()), values(b.output()), name + " output after the round trip");
            assertArrayEquals(values(a.finalState().h()), values(b.finalState().h()), name + " h_n");
            if (cell.hasCellState()) {
                assertArrayEquals(values(a.finalState().c()), values(b.finalState().c()), name + " c_n");
            }
            restored.toTorchStateDict().forEach((k, v) -> assertArrayEquals(
                    values(original.toTorchStateDict().get(k)), values(v), name + " " + k + " after the round trip"));
        }
    }

    // ----------------------------------------------------------------------------------------------------- dropout

    /** In evaluation mode a dropout config computes exactly what the same weights with dropout 0 compute. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void evaluationModeIgnoresDropout(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true);
        RecurrentNetwork plain = RecurrentNetwork.initialize(config, 1700 + cell.ordinal());
        RecurrentNetwork dropout = RecurrentNetwork.fromTorchStateDict(config.withDropout(0.5),
                plain.toTorchStateDict());
        Data data = Data.random(config, 1800 + cell.ordinal(), T, B);

        ForwardResult a = plain.forward(data.x(), data.initial(), LENGTHS);
        ForwardResult b = dropout.forward(data.x(), data.initial(), LENGTHS, ForwardOptions.EVAL);
        ForwardResult c = dropout.forward(data.x(), data.initial(), LENGTHS, new ForwardOptions(false, 99));
        Gradients ga = plain.backward(a, data.dOutput(), data.dFinal());
        Gradients gb = dropout.backward(b, data.dOutput(), data.dFinal());
        assertClose(cell + " output, EVAL", a.output(), b.output(), 0);
        assertClose(cell + " output, eval with a seed", a.output(), c.output(), 0);
        assertStatesClose(cell + " final state", a.finalState(), b.finalState(), 0);
        assertClose(cell + " dx", ga.input(), gb.input(), 0);
        assertParametersClose(cell + " grad", ga.byTorchName(), gb.byTorchName(), 0);
    }

    /** The same seed gives the same masks (forward and backward); another seed gives other masks. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void trainingModeIsDeterministicPerSeed(CellType cell) {
        RecurrentConfig config = config(cell).withLayers(2).withBidirectional(true).withDropout(0.3);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 1900 + cell.ordinal());
        Data data = Data.random(config, 2000 + cell.ordinal(), T, B);

        ForwardResult a = net.forward(data.x(), data.initial(), LENGTHS, ForwardOptions.training(5));
        ForwardResult b = net.forward(data.x(), data.initial(), LENGTHS, ForwardOptions.training(5));
        ForwardResult c = net.forward(data.x(), data.initial(), LENGTHS, ForwardOptions.training(6));
        ForwardResult eval = net.forward(data.x(), data.initial(), LENGTHS);
        assertArrayEquals(values(a.output()), values(b.output()), cell + ": same seed, same output");
        assertArrayEquals(values(a.finalState().h()), values(b.finalState().h()), cell + ": same seed, same h_n");
        Gradients ga = net.backward(a, data.dOutput(), data.dFinal());
        Gradients gb = net.backward(b, data.dOutput(), data.dFinal());
        assertParametersClose(cell + " same seed, grad", ga.byTorchName(), gb.byTorchName(), 0);
        assertFalse(Arrays.equals(values(a.output()), values(c.output())), cell + ": another seed, another output");
        assertFalse(Arrays.equals(values(a.output()), values(eval.output())), cell + ": training differs from eval");
        // Dropout acts between layers only: the first layer's final state does not depend on it.
        assertClose(cell + " layer-0 h_n is not affected by dropout", eval.finalState().h().slice(0),
                a.finalState().h().slice(0), 0);
    }

    /**
     * The masks really drop a fraction p of the inter-layer activations and scale the rest by 1/(1-p). Made
     * observable by construction: layer 0 is a ReLU RNN with positive weights, bias and input, so its outputs y are
     * all > 0; layer 1 has {@code W_ih = identity}, {@code W_hh = 0}, no bias, so its output is
     * {@code relu(mask * y) = mask * y}, which is 0 exactly where the mask dropped and {@code y / (1-p)} elsewhere.
     */
    @Test
    void dropoutZeroesAboutPOfTheInterLayerActivations() {
        int steps = 20;
        int batch = 10;
        int hidden = 50;
        double p = 0.3;
        RecurrentConfig config = RecurrentConfig.of(CellType.RNN_RELU, I, hidden).withLayers(2).withBias(false)
                .withDropout(p).withDataType(DataType.DOUBLE);
        Random random = new Random(2100);
        Map<String, INDArray> params = new LinkedHashMap<>();
        params.put("weight_ih_l0", Transforms.abs(normal(random, DataType.DOUBLE, 0.1, hidden, I)).addi(0.05));
        params.put("weight_hh_l0", Nd4j.zeros(DataType.DOUBLE, hidden, hidden).addi(0.01));
        params.put("weight_ih_l1", Nd4j.eye(hidden).castTo(DataType.DOUBLE));
        params.put("weight_hh_l1", Nd4j.zeros(DataType.DOUBLE, hidden, hidden));
        RecurrentNetwork net = RecurrentNetwork.fromTorchStateDict(config, params);
        INDArray x = Transforms.abs(normal(random, DataType.DOUBLE, 1.0, steps, batch, I)).addi(0.1);

        double[] eval = values(net.forward(x, null, null).output());
        double[] train = values(net.forward(x, null, null, ForwardOptions.training(3)).output());
        int dropped = 0;
        for (int k = 0; k < eval.length; k++) {
            assertTrue(eval[k] > 0, "construction: every evaluation output must be > 0, index " + k);
            if (train[k] == 0.0) {
                dropped++;
            } else {
                assertEquals(eval[k] / (1 - p), train[k], 1e-12 * eval[k], "kept activation scaled by 1/(1-p)");
            }
        }
        double fraction = (double) dropped / eval.length;
        // 10,000 Bernoulli(0.3) draws: standard deviation 0.0046, so 0.03 is 6.5 sigma.
        assertEquals(p, fraction, 0.03, "fraction of inter-layer activations dropped");
    }

    // -------------------------------------------------------------------------------------------------- helpers

    /** {@code [A, B, C]} to {@code [B, A, C]}, a 'c' copy. */
    private static INDArray swapTB(INDArray array) {
        return array.permute(1, 0, 2).dup('c');
    }

    /** {@code [1, H]}: row {@code b} of block {@code index} of a {@code [L*D, B, H]} state, or null. */
    private static INDArray stateRow(INDArray state, int index, int b) {
        return state == null ? null
                : state.get(NDArrayIndex.interval(index, index + 1), NDArrayIndex.interval(b, b + 1),
                        NDArrayIndex.all()).dup('c');
    }

    /** A copy of a {@code [L*D, B, H]} state with block {@code index} set to 0, or null. */
    private static INDArray zeroRow(INDArray state, int index) {
        if (state == null) {
            return null;
        }
        INDArray copy = state.dup('c');
        copy.slice(index).assign(0.0);
        return copy;
    }

    private static INDArray toFloat(INDArray array) {
        return array == null ? null : array.castTo(DataType.FLOAT);
    }

    private static RecurrentState toFloat(RecurrentState state) {
        return new RecurrentState(toFloat(state.h()), toFloat(state.c()));
    }

    private static Map<String, INDArray> sum(Map<String, INDArray> total, Map<String, INDArray> more) {
        if (total == null) {
            Map<String, INDArray> copy = new LinkedHashMap<>();
            more.forEach((k, v) -> copy.put(k, v.dup()));
            return copy;
        }
        more.forEach((k, v) -> total.get(k).addi(v));
        return total;
    }

    private static void assertStatesClose(String name, RecurrentState expected, RecurrentState actual) {
        assertStatesClose(name, expected, actual, SAME);
    }

    private static void assertStatesClose(String name, RecurrentState expected, RecurrentState actual,
            double tolerance) {
        assertClose(name + " h", expected.h(), actual.h(), tolerance);
        assertEquals(expected.c() == null, actual.c() == null, name + " c present");
        if (expected.c() != null) {
            assertClose(name + " c", expected.c(), actual.c(), tolerance);
        }
    }

    private static void assertParametersClose(String name, Map<String, INDArray> expected,
            Map<String, INDArray> actual, double tolerance) {
        assertEquals(expected.keySet(), actual.keySet(), name + " names");
        expected.forEach((k, v) -> assertClose(name + " " + k, v, actual.get(k), tolerance));
    }
}
