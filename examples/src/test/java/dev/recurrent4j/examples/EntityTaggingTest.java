package dev.recurrent4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Scenario 3, smaller (1000 sentences, H=16, at most 8 epochs): token accuracy at least 0.95 and at least 0.85 on
 * the ambiguous names that only context can tag.
 */
class EntityTaggingTest {
    @Test
    void tagsHeldOutSentences() {
        EntityTagging.Result r = EntityTagging.run(new EntityTagging.Options(1000, 16, 8, 0.02, 42, null, false));
        System.out.printf("tagging test: token accuracy %.3f (entities %.3f, ambiguous %.3f), sentences %.3f%n",
                r.tokenAccuracy(), r.entityTokenAccuracy(), r.ambiguousAccuracy(), r.sentenceAccuracy());
        assertTrue(r.tokenAccuracy() >= 0.95, "token accuracy " + r.tokenAccuracy());
        assertTrue(r.ambiguousAccuracy() >= 0.85, "ambiguous " + r.ambiguousAccuracy());
    }
}
