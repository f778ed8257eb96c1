package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * How long does one streaming step of one sequence (B=1) take: our {@code StepSession.step} against DL4J
 * 1.0.0-M2.1's {@code rnnTimeStep} and the {@link GemvFloor GEMV floor} (the step's two matrix-vector products) in
 * the same run? {@code floorAsGemm} times the same two products as one-row GEMMs, which is what a batch-generic
 * step pays; {@code floorRawBlas} calls OpenBLAS's {@code cblas_sgemv} directly, without ND4J's dispatch. The state is carried from call to call, as in a real stream; with {@code -prof gc}, the steady-state
 * bytes allocated per step.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector"})
public class StreamingStepBenchmark {

    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"LSTM", "GRU", "RNN_TANH"})
        public CellType cell;
        @Param({"S1"})
        public Shape shape;
        EngineFixture.Stream stream;

        @Setup(Level.Trial)
        public void setUp() {
            stream = new EngineFixture(cell, shape, 1).newStream();
        }
    }

    @State(Scope.Benchmark)
    public static class Floor {
        @Param({"LSTM", "GRU", "RNN_TANH"})
        public CellType cell;
        @Param({"S1"})
        public Shape shape;
        GemvFloor floor;

        @Setup(Level.Trial)
        public void setUp() {
            floor = new GemvFloor(cell, shape, 1);
        }
    }

    @State(Scope.Benchmark)
    public static class Peer {
        @Param({"LSTM", "RNN_TANH"})
        public CellType cell;
        @Param({"S1"})
        public Shape shape;
        Dl4jPeer peer;

        @Setup(Level.Trial)
        public void setUp() {
            EngineFixture engine = new EngineFixture(cell, shape, 1);
            peer = new Dl4jPeer(engine, 1);
            peer.validateStep(engine);
        }
    }

    @Benchmark
    public INDArray recurrent4j(Engine state) {
        return state.stream.step();
    }

    @Benchmark
    public INDArray floor(Floor state) {
        return state.floor.step();
    }

    @Benchmark
    public INDArray floorAsGemm(Floor state) {
        return state.floor.stepAsGemm();
    }

    @Benchmark
    public INDArray floorRawBlas(Floor state) {
        return state.floor.stepRawBlas();
    }

    @Benchmark
    public INDArray dl4j(Peer state) {
        return state.peer.step();
    }
}
