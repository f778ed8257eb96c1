package dev.recurrent4j.train;

import java.io.PrintStream;

/** One line per epoch on the console: training and validation metrics, time, throughput, clipping. */
public final class ConsoleReporter implements TrainingListener {
    private final PrintStream out;
    private final String unit;
    private final int every;

    public ConsoleReporter() {
        this(System.out, "tok");
    }

    public ConsoleReporter(PrintStream out, String unit) {
        this(out, unit, 1);
    }

    /** @param every print every this many epochs (and the last one) */
    public ConsoleReporter(PrintStream out, String unit, int every) {
        this.out = out;
        this.unit = unit;
        this.every = Math.max(1, every);
    }

    @Override
    public void onEpoch(EpochEvent e) {
        if ((e.epoch() + 1) % every != 0 && e.epoch() + 1 != e.epochs()) {
            return;
        }
        StringBuilder line = new StringBuilder(String.format("epoch %d/%d  train %s", e.epoch() + 1, e.epochs(),
                without(e.train())));
        if (e.validation() != null) {
            line.append("  |  val ").append(e.validation());
        }
        line.append(String.format("  |  %.1f s, %s %s/s, grad norm %s, clipped %.0f%%%s", e.seconds(),
                ProgressBarListener.human(e.itemsPerSecond()), unit,
                Metrics.format(e.train().mean(Trainer.GRAD_NORM)), 100 * e.train().mean(Trainer.CLIPPED),
                e.improved() ? "  *" : ""));
        out.println(line);
    }

    @Override
    public void onEnd(TrainingResult result) {
        if (result.stoppedEarly()) {
            out.println("early stopping after epoch " + result.epochsRun());
        }
    }

    /** The training metrics without the trainer's own gradient statistics (shown separately). */
    private static String without(Metrics train) {
        StringBuilder text = new StringBuilder();
        train.means().forEach((name, value) -> {
            if (!name.equals(Trainer.GRAD_NORM) && !name.equals(Trainer.CLIPPED)) {
                text.append(text.length() == 0 ? "" : " ").append(name).append(' ').append(Metrics.format(value));
            }
        });
        return text.toString();
    }
}
