package dev.recurrent4j.cell;

import static dev.recurrent4j.cell.Gate.GRU_NEW;
import static dev.recurrent4j.cell.Gate.GRU_RESET;
import static dev.recurrent4j.cell.Gate.GRU_UPDATE;
import static dev.recurrent4j.cell.Gate.LSTM_CELL;
import static dev.recurrent4j.cell.Gate.LSTM_FORGET;
import static dev.recurrent4j.cell.Gate.LSTM_INPUT;
import static dev.recurrent4j.cell.Gate.LSTM_OUTPUT;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The plain textbook step of every cell, one gate at a time, allocating fresh arrays: slow and obviously right.
 * It exists as the reference the in-place {@link Cell}s are tested against; nothing on a hot path calls it.
 */
public final class ReferenceCell {
    private ReferenceCell() {}

    /**
     * The state of one cell between steps.
     *
     * @param h {@code [B, H]} hidden state
     * @param c {@code [B, H]} LSTM cell state; {@code null} for the other cells
     */
    public record State(INDArray h, INDArray c) {}

    /**
     * One step of {@code type}.
     *
     * @param x {@code [B, I]}; not mutated
     * @param prev the state entering the step, {@code [B, H]} each; not mutated
     * @return a new state, {@code [B, H]} each
     */
    public static State step(CellType type, CellWeights w, INDArray x, State prev) {
        long h = w.hiddenSize();
        INDArray hPrev = prev.h();
        return switch (type) {
            case RNN_TANH -> new State(Transforms.tanh(affine(w, x, hPrev, Gate.RNN_HIDDEN, h), false), null);
            case RNN_RELU -> new State(Transforms.relu(affine(w, x, hPrev, Gate.RNN_HIDDEN, h), false), null);
            case LSTM -> {
                INDArray i = Transforms.sigmoid(affine(w, x, hPrev, LSTM_INPUT, h), false);
                INDArray f = Transforms.sigmoid(affine(w, x, hPrev, LSTM_FORGET, h), false);
                INDArray g = Transforms.tanh(affine(w, x, hPrev, LSTM_CELL, h), false);
                INDArray o = Transforms.sigmoid(affine(w, x, hPrev, LSTM_OUTPUT, h), false);
                INDArray c = f.mul(prev.c()).add(i.mul(g));
                yield new State(o.mul(Transforms.tanh(c, true)), c);
            }
            case GRU -> {
                INDArray r = Transforms.sigmoid(affine(w, x, hPrev, GRU_RESET, h), false);
                INDArray z = Transforms.sigmoid(affine(w, x, hPrev, GRU_UPDATE, h), false);
                INDArray inputNew = x.mmul(GRU_NEW.rows(w.weightIh(), h).transpose());
                INDArray hiddenNew = hPrev.mmul(GRU_NEW.rows(w.weightHh(), h).transpose());
                if (w.hasBias()) {
                    inputNew.addiRowVector(GRU_NEW.rows(w.biasIh(), h));
                    hiddenNew.addiRowVector(GRU_NEW.rows(w.biasHh(), h));
                }
                INDArray n = Transforms.tanh(inputNew.add(r.mul(hiddenNew)), false);
                yield new State(z.rsub(1.0).mul(n).add(z.mul(hPrev)), null);
            }
        };
    }

    /** {@code x W_i^T + b_i + h W_h^T + b_h} for gate block {@code block}: a new {@code [B, H]} array. */
    private static INDArray affine(CellWeights w, INDArray x, INDArray hPrev, Gate block, long h) {
        INDArray sum = x.mmul(block.rows(w.weightIh(), h).transpose())
                .addi(hPrev.mmul(block.rows(w.weightHh(), h).transpose()));
        if (w.hasBias()) {
            sum.addiRowVector(block.rows(w.biasIh(), h)).addiRowVector(block.rows(w.biasHh(), h));
        }
        return sum;
    }
}
