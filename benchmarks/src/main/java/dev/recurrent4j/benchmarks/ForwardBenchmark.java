package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * How long does one forward pass over a batch take, against the GEMM floor: exactly the matrix products a
 * forward pass cannot avoid (one input projection {@code [T*B, I] x [I, G*H]} and T recurrent products
 * {@code [B, H] x [H, G*H]}), into preallocated outputs. Shapes are {@code B x T x I x H}, float32.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class ForwardBenchmark {

    @Param({"LSTM", "GRU", "RNN_TANH"})
    public CellType cell;

    /** B x T x I x H: S2 and S4 of the suite. */
    @Param({"32x64x128x256", "8x256x64x128"})
    public String shape;

    private RecurrentNetwork network;
    private INDArray x;
    private INDArray inputFlat;
    private INDArray weightIh;
    private INDArray weightHh;
    private INDArray projection;
    private INDArray hidden;
    private INDArray recurrent;
    private long steps;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("x");
        int batch = Integer.parseInt(parts[0]);
        steps = Integer.parseInt(parts[1]);
        int inputSize = Integer.parseInt(parts[2]);
        int hiddenSize = Integer.parseInt(parts[3]);
        network = RecurrentNetwork.initialize(RecurrentConfig.of(cell, inputSize, hiddenSize), 1);
        x = Nd4j.rand(DataType.FLOAT, steps, batch, inputSize);

        int gateWidth = cell.gates() * hiddenSize;
        inputFlat = x.reshape(steps * batch, inputSize);
        weightIh = Nd4j.rand(DataType.FLOAT, gateWidth, inputSize);
        weightHh = Nd4j.rand(DataType.FLOAT, gateWidth, hiddenSize);
        projection = Nd4j.create(DataType.FLOAT, steps * batch, gateWidth);
        hidden = Nd4j.rand(DataType.FLOAT, batch, hiddenSize);
        recurrent = Nd4j.create(DataType.FLOAT, batch, gateWidth);

        long[] expected = {steps, batch, hiddenSize};
        long[] actual = network.forward(x, null, null).output().shape();
        if (!java.util.Arrays.equals(expected, actual)) {
            throw new IllegalStateException("forward output: expected " + java.util.Arrays.toString(expected)
                    + " but was " + java.util.Arrays.toString(actual));
        }
    }

    @Benchmark
    public ForwardResult recurrent4j() {
        return network.forward(x, null, null);
    }

    @Benchmark
    public INDArray gemmFloor() {
        Nd4j.gemm(inputFlat, weightIh, projection, false, true, 1.0, 0.0);
        for (long t = 0; t < steps; t++) {
            Nd4j.gemm(hidden, weightHh, recurrent, false, true, 1.0, 0.0);
        }
        return recurrent;
    }
}
