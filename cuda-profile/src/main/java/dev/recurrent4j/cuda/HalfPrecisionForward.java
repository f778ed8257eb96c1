package dev.recurrent4j.cuda;

import static dev.recurrent4j.cell.Gate.GRU_NEW;
import static dev.recurrent4j.cell.Gate.GRU_RESET;
import static dev.recurrent4j.cell.Gate.GRU_UPDATE;
import static dev.recurrent4j.cell.Gate.LSTM_CELL;
import static dev.recurrent4j.cell.Gate.LSTM_FORGET;
import static dev.recurrent4j.cell.Gate.LSTM_INPUT;
import static dev.recurrent4j.cell.Gate.LSTM_OUTPUT;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.model.Parameters;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Inference forward in half precision (FP16 or BF16) with ND4J ops: the textbook LSTM / GRU / RNN equations of
 * {@link CellType} (PyTorch's gate order, GRU's {@code b_hn} inside {@code r * (W_hn h + b_hn)}), stacked and
 * bidirectional, over a network's parameters cast once to the half type. It is a readable reference for what a
 * half-precision GPU path computes, not the engine's fast path: the engine itself runs float32 or float64 only.
 *
 * <h2>Mixed precision, as cuDNN and PyTorch autocast do it</h2>
 * <ul>
 *   <li><b>In the half type:</b> the weights {@code W_ih}, {@code W_hh} (half the memory and bandwidth), the
 *       operands of every matrix product (the layer input and {@code h}), and the outputs {@code [T, B, D*H]},
 *       which are the next layer's (or a head's) GEMM operand.</li>
 *   <li><b>In float32:</b> the biases, the gate pre-activations once out of the GEMM, every nonlinearity and
 *       product of the cell, and the state {@code h}, {@code c} carried from step to step. Rounding the state to
 *       the half type at every step would compound over T steps (a BF16 state has 8 significant bits); the
 *       elementwise part costs the same in either type on a GPU, since it is bound by kernel launches and memory,
 *       not arithmetic.</li>
 *   <li><b>The GEMM's accumulator</b> ({@link Accumulation}): where ND4J can multiply half operands into a
 *       float32 result (FP16 on CUDA, where libnd4j calls {@code cublasSgemmEx}), the products are summed in
 *       float32, the tensor-core mode a GPU engineer would pick. Everywhere else ND4J 1.0.0-M2.1 refuses mixed
 *       types in {@code matmul}, and the GEMM sums in the half type itself (libnd4j's own GEMM on CPU,
 *       {@code cublasHgemm} for FP16 without float output, a generic kernel for BF16 on CUDA), whose error grows
 *       with the reduction length I or H; the tests measure it.</li>
 * </ul>
 *
 * <p>Every sequence runs its T steps (no variable lengths), there is no dropout (inference), and the instance is
 * immutable: its weights are private copies, so it can be shared between threads. Each step is about a dozen
 * ND4J ops (a GEMM, two casts, the gate nonlinearities and products), each one kernel launch on CUDA: nothing is
 * fused, which is what a profile of it will show.
 *
 * <pre>{@code
 * HalfPrecisionForward fp16 = HalfPrecisionForward.of(model, DataType.HALF);    // weights cast once
 * HalfPrecisionForward.Result out = fp16.forward(x.castTo(DataType.HALF), null);
 * INDArray y = out.output().castTo(DataType.FLOAT);                            // [T, B, D*H]
 * }</pre>
 */
public final class HalfPrecisionForward {
    private static final String[] SEQUENCE = {"T", "B", "I"};
    private static final String[] SEQUENCE_BATCH_FIRST = {"B", "T", "I"};
    private static final String[] STATE = {"L*D", "B", "H"};

    /** Where the GEMMs sum their products. */
    public enum Accumulation {
        /** In the half type: the GEMM's output has the weights' type, then is widened to float32. */
        HALF_TYPE,
        /** In float32: half operands, float32 output ({@code cublasSgemmEx}); ND4J runs it on CUDA for FP16 only. */
        FLOAT32;

        /** FLOAT32 where the loaded ND4J backend supports it for {@code precision}, else HALF_TYPE. */
        public static Accumulation bestFor(DataType precision) {
            return supported(precision) ? FLOAT32 : HALF_TYPE;
        }

