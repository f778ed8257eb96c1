package dev.recurrent4j.train;

import java.util.List;
import java.util.Map;

/**
 * Feedback while a {@link Trainer} runs: called on the training thread, after each step and each epoch. Listeners
 * must not mutate what they are given. Implementations here: {@link ProgressBarListener} (console),
 * {@link CsvMetricsWriter} and {@link CurveChartWriter} (files), {@link ConsoleReporter} (one line per epoch).
 */
public interface TrainingListener {

    /** Before the first step (or the first step after a resume). */
    default void onStart(Start start) {}

    default void onStep(StepEvent step) {}

    default void onEpoch(EpochEvent epoch) {}

    /** After the last epoch, or when early stopping ends the run. */
    default void onEnd(TrainingResult result) {}

    /**
     * @param firstEpoch the epoch training starts at (0, or later after a resume)
     * @param epochs the total number of epochs configured
     * @param batchesPerEpoch batches in the first epoch to run
     */
    record Start(int firstEpoch, int epochs, int batchesPerEpoch, long parameters) {}

    /**
     * One optimizer step.
     *
     * @param epoch 0-based
     * @param batch 0-based index in the epoch
     * @param batches batches in this epoch
     * @param step optimizer steps taken so far, this one included
     * @param learningRate the rate used for this step
     * @param metrics the batch's metrics (loss etc.)
     * @param clip the gradient norm before and after clipping, and whether it clipped
     * @param items tokens (or sequences) in the batch
     * @param nanos time of this step, forward to update
     */
    record StepEvent(int epoch, int batch, int batches, long step, double learningRate, Metrics metrics,
            GradientClipping.Report clip, long items, long nanos) {
        public double loss() {
            return metrics.mean(Metrics.LOSS);
        }
    }

    /**
     * One finished epoch.
     *
     * @param train the epoch's training metrics, with {@code grad_norm} (mean before clipping) and
     *     {@code clipped} (fraction of steps clipped)
     * @param validation validation metrics, or {@code null} without validation data
     * @param improved whether the early-stopping metric improved (false without early stopping)
     * @param seconds the epoch's wall time, validation included
     * @param itemsPerSecond training throughput
     */
    record EpochEvent(int epoch, int epochs, long step, double learningRate, Metrics train, Metrics validation,
            boolean improved, double seconds, double itemsPerSecond) {}

    /**
     * How training ended.
     *
     * @param epochsRun the epochs completed in total (a resumed run counts the earlier ones)
     * @param stoppedEarly whether early stopping ended it
     * @param history one map of metrics per completed epoch ({@code train_loss}, {@code val_accuracy}, ...)
     */
    record TrainingResult(int epochsRun, long steps, boolean stoppedEarly, List<Map<String, Double>> history) {
        /** The last epoch's metrics, or an empty map. */
        public Map<String, Double> last() {
            return history.isEmpty() ? Map.of() : history.get(history.size() - 1);
        }
    }
}
