package dev.recurrent4j.train;

import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recurrent4j.model.ModelParameters;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every optimizer against PyTorch 1.13's {@code torch.optim} in float64 ({@code scripts/generate_optimizer_fixtures.py}):
 * two parameters, four steps with given gradients and a different learning rate each step, the parameters compared
 * after every step to 1e-12 relative. Clipping against {@code clip_grad_norm_} and {@code clip_grad_value_}.
 */
class OptimizerParityTest {
    private static final JsonNode FIXTURES = read();

    static Stream<String> cases() {
        return Stream.iterate(0, k -> k + 1).limit(FIXTURES.get("cases").size())
                .map(k -> FIXTURES.get("cases").get(k).get("name").asText());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesPyTorch(String name) {
        JsonNode fixture = null;
        for (JsonNode c : FIXTURES.get("cases")) {
            if (c.get("name").asText().equals(name)) {
                fixture = c;
            }
        }
        ModelParameters parameters = pair(fixture.get("a0"), fixture.get("b0"));
        Optimizer optimizer = config(name, fixture.get("hyper")).create(parameters);
        for (int step = 0; step < fixture.get("grads").size(); step++) {
            JsonNode g = fixture.get("grads").get(step);
            optimizer.step(pair(g.get("a"), g.get("b")), FIXTURES.get("lrs").get(step).asDouble());
            JsonNode after = fixture.get("after").get(step);
            assertClose(name + " a after step " + (step + 1), array(after.get("a"), 3, 4), parameters.get("a"), 1e-12);
            assertClose(name + " b after step " + (step + 1), array(after.get("b"), 5), parameters.get("b"), 1e-12);
        }
        assertEquals(4, optimizer.steps());
    }

    @Test
    void clippingMatchesPyTorch() {
        JsonNode clip = FIXTURES.get("clipping");
        ModelParameters byNorm = pair(clip.get("a"), clip.get("b"));
        GradientClipping.Report report = GradientClipping.byGlobalNorm(2.0).apply(byNorm);
        assertEquals(clip.get("norm").asDouble(), report.normBefore(), 1e-12);
        assertTrue(report.clipped());
        assertEquals(2.0, report.normAfter(), 1e-5);
        assertClose("clip_grad_norm_ a", array(clip.get("norm_a"), 3, 4), byNorm.get("a"), 1e-12);
        assertClose("clip_grad_norm_ b", array(clip.get("norm_b"), 5), byNorm.get("b"), 1e-12);

        ModelParameters byValue = pair(clip.get("a"), clip.get("b"));
        assertTrue(GradientClipping.byValue(1.5).apply(byValue).clipped());
        assertClose("clip_grad_value_ a", array(clip.get("value_a"), 3, 4), byValue.get("a"), 0);
        assertClose("clip_grad_value_ b", array(clip.get("value_b"), 5), byValue.get("b"), 0);

        ModelParameters small = pair(clip.get("a"), clip.get("b"));
        assertTrue(!GradientClipping.byGlobalNorm(1e6).apply(small).clipped(), "below the threshold: untouched");
    }

    @Test
    void learningRateThatIsNotPositiveIsRejected() {
        ModelParameters p = pair(FIXTURES.get("clipping").get("a"), FIXTURES.get("clipping").get("b"));
        Optimizer sgd = OptimizerConfig.Sgd.plain().create(p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.step(p.zerosLike(), 0));
        assertTrue(e.getMessage().contains("learningRate") && e.getMessage().contains("positive"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(-0.1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(Double.NaN));
    }

    @Test
    void schedules() {
        assertEquals(0.1 * 0.5 * 0.5, new LearningRateSchedule.StepDecay(0.1, 10, 0.5).at(25), 1e-15);
        LearningRateSchedule.Cosine cosine = new LearningRateSchedule.Cosine(1.0, 100, 0.1);
        assertEquals(1.0, cosine.at(0), 1e-15);
        assertEquals(0.55, cosine.at(50), 1e-12);
        assertEquals(0.1, cosine.at(150), 1e-15);
        LearningRateSchedule warm = new LearningRateSchedule.Warmup(4, cosine);
        assertEquals(0.25, warm.at(0), 1e-15);
        assertEquals(1.0, warm.at(3), 1e-15);
        assertEquals(1.0, warm.at(4), 1e-15);
        assertEquals(0.55, warm.at(54), 1e-12);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static OptimizerConfig config(String name, JsonNode h) {
        double wd = h.path("weight_decay").asDouble(0);
        return switch (name) {
            case "sgd" -> OptimizerConfig.Sgd.plain();
            case "sgd_momentum", "sgd_nesterov_wd" -> new OptimizerConfig.Sgd(h.get("momentum").asDouble(),
                    h.path("nesterov").asBoolean(false), wd);
            case "adam", "adam_l2" -> new OptimizerConfig.Adam(h.path("betas").path(0).asDouble(0.9),
                    h.path("betas").path(1).asDouble(0.999), h.path("eps").asDouble(1e-8), wd);
            case "adamw" -> new OptimizerConfig.AdamW(0.9, 0.999, 1e-8, wd);
            case "adagrad" -> OptimizerConfig.Adagrad.defaults();
            case "rmsprop", "rmsprop_centered_momentum" -> new OptimizerConfig.RmsProp(h.path("alpha").asDouble(0.99),
                    1e-8, h.path("momentum").asDouble(0), h.path("centered").asBoolean(false), wd);
            default -> throw new IllegalStateException(name);
        };
    }

    private static ModelParameters pair(JsonNode a, JsonNode b) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("a", array(a, 3, 4));
        tensors.put("b", array(b, 5));
        return ModelParameters.sharing(tensors);
    }

    private static INDArray array(JsonNode values, long... shape) {
        double[] data = new double[values.size()];
        for (int k = 0; k < data.length; k++) {
            data[k] = values.get(k).asDouble();
        }
        return Nd4j.create(data, shape, 'c').castTo(DataType.DOUBLE);
    }

    private static JsonNode read() {
        try (InputStream in = OptimizerParityTest.class.getResourceAsStream("/optimizers.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
