package dev.recurrent4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 6, smaller (T=30, H=16, 8 epochs of 50 batches, 400 steps): the LSTM's validation MSE is below half
 * of the predict-the-mean baseline's, the RNN's stays above 80% of it; the share of the gradient that reaches step
 * 0 is at least 100 times larger for the LSTM than for the RNN; the plot is written. (In 400 steps the LSTM is
 * still learning; the full scenario runs longer.)
 */
class VanishingGradientsTest {
    @TempDir
    Path temp;

    @Test
    void theLstmLearnsTheAddingProblemAndKeepsItsGradient() throws Exception {
        VanishingGradients.Result r = VanishingGradients.run(new VanishingGradients.Options(30, 16, 8, 50, 0.01, 42,
                temp, false));
        System.out.printf("vanishing test: MSE RNN %.4f, LSTM %.4f (baseline %.4f); gradient at t=0 / t=T-1: RNN"
                + " %.2e, LSTM %.2e%n", r.rnn().validationMse(), r.lstm().validationMse(), r.baselineMse(),
                r.rnn().firstToLastRatio(), r.lstm().firstToLastRatio());
        assertTrue(r.lstm().validationMse() < 0.5 * r.baselineMse(), "LSTM MSE " + r.lstm().validationMse());
        assertTrue(r.rnn().validationMse() > 0.8 * r.baselineMse(), "RNN MSE " + r.rnn().validationMse());
        assertTrue(r.lstm().firstToLastRatio() >= 100 * r.rnn().firstToLastRatio(), "gradient ratios");
        assertTrue(Files.size(r.plot()) > 1000);
    }
}
