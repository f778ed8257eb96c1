package dev.recurrent4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recurrent4j.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A training checkpoint: one directory holding everything a resumed run needs.
 *
 * <pre>
 * root/
 *   latest                  the name of the newest complete checkpoint (replaced atomically)
 *   step-00001234/
 *     model.safetensors     the parameters, with their PyTorch-style names
 *     optimizer.safetensors the optimizer's moments, named kind/parameter
 *     trainer.json          architecture, optimizer, step, epoch, RNG state, early-stopping state, history
 *     (attachments)         e.g. vocabulary.json
 * </pre>
 *
 * <p>Writing is crash-safe: the checkpoint is written into a temporary directory, every file forced to disk, the
 * directory renamed into place and forced, and only then {@code latest} replaced (temporary file, force, atomic
 * rename). A crash at any point leaves {@code latest} naming a complete checkpoint (or absent). Older checkpoints
 * beyond {@code keep} are deleted after the new one is in place.
 *
 * @param architecture the objective's architecture as JSON (compared on resume)
 * @param model the parameters by name
 * @param optimizer the optimizer's state arrays by name
 * @param optimizerSteps the optimizer's step count
 * @param step optimizer steps the trainer has taken
 * @param epoch epochs completed
 * @param rngState the trainer's {@link SeededRandom} state after {@code epoch} epochs
 * @param best the best early-stopping metric so far (NaN if none)
 * @param badEpochs epochs since it last improved
 * @param history one map of metrics per completed epoch
 * @param attachments small text files saved alongside, by file name
 */
