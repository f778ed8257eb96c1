package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.Blas;
import static dev.recurrent4j.cell.Gate.GRU_NEW;
import static dev.recurrent4j.cell.Gate.GRU_RESET;
import static dev.recurrent4j.cell.Gate.GRU_UPDATE;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GRU step (Cho et al., PyTorch's gate order r, z, n):
 * <pre>
 *   r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
 *   z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
 *   n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
 *   h' = (1 - z) * n + z * h      computed as n + z * (h - n), as PyTorch does
 * </pre>
 * {@code b_hn} sits inside the reset product, which is why both biases exist and why {@code b_hn} cannot be folded
 * into the input projection. This cell folds {@code b_ih} alone (the fused GRU also folds {@code b_hr, b_hz}). After
 * {@link #forward}, {@code gates} holds r, z, n and {@code hiddenProjection} holds {@code h W_hh^T + b_hh}.
 */
final class GruCell implements Cell {
    static final GruCell INSTANCE = new GruCell();

    private GruCell() {}

    @Override
    public CellType type() {
        return CellType.GRU;
    }

    @Override
    public INDArray inputProjectionBias(CellWeights w) {
        return w.hasBias() ? w.biasIh().dup() : null;
    }

    @Override
    public boolean separateRecurrentGradient() {
        return true;
    }

    @Override
    public void forward(CellWeights w, StepTensors s) {
        long h = w.hiddenSize();
        INDArray gates = s.gates().view();
        INDArray projection = s.hiddenProjection().view();
        INDArray hPrev = s.hPrev().view();
        Blas.gemm(hPrev, false, w.weightHh(), true, 1.0, 0.0, projection);
        if (w.hasBias()) {
            projection.addiRowVector(w.biasHh());
        }

        INDArray resetUpdate = Gate.columns(gates, GRU_RESET, GRU_UPDATE, h);
        resetUpdate.addi(Gate.columns(projection, GRU_RESET, GRU_UPDATE, h));
        Nd4j.exec(new Sigmoid(resetUpdate, resetUpdate));

        INDArray newGate = GRU_NEW.columns(gates, h);
        INDArray resetTimesHidden = GRU_RESET.columns(s.scratch().view(), h);
        GRU_RESET.columns(gates, h).mul(GRU_NEW.columns(projection, h), resetTimesHidden);
        newGate.addi(resetTimesHidden);
        Nd4j.exec(new Tanh(newGate, newGate));

        // h' = n + z * (h - n)
        hPrev.sub(newGate, s.hNext().view()).muli(GRU_UPDATE.columns(gates, h)).addi(newGate);
    }

    @Override
    public void backward(CellWeights w, StepTensors s, StepGradients g) {
        long h = w.hiddenSize();
        INDArray gates = s.gates().view();
        INDArray projection = s.hiddenProjection().view();
        INDArray hPrev = s.hPrev().view();
        INDArray dGatesHh = g.dGatesHh().view();
        INDArray reset = GRU_RESET.columns(gates, h);
        INDArray update = GRU_UPDATE.columns(gates, h);
        INDArray newGate = GRU_NEW.columns(gates, h);
        INDArray dGates = g.dGates().view();
        INDArray dH = g.dH().view();
        INDArray dNew = GRU_NEW.columns(dGates, h);
        INDArray dReset = GRU_RESET.columns(dGates, h);
        INDArray dUpdate = GRU_UPDATE.columns(dGates, h);
        INDArray tmp = GRU_RESET.columns(s.scratch().view(), h);
        if (g.dOutput() != null) {
            dH.addi(g.dOutput().view());
        }

        // h' = (1 - z) * n + z * h
        update.rsub(1.0, tmp);
        dH.mul(tmp, dNew);
        hPrev.sub(newGate, dUpdate).muli(dH);

        // n = tanh(a_n), a_n = x W_in^T + b_in + r * hn: the input side sees da_n, the recurrent side r * da_n.
        newGate.mul(newGate, tmp).rsubi(1.0);
        dNew.muli(tmp);
        dNew.mul(reset, GRU_NEW.columns(dGatesHh, h));
        dNew.mul(GRU_NEW.columns(projection, h), dReset);

        // Through the sigmoids of r and z.
        reset.rsub(1.0, tmp).muli(reset);
        dReset.muli(tmp);
        update.rsub(1.0, tmp).muli(update);
        dUpdate.muli(tmp);
        Gate.columns(dGatesHh, GRU_RESET, GRU_UPDATE, h).assign(Gate.columns(dGates, GRU_RESET, GRU_UPDATE, h));

        // dL/dh = z * dL/dh' + dGatesHh W_hh   (accumulates onto the direct path)
        dH.muli(update);
        Blas.gemm(dGatesHh, false, w.weightHh(), false, 1.0, 1.0, dH);
    }
}
