package dev.recurrent4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Temperature, top-k and top-p against distributions worked out by hand. */
class TokenSamplerTest {
    private static final double[] LOGITS = {Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)};

    @Test
    void temperatureOneIsTheSoftmax() {
        double[] p = TokenSampler.ofTemperature(1).probabilities(LOGITS);
        assertEquals(0.5, p[0], 1e-12);
        assertEquals(0.05, p[3], 1e-12);
    }

    @Test
    void topKKeepsTheKMostLikely() {
        double[] p = new TokenSampler(1, 2, 1).probabilities(LOGITS);
        assertEquals(0.5 / 0.8, p[0], 1e-12);
        assertEquals(0.3 / 0.8, p[1], 1e-12);
        assertEquals(0, p[2]);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        double[] p = new TokenSampler(1, 0, 0.75).probabilities(LOGITS); // 0.5 < 0.75 <= 0.8
        assertEquals(0.5 / 0.8, p[0], 1e-12);
        assertEquals(0, p[2]);
    }

    @Test
    void lowTemperatureSharpens() {
        double[] p = TokenSampler.ofTemperature(0.5).probabilities(LOGITS); // p^2 renormalised
        double z = 0.25 + 0.09 + 0.0225 + 0.0025;
        assertEquals(0.25 / z, p[0], 1e-12);
    }

    @Test
    void samplingFollowsTheDistributionAndGreedyTakesTheArgMax() {
        SplittableRandom random = new SplittableRandom(1);
        int[] counts = new int[4];
        for (int k = 0; k < 20000; k++) {
            counts[TokenSampler.ofTemperature(1).sample(LOGITS, random)]++;
        }
        assertEquals(0.5, counts[0] / 20000.0, 0.02);
        assertEquals(0.05, counts[3] / 20000.0, 0.01);
        assertEquals(0, TokenSampler.greedy().sample(LOGITS, random));
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TokenSampler(-1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new TokenSampler(1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new TokenSampler(1, 0, 0));
    }
}