public record Checkpoint(JsonNode architecture, Map<String, INDArray> model, Map<String, INDArray> optimizer,
        long optimizerSteps, long step, int epoch, long rngState, double best, int badEpochs,
        List<Map<String, Double>> history, Map<String, String> attachments) {

    public static final String FORMAT = "recurrent4j-checkpoint-1";
    public static final String LATEST = "latest";
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String TRAINER = "trainer.json";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Writes this checkpoint under {@code root} as {@code step-NNNNNNNN} and points {@code latest} at it.
     *
     * @param keep how many checkpoints to keep (at least 1)
     * @return the checkpoint's directory
     */
    public Path save(Path root, int keep) throws IOException {
        Files.createDirectories(root);
        String name = String.format("step-%08d", step);
        Path target = root.resolve(name);
        Path temp = Files.createTempDirectory(root, ".tmp-" + name + "-");
        try {
            SafeTensors.write(temp.resolve(MODEL), model, Map.of("format", FORMAT));
            SafeTensors.write(temp.resolve(OPTIMIZER), optimizer, Map.of("format", FORMAT));
            writeSynced(temp.resolve(TRAINER), JSON.writeValueAsString(trainerJson()));
            for (Map.Entry<String, String> file : attachments.entrySet()) {
                writeSynced(temp.resolve(file.getKey()), file.getValue());
            }
            forceDirectory(temp);
            if (Files.exists(target)) { // a re-save of the same step: replace it
                deleteRecursively(target);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(root);
            Path pointer = root.resolve(".tmp-" + LATEST);
            writeSynced(pointer, name + "\n");
            move(pointer, root.resolve(LATEST));
            forceDirectory(root);
        } finally {
            if (Files.exists(temp)) {
                deleteRecursively(temp);
            }
        }
        prune(root, keep, name);
        return target;
    }

    /**
     * Reads a checkpoint: {@code path} is either a checkpoint directory or a root with a {@code latest} pointer.
     *
     * @throws IllegalArgumentException when {@code path} holds no checkpoint or one of another format
     */
    public static Checkpoint load(Path path) throws IOException {
        Path directory = resolve(path);
        JsonNode trainer = JSON.readTree(directory.resolve(TRAINER).toFile());
        if (!FORMAT.equals(trainer.path("format").asText())) {
            throw new IllegalArgumentException("checkpoint " + directory + ": expected format " + FORMAT + " but was "
                    + trainer.path("format"));
        }
        List<Map<String, Double>> history = new ArrayList<>();
        for (JsonNode epoch : trainer.path("history")) {
            Map<String, Double> metrics = new LinkedHashMap<>();
            epoch.fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
            history.add(metrics);
        }
        Map<String, String> attachments = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.sorted().toList()) {
                String fileName = file.getFileName().toString();
                if (!fileName.equals(MODEL) && !fileName.equals(OPTIMIZER) && !fileName.equals(TRAINER)) {
                    attachments.put(fileName, Files.readString(file, StandardCharsets.UTF_8));
                }
            }
        }
        return new Checkpoint(trainer.get("architecture"), SafeTensors.read(directory.resolve(MODEL)),
                SafeTensors.read(directory.resolve(OPTIMIZER)), trainer.path("optimizerSteps").asLong(),
                trainer.path("step").asLong(), trainer.path("epoch").asInt(), trainer.path("rngState").asLong(),
                trainer.path("best").isNumber() ? trainer.path("best").asDouble() : Double.NaN,
                trainer.path("badEpochs").asInt(), history, attachments);
    }

    /** The checkpoint directory {@code path} names: itself, or the one its {@code latest} file points at. */
    public static Path resolve(Path path) throws IOException {
        if (path == null || !Files.isDirectory(path)) {
            throw new IllegalArgumentException("checkpoint: expected a checkpoint directory but " + path
                    + " is not a directory");
        }
        if (Files.exists(path.resolve(TRAINER))) {
            return path;
        }
        Path latest = path.resolve(LATEST);
        if (Files.exists(latest)) {
            Path directory = path.resolve(Files.readString(latest, StandardCharsets.UTF_8).trim());
            if (Files.exists(directory.resolve(TRAINER))) {
                return directory;
            }
        }
        throw new IllegalArgumentException("checkpoint: expected " + path + " to hold " + TRAINER + " or a "
                + LATEST + " file naming a checkpoint, but it has neither");
    }

    /**
     * Checks that this checkpoint holds {@code expected} (a config record, as {@link Objective#architecture()}).
     *
     * @throws IllegalArgumentException naming both architectures when they differ
     */
    public void requireArchitecture(Object expected) {
        JsonNode wanted = JSON.valueToTree(expected);
        if (!wanted.equals(architecture)) {
            throw new IllegalArgumentException("checkpoint: expected the architecture " + wanted + " but the"
                    + " checkpoint holds " + architecture + "; it was trained for another model");
        }
    }

    /** The architecture read back as {@code type} (e.g. {@code SequenceModelConfig.class}). */
    public <T> T architectureAs(Class<T> type) {
        try {
            return JSON.treeToValue(architecture, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint: expected the architecture of a " + type.getSimpleName()
                    + " but it holds " + architecture, e);
        }
    }

    private ObjectNode trainerJson() {
        ObjectNode json = JSON.createObjectNode();
        json.put("format", FORMAT);
        json.set("architecture", architecture);
        json.put("step", step);
        json.put("epoch", epoch);
        json.put("rngState", rngState);
        json.put("optimizerSteps", optimizerSteps);
        if (!Double.isNaN(best)) {
            json.put("best", best);
        }
        json.put("badEpochs", badEpochs);
        json.set("history", JSON.valueToTree(history));
        return json;
    }

    private static void writeSynced(Path path, String text) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Forces a directory's entries to disk (Linux; a no-op where directories cannot be opened). */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some platforms cannot open a directory; the renames are still atomic
        }
    }

    private static void prune(Path root, int keep, String newest) throws IOException {
        List<Path> checkpoints;
        try (Stream<Path> entries = Files.list(root)) {
            checkpoints = entries.filter(p -> p.getFileName().toString().matches("step-\\d{8}"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
        for (int k = 0; k < checkpoints.size() - Math.max(keep, 1); k++) {
            if (!checkpoints.get(k).getFileName().toString().equals(newest)) {
                deleteRecursively(checkpoints.get(k));
            }
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
