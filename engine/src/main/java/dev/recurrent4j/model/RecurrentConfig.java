package dev.recurrent4j.model;

import dev.recurrent4j.cell.CellType;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The architecture of a recurrent network, as PyTorch's {@code nn.RNN}/{@code nn.LSTM}/{@code nn.GRU}
 * constructor arguments, plus the data type. Immutable; the {@code with...} methods return modified copies.
 *
 * <pre>{@code
 * RecurrentConfig config = RecurrentConfig.of(CellType.LSTM, 8, 32).withLayers(2).withBidirectional(true);
 * }</pre>
 *
 * @param cell the cell type (PyTorch's {@code mode}, or {@code nonlinearity} for the RNN)
 * @param inputSize I, features per step of the first layer's input; at least 1
 * @param hiddenSize H, features of each direction's state; at least 1
 * @param numLayers L, at least 1
 * @param bidirectional whether each layer also runs in reverse (D = 2), outputs concatenated forward first
 * @param bias whether the cells have {@code bias_ih}/{@code bias_hh}
 * @param dropout probability in {@code [0, 1)} of dropping each output of every layer but the last, in training
 *     only
 * @param batchFirst whether inputs and outputs are {@code [B, T, *]} instead of {@code [T, B, *]}; states stay
 *     {@code [L*D, B, H]}, as in PyTorch
 * @param dataType {@link DataType#FLOAT} (the default) or {@link DataType#DOUBLE}
 * @throws IllegalArgumentException for sizes below 1, a dropout outside {@code [0, 1)} or another data type
 */
public record RecurrentConfig(
        CellType cell,
        int inputSize,
        int hiddenSize,
        int numLayers,
        boolean bidirectional,
        boolean bias,
        double dropout,
        boolean batchFirst,
        DataType dataType) {

    public RecurrentConfig {
        if (cell == null) {
            throw new IllegalArgumentException("cell: expected one of RNN_TANH, RNN_RELU, LSTM, GRU but was null");
        }
        requirePositive("inputSize", inputSize);
        requirePositive("hiddenSize", hiddenSize);
        requirePositive("numLayers", numLayers);
        if (!(dropout >= 0.0 && dropout < 1.0)) {
            throw new IllegalArgumentException("dropout: expected a probability in [0, 1) but was " + dropout);
        }
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("dataType: expected FLOAT or DOUBLE but was " + dataType);
        }
    }

    /** One unidirectional layer with bias, no dropout, time-major, float32. */
    public static RecurrentConfig of(CellType cell, int inputSize, int hiddenSize) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, 1, false, true, 0.0, false, DataType.FLOAT);
    }

    public RecurrentConfig withLayers(int numLayers) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout,
                batchFirst, dataType);
    }

    public RecurrentConfig withBidirectional(boolean bidirectional) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout,
                batchFirst, dataType);
    }

    public RecurrentConfig withBias(boolean bias) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout,
                batchFirst, dataType);
    }

    public RecurrentConfig withDropout(double dropout) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout,
                batchFirst, dataType);
    }

    public RecurrentConfig withBatchFirst(boolean batchFirst) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout,
                batchFirst, dataType);
    }

    public RecurrentConfig withDataType(DataType dataType) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, numLayers, bidirectional, bias, dropout,
                batchFirst, dataType);
    }

    /** D: 2 when bidirectional, else 1. */
    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** G*H, the height of each packed weight. */
    public int gateWidth() {
        return cell.gates() * hiddenSize;
    }

    /** The input features of layer {@code layer}: I for the first, D*H for the others. */
    public int layerInputSize(int layer) {
        return layer == 0 ? inputSize : directions() * hiddenSize;
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": expected at least 1 but was " + value);
        }
    }
}
