package dev.recurrent4j.model;

import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.tensor.Shapes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights of every layer and direction of a network, or their gradients (both share this type), with
 * PyTorch's names: {@code weight_ih_l{k}}, {@code weight_hh_l{k}}, {@code bias_ih_l{k}}, {@code bias_hh_l{k}},
 * suffixed {@code _reverse} for the reverse direction. Entry {@code layer * D + direction} belongs to that layer
 * and direction.
 */
public final class Parameters {
    private final RecurrentConfig config;
    private final List<CellWeights> cells;

    Parameters(RecurrentConfig config, List<CellWeights> cells) {
        assert cells.size() == config.numLayers() * config.directions();
        this.config = config;
        this.cells = List.copyOf(cells);
    }

    /** The architecture these parameters belong to. */
    public RecurrentConfig config() {
        return config;
    }

    /** The weights of one layer and direction ({@code direction} 0 forward, 1 reverse); arrays are shared. */
    public CellWeights get(int layer, int direction) {
        return cells.get(layer * config.directions() + direction);
    }

    /** A deep copy: new arrays with the same values. */
    public Parameters copy() {
        return new Parameters(config, cells.stream().map(w -> new CellWeights(w.weightIh().dup(), w.weightHh().dup(),
                w.hasBias() ? w.biasIh().dup() : null, w.hasBias() ? w.biasHh().dup() : null)).toList());
    }

    /** New zero arrays of the same shapes: a gradient accumulator. */
    public Parameters zerosLike() {
        return new Parameters(config, cells.stream().map(CellWeights::zerosLike).toList());
    }

    /**
     * Every tensor under its PyTorch name, in PyTorch's {@code state_dict} order; the arrays are shared, not
     * copied.
     */
    public Map<String, INDArray> byTorchName() {
        Map<String, INDArray> named = new LinkedHashMap<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int direction = 0; direction < config.directions(); direction++) {
                CellWeights w = get(layer, direction);
                named.put(name("weight_ih", layer, direction), w.weightIh());
                named.put(name("weight_hh", layer, direction), w.weightHh());
                if (w.hasBias()) {
                    named.put(name("bias_ih", layer, direction), w.biasIh());
                    named.put(name("bias_hh", layer, direction), w.biasHh());
                }
            }
        }
        return named;
    }

    /**
     * Builds parameters from tensors under PyTorch's names ({@code weight_ih_l0}, ...), copying them.
     *
     * @throws IllegalArgumentException for a missing or extra name, a wrong shape or a data type other than the
     *     config's
     */
    public static Parameters fromTorchStateDict(RecurrentConfig config, Map<String, INDArray> tensors) {
        if (tensors == null) {
            throw new IllegalArgumentException("stateDict: expected a map of PyTorch names to tensors but was null");
        }
        Set<String> expected = expectedNames(config);
        Set<String> missing = new LinkedHashSet<>(expected);
        missing.removeAll(tensors.keySet());
        Set<String> extra = new LinkedHashSet<>(tensors.keySet());
        extra.removeAll(expected);
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new IllegalArgumentException("stateDict: expected exactly " + expected + " for " + config
                    + " but " + (missing.isEmpty() ? "" : "missing " + missing + (extra.isEmpty() ? "" : " and "))
                    + (extra.isEmpty() ? "" : "unexpected " + extra));
        }
        List<CellWeights> cells = new ArrayList<>();
        long gateWidth = config.gateWidth();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int direction = 0; direction < config.directions(); direction++) {
                cells.add(new CellWeights(
                        take(tensors, config, name("weight_ih", layer, direction), gateWidth,
                                config.layerInputSize(layer)),
                        take(tensors, config, name("weight_hh", layer, direction), gateWidth, config.hiddenSize()),
                        config.bias() ? take(tensors, config, name("bias_ih", layer, direction), gateWidth) : null,
                        config.bias() ? take(tensors, config, name("bias_hh", layer, direction), gateWidth) : null));
            }
        }
        return new Parameters(config, cells);
    }

    /** The PyTorch names a network of {@code config} has, in {@code state_dict} order. */
    static Set<String> expectedNames(RecurrentConfig config) {
        Set<String> names = new LinkedHashSet<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int direction = 0; direction < config.directions(); direction++) {
                names.add(name("weight_ih", layer, direction));
                names.add(name("weight_hh", layer, direction));
                if (config.bias()) {
                    names.add(name("bias_ih", layer, direction));
                    names.add(name("bias_hh", layer, direction));
                }
            }
        }
        return names;
    }

    /** {@code weight_ih_l0}, {@code bias_hh_l1_reverse}, ... */
    static String name(String kind, int layer, int direction) {
        return kind + "_l" + layer + (direction == 1 ? "_reverse" : "");
    }

    private static INDArray take(Map<String, INDArray> tensors, RecurrentConfig config, String name, long... shape) {
        INDArray tensor = tensors.get(name);
        String[] letters = shape.length == 1 ? new String[] {"G*H"}
                : new String[] {"G*H", name.startsWith("weight_ih") ? "I" : "H"};
        Shapes.requireShape(name, tensor, letters, shape);
        Shapes.requireDataType(name, tensor, config.dataType());
        return tensor.dup('c');
    }
}
