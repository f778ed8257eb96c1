package dev.recurrent4j.cuda;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cuda.Workloads.Mode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The profiling runner: one command runs one workload of {@link Workloads} under whatever ND4J backend loaded
 * (CUDA under {@code -Pcuda} on a supported GPU, CPU otherwise) and prints the backend and device, the setup
 * phases, the warm-up, then min / median / p90 / mean per phase over the timed iterations, and a check of the
 * outputs against the float64 engine. Every clock stops after the device has finished ({@link PhaseClock}), so
 * the timings mean the same on CUDA, where ND4J ops return before their kernels have run. It is meant to run
 * under {@code nsys profile} as well; see the README's "CUDA profile".
 *
 * <pre>
 * ./mvnw -Pcuda -q -pl cuda-profile -am -DskipTests package exec:java -Dexec.args="forward --cell LSTM --shape S2"
 * </pre>
 *
 * <p>Exit codes: 0 done and checked, 1 the check failed, 2 bad arguments (one line on stderr, before any work).
 */
@Command(name = "recurrent4j-profile", mixinStandardHelpOptions = true, version = "recurrent4j-profile 0.1.0",
        description = "Time one workload phase by phase under the loaded ND4J backend (CUDA under -Pcuda).")
public final class ProfileRunner implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the command, printing to {@code out} and {@code err}; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine line = new CommandLine(new ProfileRunner()).setOut(out).setErr(err);
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return line.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** What every mode takes. */
    static final class WorkloadOptions {
        @Option(names = "--cell", defaultValue = "LSTM", description = "RNN_TANH, RNN_RELU, LSTM or GRU (default:"
                + " ${DEFAULT-VALUE})")
        CellType cell;
        @Option(names = "--shape", defaultValue = "S2", description = "S1 (B=1 I=64 H=256, stream), S2 (B=32 T=64"
                + " I=128 H=256), S3 (B=64 T=128 I=256 H=512) or S4 (B=8 T=256 I=64 H=128); default ${DEFAULT-VALUE}")
        String shape;
        @Option(names = "--batch", description = "override B")
        Integer batch;
        @Option(names = "--steps", description = "override T")
        Integer steps;
        @Option(names = "--input-size", description = "override I")
        Integer inputSize;
        @Option(names = "--hidden", description = "override H")
        Integer hidden;
        @Option(names = "--layers", defaultValue = "1", description = "L (default: ${DEFAULT-VALUE})")
        int layers;
        @Option(names = "--warmup", description = "untimed iterations first (default: 5; stream: 1000 steps)")
        Integer warmup;
        @Option(names = "--iterations", description = "timed iterations (default: 20; stream: 5000 steps)")
        Integer iterations;
        @Option(names = "--seed", defaultValue = "42", description = "weights and inputs (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--no-check", description = "skip the comparison with the float64 engine")
        boolean noCheck;
    }

    // The subcommands: methods, which picocli adds to this command; each runs one mode of Workloads.

    @Command(name = "forward", mixinStandardHelpOptions = true,
            description = "Inference forward: InferenceModel.run over the whole batch.")
    int forward(@Mixin WorkloadOptions options) {
        return profile(spec, Mode.FORWARD, options, null, null);
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Training: RecurrentNetwork.forward, then backward (full BPTT), timed separately.")
    int train(@Mixin WorkloadOptions options) {
        return profile(spec, Mode.TRAIN, options, null, null);
    }

    @Command(name = "stream", mixinStandardHelpOptions = true,
            description = "Streaming: one Stream.step of one sequence per iteration (B=1; T ignored).")
    int stream(@Mixin WorkloadOptions options) {
        return profile(spec, Mode.STREAM, options, null, null);
    }

    @Command(name = "half", mixinStandardHelpOptions = true,
            description = "Half-precision inference forward (HalfPrecisionForward): cast, forward, cast back.")
    int half(@Mixin WorkloadOptions options,
            @Option(names = "--precision", defaultValue = "FP16", paramLabel = "<precision>",
                    description = "FP16 or BF16 (default: ${DEFAULT-VALUE})") HalfType precision,
            @Option(names = "--accumulation", paramLabel = "<accumulation>", description = "HALF_TYPE or FLOAT32,"
                    + " where the GEMMs sum (default: FLOAT32 where the backend supports it, i.e. FP16 on CUDA, else"
                    + " HALF_TYPE)")
            HalfPrecisionForward.Accumulation accumulation) {
        return profile(spec, Mode.HALF, options, precision.dataType, accumulation);
    }

    /** The half types by their usual names. */
    enum HalfType {
        FP16(DataType.HALF), BF16(DataType.BFLOAT16);

        final DataType dataType;

        HalfType(DataType dataType) {
            this.dataType = dataType;
        }
    }

    /** Builds, warms up, times and checks one workload, printing as it goes. */
    private static int profile(CommandSpec command, Mode mode, WorkloadOptions options, DataType precision,
            HalfPrecisionForward.Accumulation accumulation) {
        PrintWriter out = command.commandLine().getOut();
        boolean stream = mode == Mode.STREAM;
        int warmup = options.warmup != null ? options.warmup : stream ? 1000 : 5;
        int iterations = options.iterations != null ? options.iterations : stream ? 5000 : 20;
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup: expected at least 0 but was " + warmup);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("--iterations: expected at least 1 but was " + iterations);
        }
        WorkloadShape shape = WorkloadShape.standard(options.shape).with(options.batch, options.steps,
                options.inputSize, options.hidden);
        Workloads.Spec spec = new Workloads.Spec(mode, options.cell, shape, options.layers, options.seed, precision,
                accumulation);

        out.println("recurrent4j profile: " + mode.name().toLowerCase() + ", cell " + options.cell + ", shape "
                + shape.describe() + ", L=" + options.layers + ", seed " + options.seed);
        Backends.describe().forEach(out::println);
        out.println("every clock stops after Nd4j.getExecutioner().commit(), which waits for the device on CUDA");
        PhaseClock setup = new PhaseClock();
        Workload workload = Workloads.create(spec, setup);
        out.println("workload: " + workload.description());
        for (String phase : setup.phases()) {
            out.printf("%-22s %10.3f ms%n", phase, setup.summary(phase).totalMs());
        }

        PhaseClock warmupClock = new PhaseClock();
        PhaseClock outer = new PhaseClock();
        outer.time("warmup", () -> {
            for (int i = 0; i < warmup; i++) {
                workload.iterate(warmupClock);
            }
        });
        out.printf("%-22s %10.3f ms (%d iterations)%n", "warmup", outer.summary("warmup").totalMs(), warmup);

        PhaseClock clock = new PhaseClock();
        for (int i = 0; i < iterations; i++) {
            clock.time("iteration", () -> workload.iterate(clock));
        }
        out.printf("%-22s %6s %12s %12s %12s %12s%n", "phase", "n", "min ms", "median ms", "p90 ms", "mean ms");
        for (String phase : clock.phases()) {
            PhaseClock.Summary s = clock.summary(phase);
            out.printf("%-22s %6d %12.4f %12.4f %12.4f %12.4f%n", phase, s.count(), s.minMs(), s.medianMs(),
                    s.p90Ms(), s.meanMs());
        }
        if (options.noCheck) {
            out.println("check: skipped (--no-check)");
            return 0;
        }
        Workload.Check check = workload.check();
        out.println("check: " + check.describe());
        out.flush();
        return check.ok() ? 0 : 1;
    }
}
