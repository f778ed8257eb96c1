package dev.recurrent4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.io.SafeTensors;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: bad input stops with exit code 2 and one clear line before any training; the tools run. */
class CliTest {
    @TempDir
    Path temp;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream oldErr;
    private PrintStream oldOut;

    @BeforeEach
    void capture() {
        oldErr = System.err;
        oldOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(oldErr);
        System.setOut(oldOut);
    }

    @Test
    void aLearningRateThatIsNotPositiveStopsBeforeTraining() {
        long start = System.nanoTime();
        assertEquals(2, Cli.run("train", "char-lm", "--lr", "-0.1", "--run", temp.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("learningRate: expected a positive number but was"
                + " -0.1"), err.toString(StandardCharsets.UTF_8));
        assertEquals(2, Cli.run("train", "forecast", "--lr", "0", "--run", temp.toString()));
        assertTrue((System.nanoTime() - start) / 1e9 < 10, "rejected before any training");
    }

    @Test
    void aCheckpointOfAnotherArchitectureOrNoneIsRejected() {
        assertEquals(2, Cli.run("generate", "--checkpoint", temp.resolve("none").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not a directory"));
    }

    @Test
    void importTorchLoadsAStateDictAndRejectsAnotherArchitecture() throws Exception {
        Path file = temp.resolve("lstm.safetensors");
        SafeTensors.write(file, RecurrentNetwork.initialize(RecurrentConfig.of(CellType.LSTM, 3, 4).withLayers(2), 1)
                .toTorchStateDict());
        assertEquals(0, Cli.run("import-torch", file.toString(), "--cell", "LSTM", "--input-size", "3", "--hidden",
                "4", "--layers", "2"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("weight_hh_l1 [16, 4]"));
        assertEquals(2, Cli.run("import-torch", file.toString(), "--cell", "GRU", "--input-size", "3", "--hidden",
                "4", "--layers", "2"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("weight_ih_l0"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void benchRuns() {
        assertEquals(0, Cli.run("bench", "--hidden", "8", "--steps", "5", "--batch", "2", "--seconds", "0.2"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("forward+backward"));
    }
}