        /**
         * Whether ND4J's {@code matmul} takes {@code precision} operands into a float32 output on the loaded backend:
         * libnd4j's CUDA GEMM has that branch for HALF on devices of compute capability 6 and up
         * ({@code cublasSgemmEx}; below 6 its generic kernel would read the float32 output as half); its CPU GEMM
         * throws for mixed types (seen with 1.0.0-M2.1: "Op [matmul] execution failed"), and BF16 has no mixed
         * branch on either backend.
         */
        static boolean supported(DataType precision) {
            return precision == DataType.HALF && Backends.computeCapabilityMajor() >= 6;
        }
    }

    /**
     * What {@link #forward} returns; both arrays are new and owned by the caller.
     *
     * @param output {@code [T, B, D*H]} (or {@code [B, T, D*H]} when batch-first) in the half type: each step's
     *     float32 {@code h} rounded once, directions concatenated forward first
     * @param finalState {@code [L*D, B, H]} float32 {@code h} (and {@code c} for the LSTM) after the last step,
     *     index {@code layer * D + direction}; the reverse direction's is its state after t = 0
     */
    public record Result(INDArray output, RecurrentState finalState) {}

    /**
     * One layer and direction's weights.
     *
     * @param weightIh {@code [G*H, I_l]} in the half type, 'c' order; never mutated
     * @param weightHh {@code [G*H, H]} in the half type, 'c' order; never mutated
     * @param inputBias {@code [G*H]} float32, added to the input projection: {@code b_ih + b_hh} (LSTM, RNN) or
     *     {@code b_ih} (GRU); {@code null} without bias
     * @param hiddenBias {@code [G*H]} float32 {@code b_hh}, added to the hidden projection (GRU only, where
     *     {@code b_hn} must stay inside the reset product); {@code null} otherwise
     */
    private record DirectionWeights(INDArray weightIh, INDArray weightHh, INDArray inputBias, INDArray hiddenBias) {}

    private final RecurrentConfig config;
    private final DataType precision;
    private final Accumulation accumulation;
    /** Entry {@code layer * D + direction}. */
    private final List<DirectionWeights> weights;

    private HalfPrecisionForward(RecurrentConfig config, DataType precision, Accumulation accumulation,
            List<DirectionWeights> weights) {
        this.config = config;
        this.precision = precision;
        this.accumulation = accumulation;
        this.weights = List.copyOf(weights);
    }

    /** {@link #of(Parameters, DataType, Accumulation)} with {@link Accumulation#bestFor} the backend. */
    public static HalfPrecisionForward of(InferenceModel model, DataType precision) {
        if (model == null) {
            throw new IllegalArgumentException("model: expected an InferenceModel but was null");
        }
        return of(model.network().parameters(), precision, Accumulation.bestFor(requirePrecision(precision)));
    }

    /** {@link #of(Parameters, DataType, Accumulation)} with {@link Accumulation#bestFor} the backend. */
    public static HalfPrecisionForward of(RecurrentNetwork network, DataType precision) {
        if (network == null) {
            throw new IllegalArgumentException("network: expected a RecurrentNetwork but was null");
        }
        return of(network.parameters(), precision, Accumulation.bestFor(requirePrecision(precision)));
    }

    /**
     * From a PyTorch {@code state_dict} ({@code weight_ih_l0}, ... in the config's data type, checked as strictly
     * as {@link RecurrentNetwork#fromTorchStateDict}).
     */
    public static HalfPrecisionForward fromTorchStateDict(RecurrentConfig config, Map<String, INDArray> stateDict,
            DataType precision) {
        DataType checked = requirePrecision(precision);
        return of(Parameters.fromTorchStateDict(config, stateDict), checked, Accumulation.bestFor(checked));
    }

