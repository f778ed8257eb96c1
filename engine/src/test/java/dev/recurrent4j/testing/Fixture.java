package dev.recurrent4j.testing;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.io.SafeTensors;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A PyTorch float64 reference case written by {@code scripts/generate_fixtures.py}: the config, the
 * {@code state_dict}, the inputs, the outputs and every gradient of
 * {@code loss = sum(output * grad_output) + sum(h_n * grad_h_n) [+ sum(c_n * grad_c_n)]}.
 */
public record Fixture(String name, RecurrentConfig config, Map<String, INDArray> tensors, int[] lengths) {

    private static final Path DIRECTORY = directory();

    /** Every fixture name, sorted. */
    public static List<String> names() {
        try (Stream<Path> files = Files.list(DIRECTORY)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors"))
                    .map(n -> n.substring(0, n.length() - ".safetensors".length()))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads a fixture, its float tensors cast to {@code type}. */
    public static Fixture load(String name, DataType type) {
        try {
            SafeTensors.Contents contents = SafeTensors.readWithMetadata(DIRECTORY.resolve(name + ".safetensors"));
            Map<String, String> meta = contents.metadata();
            RecurrentConfig config = new RecurrentConfig(CellType.valueOf(meta.get("mode")),
                    Integer.parseInt(meta.get("input_size")), Integer.parseInt(meta.get("hidden_size")),
                    Integer.parseInt(meta.get("num_layers")), Boolean.parseBoolean(meta.get("bidirectional")),
                    Boolean.parseBoolean(meta.get("bias")), 0.0, false, type);
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            int[] lengths = null;
            for (Map.Entry<String, INDArray> e : contents.tensors().entrySet()) {
                if (e.getKey().equals("lengths")) {
                    lengths = e.getValue().toIntVector();
                } else {
                    tensors.put(e.getKey(), e.getValue().castTo(type));
                }
            }
            return new Fixture(name, config, tensors, lengths);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public INDArray get(String key) {
        return tensors.get(key);
    }

    /** The {@code state_dict} entries: every tensor named like a parameter. */
    public Map<String, INDArray> stateDict() {
        Map<String, INDArray> stateDict = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (k.startsWith("weight_") || k.startsWith("bias_")) {
                stateDict.put(k, v);
            }
        });
        return stateDict;
    }

    public RecurrentState initialState() {
        return new RecurrentState(get("h0"), get("c0"));
    }

    public RecurrentState finalStateGradient() {
        return new RecurrentState(get("grad_h_n"), get("grad_c_n"));
    }

    /** The fixtures folder, on disk or (from another module) inside this test jar. */
    private static Path directory() {
        try {
            URI uri = Fixture.class.getResource("/fixtures").toURI();
            if (uri.getScheme().equals("jar")) {
                try {
                    FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException alreadyOpen) {
                    // opened by an earlier call: Path.of finds it
                }
            }
            return Path.of(uri);
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot open the fixtures folder", e);
        }
    }
}
