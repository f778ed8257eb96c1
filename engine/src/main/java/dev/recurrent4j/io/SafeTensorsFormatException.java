package dev.recurrent4j.io;

import java.nio.file.Path;

/**
 * Thrown by {@link SafeTensors#read} and {@link SafeTensors#readWithMetadata} when a file is not a safetensors file
 * that this reader accepts: malformed (bad header length, invalid JSON, inconsistent offsets, truncated data, ...)
 * or valid but outside what it supports (an unsupported dtype, a tensor too large for one Java array).
 *
 * <p>It is an {@link IllegalArgumentException}: the file is the bad argument. The message always starts with the
 * file, names the tensor when one is involved, and says what was expected and what was found. It is not used for
 * I/O failures (those stay {@link java.io.IOException}s) nor for bad arguments to {@link SafeTensors#write}, which
 * get a plain {@link IllegalArgumentException}.
 */
public class SafeTensorsFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * @param file the file being read
     * @param problem what is wrong, naming the tensor when one is involved
     */
    public SafeTensorsFormatException(Path file, String problem) {
        super("Invalid safetensors file " + file + ": " + problem);
    }

    /**
     * @param file the file being read
     * @param problem what is wrong
     * @param cause the underlying parser error
     */
    public SafeTensorsFormatException(Path file, String problem, Throwable cause) {
        super("Invalid safetensors file " + file + ": " + problem, cause);
    }
}
