package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.SequenceOutput;
import dev.recurrent4j.model.ForwardResult;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * How long does one forward pass over a batch of whole sequences take, for LSTM, GRU and RNN (tanh), against the
 * {@link GemmFloor GEMM floor} and DL4J 1.0.0-M2.1 ({@link Dl4jPeer}, LSTM and SimpleRnn; it has no GRU) in the same
 * run? One layer, unidirectional, float32, with bias, every sequence T steps long.
 *
 * <p>{@code floorRawBlas} makes the floor's products with OpenBLAS directly, without ND4J's per-call dispatch. Each
 * method has its own state, so a fork builds only what it times; DL4J's state has no GRU value. The report
 * ({@link Report}) quotes {@code recurrent4j / floor} and {@code dl4j / recurrent4j}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector"})
public class ForwardBenchmark {

    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"LSTM", "GRU", "RNN_TANH"})
        public CellType cell;
        @Param({"S2", "S3", "S4"})
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
        @Param({"LSTM", "GRU", "RNN_TANH"})
        public CellType cell;
        @Param({"S2", "S3", "S4"})
        public Shape shape;
        GemmFloor floor;

        @Setup(Level.Trial)
        public void setUp() {
            floor = new GemmFloor(cell, shape, 1);
        }
    }

    @State(Scope.Benchmark)
    public static class Peer {
        @Param({"LSTM", "RNN_TANH"})
        public CellType cell;
        @Param({"S2", "S3", "S4"})
        public Shape shape;
        Dl4jPeer peer;

        @Setup(Level.Trial)
        public void setUp() {
            EngineFixture engine = new EngineFixture(cell, shape, 1);
            peer = new Dl4jPeer(engine, 1);
            peer.validateOutput(engine);
        }
    }

    /**
     * The inference forward ({@code InferenceModel.run}), what a user who wants outputs calls, its output read and
     * closed as a service does ({@code SequenceOutput} says why that is faster).
     */
    @Benchmark
    public void recurrent4j(Engine state, Blackhole blackhole) {
        try (SequenceOutput output = state.fixture.infer()) {
            blackhole.consume(output.output());
        }
    }

    /** The same, the output left to the garbage collector (how this benchmark ran until 2026-11-23). */
    @Benchmark
    public SequenceOutput recurrent4jUnclosed(Engine state) {
        return state.fixture.infer();
    }

    /** The training forward ({@code RecurrentNetwork.forward}), which also keeps what backward needs. */
    @Benchmark
    public ForwardResult recurrent4jTraining(Engine state) {
        return state.fixture.forward();
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

    /** DL4J's {@code output}, its result closed like ours. */
    @Benchmark
    public void dl4j(Peer state, Blackhole blackhole) {
        INDArray output = state.peer.output();
        blackhole.consume(output);
        output.close();
    }
}
