package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.OutputHead;
import dev.recurrent4j.model.RecurrentConfig;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The inference benchmarks' baseline: DL4J 1.0.0-M2.1's {@code rnnTimeStep} over the same stacked LSTM (and linear
 * head) as one of our {@link InferenceModel}s, with its weights re-packed into DL4J's layout. DL4J keeps the state
 * of the rows it last stepped inside the network, so N streams stepped together are one {@code [N, I]} call: the
 * closest DL4J comes to batching N conversations (it cannot let them join or leave, or keep them apart).
 */
final class Dl4jStreamPeer {
    final MultiLayerNetwork network;
    private final InferenceModel model;

    Dl4jStreamPeer(InferenceModel model, long seed) {
        RecurrentConfig config = model.config();
        if (config.cell() != CellType.LSTM || config.bidirectional()) {
            throw new IllegalArgumentException("model: expected a unidirectional LSTM for the DL4J peer but was "
                    + config);
        }
        this.model = model;
        OutputHead head = model.head().orElse(null);
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Sgd(0.01)).list();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            layers.layer(new LSTM.Builder().nIn(layer == 0 ? config.inputSize() : config.hiddenSize())
                    .nOut(config.hiddenSize()).activation(Activation.TANH)
                    .gateActivationFunction(Activation.SIGMOID).build());
        }
        layers.layer(head == null
                ? new RnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build()
                : new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nIn(config.hiddenSize()).nOut(head.outputSize()).build());
        network = new MultiLayerNetwork(layers.build());
        network.init();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            Dl4jPeer.copyWeights(network, layer, CellType.LSTM, model.network().parameters().get(layer, 0),
                    config.hiddenSize());
        }
        if (head != null) {
            int index = config.numLayers();
            network.getParam(index + "_W").assign(head.parameters().get("weight").transpose());
            network.getParam(index + "_b").assign(head.parameters().get("bias").reshape(1, head.outputSize()));
        }
    }

    /** One step of {@code rows} sequences, {@code x [rows, I]}; the state of the last call's rows carries over. */
    INDArray step(INDArray x) {
        return network.rnnTimeStep(x);
    }

    /**
     * From a cleared state, a step of {@code x [rows, I]} equals our model's first step on the same input; then the
     * state is cleared again.
     */
    void validate(INDArray x) {
        network.rnnClearPreviousState();
        INDArray dl4j = step(x);
        long rows = x.size(0);
        dev.recurrent4j.infer.SequenceOutput ours = model.run(x.reshape(1, rows, x.size(1)), null, null);
        INDArray expected = (ours.logits() != null ? ours.logits() : ours.output()).reshape(rows, -1);
        Checks.shape("dl4j rnnTimeStep", dl4j, rows, expected.size(1));
        Checks.close("dl4j rnnTimeStep vs recurrent4j", dl4j, expected, 1e-4);
        network.rnnClearPreviousState();
    }

    /** {@code [rows, I]} of one value, as the inference benchmarks feed. */
    static INDArray input(long rows, int inputSize, float value) {
        return Nd4j.valueArrayOf(new long[] {rows, inputSize}, value);
    }
}
