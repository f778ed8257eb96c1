package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.Blas;
import dev.recurrent4j.tensor.MatrixRegion;
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
    /**
     * The batches whose steps run as a {@link ParallelStep} (the Java product, shared between threads): from 4 rows
     * (below, the kernel computes rows it throws away, and OpenBLAS's GEMV is the better product) to 8. Measured on
     * the 2-core VM, 64 LSTM steps, Java on two threads vs OpenBLAS + the elementwise kernel: B=8 H=256 6.6 vs 12.3 ms,
     * B=8 H=128 4.3 vs 4.7, B=4 H=64 0.66 vs 1.02 (one thread: 11.1, 3.6, 1.0, still ahead); from B=16 OpenBLAS's
     * product wins or ties without helpers (B=16 H=256 one thread 19.8 vs 14.4; B=32 H=128 two threads 12.7 vs 7.3;
     * B=64 H=512 two threads 156 vs 105). The choice depends on the batch alone, never on whether a helper is free,
     * so the same call always gets the same bits.
     */
    static final int MIN_PARALLEL_ROWS = 4;
    static final int MAX_PARALLEL_ROWS = 8;
    private static final boolean PARALLEL_STEPS = Boolean.parseBoolean(
            System.getProperty("recurrent4j.parallelSteps", "true"));
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

    /**
     * What every fused cell shares: float32 runs the fused step, anything else the plain cell of the same type
     * (which also supplies the input-projection bias, identical for both).
     */
    private abstract static class Fused implements Cell {
        private final CellType type;
        private final Cell plain;

        Fused(CellType type) {
            this.type = type;
            this.plain = type.plainCell();
        }

        @Override
        public final CellType type() {
            return type;
        }

        @Override
        public final INDArray inputProjectionBias(CellWeights weights) {
            return plain.inputProjectionBias(weights);
        }

        @Override
        public final boolean separateRecurrentGradient() {
            return plain.separateRecurrentGradient();
        }

        @Override
        public final ParallelStep parallelStep(CellWeights w, int batch) {
            if (!PARALLEL_STEPS || w.dataType() != DataType.FLOAT || batch < MIN_PARALLEL_ROWS
                    || batch > MAX_PARALLEL_ROWS) {
                return null;
            }
            PackedWeights packed = PackedWeights.of(MatrixRegion.of(w.weightHh()), type.gates());
            return packed == null ? null : new Split(this, packed, (int) w.hiddenSize());
        }

        @Override
        public final void forward(CellWeights w, StepTensors s) {
            if (w.dataType() == DataType.FLOAT) {
                fusedForward(s, (int) w.hiddenSize());
            } else {
                plain.forward(w, s);
            }
        }

        @Override
        public final void backward(CellWeights w, StepTensors s, StepGradients g) {
            if (w.dataType() == DataType.FLOAT) {
                if (g.dOutput() != null) { // the step's output gradient joins dL/dh' once, for every cell
                    VectorKernels.addInPlace(g.dH(), g.dOutput());
                }
                fusedBackward(s, g, (int) w.hiddenSize());
            } else {
                plain.backward(w, s, g);
            }
        }

        abstract void fusedForward(StepTensors s, int hidden);

        /** The units {@code [from, to)} of a step: their columns of each gate's product, then their update. */
        abstract void parallelForward(PackedWeights packed, StepTensors s, int hidden, int from, int to);

        abstract void fusedBackward(StepTensors s, StepGradients g, int hidden);
    }

    /** A fused cell's step split by hidden units, with its packed recurrent weights. */
    private record Split(Fused cell, PackedWeights packed, int hiddenSize) implements ParallelStep {
        @Override
        public int blockSize() {
            return packed.units();
        }

        @Override
        public long work(int rows) {
            return (long) rows * packed.columns() * hiddenSize;
        }

        @Override
        public void forward(StepTensors s, int from, int to) {
            cell.parallelForward(packed, s, hiddenSize, from, to);
        }
    }

    /** Elman RNN; tanh or relu. */
    private static final class Rnn extends Fused {
        private final boolean relu;

        Rnn(CellType type) {
            super(type);
            this.relu = type == CellType.RNN_RELU;
        }

        @Override
        void fusedForward(StepTensors s, int hidden) {
            Blas.gemm(s.hPrev(), false, s.weightHh(), true, 1.0, 1.0, s.gates());
            VectorKernels.rnnForward(s.gates(), s.hNext(), relu, s.rows(), hidden, 0, hidden);
        }

        @Override
        void parallelForward(PackedWeights packed, StepTensors s, int hidden, int from, int to) {
            packed.multiply(s.hPrev(), s.gates(), from, to, true);
            VectorKernels.rnnForward(s.gates(), s.hNext(), relu, s.rows(), hidden, from, to - from);
        }

        @Override
        void fusedBackward(StepTensors s, StepGradients g, int hidden) {
            VectorKernels.rnnBackward(s.hNext(), g.dH(), g.dGates(), relu, (int) s.hNext().length());
            Blas.gemm(g.dGates(), false, s.weightHh(), false, 1.0, 0.0, g.dH());
        }
    }

    /** LSTM. */
    private static final class Lstm extends Fused {
        static final Lstm INSTANCE = new Lstm();

        private Lstm() {
            super(CellType.LSTM);
        }

        @Override
        void fusedForward(StepTensors s, int hidden) {
            Blas.gemm(s.hPrev(), false, s.weightHh(), true, 1.0, 1.0, s.gates());
            VectorKernels.lstmForward(s.gates(), s.cPrev(), s.cNext(), s.tanhC(), s.hNext(), s.rows(), hidden, 0,
                    hidden);
        }

        @Override
        void parallelForward(PackedWeights packed, StepTensors s, int hidden, int from, int to) {
            packed.multiply(s.hPrev(), s.gates(), from, to, true);
            VectorKernels.lstmForward(s.gates(), s.cPrev(), s.cNext(), s.tanhC(), s.hNext(), s.rows(), hidden, from,
                    to - from);
        }

        @Override
        void fusedBackward(StepTensors s, StepGradients g, int hidden) {
            VectorKernels.lstmBackward(s.gates(), s.cPrev(), s.tanhC(), g.dH(), g.dC(), g.dGates(),
                    s.rows(), hidden);
            Blas.gemm(g.dGates(), false, s.weightHh(), false, 1.0, 0.0, g.dH());
        }
    }

    /** GRU. */
    private static final class Gru extends Fused {
        static final Gru INSTANCE = new Gru();

        private Gru() {
            super(CellType.GRU);
        }

        @Override
        void fusedForward(StepTensors s, int hidden) {
            Blas.gemm(s.hPrev(), false, s.weightHh(), true, 1.0, 0.0, s.hiddenProjection());
            VectorKernels.gruForward(s.gates(), s.hiddenProjection(), s.biasHh(), s.hPrev(), s.hNext(), s.rows(),
                    hidden, 0, hidden);
        }

        @Override
        void parallelForward(PackedWeights packed, StepTensors s, int hidden, int from, int to) {
            packed.multiply(s.hPrev(), s.hiddenProjection(), from, to, false);
            VectorKernels.gruForward(s.gates(), s.hiddenProjection(), s.biasHh(), s.hPrev(), s.hNext(), s.rows(),
                    hidden, from, to - from);
        }

        @Override
        void fusedBackward(StepTensors s, StepGradients g, int hidden) {
            VectorKernels.gruBackward(s.gates(), s.hiddenProjection(), s.hPrev(), g.dH(), g.dGates(),
                    g.dGatesHh(), s.rows(), hidden);
            Blas.gemm(g.dGatesHh(), false, s.weightHh(), false, 1.0, 1.0, g.dH());
        }
    }
}
