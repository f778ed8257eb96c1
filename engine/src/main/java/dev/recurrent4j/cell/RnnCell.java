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
        Blas.gemm(s.hPrev(), false, w.weightHh(), true, 1.0, 1.0, s.gates());
        if (type == CellType.RNN_TANH) {
            Nd4j.exec(new Tanh(s.gates(), s.hNext()));
        } else {
            Nd4j.exec(new RectifiedLinear(s.gates(), s.hNext(), 0.0));
        }
    }

    @Override
    public void backward(CellWeights w, StepTensors s, StepGradients g) {
        INDArray derivative = s.scratch();
        if (type == CellType.RNN_TANH) {
            s.hNext().mul(s.hNext(), derivative).rsubi(1.0); // 1 - h'^2
        } else {
            Nd4j.exec(new Step(s.hNext(), derivative, 0.0)); // h' > 0, as PyTorch's relu backward
        }
        g.dH().mul(derivative, g.dGates());
        Blas.gemm(g.dGates(), false, w.weightHh(), false, 1.0, 0.0, g.dH());
    }
}