    /**
     * Casts every weight to {@code precision} once (the biases to float32). On CUDA this is the weight upload: the
     * half copies are created on the device.
     *
     * @param parameters a network's parameters (float32 or float64); read, not kept
     * @param precision {@link DataType#HALF} (FP16) or {@link DataType#BFLOAT16} (BF16)
     * @param accumulation where the GEMMs sum; {@link Accumulation#FLOAT32} only where the backend supports it
     * @throws IllegalArgumentException for a null argument, another data type, or an unsupported accumulation
     */
    public static HalfPrecisionForward of(Parameters parameters, DataType precision, Accumulation accumulation) {
        if (parameters == null) {
            throw new IllegalArgumentException("parameters: expected a network's Parameters but was null");
        }
        if (accumulation == null) {
            throw new IllegalArgumentException("accumulation: expected HALF_TYPE or FLOAT32 but was null");
        }
        requireSupported(precision, accumulation);
        RecurrentConfig config = parameters.config();
        boolean gru = config.cell() == CellType.GRU;
        List<DirectionWeights> cast = new ArrayList<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int direction = 0; direction < config.directions(); direction++) {
                CellWeights w = parameters.get(layer, direction);
                INDArray inputBias = null;
                INDArray hiddenBias = null;
                if (w.hasBias()) {
                    INDArray biasIh = w.biasIh().castTo(DataType.FLOAT);
                    INDArray biasHh = w.biasHh().castTo(DataType.FLOAT);
                    inputBias = gru ? biasIh.dup() : biasIh.add(biasHh);
                    hiddenBias = gru ? biasHh.dup() : null;
                }
                cast.add(new DirectionWeights(w.weightIh().castTo(precision).dup('c'),
                        w.weightHh().castTo(precision).dup('c'), inputBias, hiddenBias));
            }
        }
        return new HalfPrecisionForward(config, precision, accumulation, cast);
    }

    /**
     * Checks a precision and an accumulation against the loaded backend, before any work.
     *
     * @param accumulation the one wanted, or {@code null} for {@link Accumulation#bestFor} the precision
     * @return the accumulation to use
     * @throws IllegalArgumentException for a precision other than HALF or BFLOAT16, or FLOAT32 accumulation where
     *     the backend cannot run it
     */
    public static Accumulation requireSupported(DataType precision, Accumulation accumulation) {
        requirePrecision(precision);
        if (accumulation == null) {
            return Accumulation.bestFor(precision);
        }
        if (accumulation == Accumulation.FLOAT32 && !Accumulation.supported(precision)) {
            throw new IllegalArgumentException("accumulation: expected HALF_TYPE for " + precision + " on "
                    + Backends.name() + " (ND4J 1.0.0-M2.1 multiplies half operands into a float32 result only on"
                    + " CUDA, for HALF, on compute capability 6 and up) but was FLOAT32");
        }
        return accumulation;
    }

    /** The architecture (its data type is the one the weights came in, not {@link #precision()}). */
    public RecurrentConfig config() {
        return config;
    }

    /** {@link DataType#HALF} or {@link DataType#BFLOAT16}: the weights', inputs' and outputs' type. */
    public DataType precision() {
        return precision;
    }

    public Accumulation accumulation() {
        return accumulation;
    }

    /**
     * Runs every layer and direction over the whole batch.
     *
     * @param x {@code [T, B, I]} (or {@code [B, T, I]} when batch-first) in {@link #precision()}; not mutated
     * @param initialState {@code [L*D, B, H]} float32 h0 (and c0 for the LSTM; null c0 means zeros), or
     *     {@code null} for zeros; not mutated
     * @throws IllegalArgumentException for a wrong rank, size or data type, an empty batch or sequence, or a c0
     *     for a cell without cell state
     */
    public Result forward(INDArray x, RecurrentState initialState) {
        INDArray input = timeMajor(x);
        long steps = input.size(0);
        long batch = input.size(1);
        checkState(initialState, batch);
        int directions = config.directions();
        long hidden = config.hiddenSize();
        boolean lstm = config.cell().hasCellState();
        INDArray finalH = Nd4j.create(DataType.FLOAT, (long) config.numLayers() * directions, batch, hidden);
        INDArray finalC = lstm ? Nd4j.create(DataType.FLOAT, (long) config.numLayers() * directions, batch, hidden)
                : null;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            List<INDArray> outputs = new ArrayList<>();
            for (int direction = 0; direction < directions; direction++) {
                int index = layer * directions + direction;
                INDArray h = initialOrZeros(initialState == null ? null : initialState.h(), index, batch);
                INDArray c = lstm ? initialOrZeros(initialState == null ? null : initialState.c(), index, batch)
                        : null;
                outputs.add(runDirection(weights.get(index), input, h, c, direction == 1));
                finalH.slice(index).assign(h);
                if (lstm) {
                    finalC.slice(index).assign(c);
                }
            }
            input = directions == 1 ? outputs.get(0) : Nd4j.concat(2, outputs.get(0), outputs.get(1));
        }
        assert input.dataType() == precision && input.size(0) == steps;
        INDArray output = config.batchFirst() ? input.permute(1, 0, 2).dup('c') : input;
        return new Result(output, new RecurrentState(finalH, finalC));
    }

    /**
     * One direction of one layer over every step.
     *
     * @param input {@code [T, B, I_l]} in the half type, 'c' order; not mutated
     * @param h {@code [B, H]} float32 h0 on entry, the final h on return (mutated in place)
     * @param c {@code [B, H]} float32 c0 on entry, the final c on return (LSTM), or {@code null}
     * @return {@code [T, B, H]} in the half type, new
     */
    private INDArray runDirection(DirectionWeights w, INDArray input, INDArray h, INDArray c, boolean reverse) {
        long steps = input.size(0);
        long batch = input.size(1);
        long hidden = config.hiddenSize();
        // The input projection of every step in one GEMM: [T*B, I_l] x [I_l, G*H].
        INDArray projected = project(input.reshape(steps * batch, input.size(2)), w.weightIh());
        if (w.inputBias() != null) {
            projected.addiRowVector(w.inputBias());
        }
        projected = projected.reshape(steps, batch, projected.size(1)); // [T, B, G*H] float32
        INDArray output = Nd4j.create(precision, steps, batch, hidden); // [T, B, H], filled step by step
        INDArray hHalf = h.castTo(precision); // [B, H], the recurrent GEMM's operand
        for (long s = 0; s < steps; s++) {
            long t = reverse ? steps - 1 - s : s;
            INDArray fromInput = projected.slice(t); // [B, G*H] float32, a view
            INDArray fromHidden = project(hHalf, w.weightHh()); // [B, G*H] float32, new
            INDArray next = switch (config.cell()) { // [B, H] float32, new
                case LSTM -> lstmStep(fromInput, fromHidden, c, hidden);
                case GRU -> gruStep(fromInput, fromHidden, w.hiddenBias(), h, hidden);
                case RNN_TANH -> Transforms.tanh(fromHidden.addi(fromInput), false);
                case RNN_RELU -> Transforms.relu(fromHidden.addi(fromInput), false);
            };
            h.assign(next);
            hHalf = h.castTo(precision);
            output.slice(t).assign(hHalf);
        }
        return output;
    }

    /**
     * {@code c' = f*c + i*g}, {@code h' = o*tanh(c')}, all float32.
     *
     * @param fromInput {@code [B, 4H]} {@code x W_ih^T + b_ih + b_hh}; a view, not mutated
     * @param fromHidden {@code [B, 4H]} {@code h W_hh^T}; scratch, overwritten with the pre-activations
     * @param c {@code [B, H]} the cell state, updated in place
     * @return {@code [B, H]} h', new
     */
    private static INDArray lstmStep(INDArray fromInput, INDArray fromHidden, INDArray c, long hidden) {
        INDArray gates = fromHidden.addi(fromInput);
        INDArray input = Transforms.sigmoid(LSTM_INPUT.columns(gates, hidden), true);
        INDArray forget = Transforms.sigmoid(LSTM_FORGET.columns(gates, hidden), true);
        INDArray cell = Transforms.tanh(LSTM_CELL.columns(gates, hidden), true);
        INDArray output = Transforms.sigmoid(LSTM_OUTPUT.columns(gates, hidden), true);
        c.muli(forget).addi(input.muli(cell));
        return output.muli(Transforms.tanh(c, true));
    }

    /**
     * {@code r, z = sigmoid(.)}, {@code n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))},
     * {@code h' = n + z * (h - n)} (= {@code (1-z)*n + z*h}, as PyTorch computes it), all float32.
     *
     * @param fromInput {@code [B, 3H]} {@code x W_ih^T + b_ih}; a view, not mutated
     * @param fromHidden {@code [B, 3H]} {@code h W_hh^T}; scratch, {@code b_hh} is added in place
     * @param hiddenBias {@code [G*H]} {@code b_hh}, or {@code null}
     * @param h {@code [B, H]} the previous hidden state; not mutated
     * @return {@code [B, H]} h', new
     */
    private static INDArray gruStep(INDArray fromInput, INDArray fromHidden, INDArray hiddenBias, INDArray h,
            long hidden) {
        if (hiddenBias != null) {
            fromHidden.addiRowVector(hiddenBias);
        }
        INDArray reset = Transforms.sigmoid(GRU_RESET.columns(fromInput, hidden).add(
                GRU_RESET.columns(fromHidden, hidden)), false);
        INDArray update = Transforms.sigmoid(GRU_UPDATE.columns(fromInput, hidden).add(
                GRU_UPDATE.columns(fromHidden, hidden)), false);
        INDArray candidate = Transforms.tanh(GRU_NEW.columns(fromInput, hidden).add(
                reset.muli(GRU_NEW.columns(fromHidden, hidden))), false);
        return h.sub(candidate).muli(update).addi(candidate);
    }

    /**
     * {@code rows W^T} with half operands, summed as {@link #accumulation} says.
     *
     * @param rows {@code [N, K]} in the half type; not mutated
     * @param weight {@code [G*H, K]} in the half type; not mutated
     * @return {@code [N, G*H]} float32, new
     */
    private INDArray project(INDArray rows, INDArray weight) {
        DataType sumType = accumulation == Accumulation.FLOAT32 ? DataType.FLOAT : precision;
        INDArray product = Nd4j.create(sumType, rows.size(0), weight.size(0));
        Nd4j.gemm(rows, weight, product, false, true, 1.0, 0.0);
        return sumType == DataType.FLOAT ? product : product.castTo(DataType.FLOAT);
    }

    /** Checks {@code x} and returns it time-major, 'c' order (a copy unless it already was). */
    private INDArray timeMajor(INDArray x) {
        Shapes.requireShape("x", x, config.batchFirst() ? SEQUENCE_BATCH_FIRST : SEQUENCE,
                new long[] {-1, -1, config.inputSize()});
        Shapes.requireDataType("x", x, precision);
        if (x.length() == 0) {
            throw new IllegalArgumentException("x: expected at least one step and one sequence but was "
                    + Arrays.toString(x.shape()));
        }
        INDArray timeMajor = config.batchFirst() ? x.permute(1, 0, 2) : x;
        return timeMajor.dup('c');
    }

    private void checkState(RecurrentState state, long batch) {
        if (state == null) {
            return;
        }
        long[] shape = {(long) config.numLayers() * config.directions(), batch, config.hiddenSize()};
        if (state.h() != null) {
            Shapes.requireShape("initialState.h", state.h(), STATE, shape);
            Shapes.requireDataType("initialState.h", state.h(), DataType.FLOAT);
        }
        if (state.c() != null) {
            if (!config.cell().hasCellState()) {
                throw new IllegalArgumentException("initialState.c: expected null for a " + config.cell()
                        + " network (only the LSTM has a cell state) but was " + Arrays.toString(state.c().shape()));
            }
            Shapes.requireShape("initialState.c", state.c(), STATE, shape);
            Shapes.requireDataType("initialState.c", state.c(), DataType.FLOAT);
        }
    }

    /** A float32 {@code [B, H]} copy of row block {@code index} of a {@code [L*D, B, H]} state, or zeros. */
    private INDArray initialOrZeros(INDArray state, int index, long batch) {
        return state == null ? Nd4j.zeros(DataType.FLOAT, batch, config.hiddenSize()) : state.slice(index).dup('c');
    }

    private static DataType requirePrecision(DataType precision) {
        if (precision != DataType.HALF && precision != DataType.BFLOAT16) {
            throw new IllegalArgumentException("precision: expected HALF (FP16) or BFLOAT16 (BF16) but was "
                    + precision);
        }
        return precision;
    }
}
