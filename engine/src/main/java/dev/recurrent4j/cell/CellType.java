package dev.recurrent4j.cell;

/**
 * The recurrent cells, named after PyTorch's {@code mode} strings, with their gate count G.
 *
 * <ul>
 *   <li>{@link #RNN_TANH}, {@link #RNN_RELU}: {@code h' = act(W_ih x + b_ih + W_hh h + b_hh)}, G = 1.</li>
 *   <li>{@link #LSTM}: gates i, f, g, o; {@code c' = f*c + i*g}, {@code h' = o*tanh(c')}, G = 4.</li>
 *   <li>{@link #GRU}: gates r, z, n; {@code n = tanh(W_in x + b_in + r*(W_hn h + b_hn))},
 *       {@code h' = (1-z)*n + z*h}, G = 3.</li>
 * </ul>
 */
public enum CellType {
    RNN_TANH(1),
    RNN_RELU(1),
    LSTM(4),
    GRU(3);

    private final int gates;

    CellType(int gates) {
        this.gates = gates;
    }

    /** G, the number of gate blocks packed in {@code weight_ih} and {@code weight_hh}. */
    public int gates() {
        return gates;
    }

    /** Whether the cell carries a second state, the LSTM cell state {@code c}. */
    public boolean hasCellState() {
        return this == LSTM;
    }

    /**
     * The in-place step implementation used by the sequence runner: the fused SIMD cell where it runs
     * ({@link FusedCells#available()}), else the plain one.
     */
    public Cell cell() {
        return FusedCells.available() ? FusedCells.of(this) : plainCell();
    }

    /** The plain in-place step: ND4J ops only, on any backend and data type. */
    public Cell plainCell() {
        return switch (this) {
            case RNN_TANH -> RnnCell.TANH;
            case RNN_RELU -> RnnCell.RELU;
            case LSTM -> LstmCell.INSTANCE;
            case GRU -> GruCell.INSTANCE;
        };
    }
}
