package dev.recurrent4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Scenario 2, smaller (1200 sentences, H=16, at most 8 epochs): test accuracy at least 0.9, 0.85 on negated sentences. */
class SentimentClassificationTest {
    @Test
    void classifiesHeldOutSentences() {
        SentimentClassification.Result r = SentimentClassification.run(
                new SentimentClassification.Options(1200, 16, 8, 0.02, 42, null, false));
        System.out.printf("sentiment test: accuracy %.3f (negated %.3f, contrast %.3f) on %d%n", r.testAccuracy(),
                r.negationAccuracy(), r.contrastAccuracy(), r.testSize());
        assertTrue(r.testAccuracy() >= 0.9, "accuracy " + r.testAccuracy());
        assertTrue(r.negationAccuracy() >= 0.85, "negation accuracy " + r.negationAccuracy());
    }

    @Test
    void anUnknownWordIsRejectedByName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SentimentClassification.vocabulary().encode(List.of("the", "movie", "was", "meh"), "sentence"));
        assertTrue(e.getMessage().contains("word 3 'meh'"), e.getMessage());
    }
}
