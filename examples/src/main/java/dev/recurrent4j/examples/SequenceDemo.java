package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.Gradients;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The original demo (now {@code -Dexec.mainClass=dev.recurrent4j.examples.SequenceDemo}; the README.s demo is
 * {@code Cli demo}): an LSTM with a linear read-out learns to predict the next value of sine waves of random
 * frequency and phase, for a few seconds, printing the loss beside the "repeat the last value" baseline and the
 * throughput of forward + backward.
 *
 * <p>It predates the training module and carries its own minimal pieces: a mean-squared-error loss on a linear
 * head and an Adam update, over the engine's {@code forward}/{@code backward}. For training, use
 * {@code dev.recurrent4j.train} (see {@link CharLanguageModel} or {@link Forecasting}).
 *
 * <p>Arguments (all optional): {@code seconds} (default 8), {@code seed} (default 7).
 */
public final class SequenceDemo {
    private static final int STEPS = 40;
    private static final int BATCH = 32;
    private static final int HIDDEN = 32;
    private static final double LEARNING_RATE = 0.01;

    private SequenceDemo() {}

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 8.0;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 7L;
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("seconds: expected a positive number but was " + args[0]);
        }
        SplittableRandom random = new SplittableRandom(seed);
        RecurrentConfig config = RecurrentConfig.of(CellType.LSTM, 1, HIDDEN);
        Map<String, INDArray> parameters = new LinkedHashMap<>(RecurrentNetwork.initialize(config, seed)
                .toTorchStateDict());
        parameters.put("head.weight", Nd4j.rand(DataType.FLOAT, HIDDEN, 1).subi(0.5).muli(0.2));
        parameters.put("head.bias", Nd4j.zeros(DataType.FLOAT, 1));
        Adam adam = new Adam(parameters, LEARNING_RATE);

        System.out.printf("Recurrent4j demo: LSTM(I=1, H=%d) + linear head, next-value prediction of sine waves,"
                + " T=%d, B=%d, float32, %.0f s%n", HIDDEN, STEPS, BATCH, seconds);
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        int iteration = 0;
        double loss = Double.NaN;
        double baseline = Double.NaN;
        while (System.nanoTime() < deadline) {
            INDArray[] batch = sineBatch(random);
            INDArray x = batch[0];
            INDArray y = batch[1];
            RecurrentNetwork net = RecurrentNetwork.fromTorchStateDict(config, recurrentPart(parameters));

            ForwardResult forward = net.forward(x, null, null);
            INDArray features = forward.output().reshape((long) STEPS * BATCH, HIDDEN);
            INDArray prediction = features.mmul(parameters.get("head.weight")).addiRowVector(parameters.get("head.bias"));
            INDArray error = prediction.sub(y.reshape((long) STEPS * BATCH, 1));
            loss = error.norm2Number().doubleValue();
            loss = loss * loss / error.length();
            baseline = meanSquared(x.sub(y));

            INDArray dPrediction = error.mul(2.0 / error.length());
            Map<String, INDArray> gradients = new LinkedHashMap<>();
            gradients.put("head.weight", features.transpose().mmul(dPrediction));
            gradients.put("head.bias", dPrediction.sum(0));
            INDArray dOutput = dPrediction.mmul(parameters.get("head.weight").transpose()).reshape(STEPS, BATCH, HIDDEN);
            Gradients g = net.backward(forward, dOutput, null);
            gradients.putAll(g.byTorchName());
            adam.update(parameters, gradients);

            iteration++;
            if (iteration % 25 == 0) {
                report(iteration, loss, baseline, start);
            }
        }
        report(iteration, loss, baseline, start);
        System.out.printf("Done: the LSTM's loss is %.1f%% of the repeat-the-last-value baseline.%n",
                100 * loss / baseline);
    }

    private static void report(int iteration, double loss, double baseline, long start) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        double sequences = (double) iteration * BATCH / elapsed;
        System.out.printf("iteration %4d  loss %.5f  baseline %.5f  %7.0f sequences/s  %9.0f steps/s (fwd+bwd)%n",
                iteration, loss, baseline, sequences, sequences * STEPS);
    }

    /** x {@code [T, B, 1]}: sin(w t + phase); y: the same series one step later. */
    private static INDArray[] sineBatch(SplittableRandom random) {
        float[] xs = new float[STEPS * BATCH];
        float[] ys = new float[STEPS * BATCH];
        for (int b = 0; b < BATCH; b++) {
            double frequency = 0.1 + 0.4 * random.nextDouble();
            double phase = 2 * Math.PI * random.nextDouble();
            for (int t = 0; t < STEPS; t++) {
                xs[t * BATCH + b] = (float) Math.sin(frequency * t + phase);
                ys[t * BATCH + b] = (float) Math.sin(frequency * (t + 1) + phase);
            }
        }
        return new INDArray[] {Nd4j.create(xs, new long[] {STEPS, BATCH, 1}, 'c'),
                Nd4j.create(ys, new long[] {STEPS, BATCH, 1}, 'c')};
    }

    private static double meanSquared(INDArray difference) {
        double norm = difference.norm2Number().doubleValue();
        return norm * norm / difference.length();
    }

    private static Map<String, INDArray> recurrentPart(Map<String, INDArray> parameters) {
        Map<String, INDArray> part = new LinkedHashMap<>(parameters);
        part.remove("head.weight");
        part.remove("head.bias");
        return part;
    }

    /** Adam (Kingma and Ba) with the usual defaults, updating the parameters in place. */
    private static final class Adam {
        private final Map<String, INDArray> firstMoment = new LinkedHashMap<>();
        private final Map<String, INDArray> secondMoment = new LinkedHashMap<>();
        private final double learningRate;
        private int step;

        Adam(Map<String, INDArray> parameters, double learningRate) {
            this.learningRate = learningRate;
            parameters.forEach((name, p) -> {
                firstMoment.put(name, p.ulike().assign(0));
                secondMoment.put(name, p.ulike().assign(0));
            });
        }

        void update(Map<String, INDArray> parameters, Map<String, INDArray> gradients) {
            step++;
            double correction1 = 1 - Math.pow(0.9, step);
            double correction2 = 1 - Math.pow(0.999, step);
            parameters.forEach((name, p) -> {
                INDArray g = gradients.get(name);
                INDArray m = firstMoment.get(name).muli(0.9).addi(g.mul(0.1));
                INDArray v = secondMoment.get(name).muli(0.999).addi(g.mul(g).muli(0.001));
                INDArray denominator = Transforms.sqrt(v.div(correction2), false).addi(1e-8);
                p.subi(m.div(correction1).divi(denominator).muli(learningRate));
            });
        }
    }
}
