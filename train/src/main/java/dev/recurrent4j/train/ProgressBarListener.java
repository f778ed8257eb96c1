package dev.recurrent4j.train;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A console progress bar per epoch ({@code me.tongfei:progressbar}): batches done, elapsed time and ETA, and the
 * running loss, throughput, learning rate and share of clipped steps.
 *
 * <pre>
 * epoch 3/20 62% [=========>      ] 31/50 (0:00:04 / 0:00:02) loss 1.8312 | 14.2k tok/s | lr 2.0e-03 | clipped 6%
 * </pre>
 */
public final class ProgressBarListener implements TrainingListener {
    private final PrintStream out;
    private final String unit;
    private ProgressBar bar;
    private int epochs;
    private double lossSum;
    private double lossCount;
    private long items;
    private long nanos;
    private int clipped;
    private int steps;

    /** On {@code System.err}, counting tokens. */
    public ProgressBarListener() {
        this(System.err, "tok");
    }

    /** @param unit what throughput counts ("tok", "seq") */
    public ProgressBarListener(PrintStream out, String unit) {
        this.out = out;
        this.unit = unit;
    }

    @Override
    public void onStart(Start start) {
        epochs = start.epochs();
    }

    @Override
    public void onStep(StepEvent step) {
        if (bar == null) {
            bar = new ProgressBarBuilder().setTaskName("epoch " + (step.epoch() + 1) + "/" + epochs)
                    .setInitialMax(step.batches()).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                    .setMaxRenderedLength(120).setConsumer(new ConsoleProgressBarConsumer(out)).build();
            lossSum = 0;
            lossCount = 0;
            items = 0;
            nanos = 0;
            clipped = 0;
            steps = 0;
        }
        lossSum += step.loss() * step.metrics().count(Metrics.LOSS);
        lossCount += step.metrics().count(Metrics.LOSS);
        items += step.items();
        nanos += step.nanos();
        steps++;
        clipped += step.clip().clipped() ? 1 : 0;
        bar.stepTo(step.batch() + 1);
        bar.setExtraMessage(String.format("loss %s | %s %s/s | lr %.1e | clipped %d%%",
                Metrics.format(lossSum / lossCount), human(items / (nanos / 1e9)), unit, step.learningRate(),
                Math.round(100.0 * clipped / steps)));
    }

    @Override
    public void onEpoch(EpochEvent epoch) {
        close();
    }

    @Override
    public void onEnd(TrainingResult result) {
        close();
    }

    private void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    static String human(double value) {
        if (value >= 1e6) {
            return String.format("%.1fM", value / 1e6);
        }
        return value >= 1e3 ? String.format("%.1fk", value / 1e3) : String.format("%.0f", value);
    }
}
