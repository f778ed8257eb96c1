package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.SequenceBatch;
import dev.recurrent4j.model.SequenceModel;
import dev.recurrent4j.model.SequenceModelConfig;
import dev.recurrent4j.train.BatchSource;
import dev.recurrent4j.train.ConsoleReporter;
import dev.recurrent4j.train.CsvMetricsWriter;
import dev.recurrent4j.train.CurveChartWriter;
import dev.recurrent4j.train.EarlyStopping;
import dev.recurrent4j.train.GradientClipping;
import dev.recurrent4j.train.LabeledBatch;
import dev.recurrent4j.train.LearningRateSchedule;
import dev.recurrent4j.train.OptimizerConfig;
import dev.recurrent4j.train.SequenceObjective;
import dev.recurrent4j.train.Trainer;
import dev.recurrent4j.train.TrainerConfig;
import dev.recurrent4j.train.TrainingListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scenario 4: one-step-ahead forecasting of the monthly airline passengers, 1949–1960 ({@code data/README.md}),
 * held-out tail 1959–1960 (24 months), against the naive "repeat the last value" forecast.
 *
 * <p>Each example is a window of the {@value #WINDOW} months before the forecast month. The series is taken in
 * logs and each window expressed relative to its last month ({@code log y[t-k] - log y[t-1]}, scaled by 10), so the
 * model sees shapes, not levels; the target is the next change {@code log y[t] - log y[t-1]}. An LSTM reads the
 * window, a linear head on its last step predicts the change, trained with MSE; 1958 is the validation year (early
 * stopping), 1959–1960 the test, forecast one month at a time from the true history.
 */
public final class Forecasting {
    public static final int WINDOW = 13;
    private static final double SCALE = 10.0;
    /** Index of January 1958 and January 1959 in the series. */
    private static final int VALIDATION_START = 108;
    private static final int TEST_START = 120;

    private Forecasting() {}

    /**
     * @param csv a {@code label,value} file with a header line and at least 48 positive values, or {@code null}
     *     for the bundled airline series (its last 24 values are the test, the 12 before them validation)
     */
    public record Options(Path csv, int hidden, int epochs, double learningRate, long seed, Path runDirectory,
            boolean progress) {
        public Options {
            if (hidden < 1 || epochs < 1) {
                throw new IllegalArgumentException("hidden and epochs: expected at least 1 but were " + hidden
                        + " and " + epochs);
            }
            LearningRateSchedule.constant(learningRate);
        }

        public static Options defaults() {
            return new Options(null, 32, 300, 0.01, 42, Path.of("runs", "forecast"), true);
        }
    }

    /**
     * @param modelRmse the model's RMSE on the test months, in the series' units (thousands of passengers)
     * @param naiveRmse the naive forecast's RMSE on the same months
     */
    public record Result(double modelRmse, double naiveRmse, double modelMae, double naiveMae, int testMonths,
            int epochs, double[] actual, double[] forecast) {
        /** How much lower the model's RMSE is than the naive one's, in percent. */
        public double improvementPercent() {
            return 100 * (1 - modelRmse / naiveRmse);
        }
    }

    /** Reads {@code label,value} rows after a header; every value must be a positive number. */
    public static double[] readSeries(Path csv) {
        List<String> lines;
        String name = csv == null ? "data/airline-passengers.csv" : csv.toString();
        try {
            if (csv == null) {
                try (InputStream in = Forecasting.class.getResourceAsStream("/data/airline-passengers.csv")) {
                    lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
                }
            } else {
                lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + name, e);
        }
        List<Double> values = new ArrayList<>();
        for (int k = 1; k < lines.size(); k++) {
            String line = lines.get(k).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] cells = line.split(",");
            double value;
            try {
                value = cells.length == 2 ? Double.parseDouble(cells[1].strip()) : Double.NaN;
            } catch (NumberFormatException e) {
                value = Double.NaN;
            }
            if (!(value > 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException(name + " line " + (k + 1) + ": expected 'label,value' with a"
                        + " positive number but was '" + line + "'");
            }
            values.add(value);
        }
        if (values.size() < 48) {
            throw new IllegalArgumentException(name + ": expected at least 48 values (a validation year, a test of"
                    + " two and windows of " + WINDOW + ") but found " + values.size());
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    public static SequenceModelConfig architecture(int hidden) {
        return new SequenceModelConfig(InputEncoding.dense(1), RecurrentConfig.of(CellType.LSTM, 1, hidden),
                HeadKind.LAST_STEP, 1);
    }

    public static Result run(Options options) {
        double[] series = readSeries(options.csv());
        int testStart = options.csv() == null ? TEST_START : series.length - 24;
        int validationStart = options.csv() == null ? VALIDATION_START : testStart - 12;
        double[] logs = java.util.Arrays.stream(series).map(Math::log).toArray();

        SequenceModel model = SequenceModel.initialize(architecture(options.hidden()), options.seed());
        List<Integer> trainTargets = range(WINDOW, validationStart);
        TrainerConfig config = new TrainerConfig(options.epochs(), OptimizerConfig.Adam.defaults(),
                LearningRateSchedule.constant(options.learningRate()), GradientClipping.byGlobalNorm(1.0),
                options.seed(), EarlyStopping.onLoss(40));
        Trainer<LabeledBatch> trainer = new Trainer<>(new SequenceObjective(model), config);
        if (options.progress()) {
            trainer.addListener(new ConsoleReporter(System.out, "seq", 25));
        }
        if (options.runDirectory() != null) {
            trainer.addListener(new CsvMetricsWriter(options.runDirectory()))
                    .addListener(new CurveChartWriter(options.runDirectory()))
                    .checkpointTo(options.runDirectory().resolve("checkpoints"), 50);
        }
        TrainingListener.TrainingResult result = trainer.fit(
                BatchSource.shuffled(trainTargets, 16, targets -> batch(logs, targets)),
                BatchSource.inOrder(range(validationStart, testStart), 32, targets -> batch(logs, targets)));

        List<Integer> test = range(testStart, series.length);
        INDArray predicted = model.forward(batch(logs, test).input()).output(); // [B, 1] scaled changes
        double[] actual = new double[test.size()];
        double[] forecast = new double[test.size()];
        double modelSquared = 0;
        double naiveSquared = 0;
        double modelAbsolute = 0;
        double naiveAbsolute = 0;
        for (int k = 0; k < test.size(); k++) {
            int t = test.get(k);
            actual[k] = series[t];
            forecast[k] = Math.exp(logs[t - 1] + predicted.getDouble(k, 0) / SCALE);
            modelSquared += sq(forecast[k] - actual[k]);
            naiveSquared += sq(series[t - 1] - actual[k]);
            modelAbsolute += Math.abs(forecast[k] - actual[k]);
            naiveAbsolute += Math.abs(series[t - 1] - actual[k]);
        }
        int n = test.size();
        return new Result(Math.sqrt(modelSquared / n), Math.sqrt(naiveSquared / n), modelAbsolute / n,
                naiveAbsolute / n, n, result.epochsRun(), actual, forecast);
    }

    /** Windows ending before each target month: x {@code [W, B, 1]}, y {@code [B, 1]}, relative logs scaled. */
    static LabeledBatch batch(double[] logs, List<Integer> targets) {
        int size = targets.size();
        double[] x = new double[WINDOW * size];
        double[] y = new double[size];
        for (int b = 0; b < size; b++) {
            int t = targets.get(b);
            double last = logs[t - 1];
            for (int k = 0; k < WINDOW; k++) {
                x[k * size + b] = SCALE * (logs[t - WINDOW + k] - last);
            }
            y[b] = SCALE * (logs[t] - last);
        }
        return LabeledBatch.regression(SequenceBatch.dense(Nd4j.create(x, new long[] {WINDOW, size, 1}, 'c')
                .castTo(DataType.FLOAT), null), Nd4j.create(y, new long[] {size, 1}, 'c').castTo(DataType.FLOAT));
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> list = new ArrayList<>();
        for (int t = from; t < to; t++) {
            list.add(t);
        }
        return list;
    }

    private static double sq(double v) {
        return v * v;
    }
}
