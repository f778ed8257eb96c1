package dev.recurrent4j.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the curves as CSV into a directory: {@code steps.csv} (one row per optimizer step: epoch, step, learning
 * rate, loss, gradient norm before clipping, clipped) and {@code epochs.csv} (one row per epoch, every training and
 * validation metric; rewritten after each epoch, so it is complete whenever it is read).
 */
public final class CsvMetricsWriter implements TrainingListener {
    private final Path directory;
    private final List<Map<String, Double>> epochs = new ArrayList<>();
    private BufferedWriter steps;

    public CsvMetricsWriter(Path directory) {
        this.directory = directory;
    }

    @Override
    public void onStart(Start start) {
        try {
            Files.createDirectories(directory);
            steps = Files.newBufferedWriter(directory.resolve("steps.csv"), StandardCharsets.UTF_8);
            steps.write("epoch,step,learning_rate,loss,grad_norm,clipped\n");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + directory.resolve("steps.csv"), e);
        }
    }

    @Override
    public void onStep(StepEvent e) {
        try {
            steps.write(String.format("%d,%d,%.6g,%.8g,%.6g,%d%n", e.epoch() + 1, e.step(), e.learningRate(),
                    e.loss(), e.clip().normBefore(), e.clip().clipped() ? 1 : 0));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void onEpoch(EpochEvent e) {
        Map<String, Double> row = new java.util.LinkedHashMap<>();
        row.put("epoch", (double) e.epoch() + 1);
        row.put("step", (double) e.step());
        e.train().means().forEach((name, value) -> row.put("train_" + name, value));
        if (e.validation() != null) {
            e.validation().means().forEach((name, value) -> row.put("val_" + name, value));
        }
        row.put("learning_rate", e.learningRate());
        row.put("seconds", e.seconds());
        epochs.add(row);
        try {
            steps.flush();
            Set<String> columns = new LinkedHashSet<>();
            epochs.forEach(r -> columns.addAll(r.keySet()));
            StringBuilder csv = new StringBuilder(String.join(",", columns)).append('\n');
            for (Map<String, Double> r : epochs) {
                List<String> cells = new ArrayList<>();
                for (String column : columns) {
                    Double value = r.get(column);
                    cells.add(value == null ? "" : column.equals("epoch") || column.equals("step")
                            ? String.valueOf(value.longValue()) : String.format("%.8g", value));
                }
                csv.append(String.join(",", cells)).append('\n');
            }
            Files.writeString(directory.resolve("epochs.csv"), csv, StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void onEnd(TrainingResult result) {
        try {
            if (steps != null) {
                steps.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
