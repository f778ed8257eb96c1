package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.SequenceOutput;
import dev.recurrent4j.model.ForwardResult;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Do libnd4j's fused recurrent ops beat our forward path? libnd4j 1.0.0-M2.1's {@code lstmLayer} and {@code gru}
 * custom ops (the whole time loop in C++, one native call; built by {@link LibNd4jRecurrentOps}, which documents their
 * arguments) executed on preallocated outputs, against our inference forward ({@code InferenceModel.run}: outputs and
 * final states, no training caches, the same work as the op) and the {@link GemmFloor GEMM floor} in the same run.
 * {@code @Setup} checks {@code lstmLayer} against our forward; it compares {@code gru} with our GRU with
 * {@code b_hn = 0} and prints the difference (a mismatch would mean M2.1's op is another GRU variant; it is timed
 * anyway, as the same amount of work). Under the {@code nd4j-onednn-avx2} build, {@code lstmLayer} fails in M2.1
 * ("object is not initialized", from libnd4j's oneDNN helper) with the arguments that work on the other builds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector"})
public class FusedOpBenchmark {

    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"LSTM", "GRU"})
        public CellType cell;
        @Param({"S2", "S4"})
        public Shape shape;
        EngineFixture fixture;

        @Setup(Level.Trial)
        public void setUp() {
            fixture = new EngineFixture(cell, shape, 1);
            fixture.validateForward();
            fixture.validateInference();
        }
    }

    @State(Scope.Benchmark)
    public static class Floor {
        @Param({"LSTM", "GRU"})
        public CellType cell;
        @Param({"S2", "S4"})
        public Shape shape;
        GemmFloor floor;

        @Setup(Level.Trial)
        public void setUp() {
            floor = new GemmFloor(cell, shape, 1);
        }
    }

    @State(Scope.Benchmark)
    public static class Fused {
        @Param({"LSTM", "GRU"})
        public CellType cell;
        @Param({"S2", "S4"})
        public Shape shape;
        /** {@code [T, B, H]}: the op's output, allocated once. */
        INDArray output;
        DynamicCustomOp op;

        @Setup(Level.Trial)
        public void setUp() {
            EngineFixture engine = new EngineFixture(cell, shape, 1);
            LibNd4jRecurrentOps ops = new LibNd4jRecurrentOps(cell, engine.network.parameters().get(0, 0),
                    shape.batch);
            output = Nd4j.create(DataType.FLOAT, shape.steps, shape.batch, shape.hiddenSize);
            op = ops.forward(engine.x, output);
            Nd4j.exec(op);
            if (cell == CellType.LSTM) {
                double error = Checks.close("lstmLayer vs recurrent4j", output, engine.forward().output(), 1e-4);
                System.out.println("lstmLayer: max |lstmLayer - recurrent4j| = " + error);
            } else {
                Checks.shape("gru output", output, shape.steps, shape.batch, shape.hiddenSize);
                Checks.finite("gru output", output);
                ForwardResult reference = LibNd4jRecurrentOps.gruReference(engine.network).forward(engine.x, null,
                        null);
                System.out.println("gru: max |gru - recurrent4j with b_hn=0| = "
                        + Checks.maxError(output, reference.output())
                        + " (about 1e-6: the same function; large: M2.1's gru is another GRU variant)");
            }
        }
    }

    @Benchmark
    public INDArray fused(Fused state) {
        Nd4j.exec(state.op);
        return state.output;
    }

    @Benchmark
    public SequenceOutput recurrent4j(Engine state) {
        return state.fixture.infer();
    }

    @Benchmark
    public INDArray floor(Floor state) {
        return state.floor.forward();
    }

    /** The same products without ND4J: {@code cblas_sgemm} on pointers taken once. */
    @Benchmark
    public INDArray floorRawBlas(Floor state) {
        return state.floor.forwardRawBlas();
    }
}
