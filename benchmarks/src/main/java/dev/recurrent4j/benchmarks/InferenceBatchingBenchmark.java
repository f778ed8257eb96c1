package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.ContinuousBatcher;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.Stream;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.util.concurrent.CompletableFuture;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How many stream steps per second does continuous batching sustain with N streams stepping at once? One
 * invocation submits one step for each of the N streams and waits for all of them; steps/s = N / (time per
 * invocation). The batcher gathers them into rounds of up to 128 rows. LSTM I=64 H=256 L=2, float32, no head.
 * The baseline in the same run, {@code dl4j}: DL4J's {@code rnnTimeStep} stepping the N rows as one {@code [N, I]}
 * batch of the same network ({@link Dl4jStreamPeer}), its state inside the network.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector"})
public class InferenceBatchingBenchmark {

    @Param({"1", "8", "32", "128"})
    public int streams;

    private ContinuousBatcher batcher;
    private Dl4jStreamPeer peer;
    private INDArray peerInput;
    private Stream[] open;
    private double[] x;
    @SuppressWarnings("unchecked")
    private CompletableFuture<double[]>[] futures;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() throws Exception {
        InferenceModel model = InferenceModel.of(RecurrentNetwork.initialize(
                RecurrentConfig.of(CellType.LSTM, 64, 256).withLayers(2), 1));
        batcher = new ContinuousBatcher(model, ContinuousBatcher.Options.of(128));
        peer = new Dl4jStreamPeer(model, 1);
        peerInput = Dl4jStreamPeer.input(streams, 64, 0.1f);
        peer.validate(peerInput);
        open = new Stream[streams];
        futures = new CompletableFuture[streams];
        x = new double[64];
        java.util.Arrays.fill(x, 0.1);
        for (int s = 0; s < streams; s++) {
            open[s] = model.openStream();
        }
        // validate once: a batched step equals a step alone, within float32 rounding
        double[] alone = model.openStream().step(x);
        double[] batched = round()[0];
        for (int k = 0; k < alone.length; k++) {
            if (Math.abs(alone[k] - batched[k]) > 1e-5) {
                throw new IllegalStateException("output " + k + ": expected " + alone[k] + " but was " + batched[k]);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batcher.close();
    }

    /** DL4J: one {@code rnnTimeStep} of the N rows. */
    @Benchmark
    public INDArray dl4j() {
        return peer.step(peerInput);
    }

    @Benchmark
    public double[][] round() throws Exception {
        for (int s = 0; s < streams; s++) {
            futures[s] = batcher.step(open[s], x);
        }
        double[][] outputs = new double[streams][];
        for (int s = 0; s < streams; s++) {
            outputs[s] = futures[s].get();
        }
        return outputs;
    }
}
