package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.Blas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fast CPU cells: the same GEMMs as the plain cells, and the whole elementwise part of a step in one SIMD
 * pass ({@link VectorKernels}) instead of 10 to 20 ND4J ops. They run float32 on ND4J's CPU backend when the JVM
 * has the {@code jdk.incubator.vector} module ({@code --add-modules jdk.incubator.vector}); anywhere else (other
 * data types, the CUDA backend, no module, or {@code -Drecurrent4j.fusedCells=false}) they are not used, and
 * {@link CellType#cell()} returns the plain cells. An equivalence test ties the two.
 */
public final class FusedCells {
    private static final Logger log = LoggerFactory.getLogger(FusedCells.class);
    private static final boolean AVAILABLE = detect();
    private static final Cell RNN_TANH = new Rnn(CellType.RNN_TANH);
    private static final Cell RNN_RELU = new Rnn(CellType.RNN_RELU);

    private FusedCells() {}

    /** Whether the fused cells are in use in this JVM. */
    public static boolean available() {
        return AVAILABLE;
    }

    /** The fused implementation of {@code type}; callers check {@link #available()} first. */
    static Cell of(CellType type) {
        return switch (type) {
            case RNN_TANH -> RNN_TANH;
            case RNN_RELU -> RNN_RELU;
            case LSTM -> Lstm.INSTANCE;
            case GRU -> Gru.INSTANCE;
        };
    }

    private static boolean detect() {
        if (!Boolean.parseBoolean(System.getProperty("recurrent4j.fusedCells", "true"))) {
            log.info("Fused CPU cells disabled by -Drecurrent4j.fusedCells=false; using ND4J ops");
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            log.info("Fused CPU cells need --add-modules jdk.incubator.vector; using ND4J ops, which are slower");
            return false;
        }
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        if (!backend.equals("CpuBackend")) {
            log.info("Fused cells are CPU-only and ND4J runs on {}; using ND4J ops", backend);
            return false;
        }
        return true;
    }

    private static boolean isFloat(CellWeights weights) {
        return weights.dataType() == DataType.FLOAT;
    }

    /** Elman RNN; tanh or relu. */
    private static final class Rnn implements Cell {
        private final CellType type;
        private final Cell plain;

        Rnn(CellType type) {
            this.type = type;
            this.plain = type.plainCell();
        }

        @Override
        public CellType type() {
            return type;
        }

        @Override
        public INDArray inputProjectionBias(CellWeights weights) {
            return plain.inputProjectionBias(weights);
        }

        @Override
        public void forward(CellWeights w, StepTensors s) {
            if (!isFloat(w)) {
                plain.forward(w, s);
                return;
            }
            Blas.gemm(s.hPrev(), false, s.weightHh(), true, 1.0, 1.0, s.gates());
            VectorKernels.rnnForward(s.gates(), s.hNext(), type == CellType.RNN_RELU, (int) s.hNext().length());
        }

        @Override
        public void backward(CellWeights w, StepTensors s, StepGradients g) {
            if (!isFloat(w)) {
                plain.backward(w, s, g);
                return;
            }
            VectorKernels.rnnBackward(s.hNext(), g.dOutput(), g.dH(), g.dGates(), type == CellType.RNN_RELU,
                    (int) s.hNext().length());
            Blas.gemm(g.dGates(), false, s.weightHh(), false, 1.0, 0.0, g.dH());
        }
    }

    /** LSTM. */
    private static final class Lstm implements Cell {
        static final Lstm INSTANCE = new Lstm();
        private final Cell plain = CellType.LSTM.plainCell();

        @Override
        public CellType type() {
            return CellType.LSTM;
        }

        @Override
        public INDArray inputProjectionBias(CellWeights weights) {
            return plain.inputProjectionBias(weights);
        }

        @Override
        public void forward(CellWeights w, StepTensors s) {
            if (!isFloat(w)) {
                plain.forward(w, s);
                return;
            }
            Blas.gemm(s.hPrev(), false, s.weightHh(), true, 1.0, 1.0, s.gates());
            VectorKernels.lstmForward(s.gates(), s.cPrev(), s.cNext(), s.tanhC(), s.hNext(), s.rows(),
                    (int) w.hiddenSize());
        }

        @Override
        public void backward(CellWeights w, StepTensors s, StepGradients g) {
            if (!isFloat(w)) {
                plain.backward(w, s, g);
                return;
            }
            VectorKernels.lstmBackward(s.gates(), s.cPrev(), s.tanhC(), g.dOutput(), g.dH(), g.dC(), g.dGates(),
                    s.rows(), (int) w.hiddenSize());
            Blas.gemm(g.dGates(), false, s.weightHh(), false, 1.0, 0.0, g.dH());
        }
    }

    /** GRU. */
    private static final class Gru implements Cell {
        static final Gru INSTANCE = new Gru();
        private final Cell plain = CellType.GRU.plainCell();

        @Override
        public CellType type() {
            return CellType.GRU;
        }

        @Override
        public INDArray inputProjectionBias(CellWeights weights) {
            return plain.inputProjectionBias(weights);
        }

        @Override
        public boolean separateRecurrentGradient() {
            return true;
        }

        @Override
        public void forward(CellWeights w, StepTensors s) {
            if (!isFloat(w)) {
                plain.forward(w, s);
                return;
            }
            Blas.gemm(s.hPrev(), false, s.weightHh(), true, 1.0, 0.0, s.hiddenProjection());
            VectorKernels.gruForward(s.gates(), s.hiddenProjection(), s.biasHh(), s.hPrev(), s.hNext(), s.rows(),
                    (int) w.hiddenSize());
        }

        @Override
        public void backward(CellWeights w, StepTensors s, StepGradients g) {
            if (!isFloat(w)) {
                plain.backward(w, s, g);
                return;
            }
            VectorKernels.gruBackward(s.gates(), s.hiddenProjection(), s.hPrev(), g.dOutput(), g.dH(), g.dGates(),
                    g.dGatesHh(), s.rows(), (int) w.hiddenSize());
            Blas.gemm(g.dGatesHh(), false, s.weightHh(), false, 1.0, 1.0, g.dH());
        }
    }
}
