package dev.recurrent4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.model.SequenceModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The feedback a person sees: CSV curves, PNG charts, the progress bar and the epoch lines. */
class ListenersTest {
    @TempDir
    Path temp;

    @Test
    void curvesAreWrittenAsCsvAndPng() throws IOException {
        ByteArrayOutputStream bar = new ByteArrayOutputStream();
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        SequenceModel model = SequenceModel.initialize(TrainerTest.CLASSIFIER, 3);
        new Trainer<>(new SequenceObjective(model), TrainerTest.CONFIG.withEpochs(2))
                .addListener(new CsvMetricsWriter(temp))
                .addListener(new CurveChartWriter(temp, Metrics.ACCURACY))
                .addListener(new ProgressBarListener(new PrintStream(bar, true, StandardCharsets.UTF_8), "seq"))
                .addListener(new ConsoleReporter(new PrintStream(lines, true, StandardCharsets.UTF_8), "seq"))
                .fit(TrainerTest.TRAIN, TrainerTest.VALIDATION);

        List<String> steps = Files.readAllLines(temp.resolve("steps.csv"));
        assertEquals("epoch,step,learning_rate,loss,grad_norm,clipped", steps.get(0));
        assertEquals(1 + 2 * 6, steps.size(), "a header and one row per step (48 examples / 8, 2 epochs)");
        List<String> epochs = Files.readAllLines(temp.resolve("epochs.csv"));
        assertTrue(epochs.get(0).contains("train_loss") && epochs.get(0).contains("val_accuracy"), epochs.get(0));
        assertEquals(3, epochs.size());
        assertEquals(900, ImageIO.read(temp.resolve("loss.png").toFile()).getWidth());
        assertTrue(Files.size(temp.resolve("accuracy.png")) > 1000);

        String console = lines.toString(StandardCharsets.UTF_8);
        assertTrue(console.contains("epoch 2/2") && console.contains("val loss") && console.contains("clipped"),
                console);
        String progress = bar.toString(StandardCharsets.UTF_8);
        assertTrue(progress.contains("epoch 1/2") && progress.contains("seq/s") && progress.contains("loss"),
                progress);
    }
}
