package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertAllZero;
import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static dev.recurrent4j.testing.TestTensors.batchRows;
import static dev.recurrent4j.testing.TestTensors.dot;
import static dev.recurrent4j.testing.TestTensors.normal;
import static dev.recurrent4j.testing.TestTensors.perturbed;
import static dev.recurrent4j.testing.TestTensors.plus;
import static dev.recurrent4j.testing.TestTensors.probeLoss;
import static dev.recurrent4j.testing.TestTensors.timeRange;
import static dev.recurrent4j.testing.TestTensors.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.recurrent4j.cell.CellType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Central finite differences in float64 against {@link RecurrentNetwork#backward} and
 * {@link RecurrentNetwork#backwardTruncated}, independently of PyTorch.
 *
 * <p>The loss is {@code L = sum(output*gOut) + sum(h_n*gH) [+ sum(c_n*gC)]} with random {@code gOut, gH, gC}, so
 * its gradient is exactly what {@code backward(forward, gOut, (gH, gC))} returns. For every tensor that
 * gradients flow to (every parameter, x, h0 and c0) {@value #SAMPLES} random entries are checked, plus one random
 * unit direction over all parameters at once (the directional derivative against {@code <grad, direction>}),
 * which catches an error in any entry, sampled or not.
 *
 * <p>Tolerance. With {@code EPS = 1e-6} the central difference has truncation error {@code ~EPS^2 |L'''| / 6}
 * (about 1e-12 here) and rounding error {@code ~ulp(L) / EPS}: L is a sum of ~100 terms of order 1, each
 * evaluation exact to a few 1e-16 relative, which leaves about 1e-9 absolute in the difference quotient
 * (observed: at most 2e-9). The gradients here are of order 1e-3..1e-1. We accept
 * {@code |fd - an| <= RTOL * max(|fd|, |an|, FLOOR)} with {@code RTOL = 1e-5}, {@code FLOOR = 1e-2}: a relative
 * error of 1e-5 on larger entries and an absolute 1e-7 on entries below 0.01 (e.g. a padded step's dx, which is
 * exactly 0 and whose FD is pure noise), 50 times the observed noise, so the check does not flake when the
 * engine's summation order changes. A wrong or missing term in a gradient is typically of the size of the
 * gradient itself, 1e-3 or more, 1e4 times the bound. The worst errors are logged per cell (about 1e-7 of the
 * floored scale, i.e. ~1e-9 absolute).
 */
class GradientCheckTest {
    private static final Logger log = LoggerFactory.getLogger(GradientCheckTest.class);
    private static final Map<String, Double> WORST = new ConcurrentHashMap<>();

    private static final double EPS = 1e-6;
    private static final double RTOL = 1e-5;
    private static final double FLOOR = 1e-2;
    private static final int SAMPLES = 5;

    private static final int I = 3;
    private static final int H = 4;
    private static final int T = 5;
    /** B = 3, unsorted, so the batch reordering is exercised. */
    private static final int[] LENGTHS = {5, 2, 4};

    /**
     * One differentiable problem: the network's parameters, its inputs and the probe weights of the loss.
     * {@link #loss} rebuilds the network from a (perturbed) state dict, so every evaluation is independent.
     */
    private record Problem(RecurrentConfig config, Map<String, INDArray> stateDict, INDArray x,
            RecurrentState initial, int[] lengths, ForwardOptions options, INDArray gOut, RecurrentState gFinal) {

        static Problem random(RecurrentConfig config, long seed, int steps, int[] lengths, ForwardOptions options) {
            Random random = new Random(seed);
            RecurrentNetwork net = RecurrentNetwork.initialize(config, seed);
            int batch = lengths == null ? 3 : lengths.length;
            long states = (long) config.numLayers() * config.directions();
            DataType type = config.dataType();
            INDArray x = normal(random, type, 1.0, steps, batch, config.inputSize());
            INDArray h0 = normal(random, type, 0.5, states, batch, config.hiddenSize());
            INDArray c0 = config.cell().hasCellState() ? normal(random, type, 0.5, states, batch, config.hiddenSize())
                    : null;
            INDArray gOut = normal(random, type, 1.0, steps, batch, (long) config.directions() * config.hiddenSize());
            INDArray gH = normal(random, type, 1.0, states, batch, config.hiddenSize());
            INDArray gC = c0 == null ? null : normal(random, type, 1.0, states, batch, config.hiddenSize());
            return new Problem(config, net.toTorchStateDict(), x, new RecurrentState(h0, c0), lengths, options, gOut,
                    new RecurrentState(gH, gC));
        }

        RecurrentNetwork network() {
            return RecurrentNetwork.fromTorchStateDict(config, stateDict);
        }

        double loss(Map<String, INDArray> parameters, INDArray input, RecurrentState initialState) {
            RecurrentNetwork net = RecurrentNetwork.fromTorchStateDict(config, parameters);
            return probeLoss(net.forward(input, initialState, lengths, options), gOut, gFinal);
        }

        /** The analytic gradients from {@code backward}. */
        Gradients backward() {
            RecurrentNetwork net = network();
            return net.backward(net.forward(x, initial, lengths, options), gOut, gFinal);
        }
    }

    @ParameterizedTest(name = "{0} layers={1} bidirectional={2}")
    @MethodSource("stacks")
    void backwardMatchesFiniteDifferences(CellType cell, int layers, boolean bidirectional) {
        RecurrentConfig config = RecurrentConfig.of(cell, I, H).withLayers(layers).withBidirectional(bidirectional)
                .withDataType(DataType.DOUBLE);
        Problem p = Problem.random(config, 11 + cell.ordinal(), T, LENGTHS, ForwardOptions.EVAL);
        checkAll(cell + " L=" + layers + " D=" + config.directions(), p, p.backward());
    }

    static Stream<Arguments> stacks() {
        return Arrays.stream(CellType.values()).flatMap(cell -> Stream.of(
                Arguments.of(cell, 1, false),
                Arguments.of(cell, 2, true)));
    }

    /** The cell alone: one time step, full batch. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void singleStepMatchesFiniteDifferences(CellType cell) {
        RecurrentConfig config = RecurrentConfig.of(cell, I, H).withDataType(DataType.DOUBLE);
        Problem p = Problem.random(config, 21 + cell.ordinal(), 1, null, ForwardOptions.EVAL);
        checkAll(cell + " T=1", p, p.backward());
    }

    /** Without bias the remaining gradients must still be right (no bias term is assumed anywhere). */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void noBiasMatchesFiniteDifferences(CellType cell) {
        RecurrentConfig config = RecurrentConfig.of(cell, I, H).withBidirectional(true).withBias(false)
                .withDataType(DataType.DOUBLE);
        Problem p = Problem.random(config, 31 + cell.ordinal(), T, LENGTHS, ForwardOptions.EVAL);
        assertEquals(4, p.stateDict().size(), "no-bias state dict: weights only");
        checkAll(cell + " no bias", p, p.backward());
    }

    /**
     * Training mode with dropout 0.3 between 2 layers: every evaluation uses the same seed, so the mask is a
     * fixed function and backward must differentiate through it (scaled by 1/(1-p), 0 where dropped).
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void dropoutTrainingMatchesFiniteDifferences(CellType cell) {
        RecurrentConfig config = RecurrentConfig.of(cell, I, H).withLayers(2).withBidirectional(true)
                .withDropout(0.3).withDataType(DataType.DOUBLE);
        Problem p = Problem.random(config, 41 + cell.ordinal(), T, LENGTHS, ForwardOptions.training(7));
        RecurrentNetwork net = p.network();
        INDArray eval = net.forward(p.x(), p.initial(), p.lengths()).output();
        INDArray train = net.forward(p.x(), p.initial(), p.lengths(), p.options()).output();
        if (Arrays.equals(values(eval), values(train))) {
            fail("dropout 0.3 in training mode changed nothing; the check below would not test dropout");
        }
        checkAll(cell + " dropout", p, p.backward());
    }

    /**
     * Truncated BPTT over the last k steps is the exact gradient of the loss restricted to the window, with the
     * state entering the window a constant. As FD: run the first T-k steps to get that state, then differentiate
     * the "suffix" network, started from it on steps [T-k, T), with the loss of the window's outputs and the final
     * state. Sequences that end before the window contribute nothing (they are left out of the suffix batch);
     * their dx must be 0, and dh0/dc0 must be 0 for every sequence.
     */
    @ParameterizedTest(name = "{0} k={1}")
    @MethodSource("truncations")
    void truncatedBackwardMatchesFiniteDifferencesOfTheWindow(CellType cell, int k) {
        int[] lengths = {5, 1, 4};
        RecurrentConfig config = RecurrentConfig.of(cell, I, H).withLayers(2).withDataType(DataType.DOUBLE);
        Problem full = Problem.random(config, 51 + cell.ordinal(), T, lengths, ForwardOptions.EVAL);
        RecurrentNetwork net = full.network();
        ForwardResult forward = net.forward(full.x(), full.initial(), lengths);
        Gradients truncated = net.backwardTruncated(forward, full.gOut(), full.gFinal(), k);

        int windowStart = T - k;
        int[] inWindow = IntStream.range(0, lengths.length).filter(b -> lengths[b] > windowStart).toArray();
        int[] outOfWindow = IntStream.range(0, lengths.length).filter(b -> lengths[b] <= windowStart).toArray();
        // The state entering the window: every kept sequence runs all of the first T-k steps.
        RecurrentState carried = net.forward(batchRows(timeRange(full.x(), 0, windowStart), inWindow),
                batchRows(full.initial(), inWindow), null).finalState();
        int[] suffixLengths = Arrays.stream(inWindow).map(b -> lengths[b] - windowStart).toArray();
        Problem suffix = new Problem(config, full.stateDict(),
                batchRows(timeRange(full.x(), windowStart, T), inWindow), carried, suffixLengths,
                ForwardOptions.EVAL, batchRows(timeRange(full.gOut(), windowStart, T), inWindow),
                batchRows(full.gFinal(), inWindow));

        // The construction itself: the suffix run reproduces the full run's window.
        ForwardResult suffixForward = suffix.network().forward(suffix.x(), carried, suffixLengths);
        assertClose("suffix output = window of the full output",
                batchRows(timeRange(forward.output(), windowStart, T), inWindow), suffixForward.output(), 1e-12);

        String name = cell + " truncated k=" + k;
        checkParameters(name, suffix, truncated.byTorchName());
        checkDirectional(name, suffix, truncated.byTorchName());
        checkTensor(name + " x (window)", suffix, suffix.x(),
                batchRows(timeRange(truncated.input(), windowStart, T), inWindow),
                (p, x) -> p.loss(p.stateDict(), x, p.initial()));

        if (windowStart > 0) {
            assertAllZero(name + " dx before the window", timeRange(truncated.input(), 0, windowStart));
        }
        if (outOfWindow.length > 0) {
            assertAllZero(name + " dx of sequences that end before the window",
                    batchRows(truncated.input(), outOfWindow));
        }
        assertAllZero(name + " dh0", truncated.initialState().h());
        if (cell.hasCellState()) {
            assertAllZero(name + " dc0", truncated.initialState().c());
        }
    }

    static Stream<Arguments> truncations() {
        return Arrays.stream(CellType.values())
                .flatMap(cell -> Stream.of(Arguments.of(cell, 1), Arguments.of(cell, 3)));
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Sampled entries of every parameter, x, h0 (and c0), and one random direction over all parameters. */
    private static void checkAll(String name, Problem p, Gradients g) {
        checkParameters(name, p, g.byTorchName());
        checkDirectional(name, p, g.byTorchName());
        checkTensor(name + " x", p, p.x(), g.input(), (q, x) -> q.loss(q.stateDict(), x, q.initial()));
        checkTensor(name + " h0", p, p.initial().h(), g.initialState().h(),
                (q, h0) -> q.loss(q.stateDict(), q.x(), new RecurrentState(h0, q.initial().c())));
        if (p.config().cell().hasCellState()) {
            checkTensor(name + " c0", p, p.initial().c(), g.initialState().c(),
                    (q, c0) -> q.loss(q.stateDict(), q.x(), new RecurrentState(q.initial().h(), c0)));
        }
    }

    private static void checkParameters(String name, Problem p, Map<String, INDArray> gradients) {
        assertEquals(p.stateDict().keySet(), gradients.keySet(), name + ": gradient names");
        for (String parameter : p.stateDict().keySet()) {
            checkTensor(name + " " + parameter, p, p.stateDict().get(parameter), gradients.get(parameter),
                    (q, tensor) -> {
                        Map<String, INDArray> changed = new LinkedHashMap<>(q.stateDict());
                        changed.put(parameter, tensor);
                        return q.loss(changed, q.x(), q.initial());
                    });
        }
    }

    /** How the loss depends on one tensor of a problem. */
    @FunctionalInterface
    private interface LossOf {
        double at(Problem p, INDArray tensor);
    }

    /** {@value #SAMPLES} random entries of {@code tensor}: central difference against {@code analytic}. */
    private static void checkTensor(String name, Problem p, INDArray tensor, INDArray analytic, LossOf loss) {
        assertEquals(Arrays.toString(tensor.shape()), Arrays.toString(analytic.shape()), name + ": gradient shape");
        double[] an = values(analytic);
        Random random = new Random(name.hashCode());
        int[] sample = random.ints(0, an.length).distinct().limit(Math.min(SAMPLES, an.length)).toArray();
        for (int index : sample) {
            double fd = (loss.at(p, plus(tensor, index, EPS)) - loss.at(p, plus(tensor, index, -EPS))) / (2 * EPS);
            compare(name + " at " + Arrays.toString(org.nd4j.linalg.api.shape.Shape.ind2subC(tensor.shape(), index)),
                    name, fd, an[index]);
        }
    }

    /** One random unit direction d over all parameters: (L(p + eps d) - L(p - eps d)) / 2 eps = sum <g, d>. */
    private static void checkDirectional(String name, Problem p, Map<String, INDArray> gradients) {
        Random random = new Random(name.hashCode() + 1);
        Map<String, INDArray> direction = new LinkedHashMap<>();
        double norm2 = 0;
        for (Map.Entry<String, INDArray> e : p.stateDict().entrySet()) {
            INDArray d = normal(random, DataType.DOUBLE, 1.0, e.getValue().shape());
            direction.put(e.getKey(), d);
            norm2 += dot(d, d);
        }
        double norm = Math.sqrt(norm2);
        direction.replaceAll((k, d) -> d.divi(norm));
        double analytic = 0;
        Map<String, INDArray> plus = new LinkedHashMap<>();
        Map<String, INDArray> minus = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : p.stateDict().entrySet()) {
            INDArray d = direction.get(e.getKey());
            analytic += dot(gradients.get(e.getKey()), d);
            plus.put(e.getKey(), e.getValue().add(d.mul(EPS)));
            minus.put(e.getKey(), e.getValue().sub(d.mul(EPS)));
        }
        double fd = (p.loss(plus, p.x(), p.initial()) - p.loss(minus, p.x(), p.initial())) / (2 * EPS);
        compare(name + " random direction over all parameters", name + " direction", fd, analytic);
    }

    private static void compare(String what, String key, double fd, double an) {
        double scale = Math.max(Math.max(Math.abs(fd), Math.abs(an)), FLOOR);
        double error = Math.abs(fd - an) / scale;
        WORST.merge(key.split(" ")[0], error, Math::max);
        if (!(error <= RTOL)) {
            fail(String.format("%s: finite difference %.12g but backward %.12g (relative error %.2e > %.0e)",
                    what, fd, an, error, RTOL));
        }
    }

    @AfterAll
    static void logWorstErrors() {
        new TreeMap<>(WORST).forEach((cell, worst) -> log.info("finite differences: {} worst relative error {}",
                cell, String.format("%.2e", worst)));
    }
}
