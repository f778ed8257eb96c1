/**
 * Reading and writing tensors on disk in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format, the format PyTorch checkpoints are exchanged in.
 *
 * <p>{@link dev.recurrent4j.io.SafeTensors} is the whole API: strict whole-file reads into fresh ND4J arrays and
 * atomic writes. Malformed files get a {@link dev.recurrent4j.io.SafeTensorsFormatException} naming the file, the
 * tensor and the problem. This package knows nothing about models or parameter names; mapping PyTorch names onto
 * Recurrent4j parameters belongs to {@code model}. It does not memory-map, stream or partially read files.
 */
package dev.recurrent4j.io;
