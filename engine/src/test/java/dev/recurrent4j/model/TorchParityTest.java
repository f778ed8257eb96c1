package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertAllZero;
import static dev.recurrent4j.testing.TensorAssert.assertClose;

import dev.recurrent4j.testing.Fixture;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every output and every gradient against PyTorch 1.13 in float64 (fixtures from
 * {@code scripts/generate_fixtures.py}): every cell x {1, 2} layers x {uni, bi}, variable lengths, T=1, B=1,
 * no bias and T=220. float64 must agree within 1e-9 and float32 within 1e-4 of each tensor's max |truth|.
 */
public class TorchParityTest {
    private static final Logger log = LoggerFactory.getLogger(TorchParityTest.class);
    private static final Map<String, Double> WORST = new ConcurrentHashMap<>();

    static Stream<Arguments> cases() {
        return Fixture.names().stream().flatMap(name -> Stream.of(
                Arguments.of(name, DataType.DOUBLE, 1e-9),
                Arguments.of(name, DataType.FLOAT, 1e-4)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorch(String name, DataType type, double tolerance) {
        Fixture f = Fixture.load(name, type);
        RecurrentNetwork net = RecurrentNetwork.fromTorchStateDict(f.config(), f.stateDict());

        ForwardResult out = net.forward(f.get("input"), f.initialState(), f.lengths());
        Gradients g = net.backward(out, f.get("grad_output"), f.finalStateGradient());

        String key = f.config().cell() + " " + type;
        record(key, assertClose(name + " output", f.get("output"), out.output(), tolerance));
        record(key, assertClose(name + " h_n", f.get("h_n"), out.finalState().h(), tolerance));
        record(key, assertClose(name + " grad.input", f.get("grad.input"), g.input(), tolerance));
        record(key, assertClose(name + " grad.h0", f.get("grad.h0"), g.initialState().h(), tolerance));
        if (f.config().cell().hasCellState()) {
            record(key, assertClose(name + " c_n", f.get("c_n"), out.finalState().c(), tolerance));
            record(key, assertClose(name + " grad.c0", f.get("grad.c0"), g.initialState().c(), tolerance));
        }
        for (Map.Entry<String, INDArray> e : g.byTorchName().entrySet()) {
            record(key, assertClose(name + " grad." + e.getKey(), f.get("grad." + e.getKey()), e.getValue(),
                    tolerance));
        }
        if (f.lengths() != null) {
            assertPaddingIsInert(f, out, g);
        }
    }

    /** Outputs at padded steps and gradients at padded inputs are exactly 0. */
    private static void assertPaddingIsInert(Fixture f, ForwardResult out, Gradients g) {
        int[] lengths = f.lengths();
        long steps = out.output().size(0);
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < steps) {
                var padded = new org.nd4j.linalg.indexing.INDArrayIndex[] {
                        NDArrayIndex.interval(lengths[b], steps), NDArrayIndex.point(b), NDArrayIndex.all()};
                assertAllZero(f.name() + " output padding of sequence " + b, out.output().get(padded));
                assertAllZero(f.name() + " grad.input padding of sequence " + b, g.input().get(padded));
            }
        }
    }

    private static void record(String key, double relativeError) {
        WORST.merge(key, relativeError, Math::max);
    }

    @AfterAll
    static void logParityTable() {
        new TreeMap<>(WORST).forEach((key, worst) ->
                log.info("parity vs PyTorch float64: {} worst relative error {}", key, String.format("%.2e", worst)));
    }
}
