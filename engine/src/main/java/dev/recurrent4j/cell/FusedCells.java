package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.Blas;
import dev.recurrent4j.tensor.MatrixRegion;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
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
        public INDArray inputProjectionBias(CellWeights weights) {
            return plain.inputProjectionBias(weights);
        }

        @Override
        public final boolean separateRecurrentGradient() {
            return plain.separateRecurrentGradient();
        }

        @Override
        public final ParallelStep parallelStep(CellWeights w, int batch) {
            if (!PARALLEL_STEPS || w.dataType() != DataType.FLOAT) {
                return null;
            }
            int hidden = (int) w.hiddenSize();
            if (SharedProduct.batches(batch)) {
                PackedWeights packed = PackedWeights.of(MatrixRegion.of(w.weightHh()), type.gates());
                if (packed != null) {
                    return new SharedProduct(this, packed, hidden);
                }
            }
            return SharedUpdate.batches(batch) ? new SharedUpdate(this, hidden) : null;
        }

        @Override
        public final void forward(CellWeights w, StepTensors s) {
            if (w.dataType() == DataType.FLOAT) {
                int hidden = (int) w.hiddenSize();
                product(s);
                update(s, 0, s.rows(), hidden, 0, hidden);
            } else {
                plain.forward(w, s);
            }
        }

        @Override
        public final void backward(CellWeights w, StepTensors s, StepGradients g) {
            if (w.dataType() == DataType.FLOAT) {
                backwardRows(s, g, 0, s.rows(), (int) w.hiddenSize());
                backwardProduct(s, g);
            } else {
                plain.backward(w, s, g);
            }
        }

        /**
         * A backward step's elementwise part for rows {@code [firstRow, lastRow)}: each row's gradients depend on that
         * row alone, so rows can be shared between threads; {@link #backwardProduct} follows once all rows are done.
         */
        final void backwardRows(StepTensors s, StepGradients g, int firstRow, int lastRow, int hidden) {
            if (g.dOutput() != null) { // the step's output gradient joins dL/dh' once, for every cell
                VectorKernels.addInPlace(g.dH(), g.dOutput(), firstRow, lastRow);
            }
            elementwiseBackward(s, g, firstRow, lastRow, hidden);
        }

        /**
         * Where the step's recurrent product {@code h W_hh^T} goes: added into the gates' pre-activations (Elman,
         * LSTM), or into the GRU's own projection, which it overwrites.
         */
        private MatrixRegion productTarget(StepTensors s) {
            return separateRecurrentGradient() ? s.hiddenProjection() : s.gates();
        }

        /** The step's recurrent product, by OpenBLAS. */
        final void product(StepTensors s) {
            boolean accumulate = !separateRecurrentGradient();
            Blas.gemm(s.hPrev(), false, s.weightHh(), true, 1.0, accumulate ? 1.0 : 0.0, productTarget(s));
        }

        /** The hidden units {@code [from, to)} of a step's product, by the Java kernel on packed weights. */
        final void product(PackedWeights packed, StepTensors s, int from, int to) {
            packed.multiply(s.hPrev(), productTarget(s), from, to, !separateRecurrentGradient());
        }

        /**
         * The elementwise update of rows {@code [firstRow, lastRow)}, hidden units {@code [from, to)}, once their
         * product is in place.
         */
        abstract void update(StepTensors s, int firstRow, int lastRow, int hidden, int from, int to);

        abstract void elementwiseBackward(StepTensors s, StepGradients g, int firstRow, int lastRow, int hidden);

        /**
         * The recurrent product of a backward step into dL/dh (every row at once), by OpenBLAS: it replaces dH (Elman,
         * LSTM, whose dGatesHh is dGates) or adds to the GRU's direct path {@code z * dH}.
         */
        final void backwardProduct(StepTensors s, StepGradients g) {
            double beta = separateRecurrentGradient() ? 1.0 : 0.0;
            Blas.gemm(g.dGatesHh(), false, s.weightHh(), false, 1.0, beta, g.dH());
        }
    }

    /** The first row of share {@code share} of {@code [0, hidden)} mapped onto {@code rows} rows. */
    private static int rowAt(int rows, int share, int hidden) {
        return (int) ((long) rows * share / hidden);
    }

    /**
     * What both kinds of parallel step share: backward split by rows. Part {@code [from, to)} of {@code [0, H)}
     * computes the elementwise gradients of rows {@code [b from / H, b to / H)} of the b active rows (each row's
     * depend on that row alone); the caller then makes the step's product into dL/dh for every row.
     */
    private interface FusedStep extends ParallelStep {
        Fused cell();

        @Override
        default void backward(StepTensors s, StepGradients g, int from, int to) {
            int first = rowAt(s.rows(), from, hiddenSize());
            int last = rowAt(s.rows(), to, hiddenSize());
            if (last > first) {
                cell().backwardRows(s, g, first, last, hiddenSize());
            }
        }

        @Override
        default void endBackward(StepTensors s, StepGradients g) {
            cell().backwardProduct(s, g);
        }
    }

    /**
     * Small batches: each part computes its units' product with the Java kernel, then their update; the product
     * is split between threads with the update. Holds W_hh packed when it was made (a caller whose weights never
     * change, such as {@code InferenceModel}, keeps it).
     */
    private record SharedProduct(Fused cell, PackedWeights packed, int hiddenSize) implements FusedStep {
        /** The batches this kind of step is made for. */
        static boolean batches(int batch) {
            return batch >= MIN_PARALLEL_ROWS && batch <= MAX_PARALLEL_ROWS;
        }

        @Override
        public boolean serves(int batch) {
            return batches(batch);
        }

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
            cell.product(packed, s, from, to);
            cell.update(s, 0, s.rows(), hiddenSize, from, to);
        }
    }

    /**
     * Larger batches: the caller computes the whole product with OpenBLAS (both cores, its own threads), then the
     * parts share the elementwise update, which would otherwise run on the caller's core alone. A part is a share of
     * the rows, every unit: part {@code [from, to)} of {@code [0, H)} updates rows {@code [b from / H, b to / H)} of
     * the b active rows. Whole rows lie together in memory; split by units, every part read pieces of every row (64
     * LSTM steps at B=32 H=256, interleaved in one JVM: 18.1 ms with rows, 18.8 with units of 64). Same bits as
     * {@link Cell#forward}: each unit's update reads and writes that unit only.
     */
    private record SharedUpdate(Fused cell, int hiddenSize) implements FusedStep {
        /**
         * Work counted per element of the update, in multiply-adds: an activation costs about 1.5 ns here, a
         * multiply-add of the product 0.05.
         */
        private static final int ELEMENT_WORK = 32;

        /** The batches this kind of step is made for. */
        static boolean batches(int batch) {
            return batch > MAX_PARALLEL_ROWS;
        }

        @Override
        public boolean serves(int batch) {
            return batches(batch);
        }

        /** Any share: it is mapped to rows, and the team's count of parts decides how many rows each gets. */
        @Override
        public int blockSize() {
            return 1;
        }

        @Override
        public long work(int rows) {
            return (long) rows * cell.type().gates() * hiddenSize * ELEMENT_WORK;
        }

        @Override
        public void begin(StepTensors s) {
            cell.product(s);
        }

        @Override
        public void forward(StepTensors s, int from, int to) {
            int first = rowAt(s.rows(), from, hiddenSize);
            int last = rowAt(s.rows(), to, hiddenSize);
            if (last > first) {
                cell.update(s, first, last, hiddenSize, 0, hiddenSize);
            }
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
        void update(StepTensors s, int firstRow, int lastRow, int hidden, int from, int to) {
            VectorKernels.rnnForward(s.gates(), s.hNext(), relu, firstRow, lastRow, hidden, from, to - from);
        }

        @Override
        void elementwiseBackward(StepTensors s, StepGradients g, int firstRow, int lastRow, int hidden) {
            VectorKernels.rnnBackward(s.hNext(), g.dH(), g.dGates(), relu, firstRow, lastRow);
        }
    }

    /** LSTM. */
    private static final class Lstm extends Fused {
        static final Lstm INSTANCE = new Lstm();

        private Lstm() {
            super(CellType.LSTM);
        }

        @Override
        void update(StepTensors s, int firstRow, int lastRow, int hidden, int from, int to) {
            VectorKernels.lstmForward(s.gates(), s.cPrev(), s.cNext(), s.tanhC(), s.hNext(), firstRow, lastRow,
                    hidden, from, to - from);
        }

        @Override
        void elementwiseBackward(StepTensors s, StepGradients g, int firstRow, int lastRow, int hidden) {
            VectorKernels.lstmBackward(s.gates(), s.cPrev(), s.tanhC(), g.dH(), g.dC(), g.dGates(), firstRow,
                    lastRow, hidden);
        }
    }

    /** GRU. */
    private static final class Gru extends Fused {
        static final Gru INSTANCE = new Gru();

        private Gru() {
            super(CellType.GRU);
        }

        /**
         * In float32, b_ih + b_hh for r and z and b_ih for n: only b_hn must meet the recurrent product apart (inside
         * r (hn + b_hn)), so the kernel adds it alone and the other two reach the pre-activations with the input
         * projection's bias. Other data types run the plain cell, which takes b_ih alone.
         */
        @Override
        public INDArray inputProjectionBias(CellWeights w) {
            INDArray bias = super.inputProjectionBias(w);
            if (bias != null && w.dataType() == DataType.FLOAT) {
                long resetAndUpdate = 2 * w.hiddenSize();
                bias.get(NDArrayIndex.interval(0, resetAndUpdate))
                        .addi(w.biasHh().get(NDArrayIndex.interval(0, resetAndUpdate)));
            }
            return bias;
        }

        @Override
        void update(StepTensors s, int firstRow, int lastRow, int hidden, int from, int to) {
            VectorKernels.gruForward(s.gates(), s.hiddenProjection(), s.biasHh(), s.hPrev(), s.hNext(), firstRow,
                    lastRow, hidden, from, to - from);
        }

        @Override
        void elementwiseBackward(StepTensors s, StepGradients g, int firstRow, int lastRow, int hidden) {
            VectorKernels.gruBackward(s.gates(), s.hiddenProjection(), s.hPrev(), g.dH(), g.dGates(),
                    g.dGatesHh(), firstRow, lastRow, hidden);
        }
    }
}
