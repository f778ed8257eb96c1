package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.Gradients;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.gradient.Gradient;
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
 * How long does one training step's worth of work take (a forward pass and full backpropagation through time,
 * every parameter's gradient and dL/dx), for LSTM, GRU and RNN (tanh), against the {@link GemmFloor GEMM floor}'s
 * forward and backward products and DL4J 1.0.0-M2.1's {@code computeGradientAndScore} in the same run?
 *
 * <p>Ours is {@code backward(forward(x), dOutput, null)} with a fixed random dOutput; DL4J's includes its MSE loss
 * layer (an elementwise difference, negligible next to the recurrence). No optimizer step on either side.
 * {@code floorRawBlas} makes the floor's products with OpenBLAS directly, without ND4J's per-call dispatch.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector"})
public class ForwardBackwardBenchmark {

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
            fixture.validateForwardBackward();
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
            peer.validateForwardBackward();
        }
    }

    /**
     * Forward, full BPTT, the forward result closed and its output freed, then the gradients read and closed, as a
     * training step does.
     */
    @Benchmark
    public void recurrent4j(Engine state, Blackhole blackhole) {
        try (Gradients gradients = state.fixture.forwardBackward()) {
            blackhole.consume(gradients.input());
        }
    }

    /**
     * Without {@code ForwardResult.close()} or {@code Gradients.close()}: what reusing the memory buys (until
     * 2026-11-23 this method closed the forward result and left the gradients to the garbage collector).
     */
    @Benchmark
    public Gradients recurrent4jUnclosed(Engine state) {
        return state.fixture.forwardBackwardUnclosed();
    }

    @Benchmark
    public INDArray floor(Floor state) {
        return state.floor.forwardBackward();
    }

    /** The same products without ND4J: {@code cblas_sgemm} on pointers taken once. */
    @Benchmark
    public INDArray floorRawBlas(Floor state) {
        return state.floor.forwardBackwardRawBlas();
    }

    @Benchmark
    public Gradient dl4j(Peer state) {
        return state.peer.forwardBackward();
    }
}
