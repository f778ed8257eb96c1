package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cell.CellWeights;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The peer: DL4J 1.0.0-M2.1's own recurrent layer in a {@link MultiLayerNetwork}, as a DL4J user would run it
 * (default workspaces, no helpers configured), followed by a parameter-free {@link RnnLossLayer} (identity, MSE)
 * so that {@code output} returns the recurrent layer's output and {@code computeGradientAndScore} runs exactly one
 * recurrent layer's forward and BPTT. DL4J has {@code LSTM} and {@code SimpleRnn} (tanh); it has no GRU layer.
 *
 * <p>The peer gets our network's weights, re-packed into DL4J's layout (its LSTM gate blocks are ordered
 * [g, f, o, i] in PyTorch's names, weights are {@code [in, G*H]}, one bias), and {@code @Setup} checks its output
 * against ours: both compute the same function on the same data. DL4J's layout is {@code [B, I, T]}; the input is
 * converted once here, 'f' order as DL4J prefers.
 */
final class Dl4jPeer {
    final MultiLayerNetwork network;
    /** {@code [B, I, T]}, 'f' order: our {@code x} permuted. */
    final INDArray input;
    /** {@code [B, H, T]}, 'f' order: MSE targets for {@code computeGradientAndScore}. */
    final INDArray labels;
    /** {@code [1, I]}: the streaming step's input. */
    final INDArray stepInput;

    Dl4jPeer(EngineFixture engine, long seed) {
        CellType cell = engine.cell;
        Shape shape = engine.shape;
        Layer recurrent = switch (cell) {
            case LSTM -> new LSTM.Builder().nIn(shape.inputSize).nOut(shape.hiddenSize)
                    .activation(Activation.TANH).gateActivationFunction(Activation.SIGMOID).build();
            case RNN_TANH -> new SimpleRnn.Builder().nIn(shape.inputSize).nOut(shape.hiddenSize)
                    .activation(Activation.TANH).build();
            default -> throw new IllegalArgumentException("cell: DL4J 1.0.0-M2.1 has no " + cell
                    + " layer (LSTM and RNN_TANH only); run the peer with -p cell=LSTM,RNN_TANH");
        };
        MultiLayerConfiguration configuration = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(0.01))
                .list()
                .layer(recurrent)
                .layer(new RnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build())
                .build();
        network = new MultiLayerNetwork(configuration);
        network.init();
        copyWeights(network, 0, cell, engine.network.parameters().get(0, 0), shape.hiddenSize);

        input = engine.x.permute(1, 2, 0).dup('f');
        Nd4j.getRandom().setSeed(seed + 2);
        labels = Nd4j.rand(DataType.FLOAT, 'f', shape.batch, shape.hiddenSize, shape.steps);
        stepInput = engine.x.slice(0).get(NDArrayIndex.interval(0, 1), NDArrayIndex.all()).dup('c');
    }

    INDArray output() {
        return network.output(input);
    }

    Gradient forwardBackward() {
        network.setInput(input);
        network.setLabels(labels);
        network.computeGradientAndScore();
        return network.gradient();
    }

    INDArray step() {
        return network.rnnTimeStep(stepInput);
    }

    /** {@code output} is {@code [B, H, T]}, finite, and equal to our forward's (same weights, same input). */
    void validateOutput(EngineFixture engine) {
        INDArray y = output();
        Shape shape = engine.shape;
        Checks.shape("dl4j output", y, shape.batch, shape.hiddenSize, shape.steps);
        Checks.finite("dl4j output", y);
        INDArray ours = engine.forward().output().permute(1, 2, 0);
        Checks.close("dl4j output vs recurrent4j", y, ours, 1e-4);
    }

    /** A finite score and a finite gradient for every parameter. */
    void validateForwardBackward() {
        Gradient gradient = forwardBackward();
        if (!Double.isFinite(network.score())) {
            throw new IllegalStateException("dl4j score: expected finite but was " + network.score());
        }
        if (gradient.gradient().length() != network.numParams()) {
            throw new IllegalStateException("dl4j gradient: expected " + network.numParams() + " values but was "
                    + gradient.gradient().length());
        }
        Checks.finite("dl4j gradient", gradient.gradient());
    }

    /** {@code rnnTimeStep} gives {@code [1, H]} equal to our first step from zeros; then the state is cleared. */
    void validateStep(EngineFixture engine) {
        network.rnnClearPreviousState();
        INDArray y = step();
        Checks.shape("dl4j rnnTimeStep", y, 1, engine.shape.hiddenSize);
        INDArray ours = engine.network.forward(stepInput.reshape(1, 1, engine.shape.inputSize), null, null)
                .output().reshape(1, engine.shape.hiddenSize);
        Checks.close("dl4j rnnTimeStep vs recurrent4j", y, ours, 1e-4);
        network.rnnClearPreviousState();
    }

    /**
     * Our {@code weight_ih [G*H, I]}, {@code weight_hh [G*H, H]}, {@code bias_ih + bias_hh} into DL4J's
     * {@code W [I, G*H]}, {@code RW [H, G*H]}, {@code b [1, G*H]} of DL4J layer {@code layer}, LSTM gate blocks
     * re-ordered i,f,g,o -> g,f,o,i.
     */
    static void copyWeights(MultiLayerNetwork network, int layer, CellType cell, CellWeights weights, int hidden) {
        INDArray weightIh = weights.weightIh();
        INDArray weightHh = weights.weightHh();
        INDArray bias = weights.biasIh().add(weights.biasHh()).reshape(1, weights.biasIh().length());
        if (cell == CellType.LSTM) {
            int[] order = {2, 1, 3, 0}; // DL4J block k holds PyTorch gate order[k]
            weightIh = reorderRows(weightIh, order, hidden);
            weightHh = reorderRows(weightHh, order, hidden);
            bias = reorderRows(bias.reshape(bias.length(), 1), order, hidden).reshape(1, bias.length());
        }
        network.getParam(layer + "_W").assign(weightIh.transpose());
        network.getParam(layer + "_RW").assign(weightHh.transpose());
        network.getParam(layer + "_b").assign(bias);
    }

    private static INDArray reorderRows(INDArray matrix, int[] order, int hidden) {
        INDArray[] blocks = new INDArray[order.length];
        for (int k = 0; k < order.length; k++) {
            blocks[k] = matrix.get(NDArrayIndex.interval((long) order[k] * hidden, (long) (order[k] + 1) * hidden),
                    NDArrayIndex.all());
        }
        return Nd4j.concat(0, blocks);
    }
}
