/**
 * Recurrent4j: recurrent sequence models (Elman RNN, LSTM, GRU) for the JVM on ND4J, with PyTorch's
 * parameter layout and semantics as the contract.
 *
 * <h2>Vocabulary</h2>
 * The same letters name the same dimensions everywhere in this code base:
 * <ul>
 *   <li><b>T</b> time steps, <b>B</b> batch, <b>I</b> input features, <b>H</b> hidden size;</li>
 *   <li><b>G</b> gates per cell (RNN 1, GRU 3, LSTM 4), so packed gate blocks are {@code G*H} wide;</li>
 *   <li><b>L</b> layers, <b>D</b> directions (1, or 2 when bidirectional);</li>
 *   <li><b>V</b> vocabulary, <b>O</b> output features.</li>
 * </ul>
 * Sequences are time-major {@code [T, B, I]} in 'c' order inside the engine; batch-first {@code [B, T, I]} is
 * accepted at the public boundary and converted once.
 *
 * <h2>Layers of responsibility</h2>
 * {@code tensor} (shape checks) → {@code cell} (one time step) → {@code sequence} (the time loop, directions,
 * variable lengths, truncation) → {@code model} (stacks, PyTorch names, the public API); {@code io} reads and
 * writes safetensors. Arrows point one way.
 */
package dev.recurrent4j;
