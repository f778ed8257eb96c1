package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.Blas;
import static dev.recurrent4j.cell.Gate.LSTM_CELL;
import static dev.recurrent4j.cell.Gate.LSTM_FORGET;
import static dev.recurrent4j.cell.Gate.LSTM_INPUT;
import static dev.recurrent4j.cell.Gate.LSTM_OUTPUT;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LSTM step (Hochreiter–Schmidhuber with forget gate, PyTorch's gate order i, f, g, o):
 * <pre>
 *   [i f g o] = x W_ih^T + b_ih + h W_hh^T + b_hh
 *   i, f, o = sigmoid(.)    g = tanh(.)
 *   c' = f * c + i * g
 *   h' = o * tanh(c')
 * </pre>
 * After {@link #forward}, {@code gates} holds the activations i, f, g, o and {@code tanhC} holds tanh(c').
 */
final class LstmCell implements Cell {
    static final LstmCell INSTANCE = new LstmCell();

    private LstmCell() {}

    @Override
    public CellType type() {
        return CellType.LSTM;
    }

    @Override
    public INDArray inputProjectionBias(CellWeights w) {
        return w.hasBias() ? w.biasIh().add(w.biasHh()) : null;
    }

    @Override
    public void forward(CellWeights w, StepTensors s) {
        long h = w.hiddenSize();
        INDArray gates = s.gates().view();
        INDArray cNext = s.cNext().view();
        INDArray tanhC = s.tanhC().view();
        Blas.gemm(s.hPrev().view(), false, w.weightHh(), true, 1.0, 1.0, gates);

        INDArray inputForget = Gate.columns(gates, LSTM_INPUT, LSTM_FORGET, h);
        INDArray cell = LSTM_CELL.columns(gates, h);
        INDArray output = LSTM_OUTPUT.columns(gates, h);
        Nd4j.exec(new Sigmoid(inputForget, inputForget));
        Nd4j.exec(new Tanh(cell, cell));
        Nd4j.exec(new Sigmoid(output, output));

        INDArray inputTimesCell = LSTM_INPUT.columns(s.scratch().view(), h);
        LSTM_FORGET.columns(gates, h).mul(s.cPrev().view(), cNext);
        LSTM_INPUT.columns(gates, h).mul(cell, inputTimesCell);
        cNext.addi(inputTimesCell);

        Nd4j.exec(new Tanh(cNext, tanhC));
        output.mul(tanhC, s.hNext().view());
    }

    @Override
    public void backward(CellWeights w, StepTensors s, StepGradients g) {
        long h = w.hiddenSize();
        INDArray gates = s.gates().view();
        INDArray tanhC = s.tanhC().view();
        INDArray scratch = s.scratch().view();
        INDArray input = LSTM_INPUT.columns(gates, h);
        INDArray forget = LSTM_FORGET.columns(gates, h);
        INDArray cell = LSTM_CELL.columns(gates, h);
        INDArray output = LSTM_OUTPUT.columns(gates, h);
        INDArray dGates = g.dGates().view();
        INDArray dH = g.dH().view();
        INDArray dC = g.dC().view();
        INDArray tmp = LSTM_INPUT.columns(scratch, h);
        if (g.dOutput() != null) {
            dH.addi(g.dOutput().view());
        }

        // h' = o * tanh(c'): gradients for o, and for c' on top of what flows in from the next step.
        dH.mul(tanhC, LSTM_OUTPUT.columns(dGates, h));
        tanhC.mul(tanhC, tmp).rsubi(1.0).muli(output).muli(dH);
        dC.addi(tmp);

        // c' = f * c + i * g
        dC.mul(cell, LSTM_INPUT.columns(dGates, h));
        dC.mul(input, LSTM_CELL.columns(dGates, h));
        dC.mul(s.cPrev().view(), LSTM_FORGET.columns(dGates, h));
        dC.muli(forget); // now dL/dc

        // Through the nonlinearities: sigmoid' = a(1-a) for i, f, o; tanh' = 1 - g^2 for g.
        INDArray inputForget = Gate.columns(gates, LSTM_INPUT, LSTM_FORGET, h);
        INDArray tmpWide = Gate.columns(scratch, LSTM_INPUT, LSTM_FORGET, h);
        inputForget.rsub(1.0, tmpWide).muli(inputForget);
        Gate.columns(dGates, LSTM_INPUT, LSTM_FORGET, h).muli(tmpWide);
        output.rsub(1.0, tmp).muli(output);
        LSTM_OUTPUT.columns(dGates, h).muli(tmp);
        cell.mul(cell, tmp).rsubi(1.0);
        LSTM_CELL.columns(dGates, h).muli(tmp);

        Blas.gemm(dGates, false, w.weightHh(), false, 1.0, 0.0, dH);
    }
}
