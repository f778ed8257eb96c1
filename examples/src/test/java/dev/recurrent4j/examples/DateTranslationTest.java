package dev.recurrent4j.examples;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Scenario 5, smaller (3000 dates, H=64, at most 10 epochs): exact match of greedy decoding at least 0.8. */
class DateTranslationTest {
    @Test
    void translatesHeldOutDates() {
        DateTranslation.Result r = DateTranslation.run(new DateTranslation.Options(3000, 64, 10, 0.01, 42, null,
                false));
        System.out.printf("dates test: exact match %.3f greedy, %.3f beam on %d, %d epochs%n%s%n", r.exactMatch(),
                r.beamExactMatch(), r.testSize(), r.epochs(), String.join("\n", r.samples()));
        assertTrue(r.exactMatch() >= 0.8, "exact match " + r.exactMatch());
    }

    @Test
    void aCharacterOutsideTheSourceAlphabetIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DateTranslation.encodeSource("March 5, 1994"));
        assertTrue(e.getMessage().contains("character 0") && e.getMessage().contains("'M'"), e.getMessage());
    }
}
