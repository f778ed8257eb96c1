package dev.recurrent4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the training curves as PNG with XChart, redrawn after every epoch: {@code loss.png} (the loss of every step,
 * light, and the epoch means of training and validation) and one {@code <metric>.png} per extra metric asked for
 * (e.g. accuracy, perplexity), training and validation per epoch. Rendering is headless.
 */
public final class CurveChartWriter implements TrainingListener {
    private final Path directory;
    private final List<String> metrics;
    private final List<Double> stepX = new ArrayList<>();
    private final List<Double> stepLoss = new ArrayList<>();
    private final List<EpochEvent> epochs = new ArrayList<>();

    /** @param metrics extra metrics to chart besides the loss, e.g. {@link Metrics#ACCURACY} */
    public CurveChartWriter(Path directory, String... metrics) {
        this.directory = directory;
        this.metrics = List.of(metrics);
        System.setProperty("java.awt.headless", "true");
    }

    @Override
    public void onStep(StepEvent e) {
        stepX.add(e.epoch() + (e.batch() + 1.0) / e.batches());
        stepLoss.add(e.loss());
    }

    @Override
    public void onEpoch(EpochEvent e) {
        epochs.add(e);
        try {
            Files.createDirectories(directory);
            XYChart loss = chart("Loss", Metrics.LOSS);
            if (stepX.size() > 1) {
                XYSeries steps = loss.addSeries("train (per step)", stepX, stepLoss);
                steps.setMarker(SeriesMarkers.NONE);
                steps.setLineWidth(0.6f);
                steps.setLineColor(new java.awt.Color(150, 180, 230));
            }
            addEpochSeries(loss, Metrics.LOSS);
            BitmapEncoder.saveBitmap(loss, directory.resolve("loss.png").toString(), BitmapEncoder.BitmapFormat.PNG);
            for (String metric : metrics) {
                XYChart chart = chart(metric.substring(0, 1).toUpperCase() + metric.substring(1), metric);
                if (addEpochSeries(chart, metric)) {
                    BitmapEncoder.saveBitmap(chart, directory.resolve(metric + ".png").toString(),
                            BitmapEncoder.BitmapFormat.PNG);
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("could not write the curves into " + directory, ex);
        }
    }

    private static XYChart chart(String title, String yAxis) {
        XYChart chart = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle("epoch")
                .yAxisTitle(yAxis).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        return chart;
    }

    /** Adds "train" and "validation" per-epoch series of {@code metric}; false when there is nothing to draw. */
    private boolean addEpochSeries(XYChart chart, String metric) {
        List<Double> x = new ArrayList<>();
        List<Double> train = new ArrayList<>();
        List<Double> validation = new ArrayList<>();
        for (EpochEvent e : epochs) {
            x.add(e.epoch() + 1.0);
            train.add(e.train().get(metric));
            validation.add(e.validation() == null ? Double.NaN : e.validation().get(metric));
        }
        boolean any = false;
        if (train.stream().anyMatch(Double::isFinite)) {
            chart.addSeries("train (epoch mean)", x, train);
            any = true;
        }
        if (validation.stream().anyMatch(Double::isFinite)) {
            chart.addSeries("validation", x, validation);
            any = true;
        }
        return any;
    }
}
