package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertAllZero;
import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static dev.recurrent4j.testing.TestTensors.dot;
import static dev.recurrent4j.testing.TestTensors.normal;
import static dev.recurrent4j.testing.TestTensors.plus;
import static dev.recurrent4j.testing.TestTensors.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.recurrent4j.cell.CellType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences in float64 against {@link SequenceModel#backward}: the embedding, the head (per step
 * and last step) and their composition with the recurrent stack, over variable-length batches. The loss is the
 * probe {@code L = sum(output*gOut) + sum(h_n*gH) [+ sum(c_n*gC)]} with random {@code gOut, gH, gC}, so its
 * gradient is exactly {@code backward(forward, gOut, (gH, gC))}. Per parameter, {@value #SAMPLES} random entries,
 * plus one random unit direction over all parameters; dx for dense input and dh0/dc0. The tolerance is the
 * engine's ({@code GradientCheckTest}): relative 1e-5 with an absolute floor of 1e-2 on the scale.
 */
class SequenceModelGradientCheckTest {
    private static final double EPS = 1e-6;
    private static final double RTOL = 1e-5;
    private static final double FLOOR = 1e-2;
    private static final int SAMPLES = 6;
    private static final int V = 5;
    private static final int H = 4;
    private static final int O = 3;
    /** Ragged: B = 3 with lengths 4, 2, 3 (unsorted). */
    private static final int[][] TOKENS = {{1, 4, 0, 2}, {3, 3}, {0, 2, 4}};

    private record Problem(SequenceModelConfig config, Map<String, INDArray> stateDict, SequenceBatch batch,
            RecurrentState initial, INDArray gOut, RecurrentState gFinal) {

        static Problem random(SequenceModelConfig config, SequenceBatch batch, long seed) {
            Random random = new Random(seed);
            RecurrentConfig rnn = config.recurrent();
            long states = (long) rnn.numLayers() * rnn.directions();
            int b = batch.batch();
            INDArray h0 = normal(random, DataType.DOUBLE, 0.5, states, b, H);
            INDArray c0 = rnn.cell().hasCellState() ? normal(random, DataType.DOUBLE, 0.5, states, b, H) : null;
            long[] outShape = config.head() == HeadKind.PER_STEP ? new long[] {batch.steps(), b, O}
                    : new long[] {b, O};
            INDArray gOut = normal(random, DataType.DOUBLE, 1.0, outShape);
            INDArray gH = normal(random, DataType.DOUBLE, 1.0, states, b, H);
            INDArray gC = c0 == null ? null : normal(random, DataType.DOUBLE, 1.0, states, b, H);
            Map<String, INDArray> stateDict = SequenceModel.initialize(config, seed).toStateDict();
            return new Problem(config, stateDict, batch, new RecurrentState(h0, c0), gOut, new RecurrentState(gH, gC));
        }

        double loss(Map<String, INDArray> parameters, SequenceBatch input, RecurrentState initialState) {
            SequenceModel model = SequenceModel.fromStateDict(config, parameters);
            ModelForward out = model.forward(input, initialState, ForwardOptions.EVAL);
            double loss = dot(out.output(), gOut) + dot(out.finalState().h(), gFinal.h());
            return gFinal.c() == null ? loss : loss + dot(out.finalState().c(), gFinal.c());
        }

        ModelGradients backward() {
            SequenceModel model = SequenceModel.fromStateDict(config, stateDict);
            return model.backward(model.forward(batch, initial, ForwardOptions.EVAL), gOut, gFinal);
        }
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of(InputEncoding.embedding(V, 3), CellType.LSTM, 1, false, HeadKind.PER_STEP),
                Arguments.of(InputEncoding.embedding(V, 3), CellType.GRU, 2, true, HeadKind.LAST_STEP),
                Arguments.of(InputEncoding.oneHot(V), CellType.RNN_TANH, 1, true, HeadKind.PER_STEP),
                Arguments.of(InputEncoding.oneHot(V), CellType.LSTM, 2, false, HeadKind.LAST_STEP),
                Arguments.of(InputEncoding.dense(3), CellType.GRU, 1, false, HeadKind.PER_STEP),
                Arguments.of(InputEncoding.dense(3), CellType.LSTM, 2, true, HeadKind.LAST_STEP));
    }

    @ParameterizedTest(name = "{0} {1} L={2} bi={3} {4}")
    @MethodSource("models")
    void backwardMatchesFiniteDifferences(InputEncoding input, CellType cell, int layers, boolean bidirectional,
            HeadKind head) {
        SequenceModelConfig config = new SequenceModelConfig(input, RecurrentConfig.of(cell, input.features(), H)
                .withLayers(layers).withBidirectional(bidirectional).withDataType(DataType.DOUBLE), head, O);
        SequenceBatch batch = input.takesTokens() ? SequenceBatch.tokens(TOKENS)
                : SequenceBatch.dense(normal(new Random(5), DataType.DOUBLE, 1.0, 4, 3, 3), new int[] {4, 2, 3});
        Problem p = Problem.random(config, batch, 17 + cell.ordinal() + layers);
        ModelGradients g = p.backward();
        String name = input.kind() + " " + cell + " " + head;

        assertEquals(p.stateDict().keySet(), g.parameters().names(), name + ": gradient names");
        for (String parameter : p.stateDict().keySet()) {
            INDArray tensor = p.stateDict().get(parameter);
            checkSampled(name + " " + parameter, tensor, g.parameters().get(parameter), changed -> {
                Map<String, INDArray> parameters = new LinkedHashMap<>(p.stateDict());
                parameters.put(parameter, changed);
                return p.loss(parameters, p.batch(), p.initial());
            });
        }
        checkDirection(name, p, g.parameters());
        checkSampled(name + " h0", p.initial().h(), g.initialState().h(),
                h0 -> p.loss(p.stateDict(), p.batch(), new RecurrentState(h0, p.initial().c())));
        if (cell.hasCellState()) {
            checkSampled(name + " c0", p.initial().c(), g.initialState().c(),
                    c0 -> p.loss(p.stateDict(), p.batch(), new RecurrentState(p.initial().h(), c0)));
        }
        if (!input.takesTokens()) {
            checkSampled(name + " x", batch.features(), g.input(), x -> p.loss(p.stateDict(),
                    SequenceBatch.dense(x, batch.lengths()), p.initial()));
        }
    }

    /** Rows of the embedding that no token uses get exactly zero gradient; padded steps' outputs are exactly 0. */
    @Test
    void unusedEmbeddingRowsAndPaddedOutputsAreZero() {
        SequenceModelConfig config = new SequenceModelConfig(InputEncoding.embedding(7, 3),
                RecurrentConfig.of(CellType.GRU, 3, H).withDataType(DataType.DOUBLE), HeadKind.PER_STEP, O);
        Problem p = Problem.random(config, SequenceBatch.tokens(TOKENS), 3);
        ModelGradients g = p.backward();
        assertAllZero("dEmbedding rows 5 and 6 (ids never used)",
                g.parameters().get(SequenceModel.EMBEDDING).get(
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(5, 7),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()));
        ModelForward out = SequenceModel.fromStateDict(config, p.stateDict()).forward(p.batch());
        assertAllZero("output of sequence 1 at padded steps 2..3", out.output().get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4), org.nd4j.linalg.indexing.NDArrayIndex.point(1),
                org.nd4j.linalg.indexing.NDArrayIndex.all()));
    }

    /** Truncation over every step is the full backward; a shorter window still gives the head every step. */
    @Test
    void truncatedBackwardOverEveryStepIsTheFullBackward() {
        SequenceModelConfig config = new SequenceModelConfig(InputEncoding.embedding(V, 3),
                RecurrentConfig.of(CellType.LSTM, 3, H).withDataType(DataType.DOUBLE), HeadKind.PER_STEP, O);
        Problem p = Problem.random(config, SequenceBatch.tokens(TOKENS), 9);
        SequenceModel model = SequenceModel.fromStateDict(config, p.stateDict());
        ModelForward out = model.forward(p.batch(), p.initial(), ForwardOptions.EVAL);
        ModelGradients full = model.backward(out, p.gOut(), p.gFinal());
        ModelGradients window = model.backwardTruncated(out, p.gOut(), p.gFinal(), 4);
        full.parameters().forEach((name, d) -> assertClose(name, d, window.parameters().get(name), 0.0));
        ModelGradients shorter = model.backwardTruncated(out, p.gOut(), p.gFinal(), 2);
        assertClose("head.weight with k=2", full.parameters().get(SequenceModel.HEAD_WEIGHT),
                shorter.parameters().get(SequenceModel.HEAD_WEIGHT), 0.0);
        assertAllZero("dh0 with k=2", shorter.initialState().h());
    }

    // ---------------------------------------------------------------------------------------------------------

    private interface LossOf {
        double at(INDArray changed);
    }

    private static void checkSampled(String name, INDArray tensor, INDArray analytic, LossOf loss) {
        assertEquals(Arrays.toString(tensor.shape()), Arrays.toString(analytic.shape()), name + ": gradient shape");
        double[] an = values(analytic);
        Random random = new Random(name.hashCode());
        int[] sample = random.ints(0, an.length).distinct().limit(Math.min(SAMPLES, an.length)).toArray();
        for (int index : sample) {
            double fd = (loss.at(plus(tensor, index, EPS)) - loss.at(plus(tensor, index, -EPS))) / (2 * EPS);
            compare(name + " at " + index, fd, an[index]);
        }
    }

    private static void checkDirection(String name, Problem p, ModelParameters gradients) {
        Random random = new Random(name.hashCode() + 1);
        Map<String, INDArray> plus = new LinkedHashMap<>();
        Map<String, INDArray> minus = new LinkedHashMap<>();
        double analytic = 0;
        double norm2 = 0;
        Map<String, INDArray> direction = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : p.stateDict().entrySet()) {
            INDArray d = normal(random, DataType.DOUBLE, 1.0, e.getValue().shape());
            direction.put(e.getKey(), d);
            norm2 += dot(d, d);
        }
        for (Map.Entry<String, INDArray> e : p.stateDict().entrySet()) {
            INDArray d = direction.get(e.getKey()).div(Math.sqrt(norm2));
            analytic += dot(gradients.get(e.getKey()), d);
            plus.put(e.getKey(), e.getValue().add(d.mul(EPS)));
            minus.put(e.getKey(), e.getValue().sub(d.mul(EPS)));
        }
        double fd = (p.loss(plus, p.batch(), p.initial()) - p.loss(minus, p.batch(), p.initial())) / (2 * EPS);
        compare(name + " random direction over all parameters", fd, analytic);
    }

    static void compare(String what, double fd, double an) {
        double scale = Math.max(Math.max(Math.abs(fd), Math.abs(an)), FLOOR);
        if (!(Math.abs(fd - an) / scale <= RTOL)) {
            fail(String.format("%s: finite difference %.12g but backward %.12g (relative error %.2e > %.0e)",
                    what, fd, an, Math.abs(fd - an) / scale, RTOL));
        }
    }
}
