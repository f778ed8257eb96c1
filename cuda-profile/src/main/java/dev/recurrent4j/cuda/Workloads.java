package dev.recurrent4j.cuda;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.Stream;
import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.Gradients;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.UniformDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The profiled workloads, each over a float32 network with PyTorch's default initialisation drawn from a seed
 * (unidirectional, with bias, as in the JMH suite) and through the engine's public API only:
 * <ul>
 *   <li>{@link Mode#FORWARD}: {@code InferenceModel.run}, phase {@code forward};</li>
 *   <li>{@link Mode#TRAIN}: {@code RecurrentNetwork.forward} then {@code backward} (full BPTT, an upstream
 *       gradient on every output), phases {@code forward}, {@code backward};</li>
 *   <li>{@link Mode#STREAM}: one {@code Stream.step} of one sequence (B is 1 whatever the shape says), phase
 *       {@code step};</li>
 *   <li>{@link Mode#HALF}: {@link HalfPrecisionForward} in FP16 or BF16, phases {@code cast} (input to the half
 *       type), {@code forward}, {@code cast back} (output to float32).</li>
 * </ul>
 * Setup is timed on the clock the factory is given: {@code setup: network} (initialisation, the inference copy,
 * the inputs; on CUDA the weights are created on the device) and, for {@code HALF}, {@code setup: half weights}
 * (the cast copies).
 */
public final class Workloads {
    /** The float32 engine against its float64 twin: the parity suite's float32 tolerance. */
    private static final double FLOAT32_TOLERANCE = 1e-4;
    /**
     * The half forward against the float64 engine, in units of the format's unit roundoff (FP16 2^-11, BF16 2^-8):
     * a sanity bound for the runner's sizes, where the measured error reached 10 to 13 units (RNN_TANH, H=512, the
     * GEMMs summing in the half type). {@code HalfPrecisionForwardTest} holds the tight bounds.
     */
    private static final double HALF_SANITY_UNITS = 32;

    private Workloads() {}

    /** The runner's modes, named by its subcommands. */
    public enum Mode {
        FORWARD, TRAIN, STREAM, HALF
    }

    /**
     * What to build.
     *
     * @param mode the workload
     * @param cell the recurrent cell
     * @param shape B, T, I, H
     * @param layers L, at least 1
     * @param seed weights and inputs derive from it
     * @param precision {@link DataType#HALF} or {@link DataType#BFLOAT16} for {@link Mode#HALF}; ignored otherwise
     * @param accumulation the half GEMMs' accumulation for {@link Mode#HALF}, or {@code null} for the best the
     *     backend supports (the record then holds that one); ignored otherwise
     */
    public record Spec(Mode mode, CellType cell, WorkloadShape shape, int layers, long seed, DataType precision,
            HalfPrecisionForward.Accumulation accumulation) {
        public Spec {
            if (mode == null || cell == null || shape == null) {
                throw new IllegalArgumentException("mode, cell and shape: expected values but were " + mode + ", "
                        + cell + ", " + shape);
            }
            if (layers < 1) {
                throw new IllegalArgumentException("layers: expected at least 1 but was " + layers);
            }
            if (mode == Mode.HALF) { // checked here, before any work
                accumulation = HalfPrecisionForward.requireSupported(precision, accumulation);
            }
        }
    }

    /**
     * Builds the workload, timing its setup phases on {@code setup}.
     *
     * @throws IllegalArgumentException for a bad spec (e.g. a precision other than HALF or BFLOAT16 in HALF mode)
     */
    public static Workload create(Spec spec, PhaseClock setup) {
        String network = "setup: network";
        return switch (spec.mode()) {
            case FORWARD -> setup.time(network, () -> new InferenceForward(new Fixture(spec)));
            case TRAIN -> setup.time(network, () -> new TrainingForwardBackward(new Fixture(spec)));
            case STREAM -> setup.time(network, () -> new StreamStep(new Fixture(spec)));
            case HALF -> {
                Fixture fixture = setup.time(network, () -> new Fixture(spec));
                yield new HalfForward(fixture, setup.time("setup: half weights", () -> HalfPrecisionForward.of(
                        fixture.network.parameters(), spec.precision(), spec.accumulation())));
            }
        };
    }

    /** The network and the inputs; the network's float64 twin for the checks is made when first asked for. */
    private static final class Fixture {
        final Spec spec;
        final RecurrentNetwork network;
        private RecurrentNetwork reference;
        /** {@code [T, B, I]} float32, uniform in [-1, 1); never mutated. */
        final INDArray x;
        /** {@code [T, B, H]} float32 dL/d(output), uniform in [-0.5, 0.5); never mutated. */
        final INDArray dOutput;

        Fixture(Spec spec) {
            this.spec = spec;
            WorkloadShape shape = spec.shape();
            RecurrentConfig config = RecurrentConfig.of(spec.cell(), shape.inputSize(), shape.hiddenSize())
                    .withLayers(spec.layers());
            network = RecurrentNetwork.initialize(config, spec.seed());
            Random random = Nd4j.getRandomFactory().getNewRandomInstance(spec.seed() + 1);
            x = uniform(random, 1.0, shape.steps(), shape.batch(), shape.inputSize());
            dOutput = uniform(random, 0.5, shape.steps(), shape.batch(), shape.hiddenSize());
        }

        /** The same weights in float64: the reference of every check (not part of the timed setup). */
        RecurrentNetwork reference() {
            if (reference == null) {
                Map<String, INDArray> doubles = new LinkedHashMap<>();
                network.toTorchStateDict().forEach((name, tensor) -> doubles.put(name,
                        tensor.castTo(DataType.DOUBLE)));
                reference = RecurrentNetwork.fromTorchStateDict(network.config().withDataType(DataType.DOUBLE),
                        doubles);
            }
            return reference;
        }

        /** {@code [T, B, H]} float64: the reference network's output for {@link #x}. */
        INDArray referenceOutput() {
            return reference().forward(x.castTo(DataType.DOUBLE), null, null).output();
        }

        String describeNetwork() {
            return spec.cell() + ", L=" + spec.layers() + ", " + spec.shape().describe();
        }

        private static INDArray uniform(Random random, double bound, long... shape) {
            INDArray array = Nd4j.create(DataType.FLOAT, shape);
            Nd4j.getExecutioner().exec(new UniformDistribution(array, -bound, bound), random);
            return array;
        }
    }

    /** What every workload over a {@link Fixture} shares: its input, and the last iteration's output. */
    private abstract static class FixtureWorkload implements Workload {
        final Fixture fixture;
        /** {@code [T, B, H]} float32, the last iteration's output (new each iteration); null before the first. */
        INDArray last;

        FixtureWorkload(Fixture fixture) {
            this.fixture = fixture;
        }

        @Override
        public INDArray input() {
            return fixture.x;
        }

        @Override
        public INDArray lastOutput() {
            return last;
        }
    }

    /** {@code InferenceModel.run} over the whole batch. */
    private static final class InferenceForward extends FixtureWorkload {
        private final InferenceModel model;

        InferenceForward(Fixture fixture) {
            super(fixture);
            this.model = InferenceModel.of(fixture.network);
        }

        @Override
        public String description() {
            return "InferenceModel.run (inference forward), float32, " + fixture.describeNetwork();
        }

        @Override
        public void iterate(PhaseClock clock) {
            last = clock.time("forward", () -> model.run(fixture.x, null, null)).output();
        }

        @Override
        public Check check() {
            INDArray expected = fixture.referenceOutput();
            return new Check("output vs the float64 engine", relativeError(expected,
                    model.run(fixture.x, null, null).output()), FLOAT32_TOLERANCE);
        }
    }

    /** {@code RecurrentNetwork.forward} and full-BPTT {@code backward}. */
    private static final class TrainingForwardBackward extends FixtureWorkload {
        TrainingForwardBackward(Fixture fixture) {
            super(fixture);
        }

        @Override
        public String description() {
            return "RecurrentNetwork.forward + backward (training, full BPTT), float32, "
                    + fixture.describeNetwork();
        }

        /** As a training loop: forward, backward, then the result closed so the next forward reuses its caches. */
        @Override
        public void iterate(PhaseClock clock) {
            ForwardResult result = clock.time("forward", () -> fixture.network.forward(fixture.x, null, null));
            clock.time("backward", () -> fixture.network.backward(result, fixture.dOutput, null));
            result.close();
            last = result.output();
        }

        /** The output and dL/dx against float64; the worse of the two. */
        @Override
        public Check check() {
            ForwardResult expected = fixture.reference().forward(fixture.x.castTo(DataType.DOUBLE), null, null);
            Gradients expectedGradients = fixture.reference().backward(expected,
                    fixture.dOutput.castTo(DataType.DOUBLE), null);
            ForwardResult actual = fixture.network.forward(fixture.x, null, null);
            Gradients actualGradients = fixture.network.backward(actual, fixture.dOutput, null);
            double error = Math.max(relativeError(expected.output(), actual.output()),
                    relativeError(expectedGradients.input(), actualGradients.input()));
            return new Check("output and dL/dx vs the float64 engine", error, FLOAT32_TOLERANCE);
        }
    }

    /** One {@code Stream.step} per iteration, cycling through the first sequence's T inputs. */
    private static final class StreamStep extends FixtureWorkload {
        /** Steps the check compares (at least 8, so that S1's single step still exercises the recurrence). */
        private static final int MIN_CHECK_STEPS = 8;
        private final InferenceModel model;
        private final Stream stream;
        /** The first sequence's inputs, {@code [T][I]}. */
        private final double[][] inputs;
        /** H numbers, the last step's output, overwritten by every step. */
        private final double[] out;
        /** The index into {@link #inputs} of the next step's input. */
        private int next;
        private boolean stepped;

        StreamStep(Fixture fixture) {
            super(fixture);
            this.model = InferenceModel.of(fixture.network);
            this.stream = model.openStream();
            this.inputs = sequence(fixture.x, 0);
            this.out = new double[model.outputSize()];
        }

        @Override
        public String description() {
            return "Stream.step (one sequence, one step; B=1 whatever the shape says), float32, "
                    + fixture.describeNetwork();
        }

        @Override
        public void iterate(PhaseClock clock) {
            double[] input = inputs[next];
            next = (next + 1) % inputs.length;
            clock.time("step", () -> stream.step(input, out));
            stepped = true;
        }

        /** {@code [1, H]}: the last step's output, not the base class's {@code [T, B, H]}. */
        @Override
        public INDArray lastOutput() {
            return stepped ? Nd4j.createFromArray(out).reshape(1, out.length).castTo(DataType.FLOAT) : null;
        }

        /** A fresh stream's first steps against the float64 forward of the same sequence (B=1). */
        @Override
        public Check check() {
            WorkloadShape shape = fixture.spec.shape();
            int steps = Math.max(shape.steps(), MIN_CHECK_STEPS);
            Random random = Nd4j.getRandomFactory().getNewRandomInstance(fixture.spec.seed() + 2);
            INDArray sequence = Fixture.uniform(random, 1.0, steps, 1, shape.inputSize()); // [T', 1, I]
            INDArray expected = fixture.reference().forward(sequence.castTo(DataType.DOUBLE), null, null)
                    .output(); // [T', 1, H] float64
            INDArray actual = Nd4j.create(DataType.DOUBLE, steps, 1, shape.hiddenSize()); // [T', 1, H], filled below
            try (Stream fresh = model.openStream()) {
                double[][] stepInputs = sequence(sequence, 0);
                for (int t = 0; t < steps; t++) {
                    double[] step = fresh.step(stepInputs[t]); // H numbers
                    actual.slice(t).assign(Nd4j.createFromArray(step).reshape(1, shape.hiddenSize()));
                }
            }
            return new Check(steps + " steps of a fresh stream vs the float64 forward", relativeError(expected,
                    actual), FLOAT32_TOLERANCE);
        }

        /** Row {@code b} of a {@code [T, B, I]} array, as T arrays of I numbers. */
        private static double[][] sequence(INDArray x, int b) {
            INDArray rows = x.get(NDArrayIndex.all(), NDArrayIndex.point(b), NDArrayIndex.all()); // [T, I]
            return rows.castTo(DataType.DOUBLE).toDoubleMatrix();
        }
    }

    /** {@link HalfPrecisionForward}: cast the input, forward, cast the output back. */
    private static final class HalfForward extends FixtureWorkload {
        private final HalfPrecisionForward half;

        HalfForward(Fixture fixture, HalfPrecisionForward half) {
            super(fixture);
            this.half = half;
        }

        @Override
        public String description() {
            return "HalfPrecisionForward (inference forward), " + half.precision() + " weights and GEMM operands, "
                    + "accumulation " + half.accumulation() + ", float32 state and nonlinearities, "
                    + fixture.describeNetwork();
        }

        @Override
        public void iterate(PhaseClock clock) {
            INDArray x = clock.time("cast", () -> fixture.x.castTo(half.precision()));
            HalfPrecisionForward.Result result = clock.time("forward", () -> half.forward(x, null));
            last = clock.time("cast back", () -> result.output().castTo(DataType.FLOAT));
        }

        @Override
        public Check check() {
            INDArray expected = fixture.referenceOutput();
            INDArray actual = half.forward(fixture.x.castTo(half.precision()), null).output(); // [T, B, H] half
            double unitRoundoff = half.precision() == DataType.HALF ? 0x1p-11 : 0x1p-8;
            return new Check("output vs the float64 engine (sanity bound " + (int) HALF_SANITY_UNITS
                    + " unit roundoffs)", relativeError(expected, actual), HALF_SANITY_UNITS * unitRoundoff);
        }
    }

    /** {@code max|actual - expected| / max|expected|} (shapes must agree); NaN when actual has a NaN or infinity. */
    static double relativeError(INDArray expected, INDArray actual) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            throw new IllegalStateException("shapes differ: expected " + Arrays.toString(expected.shape())
                    + " but was " + Arrays.toString(actual.shape()));
        }
        INDArray e = expected.castTo(DataType.DOUBLE);
        INDArray a = actual.castTo(DataType.DOUBLE);
        if (!Double.isFinite(a.sumNumber().doubleValue())) {
            return Double.NaN;
        }
        double scale = Math.max(e.amaxNumber().doubleValue(), 1e-30);
        return a.sub(e).amaxNumber().doubleValue() / scale;
    }
}
