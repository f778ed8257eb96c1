package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.Blas;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Elman RNN step: {@code h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)} with {@code act} tanh or relu.
 * After {@link #forward}, {@code gates} holds the pre-activation; {@code hNext} is the activation.
 */
final class RnnCell implements Cell {
    static final RnnCell TANH = new RnnCell(CellType.RNN_TANH);
    static final RnnCell RELU = new RnnCell(CellType.RNN_RELU);

    private final CellType type;

    private RnnCell(CellType type) {
        this.type = type;
    }

    @Override
    public CellType type() {
        return type;
    }

    @Override
    public INDArray inputProjectionBias(CellWeights w) {
        return w.hasBias() ? w.biasIh().add(w.biasHh()) : null;
    }

    @Override
    public void forward(CellWeights w, StepTensors s) {
        INDArray gates = s.gates().view();
        INDArray hNext = s.hNext().view();
        Blas.gemm(s.hPrev().view(), false, w.weightHh(), true, 1.0, 1.0, gates);
        if (type == CellType.RNN_TANH) {
            Nd4j.exec(new Tanh(gates, hNext));
        } else {
            Nd4j.exec(new RectifiedLinear(gates, hNext, 0.0));
        }
    }

    @Override
    public void backward(CellWeights w, StepTensors s, StepGradients g) {
        INDArray hNext = s.hNext().view();
        INDArray dH = g.dH().view();
        INDArray dGates = g.dGates().view();
        INDArray derivative = s.scratch().view();
        if (g.dOutput() != null) {
            dH.addi(g.dOutput().view());
        }
        if (type == CellType.RNN_TANH) {
            hNext.mul(hNext, derivative).rsubi(1.0); // 1 - h'^2
        } else {
            Nd4j.exec(new Step(hNext, derivative, 0.0)); // h' > 0, as PyTorch's relu backward
        }
        dH.mul(derivative, dGates);
        Blas.gemm(dGates, false, w.weightHh(), false, 1.0, 0.0, dH);
    }
}
