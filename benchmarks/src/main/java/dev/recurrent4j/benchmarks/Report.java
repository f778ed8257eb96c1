package dev.recurrent4j.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns JMH's JSON results ({@code -rf json}) into Markdown tables: per benchmark class, cell and shape, the score of
 * each method with the ratios the suite is about ({@code recurrent4j / floor}, {@code dl4j / recurrent4j},
 * {@code fused / recurrent4j}), and, when the run used {@code -prof gc}, the Java-heap bytes allocated per
 * operation ({@code gc.alloc.rate.norm}). It reads only the JSON; it runs nothing.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.recurrent4j.benchmarks.Report [--out table.md] \
 *     [--stat mean|median|min] [label=]results.json [label2=]other.json ...
 * </pre>
 *
 * <p>{@code --stat mean} (the default) quotes JMH's score, the mean over measurement iterations, with its 99.9%
 * error. On a shared or noisy machine, where other load only ever adds time, {@code median} or {@code min} over the
 * iterations (each iteration's own average) is the steadier statistic; they are shown with the iterations' range.
 *
 * <p>A label names a run (say {@code default} and {@code passive} for two environments); files with the same label
 * fill the same rows. Rows of different labels are never divided by each other, only methods within one label, one
 * class and one parameter set.
 */
public final class Report {
    /** Methods with a role in the ratios; any other method is listed as is. */
    static final String FLOOR = "floor";
    static final String OURS = "recurrent4j";
    static final String DL4J = "dl4j";
    static final String FUSED = "fused";
    private static final List<String> CLASS_ORDER = List.of("ForwardBenchmark", "ForwardBackwardBenchmark",
            "StreamingStepBenchmark", "FusedOpBenchmark", "FusedOpBackwardBenchmark");

    private Report() {
    }

    /** One method's result: score and error in {@code unit}, and Java-heap bytes per op (NaN without -prof gc). */
    record Result(String method, double score, double error, String unit, double bytesPerOp, double low,
            double high) {
    }

    /** Which statistic of a method's measurement iterations the tables quote. */
    enum Stat { MEAN, MEDIAN, MIN }

    private static Stat stat = Stat.MEAN;

    /** The methods measured for one run, class and parameter set. */
    record Row(String run, String benchmarkClass, String cell, String shape, String otherParams,
            Map<String, Result> results) {
    }

    public static void main(String[] args) throws IOException {
        Path out = null;
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out") && i + 1 < args.length) {
                out = Path.of(args[++i]);
            } else if (args[i].equals("--stat") && i + 1 < args.length) {
                stat = Stat.valueOf(args[++i].toUpperCase(Locale.ROOT));
            } else {
                inputs.add(args[i]);
            }
        }
        if (inputs.isEmpty()) {
            System.err.println("usage: Report [--out table.md] [--stat mean|median|min] [label=]results.json ...");
            System.exit(2);
        }
        StringBuilder markdown = new StringBuilder();
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (String input : inputs) {
            int equals = input.indexOf('=');
            String label = equals > 0 ? input.substring(0, equals) : "";
            Path file = Path.of(equals > 0 ? input.substring(equals + 1) : input);
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            markdown.append(settings(label.isEmpty() ? file.getFileName().toString() : label, root));
            rows(label, root, byKey);
        }
        List<Row> rows = new ArrayList<>(byKey.values());
        rows.sort(Comparator.comparing((Row row) -> classRank(row.benchmarkClass()))
                .thenComparing(Row::benchmarkClass).thenComparing(Row::cell).thenComparing(Row::shape)
                .thenComparing(Row::otherParams).thenComparing(Row::run));
        markdown.append('\n').append(switch (stat) {
            case MEAN -> "Scores: JMH's mean over measurement iterations ± its 99.9% error.";
            case MEDIAN -> "Scores: the median of the measurement iterations [their min–max]; ratios of medians.";
            case MIN -> "Scores: the fastest measurement iteration [min–max]; ratios of minimums.";
        }).append("\n\n").append(ratioTable(rows));
        if (rows.stream().anyMatch(row -> row.results().values().stream()
                .anyMatch(result -> !Double.isNaN(result.bytesPerOp())))) {
            markdown.append('\n').append(allocationTable(rows));
        }
        if (out == null) {
            System.out.print(markdown);
        } else {
            Files.writeString(out, markdown);
        }
    }

    /** One line per input file: what JMH ran it with. */
    static String settings(String label, JsonNode root) {
        if (!root.isArray() || root.isEmpty()) {
            return "- " + label + ": no results\n";
        }
        JsonNode first = root.get(0);
        return String.format(Locale.ROOT, "- %s: %d results; JMH %s, JDK %s (%s), forks %d, warmup %d x %s, "
                        + "measurement %d x %s, JVM args %s%n",
                label, root.size(), first.path("jmhVersion").asText(), first.path("jdkVersion").asText(),
                first.path("vmName").asText(), first.path("forks").asInt(), first.path("warmupIterations").asInt(),
                first.path("warmupTime").asText(), first.path("measurementIterations").asInt(),
                first.path("measurementTime").asText(), first.path("jvmArgs"));
    }

    /** Adds {@code root}'s results to {@code rows}: files with the same label fill the same rows. */
    static void rows(String label, JsonNode root, Map<String, Row> rows) {
        for (JsonNode entry : root) {
            String benchmark = entry.path("benchmark").asText();
            int methodDot = benchmark.lastIndexOf('.');
            String method = benchmark.substring(methodDot + 1);
            String className = benchmark.substring(benchmark.lastIndexOf('.', methodDot - 1) + 1, methodDot);
            Map<String, String> params = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = entry.path("params").fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                params.put(field.getKey(), field.getValue().asText());
            }
            String cell = params.remove("cell");
            String shape = params.remove("shape");
            String other = params.isEmpty() ? "" : params.toString();
            String key = label + "|" + className + "|" + cell + "|" + shape + "|" + other;
            Row row = rows.computeIfAbsent(key, k -> new Row(label, className, cell == null ? "" : cell,
                    shape == null ? "" : shape, other, new LinkedHashMap<>()));
            JsonNode primary = entry.path("primaryMetric");
            JsonNode allocation = entry.path("secondaryMetrics").path("gc.alloc.rate.norm");
            JsonNode percentiles = primary.path("scorePercentiles");
            double low = percentiles.path("0.0").asDouble(Double.NaN);
            double high = percentiles.path("100.0").asDouble(Double.NaN);
            double score = switch (stat) {
                case MEAN -> primary.path("score").asDouble(Double.NaN);
                case MEDIAN -> percentiles.path("50.0").asDouble(Double.NaN);
                case MIN -> low;
            };
            row.results().put(method, new Result(method, score, number(primary.path("scoreError")),
                    primary.path("scoreUnit").asText(),
                    allocation.isMissingNode() ? Double.NaN : allocation.path("score").asDouble(Double.NaN),
                    low, high));
        }
    }

    static String ratioTable(List<Row> rows) {
        boolean anyRun = rows.stream().anyMatch(row -> !row.run().isEmpty());
        StringBuilder table = new StringBuilder();
        table.append(anyRun ? "| run " : "").append("| benchmark | cell | shape | floor | recurrent4j | DL4J | fused "
                + "| **ours / floor** | **DL4J / ours** | fused / ours | other |\n");
        table.append(anyRun ? "|---" : "").append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row row : rows) {
            Map<String, Result> results = row.results();
            StringBuilder other = new StringBuilder();
            results.forEach((method, result) -> {
                if (!List.of(FLOOR, OURS, DL4J, FUSED).contains(method)) {
                    other.append(other.length() == 0 ? "" : "; ").append(method).append(' ')
                            .append(score(result)).append(ratioSuffix(result, results.get(FLOOR), "floor"));
                }
            });
            table.append(anyRun ? "| " + row.run() + " " : "")
                    .append("| ").append(shortName(row.benchmarkClass())).append(row.otherParams().isEmpty() ? ""
                            : " " + row.otherParams())
                    .append(" | ").append(row.cell())
                    .append(" | ").append(describeShape(row.shape()))
                    .append(" | ").append(score(results.get(FLOOR)))
                    .append(" | ").append(score(results.get(OURS)))
                    .append(" | ").append(score(results.get(DL4J)))
                    .append(" | ").append(score(results.get(FUSED)))
                    .append(" | ").append(ratio(results.get(OURS), results.get(FLOOR)))
                    .append(" | ").append(ratio(results.get(DL4J), results.get(OURS)))
                    .append(" | ").append(ratio(results.get(FUSED), results.get(OURS)))
                    .append(" | ").append(other)
                    .append(" |\n");
        }
        return table.toString();
    }

    static String allocationTable(List<Row> rows) {
        boolean anyRun = rows.stream().anyMatch(row -> !row.run().isEmpty());
        StringBuilder table = new StringBuilder("Java-heap bytes allocated per operation (`-prof gc`, "
                + "`gc.alloc.rate.norm`; ND4J's off-heap buffers are not counted):\n\n");
        table.append(anyRun ? "| run " : "")
                .append("| benchmark | cell | shape | floor | recurrent4j | DL4J | fused | other |\n");
        table.append(anyRun ? "|---" : "").append("|---|---|---|---:|---:|---:|---:|---|\n");
        for (Row row : rows) {
            Map<String, Result> results = row.results();
            StringBuilder other = new StringBuilder();
            results.forEach((method, result) -> {
                if (!List.of(FLOOR, OURS, DL4J, FUSED).contains(method)) {
                    other.append(other.length() == 0 ? "" : "; ").append(method).append(' ').append(bytes(result));
                }
            });
            table.append(anyRun ? "| " + row.run() + " " : "")
                    .append("| ").append(shortName(row.benchmarkClass())).append(row.otherParams().isEmpty() ? ""
                            : " " + row.otherParams())
                    .append(" | ").append(row.cell())
                    .append(" | ").append(row.shape())
                    .append(" | ").append(bytes(results.get(FLOOR)))
                    .append(" | ").append(bytes(results.get(OURS)))
                    .append(" | ").append(bytes(results.get(DL4J)))
                    .append(" | ").append(bytes(results.get(FUSED)))
                    .append(" | ").append(other)
                    .append(" |\n");
        }
        return table.toString();
    }

    static String score(Result result) {
        if (result == null || Double.isNaN(result.score())) {
            return "–";
        }
        String unit = result.unit().replace("/op", "").replace("us", "µs");
        if (stat != Stat.MEAN) {
            return significant(result.score()) + " " + unit + " [" + significant(result.low()) + "–"
                    + significant(result.high()) + "]";
        }
        return Double.isNaN(result.error())
                ? significant(result.score()) + " " + unit
                : significant(result.score()) + " ± " + significant(result.error()) + " " + unit;
    }

    /** {@code a / b}, or a dash when either is missing or they are in different units. */
    static String ratio(Result a, Result b) {
        if (a == null || b == null || !a.unit().equals(b.unit()) || !(b.score() > 0)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f×", a.score() / b.score());
    }

    private static String ratioSuffix(Result a, Result b, String name) {
        String ratio = ratio(a, b);
        return ratio.equals("–") ? "" : " (" + ratio + " " + name + ")";
    }

    static String bytes(Result result) {
        if (result == null || Double.isNaN(result.bytesPerOp())) {
            return "–";
        }
        double value = result.bytesPerOp();
        if (value < 1024) {
            return String.format(Locale.ROOT, "%.0f B", value);
        }
        if (value < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", value / 1024);
        }
        return String.format(Locale.ROOT, "%.1f MiB", value / (1024 * 1024));
    }

    /** Three significant digits, no exponent. */
    static String significant(double value) {
        if (value == 0) {
            return "0";
        }
        int digits = Math.max(0, 2 - (int) Math.floor(Math.log10(Math.abs(value))));
        return String.format(Locale.ROOT, "%." + digits + "f", value);
    }

    private static double number(JsonNode node) {
        return node.isNumber() ? node.asDouble() : Double.NaN; // JMH writes "NaN" as a string
    }

    private static String describeShape(String shape) {
        try {
            return shape + " (" + Shape.valueOf(shape).describe() + ")";
        } catch (IllegalArgumentException unknown) {
            return shape;
        }
    }

    private static String shortName(String benchmarkClass) {
        return benchmarkClass.endsWith("Benchmark")
                ? benchmarkClass.substring(0, benchmarkClass.length() - "Benchmark".length()) : benchmarkClass;
    }

    private static int classRank(String benchmarkClass) {
        int rank = CLASS_ORDER.indexOf(benchmarkClass);
        return rank < 0 ? CLASS_ORDER.size() : rank;
    }
}
