package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.SequenceOutput;
import dev.recurrent4j.model.Gradients;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The forward pass of {@link ForwardBenchmark} (or, with {@code forward-backward}, the forward+BPTT of
 * {@link ForwardBackwardBenchmark}) and its two floors, interleaved call by call in one JVM: a check of the ratios
 * for machines whose speed drifts between JMH's forks (on the project's 2-core VM the floor alone moved by up to 30 %
 * from one fork to the next, so a ratio of two forks measured the drift as much as the engine). Each round calls the
 * ND4J floor, the raw-BLAS floor and ours once (forward: {@code InferenceModel.run}, its output closed;
 * forward-backward: {@code EngineFixture.forwardBackward}, its gradients closed), so all three see the same machine;
 * the first fifth of the rounds is warmup. It complements JMH, it does not replace it: no forks, no blackholes
 * (each result is kept in a field until the next call), wall-clock time per call. Output: per call, the median and
 * interquartile range in milliseconds and the median's ratio to the ND4J floor's. Bad arguments (a wrong count, an
 * unknown cell, shape or pass, S1, fewer than 5 rounds) throw an {@link IllegalArgumentException} naming the
 * argument, what was expected and what came, before any work.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx3g -cp benchmarks/target/benchmarks.jar \
 *     dev.recurrent4j.benchmarks.Interleaved LSTM S2 150 [forward-backward]
 * </pre>
 */
public final class Interleaved {
    private static final String USAGE = "usage: Interleaved CELL SHAPE [ROUNDS [PASS]], CELL one of "
            + Arrays.toString(CellType.values()) + ", SHAPE one of S2, S3, S4, ROUNDS at least 5 (default 100), PASS "
            + "forward (default) or forward-backward";
    /** The last result of each call, so that no call's work is dead code. */
    static volatile Object sink;

    private Interleaved() {}

    public static void main(String[] args) {
        if (args.length < 2 || args.length > 4) {
            throw new IllegalArgumentException(USAGE + "; got " + args.length + " arguments");
        }
        CellType cell = parse(CellType.class, args[0], "CELL");
        Shape shape = parse(Shape.class, args[1], "SHAPE");
        if (shape == Shape.S1) {
            throw new IllegalArgumentException("SHAPE: expected S2, S3 or S4 (S1 is the streaming shape) but was S1");
        }
        int rounds = args.length >= 3 ? rounds(args[2]) : 100;
        boolean backward = args.length == 4 && backward(args[3]);
        EngineFixture engine = new EngineFixture(cell, shape, 1);
        engine.validateForward();
        GemmFloor floor = new GemmFloor(cell, shape, 1);
        Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
        if (backward) {
            engine.validateForwardBackward();
            calls.put("floor", floor::forwardBackward);
            calls.put("floorRawBlas", floor::forwardBackwardRawBlas);
            calls.put("recurrent4j", () -> { // as ForwardBackwardBenchmark.recurrent4j does
                try (Gradients gradients = engine.forwardBackward()) {
                    return gradients.input();
                }
            });
        } else {
            calls.put("floor", floor::forward);
            calls.put("floorRawBlas", floor::forwardRawBlas);
            calls.put("recurrent4j", () -> { // read and closed, as ForwardBenchmark.recurrent4j does
                try (SequenceOutput output = engine.infer()) {
                    return output.output();
                }
            });
        }
        Map<String, List<Double>> millis = new LinkedHashMap<>();
        calls.keySet().forEach(name -> millis.put(name, new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
            for (Map.Entry<String, Supplier<Object>> call : calls.entrySet()) {
                long start = System.nanoTime();
                sink = call.getValue().get();
                long elapsed = System.nanoTime() - start;
                if (round >= rounds / 5) {
                    millis.get(call.getKey()).add(elapsed / 1e6);
                }
            }
        }
        double floorMedian = quantile(millis.get("floor"), 0.5);
        System.out.printf("%s %s %s, %d rounds (the first %d not counted): median [p25-p75] per call%n", cell, shape,
                backward ? "forward+backward" : "forward", rounds, rounds / 5);
        for (Map.Entry<String, List<Double>> entry : millis.entrySet()) {
            List<Double> times = entry.getValue();
            System.out.printf("  %-13s %9.2f ms [%.2f-%.2f]  %.3fx floor%n", entry.getKey(), quantile(times, 0.5),
                    quantile(times, 0.25), quantile(times, 0.75), quantile(times, 0.5) / floorMedian);
        }
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value, String name) {
        try {
            return Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": expected one of " + Arrays.toString(type.getEnumConstants())
                    + " but was " + value + " (" + USAGE + ")", e);
        }
    }

    private static boolean backward(String pass) {
        return switch (pass) {
            case "forward" -> false;
            case "forward-backward" -> true;
            default -> throw new IllegalArgumentException("PASS: expected forward or forward-backward but was "
                    + pass + " (" + USAGE + ")");
        };
    }

    private static int rounds(String value) {
        int rounds;
        try {
            rounds = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ROUNDS: expected an integer of at least 5 but was " + value, e);
        }
        if (rounds < 5) {
            throw new IllegalArgumentException("ROUNDS: expected at least 5 but was " + rounds);
        }
        return rounds;
    }

    private static double quantile(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) (q * (sorted.size() - 1)));
    }
}
