package dev.recurrent4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 4, smaller (H=16, at most 80 epochs): the LSTM's RMSE on 1959–1960 is at least 25% below the naive
 * forecast's. A CSV with a bad row is rejected with its line number.
 */
class ForecastingTest {
    @TempDir
    Path temp;

    @Test
    void beatsTheNaiveForecastOnTheHeldOutTail() {
        Forecasting.Result r = Forecasting.run(new Forecasting.Options(null, 16, 80, 0.01, 42, null, false));
        System.out.printf("forecast test: RMSE %.2f vs naive %.2f (%.1f%% lower)%n", r.modelRmse(), r.naiveRmse(),
                r.improvementPercent());
        assertEquals(24, r.testMonths());
        assertTrue(r.improvementPercent() >= 25, "RMSE " + r.modelRmse() + " vs naive " + r.naiveRmse());
    }

    @Test
    void badCsvRowsAreRejectedWithTheirLine() throws Exception {
        Path csv = temp.resolve("sales.csv");
        Files.writeString(csv, "month,sales\n2020-01,10\n2020-02,abc\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Forecasting.readSeries(csv));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("2020-02,abc"), e.getMessage());
        Files.writeString(csv, "month,sales\n2020-01,10\n");
        e = assertThrows(IllegalArgumentException.class, () -> Forecasting.readSeries(csv));
        assertTrue(e.getMessage().contains("at least 48"), e.getMessage());
    }
}
