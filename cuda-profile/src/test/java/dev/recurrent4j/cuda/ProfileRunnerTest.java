package dev.recurrent4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cuda.Workloads.Mode;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.testing.TensorAssert;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The profiling runner end to end on a tiny size, so that CI runs every mode on the CPU backend: the command prints
 * the backend, the setup phases, the warm-up, a row per phase with min / median / p90 / mean, and a passing check;
 * and each workload's output equals, or is within the half formats' tolerance of, the engine's forward of a network
 * built independently from the same seed.
 */
class ProfileRunnerTest {
    /** B=2, T=3, I=4, H=5, on top of S2. */
    private static final String[] TINY = {"--shape", "S2", "--batch", "2", "--steps", "3", "--input-size", "4",
        "--hidden", "5"};

    record Command(String mode, CellType cell, List<String> extra, List<String> phases) {
        @Override
        public String toString() {
            return mode + " " + cell + (extra.isEmpty() ? "" : " " + String.join(" ", extra));
        }
    }

    static Stream<Command> commands() {
        List<Command> commands = new ArrayList<>();
        for (CellType cell : new CellType[] {CellType.LSTM, CellType.GRU, CellType.RNN_TANH}) {
            commands.add(new Command("forward", cell, List.of(), List.of("forward")));
            commands.add(new Command("train", cell, List.of(), List.of("forward", "backward")));
            commands.add(new Command("stream", cell, List.of(), List.of("step")));
            commands.add(new Command("half", cell, List.of(), List.of("cast", "forward", "cast back")));
            commands.add(new Command("half", cell, List.of("--precision", "BF16"),
                    List.of("cast", "forward", "cast back")));
        }
        return commands.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void printsEveryPhaseAndAPassingCheck(Command command) {
        List<String> args = new ArrayList<>(List.of(command.mode(), "--cell", command.cell().name()));
        args.addAll(List.of(TINY));
        args.addAll(List.of("--warmup", "1", "--iterations", "3"));
        args.addAll(command.extra());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = ProfileRunner.run(new PrintWriter(out, true), new PrintWriter(err, true),
                args.toArray(String[]::new));

        String printed = out.toString();
        assertEquals(0, code, () -> "exit code; stdout:\n" + printed + "\nstderr:\n" + err);
        assertContains(printed, "recurrent4j profile: " + command.mode() + ", cell " + command.cell()
                + ", shape custom (B=2 T=3 I=4 H=5), L=1");
        assertContains(printed, "backend: " + Backends.name());
        assertContains(printed, "every clock stops after Nd4j.getExecutioner().commit()");
        assertLine(printed, "setup: network\\s+\\d+\\.\\d{3} ms");
        if (command.mode().equals("half")) {
            assertLine(printed, "setup: half weights\\s+\\d+\\.\\d{3} ms");
            assertContains(printed, command.extra().isEmpty() ? "HalfPrecisionForward (inference forward), HALF"
                    : "HalfPrecisionForward (inference forward), BFLOAT16");
        }
        assertLine(printed, "warmup\\s+\\d+\\.\\d{3} ms \\(1 iterations\\)");
        assertLine(printed, "phase\\s+n\\s+min ms\\s+median ms\\s+p90 ms\\s+mean ms");
        for (String phase : command.phases()) {
            assertLine(printed, Pattern.quote(phase) + "\\s+3(\\s+\\d+\\.\\d{4}){4}");
        }
        assertLine(printed, "iteration\\s+3(\\s+\\d+\\.\\d{4}){4}");
        assertLine(printed, "check: .*: max error \\S+ of max\\|reference\\| <= \\S+: ok");
    }

    static Stream<Workloads.Spec> specs() {
        WorkloadShape tiny = new WorkloadShape("tiny", 3, 4, 5, 6);
        List<Workloads.Spec> specs = new ArrayList<>();
        for (CellType cell : new CellType[] {CellType.LSTM, CellType.GRU, CellType.RNN_TANH}) {
            for (Mode mode : Mode.values()) {
                specs.add(new Workloads.Spec(mode, cell, tiny, 2, 7, DataType.HALF, null));
            }
            specs.add(new Workloads.Spec(Mode.HALF, cell, tiny, 2, 7, DataType.BFLOAT16, null));
        }
        return specs.stream();
    }

    /**
     * T iterations of each workload against {@code RecurrentNetwork.forward} of a network initialised from the same
     * seed here (two layers, so the stacking is exercised too): the inference and training forwards give the same
     * bits, the stream's T-th step equals step T of the forward over the first sequence, and the half forward is
     * within 10 unit roundoffs (HalfPrecisionForwardTest's bound for the ungated RNN; gated cells measure less).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void workloadOutputsAgreeWithTheEngine(Workloads.Spec spec) {
        PhaseClock setup = new PhaseClock();
        Workload workload = Workloads.create(spec, setup);
        assertNull(workload.lastOutput(), "output before the first iteration");
        PhaseClock clock = new PhaseClock();
        WorkloadShape shape = spec.shape();
        for (int t = 0; t < shape.steps(); t++) {
            workload.iterate(clock);
        }

        RecurrentNetwork engine = RecurrentNetwork.initialize(RecurrentConfig.of(spec.cell(), shape.inputSize(),
                shape.hiddenSize()).withLayers(spec.layers()), spec.seed());
        INDArray expected = engine.forward(workload.input(), null, null).output(); // [T, B, H]
        INDArray actual = workload.lastOutput();
        switch (spec.mode()) {
            case FORWARD, TRAIN -> assertEquals(expected, actual, spec + ": output vs RecurrentNetwork.forward");
            case STREAM -> TensorAssert.assertClose(spec + ": step T vs forward", expected.get(
                    NDArrayIndex.point(shape.steps() - 1), NDArrayIndex.interval(0, 1), NDArrayIndex.all()),
                    actual, 1e-5);
            case HALF -> TensorAssert.assertClose(spec + ": half output vs forward", expected, actual,
                    10 * (spec.precision() == DataType.HALF ? 0x1p-11 : 0x1p-8));
        }
        List<String> phases = switch (spec.mode()) {
            case FORWARD -> List.of("forward");
            case TRAIN -> List.of("forward", "backward");
            case STREAM -> List.of("step");
            case HALF -> List.of("cast", "forward", "cast back");
        };
        assertEquals(phases, clock.phases());
        for (String phase : phases) {
            assertEquals(shape.steps(), clock.summary(phase).count(), phase + " samples");
        }
        assertEquals(spec.mode() == Mode.HALF ? List.of("setup: network", "setup: half weights")
                : List.of("setup: network"), setup.phases());
        assertTrue(workload.check().ok(), () -> workload.check().describe());
    }

    @Test
    void badArgumentsStopBeforeAnyWorkWithOneLineAndExitCode2() {
        assertBadArguments("error: shape: expected one of [S1, S2, S3, S4] but was S9", "forward", "--shape", "S9");
        assertBadArguments("error: --iterations: expected at least 1 but was 0", "train", "--iterations", "0");
        assertBadArguments("error: batch (B): expected at least 1 but was 0", "forward", "--batch", "0");
        assertBadArguments("error: layers: expected at least 1 but was 0", "stream", "--layers", "0");
        if (!Backends.isCuda()) {
            assertBadArguments("error: accumulation: expected HALF_TYPE for HALF on CpuBackend (ND4J 1.0.0-M2.1"
                    + " multiplies half operands into a float32 result only on CUDA, for HALF, on compute capability 6"
                    + " and up) but was FLOAT32", "half", "--accumulation", "FLOAT32");
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ProfileRunner.run(new PrintWriter(out, true), new PrintWriter(err, true), "half", "--precision",
                "FP32");
        assertEquals(2, code);
        assertContains(err.toString(), "Invalid value for option '--precision': expected one of [FP16, BF16]");
    }

    @Test
    void phaseStatisticsAreMinMedianNearestRankP90AndMean() {
        long[] nanos = new long[10];
        for (int k = 0; k < nanos.length; k++) {
            nanos[k] = (k + 1) * 1_000_000L; // 1..10 ms
        }
        PhaseClock.Summary summary = PhaseClock.Summary.of(nanos);
        assertEquals(10, summary.count());
        assertEquals(1.0, summary.minMs());
        assertEquals(5.5, summary.medianMs());
        assertEquals(9.0, summary.p90Ms());
        assertEquals(5.5, summary.meanMs());
        assertEquals(55.0, summary.totalMs());
        PhaseClock.Summary odd = PhaseClock.Summary.of(new long[] {2_000_000, 3_000_000, 7_000_000});
        assertEquals(3.0, odd.medianMs());
        assertEquals(7.0, odd.p90Ms());
        assertThrows(IllegalArgumentException.class, () -> new PhaseClock().summary("forward"));
    }

    @Test
    void theStandardShapesAreTheBenchmarkSuites() {
        assertEquals(new WorkloadShape("S1", 1, 1, 64, 256), WorkloadShape.standard("S1"));
        assertEquals(new WorkloadShape("S2", 32, 64, 128, 256), WorkloadShape.standard("s2"));
        assertEquals(new WorkloadShape("S3", 64, 128, 256, 512), WorkloadShape.standard("S3"));
        assertEquals(new WorkloadShape("S4", 8, 256, 64, 128), WorkloadShape.standard("S4"));
        assertEquals(WorkloadShape.S2, WorkloadShape.S2.with(null, 64, null, null));
        assertEquals(new WorkloadShape("custom", 2, 64, 128, 5), WorkloadShape.S2.with(2, null, null, 5));
    }

    private static void assertBadArguments(String expectedError, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ProfileRunner.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(2, code, () -> String.join(" ", args) + ": exit code; stderr: " + err);
        assertEquals(expectedError, err.toString().strip());
        assertEquals("", out.toString(), "nothing printed before the check of the arguments");
    }

    private static void assertContains(String printed, String expected) {
        assertTrue(printed.contains(expected), () -> "expected \"" + expected + "\" in:\n" + printed);
    }

    private static void assertLine(String printed, String regex) {
        assertTrue(Pattern.compile("(?m)^" + regex + "$").matcher(printed).find(),
                () -> "expected a line matching " + regex + " in:\n" + printed);
    }
}
