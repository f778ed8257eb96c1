package dev.recurrent4j.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The named tensors of a composed model ({@link SequenceModel}, {@link EncoderDecoder}), or their gradients, or an
 * optimizer's moments: all three share this type ({@code grads = params.zerosLike()}). Names follow PyTorch's
 * {@code state_dict} of the equivalent {@code nn.Module}: {@code embedding.weight}, {@code rnn.weight_ih_l0}, ...,
 * {@code head.weight}, {@code head.bias}.
 *
 * <p>The set of names and the array objects are fixed at construction; the arrays are shared, not copied, so an
 * in-place update (an optimizer step) is seen by every holder. {@link #copy()} gives independent arrays.
 */
public final class ModelParameters {
    private final Map<String, INDArray> tensors;

    private ModelParameters(Map<String, INDArray> tensors) {
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * Parameters over these arrays, in the map's iteration order, without copying them.
     *
     * @throws IllegalArgumentException for a null map, name or array
     */
    public static ModelParameters sharing(Map<String, INDArray> tensors) {
        if (tensors == null) {
            throw new IllegalArgumentException("tensors: expected a map of names to arrays but was null");
        }
        Map<String, INDArray> copy = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> {
            if (name == null || tensor == null) {
                throw new IllegalArgumentException("tensors: expected non-null names and arrays but "
                        + (name == null ? "a name" : "'" + name + "'") + " was null");
            }
            copy.put(name, tensor);
        });
        return new ModelParameters(copy);
    }

    /** The array named {@code name}, shared. @throws IllegalArgumentException for an unknown name */
    public INDArray get(String name) {
        INDArray tensor = tensors.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("name: expected one of " + tensors.keySet() + " but was '" + name + "'");
        }
        return tensor;
    }

    /** Every tensor by name, in order; an unmodifiable view over the shared arrays. */
    public Map<String, INDArray> byName() {
        return tensors;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public void forEach(BiConsumer<String, INDArray> action) {
        tensors.forEach(action);
    }

    /** The number of scalars over all tensors. */
    public long count() {
        return tensors.values().stream().mapToLong(INDArray::length).sum();
    }

    /** New zero arrays of the same names, shapes and data types: a gradient accumulator or a moment. */
    public ModelParameters zerosLike() {
        Map<String, INDArray> zeros = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> zeros.put(name, tensor.ulike().assign(0.0)));
        return new ModelParameters(zeros);
    }

    /** A deep copy: new 'c' arrays with the same values. */
    public ModelParameters copy() {
        Map<String, INDArray> copy = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> copy.put(name, tensor.dup('c')));
        return new ModelParameters(copy);
    }

    /** Copies of every tensor, for {@code SafeTensors.write}. */
    public Map<String, INDArray> toStateDict() {
        return copy().byName();
    }

    /**
     * Overwrites every array's values with {@code source}'s, in place (checkpoint restore).
     *
     * @throws IllegalArgumentException if the names, shapes or data types differ
     */
    public void assign(Map<String, INDArray> source) {
        requireSameLayout("source", source);
        tensors.forEach((name, tensor) -> tensor.assign(source.get(name)));
    }

    /**
     * Checks that {@code other} has exactly these names, shapes and data types.
     *
     * @throws IllegalArgumentException naming the first difference
     */
    public void requireSameLayout(String what, Map<String, INDArray> other) {
        if (other == null) {
            throw new IllegalArgumentException(what + ": expected tensors " + tensors.keySet() + " but was null");
        }
        if (!other.keySet().equals(tensors.keySet())) {
            java.util.Set<String> missing = new java.util.LinkedHashSet<>(tensors.keySet());
            missing.removeAll(other.keySet());
            java.util.Set<String> extra = new java.util.LinkedHashSet<>(other.keySet());
            extra.removeAll(tensors.keySet());
            throw new IllegalArgumentException(what + ": expected exactly the tensors " + tensors.keySet() + " but "
                    + (missing.isEmpty() ? "" : "missing " + missing + (extra.isEmpty() ? "" : " and "))
                    + (extra.isEmpty() ? "" : "unexpected " + extra));
        }
        tensors.forEach((name, tensor) -> {
            INDArray o = other.get(name);
            if (!Arrays.equals(o.shape(), tensor.shape())) {
                throw new IllegalArgumentException(what + "." + name + ": expected shape "
                        + Arrays.toString(tensor.shape()) + " but was " + Arrays.toString(o.shape()));
            }
            if (o.dataType() != tensor.dataType()) {
                throw new IllegalArgumentException(what + "." + name + ": expected data type " + tensor.dataType()
                        + " but was " + o.dataType());
            }
        });
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("ModelParameters{");
        tensors.forEach((name, tensor) -> text.append(name).append(Arrays.toString(tensor.shape())).append(", "));
        return text.append(count()).append(" scalars}").toString();
    }
}
