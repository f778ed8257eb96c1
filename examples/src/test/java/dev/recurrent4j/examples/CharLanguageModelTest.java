package dev.recurrent4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.model.TokenSampler;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 1, smaller: the hello example learns "ello" and writes "hello"; the LSTM on the bundled text, at H=64
 * for 8 epochs, gets its held-out perplexity below 12 (guessing uniformly: V = 58); its checkpoint loads back and
 * generates from a prefix.
 */
class CharLanguageModelTest {
    @TempDir
    Path temp;

    @Test
    void helloLearnsTheNextCharacter() {
        CharLanguageModel.HelloResult hello = CharLanguageModel.hello(1);
        assertEquals("ello", hello.predicted(), "predictions for h, e, l, l");
        assertEquals("hello", hello.sampled(), "greedy from h");
        assertTrue(hello.loss() < 0.05, "loss " + hello.loss());
    }

    @Test
    void bundledTextReachesAPerplexityThreshold() throws Exception {
        CharLanguageModel.Options options = new CharLanguageModel.Options(null, 64, 8, 16, 50, 25, 0.01, 3,
                temp.resolve("run"), false);
        CharLanguageModel.Result result = CharLanguageModel.train(options);
        System.out.printf("char LM test: validation perplexity %.2f (uniform %.0f)%n", result.validationPerplexity(),
                result.uniformPerplexity());
        assertTrue(result.validationPerplexity() < 12, "validation perplexity " + result.validationPerplexity());

        CharLanguageModel.Result loaded = CharLanguageModel.load(result.checkpoint());
        String sample = CharLanguageModel.generate(loaded.model(), loaded.vocabulary(), "MENENIUS:\n", 80,
                new TokenSampler(0.8, 20, 0.95), 5);
        assertTrue(sample.startsWith("MENENIUS:\n") && sample.length() == 90, sample);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CharLanguageModel.generate(
                loaded.model(), loaded.vocabulary(), "Well#", 5, TokenSampler.greedy(), 1));
        assertTrue(e.getMessage().contains("prefix") && e.getMessage().contains("character 4 is \"#\""), e.getMessage());
    }
}
