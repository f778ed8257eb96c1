package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.LinearHead;
import dev.recurrent4j.infer.Stream;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
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
 * How long does one step of one stream take (batch 1, in the caller's thread, the allocation-free
 * {@code Stream.step(double[], double[])})? SampleTime mode reports p50/p99; run with {@code -prof gc} for the
 * allocation per step. Shapes are {@code I x H x L}, float32, with a linear head of 256 logits.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector"})
public class InferenceStepBenchmark {

    @Param({"LSTM", "GRU"})
    public CellType cell;

    /** I x H x L. */
    @Param({"64x256x2"})
    public String shape;

    private Stream stream;
    private double[] x;
    private double[] out;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("x");
        int inputSize = Integer.parseInt(parts[0]);
        int hidden = Integer.parseInt(parts[1]);
        int layers = Integer.parseInt(parts[2]);
        RecurrentNetwork network = RecurrentNetwork.initialize(RecurrentConfig.of(cell, inputSize, hidden)
                .withLayers(layers), 1);
        InferenceModel model = InferenceModel.of(network, LinearHead.of(Nd4j.rand(DataType.FLOAT, 256, hidden),
                Nd4j.rand(DataType.FLOAT, 256)));
        stream = model.openStream();
        x = new double[inputSize];
        java.util.Arrays.fill(x, 0.1);
        out = new double[256];
        // validate once: a stream step equals the whole-sequence path on the same input
        double[] expected = model.run(Nd4j.valueArrayOf(new long[] {1, 1, inputSize}, 0.1f), null, null).logits()
                .reshape(256).toDoubleVector();
        stream.step(x, out);
        for (int k = 0; k < 256; k++) {
            if (Math.abs(expected[k] - out[k]) > 1e-4 * Math.max(1, Math.abs(expected[k]))) {
                throw new IllegalStateException("logit " + k + ": expected " + expected[k] + " but was " + out[k]);
            }
        }
    }

    @Benchmark
    public double[] step() {
        stream.step(x, out);
        return out;
    }
}
