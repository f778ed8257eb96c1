package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.ModelForward;
import dev.recurrent4j.model.ModelGradients;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.SequenceBatch;
import dev.recurrent4j.model.SequenceModel;
import dev.recurrent4j.model.SequenceModelConfig;
import dev.recurrent4j.train.BatchSource;
import dev.recurrent4j.train.ConsoleReporter;
import dev.recurrent4j.train.GradientClipping;
import dev.recurrent4j.train.LabeledBatch;
import dev.recurrent4j.train.LearningRateSchedule;
import dev.recurrent4j.train.LossResult;
import dev.recurrent4j.train.MeanSquaredError;
import dev.recurrent4j.train.Metrics;
import dev.recurrent4j.train.OptimizerConfig;
import dev.recurrent4j.train.SequenceObjective;
import dev.recurrent4j.train.Trainer;
import dev.recurrent4j.train.TrainerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scenario 6: vanishing gradients, shown. The adding problem (Hochreiter and Schmidhuber, 1997): each step holds a
 * random value in [0, 1] and a marker; exactly two steps are marked, one among the first 10 and one in the second
 * half; the target, read at the last step, is the sum of the two marked values. Predicting the mean (1.0) scores
 * an MSE of about 0.167. The same setup (H, optimizer, clipping, steps, seed) trains a vanilla tanh RNN and an
 * LSTM: the LSTM learns it, the RNN does not get far below the baseline.
 *
 * <p>Why, in one plot: the norm of the gradient of the loss with respect to the input at step t,
 * {@code ||dL/dx_t||}, averaged over a batch, for t from the last step back to the first. For the RNN it decays
 * geometrically going back (each step multiplies by {@code W_hh^T diag(tanh')}); for the LSTM the cell state
 * carries it. Written as {@code gradient-norm-through-time.png} and {@code .csv}.
 */
public final class VanishingGradients {
    private VanishingGradients() {}

    /**
     * @param steps T, at least 20
     * @param batches training batches per epoch (fresh sequences each), of 32
     */
    public record Options(int steps, int hidden, int epochs, int batches, double learningRate, long seed,
            Path runDirectory, boolean progress) {
        public Options {
            if (steps < 20 || hidden < 1 || epochs < 1 || batches < 1) {
                throw new IllegalArgumentException("steps, hidden, epochs and batches: expected at least 20, 1, 1, 1"
                        + " but were " + steps + ", " + hidden + ", " + epochs + ", " + batches);
            }
            LearningRateSchedule.constant(learningRate);
        }

        public static Options defaults() {
            return new Options(50, 32, 20, 100, 0.005, 42, Path.of("runs", "vanishing"), true);
        }
    }

    /** One cell type's outcome: validation MSE and the mean gradient norm at each step t (after training). */
    public record Outcome(CellType cell, double validationMse, double[] gradientNorm) {
        /** {@code ||dL/dx_0|| / ||dL/dx_{T-1}||}: how much of the gradient reaches the first step. */
        public double firstToLastRatio() {
            return gradientNorm[0] / gradientNorm[gradientNorm.length - 1];
        }
    }

    public record Result(Outcome rnn, Outcome lstm, double baselineMse, Path plot) {}

    public static Result run(Options options) {
        List<LabeledBatch> validation = List.of(batch(new Random(options.seed() + 1), options.steps(), 512));
        double baseline = MeanSquaredError.of(Nd4j.ones(DataType.FLOAT, 512, 1), validation.get(0).values(), null)
                .loss();
        Outcome rnn = train(CellType.RNN_TANH, options, validation);
        Outcome lstm = train(CellType.LSTM, options, validation);
        Path plot = options.runDirectory() == null ? null : plot(options.runDirectory(), rnn, lstm);
        return new Result(rnn, lstm, baseline, plot);
    }

    private static Outcome train(CellType cell, Options options, List<LabeledBatch> validation) {
        SequenceModelConfig config = new SequenceModelConfig(InputEncoding.dense(2),
                RecurrentConfig.of(cell, 2, options.hidden()), HeadKind.LAST_STEP, 1);
        SequenceModel model = SequenceModel.initialize(config, options.seed());
        Random random = new Random(options.seed());
        List<LabeledBatch> train = new ArrayList<>();
        for (int k = 0; k < options.batches() * options.epochs(); k++) {
            train.add(batch(random, options.steps(), 32));
        }
        Trainer<LabeledBatch> trainer = new Trainer<>(new SequenceObjective(model), new TrainerConfig(
                options.epochs(), OptimizerConfig.Adam.defaults(), LearningRateSchedule.constant(options.learningRate()),
                GradientClipping.byGlobalNorm(1.0), options.seed(), null));
        if (options.progress()) {
            System.out.println("--- " + cell + ", H=" + options.hidden() + ", T=" + options.steps() + " ---");
            trainer.addListener(new ConsoleReporter(System.out, "seq", 5));
        }
        // each epoch sees fresh sequences: the source hands out the next slice of the pre-drawn batches
        int[] epoch = {0};
        trainer.fit(r -> train.subList(epoch[0] * options.batches(), ++epoch[0] * options.batches()),
                BatchSource.fixed(validation));
        double mse = new Trainer<>(new SequenceObjective(model), new TrainerConfig(1, OptimizerConfig.Adam.defaults(),
                LearningRateSchedule.constant(1e-3), GradientClipping.none(), 0, null))
                .evaluate(BatchSource.fixed(validation)).get(Metrics.MSE);
        return new Outcome(cell, mse, gradientNorms(model, validation.get(0)));
    }

    /** {@code [T]}: the batch mean of {@code ||dL/dx_t||} for the MSE loss at the last step. */
    static double[] gradientNorms(SequenceModel model, LabeledBatch batch) {
        ModelForward forward = model.forward(batch.input());
        LossResult loss = MeanSquaredError.of(forward.output(), batch.values(), null);
        ModelGradients g = model.backward(forward, loss.gradient(), null);
        INDArray dx = g.input(); // [T, B, 2]
        int steps = (int) dx.size(0);
        double[] norms = new double[steps];
        INDArray perSequence = dx.mul(dx).sum(2); // [T, B] squared norms
        for (int t = 0; t < steps; t++) {
            double sum = 0;
            double[] row = perSequence.slice(t).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            for (double v : row) {
                sum += Math.sqrt(v);
            }
            norms[t] = sum / row.length;
        }
        return norms;
    }

    /** {@code count} sequences of T steps: x {@code [T, B, 2]} (value, marker), y {@code [B, 1]}. */
    static LabeledBatch batch(Random random, int steps, int count) {
        double[] x = new double[steps * count * 2];
        double[] y = new double[count];
        for (int b = 0; b < count; b++) {
            int first = random.nextInt(10);
            int second = steps / 2 + random.nextInt(steps - steps / 2);
            for (int t = 0; t < steps; t++) {
                double value = random.nextDouble();
                int at = (t * count + b) * 2;
                x[at] = value;
                if (t == first || t == second) {
                    x[at + 1] = 1;
                    y[b] += value;
                }
            }
        }
        return LabeledBatch.regression(SequenceBatch.dense(Nd4j.create(x, new long[] {steps, count, 2}, 'c')
                .castTo(DataType.FLOAT), null), Nd4j.create(y, new long[] {count, 1}, 'c').castTo(DataType.FLOAT));
    }

    /** Writes the plot (log scale) and its CSV; returns the PNG's path. */
    static Path plot(Path directory, Outcome rnn, Outcome lstm) {
        try {
            Files.createDirectories(directory);
            System.setProperty("java.awt.headless", "true");
            int steps = rnn.gradientNorm().length;
            double[] t = new double[steps];
            StringBuilder csv = new StringBuilder("t,rnn_tanh,lstm\n");
            for (int k = 0; k < steps; k++) {
                t[k] = k;
                csv.append(k).append(',').append(rnn.gradientNorm()[k]).append(',').append(lstm.gradientNorm()[k])
                        .append('\n');
            }
            Files.writeString(directory.resolve("gradient-norm-through-time.csv"), csv, StandardCharsets.UTF_8);
            XYChart chart = new XYChartBuilder().width(900).height(520)
                    .title("Gradient reaching step t back through time (adding problem, T=" + steps + ")")
                    .xAxisTitle("time step t (the loss is at t = " + (steps - 1) + ")").yAxisTitle("mean ||dL/dx_t||")
                    .build();
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
            chart.addSeries("vanilla RNN (tanh)", t, floor(rnn.gradientNorm()));
            chart.addSeries("LSTM", t, floor(lstm.gradientNorm()));
            Path png = directory.resolve("gradient-norm-through-time.png");
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
            return png;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the plot into " + directory, e);
        }
    }

    /** Log axes cannot show 0: values below 1e-30 are drawn at 1e-30. */
    private static double[] floor(double[] values) {
        return java.util.Arrays.stream(values).map(v -> Math.max(v, 1e-30)).toArray();
    }
}
