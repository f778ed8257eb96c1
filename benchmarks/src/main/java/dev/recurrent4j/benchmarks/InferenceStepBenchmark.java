package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.LinearHead;
import dev.recurrent4j.infer.Stream;
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
 * How long does one step of one stream take (batch 1, in the caller's thread, the allocation-free
 * {@code Stream.step(double[], double[])})? SampleTime mode reports p50/p99; run with {@code -prof gc} for the
 * allocation per step. Shapes are {@code I x H x L}, float32, with a linear head of 256 logits. The baseline, in the
 * same run: DL4J's {@code rnnTimeStep} on the same LSTM and head ({@link Dl4jStreamPeer}; DL4J has no GRU).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector"})
public class InferenceStepBenchmark {
    private static final int LOGITS = 256;

    @State(Scope.Benchmark)
    public static class Ours {
        @Param({"LSTM", "GRU"})
        public CellType cell;
        /** I x H x L. */
        @Param({"64x256x2"})
        public String shape;
        Stream stream;
        double[] x;
        double[] out;

        @Setup(Level.Trial)
        public void setUp() {
            InferenceModel model = model(cell, shape);
            stream = model.openStream();
            x = new double[model.config().inputSize()];
            java.util.Arrays.fill(x, 0.1);
            out = new double[LOGITS];
            // validate once: a stream step equals the whole-sequence path on the same input
            INDArray expected = model.run(Nd4j.valueArrayOf(new long[] {1, 1, x.length}, 0.1f), null, null).logits()
                    .reshape(1, LOGITS);
            stream.step(x, out);
            Checks.close("recurrent4j stream step vs run", Nd4j.createFromArray(new double[][] {out})
                    .castTo(DataType.FLOAT), expected, 1e-5 * Math.max(1, expected.amaxNumber().doubleValue()));
        }
    }

    @State(Scope.Benchmark)
    public static class Peer {
        @Param({"LSTM"})
        public CellType cell;
        @Param({"64x256x2"})
        public String shape;
        Dl4jStreamPeer peer;
        INDArray x;

        @Setup(Level.Trial)
        public void setUp() {
            InferenceModel model = model(cell, shape);
            peer = new Dl4jStreamPeer(model, 1);
            x = Dl4jStreamPeer.input(1, model.config().inputSize(), 0.1f);
            peer.validate(x);
        }
    }

    /** The benchmark's model: {@code shape} = I x H x L, a linear head of 256 logits, seeded. */
    static InferenceModel model(CellType cell, String shape) {
        String[] parts = shape.split("x");
        int hidden = Integer.parseInt(parts[1]);
        RecurrentNetwork network = RecurrentNetwork.initialize(RecurrentConfig.of(cell, Integer.parseInt(parts[0]),
                hidden).withLayers(Integer.parseInt(parts[2])), 1);
        Nd4j.getRandom().setSeed(2);
        return InferenceModel.of(network, LinearHead.of(Nd4j.rand(DataType.FLOAT, LOGITS, hidden).subi(0.5),
                Nd4j.rand(DataType.FLOAT, LOGITS).subi(0.5)));
    }

    @Benchmark
    public double[] recurrent4j(Ours state) {
        state.stream.step(state.x, state.out);
        return state.out;
    }

    @Benchmark
    public INDArray dl4j(Peer state) {
        return state.peer.step(state.x);
    }
}
