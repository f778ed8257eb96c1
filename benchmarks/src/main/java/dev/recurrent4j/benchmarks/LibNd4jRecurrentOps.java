package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.model.RecurrentNetwork;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * libnd4j 1.0.0-M2.1's fused recurrent ops ({@code lstmLayer}, {@code lstmLayer_bp}, {@code gru}, {@code gru_bp})
 * built from one layer of our network, for {@link FusedOpBenchmark} and {@link FusedOpBackwardBenchmark}. Built with
 * {@code DynamicCustomOp.builder}: the M2.1 Java wrapper {@code LSTMLayer} fails from plain arrays.
 *
 * <p>libnd4j's layout: weights {@code Wx [I, G*H]} and {@code Wr [H, G*H]} (ours transposed), one bias {@code [G*H]},
 * gate blocks in PyTorch's order (LSTM i, f, g, o; GRU r, z, n). The LSTM gets {@code b_ih + b_hh}. The GRU op has
 * no {@code b_hn} inside {@code r * (...)}: it gets {@code b_ih + b_hh} with the n block of {@code b_hh} left out,
 * and {@link #gruReference} is our GRU with that block zeroed, which computes the same function.
 *
 * <p>Arguments, read in libnd4j's {@code ops/declarable/generic/nn/recurrent/lstmLayer.cpp} and {@code gru.cpp}
 * (deeplearning4j/deeplearning4j; the same in a 2020 version and a 2023 one, M2.1 of August 2022 lies between; the
 * benchmarks' {@code @Setup} checks confirm them on M2.1's binary):
 * <ul>
 *   <li>{@code lstmLayer}: inputs x {@code [T, B, I]}, Wx, Wr, b; integer arguments dataFormat 0 (time-major),
 *       direction 0 (forward), gate activation 2 (sigmoid), cell and output activations 0 (tanh); boolean
 *       arguments hasBias and retFullSeq only; cell clip 0; output {@code [T, B, H]}.
 *   <li>{@code lstmLayer_bp}: the same inputs, then dL/dh {@code [T, B, H]} (after the optional seqLen, hI, cI, Wp,
 *       all absent here), the same arguments ("dL/dh given for the whole sequence" in place of retFullSeq);
 *       outputs dL/dx, dL/dWx, dL/dWr, dL/db.
 *   <li>{@code gru}: inputs x, h0 {@code [B, H]}, Wx, Wh, b; output {@code [T, B, H]}.
 *   <li>{@code gru_bp}: the same inputs, then dL/dh {@code [T, B, H]}; outputs dL/dx, dL/dh0, dL/dWx, dL/dWh,
 *       dL/db.
 * </ul>
 */
final class LibNd4jRecurrentOps {
    /** lstmLayer's integer arguments: time-major, forward direction, sigmoid gates, tanh cell and output. */
    private static final int[] LSTM_INTEGER_ARGUMENTS = {0, 0, 2, 0, 0};
    /** lstmLayer's boolean arguments: hasBias, then no seqLen, hI, cI, peepholes; full sequence out; no hL, cL. */
    private static final boolean[] LSTM_BOOLEAN_ARGUMENTS = {true, false, false, false, false, true, false, false};

    /** {@code Wx [I, G*H]}, {@code Wr [H, G*H]} and the one bias {@code [G*H]}, new arrays. */
    final INDArray weightIh;
    final INDArray weightHh;
    final INDArray bias;
    /** {@code [B, H]} zeros: the GRU ops' initial state (the LSTM ops start from zeros without one). */
    final INDArray h0;
    private final CellType cell;

    LibNd4jRecurrentOps(CellType cell, CellWeights weights, long batch) {
        if (cell != CellType.LSTM && cell != CellType.GRU) {
            throw new IllegalArgumentException("cell: libnd4j has fused LSTM and GRU ops, not " + cell);
        }
        this.cell = cell;
        weightIh = weights.weightIh().transpose().dup('c');
        weightHh = weights.weightHh().transpose().dup('c');
        bias = weights.biasIh().add(cell == CellType.LSTM ? weights.biasHh() : withoutNewGateBias(weights.biasHh()));
        h0 = Nd4j.zeros(DataType.FLOAT, batch, weights.hiddenSize());
    }

    /** The forward op ({@code lstmLayer} or {@code gru}): x {@code [T, B, I]} in, output {@code [T, B, H]} out. */
    DynamicCustomOp forward(INDArray x, INDArray output) {
        return cell == CellType.LSTM
                ? lstmLayer("lstmLayer", new INDArray[] {x, weightIh, weightHh, bias}, output)
                : DynamicCustomOp.builder("gru").addInputs(x, h0, weightIh, weightHh, bias).addOutputs(output).build();
    }

    /**
     * The backward op ({@code lstmLayer_bp} or {@code gru_bp}), which runs its own forward loop first: x and
     * dL/d(output) {@code [T, B, H]} in; out dL/dx, (GRU: dL/dh0,) dL/dWx, dL/dWr, dL/db, in that order.
     */
    DynamicCustomOp backward(INDArray x, INDArray dOutput, INDArray... gradients) {
        return cell == CellType.LSTM
                ? lstmLayer("lstmLayer_bp", new INDArray[] {x, weightIh, weightHh, bias, dOutput}, gradients)
                : DynamicCustomOp.builder("gru_bp").addInputs(x, h0, weightIh, weightHh, bias, dOutput)
                        .addOutputs(gradients).build();
    }

    /** Our network with {@code b_hn = 0} in layer 0: the function libnd4j's {@code gru} computes. */
    static RecurrentNetwork gruReference(RecurrentNetwork network) {
        Map<String, INDArray> stateDict = new LinkedHashMap<>(network.toTorchStateDict());
        stateDict.put("bias_hh_l0", withoutNewGateBias(stateDict.get("bias_hh_l0")));
        return RecurrentNetwork.fromTorchStateDict(network.config(), stateDict);
    }

    private static DynamicCustomOp lstmLayer(String name, INDArray[] inputs, INDArray... outputs) {
        return DynamicCustomOp.builder(name)
                .addInputs(inputs)
                .addOutputs(outputs)
                .addIntegerArguments(LSTM_INTEGER_ARGUMENTS)
                .addBooleanArguments(LSTM_BOOLEAN_ARGUMENTS)
                .addFloatingPointArguments(0.0) // no cell clipping
                .build();
    }

    /** A GRU's {@code b_hh [3H]} with its n block zeroed; a new array. */
    private static INDArray withoutNewGateBias(INDArray biasHh) {
        long hidden = biasHh.length() / 3;
        INDArray copy = biasHh.dup();
        copy.get(NDArrayIndex.interval(2 * hidden, 3 * hidden)).assign(0.0);
        return copy;
    }
}
