package dev.recurrent4j.train;

import dev.recurrent4j.model.ModelParameters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop: epochs of minibatches (shuffled from the seed), for each a training step of the
 * {@link Objective}, gradient clipping, an optimizer update at the scheduled learning rate; after each epoch,
 * validation, early stopping and checkpoints; listeners hear about every step and epoch.
 *
 * <pre>{@code
 * Trainer<LabeledBatch> trainer = new Trainer<>(new SequenceObjective(model), TrainerConfig.adam(10, 1e-3, 42))
 *         .addListener(new ProgressBarListener()).checkpointTo(Path.of("runs/lm"), 1);
 * TrainingResult result = trainer.fit(train, validation);
 * }</pre>
 *
 * <p>Reproducible: every random choice comes from one {@link SeededRandom} seeded by {@link TrainerConfig#seed()}
 * (each epoch's shuffle and each step's dropout seed, in a fixed order), so the same seed on the same backend gives
 * the same losses, bit for bit, on CPU. A checkpoint saves that generator's state with the model, the optimizer,
 * the step and the early-stopping state, so {@link #resume} followed by {@link #fit} continues exactly as the
 * uninterrupted run would have. Checkpoints are taken at epoch ends.
 *
 * @param <B> the minibatch type
 */
public final class Trainer<B> {
    private static final Logger log = LoggerFactory.getLogger(Trainer.class);
    /** The training metrics the trainer adds: mean gradient norm before clipping, fraction of steps clipped. */
    public static final String GRAD_NORM = "grad_norm";
    public static final String CLIPPED = "clipped";

    private final Objective<B> objective;
    private final TrainerConfig config;
    private final Optimizer optimizer;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final Map<String, String> attachments = new LinkedHashMap<>();
    private SeededRandom random;
    private long step;
    private int epoch;
    private double best = Double.NaN;
    private int badEpochs;
    private final List<Map<String, Double>> history = new ArrayList<>();
    private Path checkpointRoot;
    private int checkpointEvery;
    private int keep = 2;

    public Trainer(Objective<B> objective, TrainerConfig config) {
        if (objective == null || config == null) {
            throw new IllegalArgumentException("objective and config: expected both but "
                    + (objective == null ? "objective" : "config") + " was null");
        }
        this.objective = objective;
        this.config = config;
        this.optimizer = config.optimizer().create(objective.parameters());
        this.random = new SeededRandom(config.seed());
    }

    public Trainer<B> addListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Saves a checkpoint under {@code root} every {@code everyEpochs} epochs and after the last one.
     *
     * @param everyEpochs at least 1
     */
    public Trainer<B> checkpointTo(Path root, int everyEpochs) {
        if (everyEpochs < 1) {
            throw new IllegalArgumentException("everyEpochs: expected at least 1 but was " + everyEpochs);
        }
        this.checkpointRoot = root;
        this.checkpointEvery = everyEpochs;
        return this;
    }

    /** How many checkpoints to keep under the root (default 2). */
    public Trainer<B> keepCheckpoints(int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep: expected at least 1 but was " + keep);
        }
        this.keep = keep;
        return this;
    }

    /** A small text file saved in every checkpoint (e.g. the vocabulary). */
    public Trainer<B> attach(String fileName, String content) {
        if (fileName == null || !fileName.matches("[A-Za-z0-9._-]+") || fileName.startsWith(".")) {
            throw new IllegalArgumentException("fileName: expected a plain file name but was " + fileName);
        }
        attachments.put(fileName, content);
        return this;
    }

    /** Optimizer steps taken. */
    public long step() {
        return step;
    }

    /** Epochs completed. */
    public int epoch() {
        return epoch;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** The metrics of every completed epoch. */
    public List<Map<String, Double>> history() {
        return List.copyOf(history);
    }

    /**
     * Restores a checkpoint (a checkpoint directory or a root with {@code latest}) into this trainer: the
     * parameters (in place), the optimizer, the step, the epoch, the random state and early stopping.
     *
     * @throws IllegalArgumentException for a checkpoint of another architecture or optimizer, or no checkpoint
     */
    public Trainer<B> resume(Path checkpoint) throws IOException {
        Checkpoint saved = Checkpoint.load(checkpoint);
        saved.requireArchitecture(objective.architecture());
        objective.parameters().assign(saved.model());
        optimizer.loadState(saved.optimizer(), saved.optimizerSteps());
        step = saved.step();
        epoch = saved.epoch();
        random = SeededRandom.restore(saved.rngState());
        best = saved.best();
        badEpochs = saved.badEpochs();
        history.clear();
        history.addAll(saved.history());
        log.info("Resumed {} at epoch {}, step {}", Checkpoint.resolve(checkpoint), epoch, step);
        return this;
    }

    /**
     * Trains from the current epoch (0, or where a resumed checkpoint left off) to {@code config.epochs()}.
     *
     * @param train the training batches
     * @param validation the validation batches, or {@code null}
     * @throws IllegalArgumentException with early stopping but no validation data
     */
    public TrainingListener.TrainingResult fit(BatchSource<B> train, BatchSource<B> validation) {
        if (train == null) {
            throw new IllegalArgumentException("train: expected a BatchSource but was null");
        }
        if (config.earlyStopping() != null && validation == null) {
            throw new IllegalArgumentException("validation: expected validation data for early stopping on "
                    + config.earlyStopping().metric() + " but was null");
        }
        boolean stopped = false;
        boolean started = false;
        while (epoch < config.epochs() && !stopped) {
            long epochStart = System.nanoTime();
            List<B> batches = train.epoch(new SeededRandom(random.nextLong()));
            if (!started) {
                listeners.forEach(l -> l.onStart(new TrainingListener.Start(epoch, config.epochs(), batches.size(),
                        objective.parameters().count())));
                started = true;
            }
            objective.reset();
            Metrics epochMetrics = new Metrics();
            long items = 0;
            double learningRate = Double.NaN;
            for (int index = 0; index < batches.size(); index++) {
                long stepStart = System.nanoTime();
                learningRate = config.schedule().at(step);
                Objective.Step result = objective.trainStep(batches.get(index), random.nextLong());
                requireFinite(result.metrics());
                GradientClipping.Report clip = config.clipping().apply(result.gradients());
                optimizer.step(result.gradients(), learningRate);
                step++;
                items += result.items();
                epochMetrics.addAll(result.metrics()).add(GRAD_NORM, clip.normBefore(), 1)
                        .add(CLIPPED, clip.clipped() ? 1 : 0, 1);
                TrainingListener.StepEvent event = new TrainingListener.StepEvent(epoch, index, batches.size(), step,
                        learningRate, result.metrics(), clip, result.items(), System.nanoTime() - stepStart);
                listeners.forEach(l -> l.onStep(event));
            }
            double trainSeconds = (System.nanoTime() - epochStart) / 1e9;
            Metrics validationMetrics = validation == null ? null : evaluate(validation);
            boolean improved = false;
            if (config.earlyStopping() != null) {
                double value = validationMetrics.get(config.earlyStopping().metric());
                if (Double.isNaN(value)) {
                    throw new IllegalArgumentException("earlyStopping.metric: expected one of "
                            + validationMetrics.means().keySet() + " but was " + config.earlyStopping().metric());
                }
                improved = config.earlyStopping().improves(value, best);
                if (improved) {
                    best = value;
                    badEpochs = 0;
                } else {
                    badEpochs++;
                    stopped = badEpochs >= config.earlyStopping().patience();
                }
            }
            epoch++;
            history.add(row(epochMetrics, validationMetrics, learningRate));
            TrainingListener.EpochEvent event = new TrainingListener.EpochEvent(epoch - 1, config.epochs(), step,
                    learningRate, epochMetrics, validationMetrics, improved, (System.nanoTime() - epochStart) / 1e9,
                    items / Math.max(trainSeconds, 1e-9));
            listeners.forEach(l -> l.onEpoch(event));
            if (checkpointRoot != null && (epoch % checkpointEvery == 0 || epoch == config.epochs() || stopped)) {
                saveCheckpoint(checkpointRoot);
            }
        }
        TrainingListener.TrainingResult result = new TrainingListener.TrainingResult(epoch, step, stopped,
                List.copyOf(history));
        listeners.forEach(l -> l.onEnd(result));
        return result;
    }

    /** The objective's metrics over every batch of {@code data}, in evaluation mode (state reset first). */
    public Metrics evaluate(BatchSource<B> data) {
        objective.reset();
        Metrics metrics = new Metrics();
        for (B batch : data.epoch(new SeededRandom(0))) {
            metrics.addAll(objective.evaluate(batch));
        }
        objective.reset();
        return metrics;
    }

    /** Writes a checkpoint of the current state under {@code root}; returns its directory. */
    public Path saveCheckpoint(Path root) {
        try {
            Checkpoint checkpoint = new Checkpoint(Checkpoint.JSON.valueToTree(objective.architecture()),
                    objective.parameters().byName(), optimizer.stateDict(), optimizer.steps(), step, epoch,
                    random.state(), best, badEpochs, List.copyOf(history), Map.copyOf(attachments));
            Path saved = checkpoint.save(root, keep);
            log.debug("Saved checkpoint {}", saved);
            return saved;
        } catch (IOException e) {
            throw new UncheckedIOException("could not save a checkpoint under " + root, e);
        }
    }

    /** {@code train_*} and {@code val_*} means of one epoch, plus the learning rate. */
    private static Map<String, Double> row(Metrics train, Metrics validation, double learningRate) {
        Map<String, Double> row = new LinkedHashMap<>();
        train.means().forEach((name, value) -> row.put("train_" + name, value));
        if (validation != null) {
            validation.means().forEach((name, value) -> row.put("val_" + name, value));
        }
        row.put("learning_rate", learningRate);
        return row;
    }

    private void requireFinite(Metrics metrics) {
        double loss = metrics.mean(Metrics.LOSS);
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("loss: expected a finite number at step " + (step + 1) + " but was "
                    + loss + "; the model diverged (lower the learning rate or clip the gradients)");
        }
    }

    /** For checkpoints: the parameters being trained. */
    ModelParameters parameters() {
        return objective.parameters();
    }
}
