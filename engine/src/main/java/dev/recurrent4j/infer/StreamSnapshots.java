package dev.recurrent4j.infer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recurrent4j.model.RecurrentConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The byte format of a stream snapshot, version 1:
 * <pre>
 *   magic      8 bytes  "R4JSTATE"
 *   length     4 bytes  big-endian, the header's length in bytes
 *   header     UTF-8 JSON: format, version, cell, dataType, inputSize, hiddenSize, numLayers, bias, outputSize,
 *              fingerprint (the model's), steps, stateBytes
 *   h          L*H values, the header's data type, little-endian, layer-major
 *   c          L*H values likewise (LSTM only)
 *   checksum   4 bytes  big-endian CRC32C of everything before it
 * </pre>
 * The header makes a snapshot readable without this code; the checksum catches truncation and corruption before any
 * field is trusted. Restoring checks, in order: magic, checksum, version, architecture, weights.
 */
final class StreamSnapshots {
    static final String FORMAT = "recurrent4j-stream-state";
    static final int VERSION = 1;
    private static final byte[] MAGIC = "R4JSTATE".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The architecture fields a snapshot must share with the model it is restored on. */
    private static final String[] ARCHITECTURE = {"cell", "dataType", "inputSize", "hiddenSize", "numLayers", "bias",
        "outputSize"};

    private StreamSnapshots() {}

    static byte[] write(Stream stream) {
        InferenceModel model = stream.model();
        Map<String, Object> header = architecture(model);
        header.put("fingerprint", model.fingerprint());
        header.put("steps", stream.steps());
        int stateBytes = stream.h.capacity() * (stream.c == null ? 1 : 2);
        header.put("stateBytes", stateBytes);
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a snapshot header", e);
        }
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + json.length + stateBytes + 4);
        out.put(MAGIC).putInt(json.length).put(json);
        boolean isFloat = model.config().dataType().width() == 4;
        copyLittleEndian(stream.h, out, isFloat);
        if (stream.c != null) {
            copyLittleEndian(stream.c, out, isFloat);
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.array();
    }

    /** Checks {@code bytes} against the stream's model and loads them into the (not yet published) stream. */
    static void restore(byte[] bytes, Stream stream) {
        InferenceModel model = stream.model();
        if (bytes == null || bytes.length < MAGIC.length + 8) {
            throw new SnapshotException("snapshot: expected a stream snapshot but was "
                    + (bytes == null ? "null" : bytes.length + " bytes, too short"));
        }
        for (int k = 0; k < MAGIC.length; k++) {
            if (bytes[k] != MAGIC[k]) {
                throw new SnapshotException("snapshot: expected the magic \"R4JSTATE\" of a stream snapshot; "
                        + "these bytes are something else");
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
        if (stored != (int) crc.getValue()) {
            throw new SnapshotException(String.format("snapshot: corrupted or truncated (CRC32C %08x but the "
                    + "snapshot says %08x)", (int) crc.getValue(), stored));
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - 4);
        in.position(MAGIC.length);
        int headerLength = in.getInt();
        if (headerLength < 2 || headerLength > in.remaining()) {
            throw new SnapshotException("snapshot: header length " + headerLength + " exceeds the "
                    + in.remaining() + " bytes that follow");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, in.position(), headerLength, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SnapshotException("snapshot: the header is not JSON: " + e.getMessage(), e);
        }
        in.position(in.position() + headerLength);
        if (!FORMAT.equals(header.path("format").asText()) || header.path("version").asInt(-1) != VERSION) {
            throw new SnapshotException("snapshot: expected format " + FORMAT + " version " + VERSION + " but was "
                    + header.path("format").asText("?") + " version " + header.path("version").asText("?"));
        }
        Map<String, Object> expected = architecture(model);
        StringBuilder mismatches = new StringBuilder();
        for (String field : ARCHITECTURE) {
            String want = String.valueOf(expected.get(field));
            String was = header.path(field).asText("missing");
            if (!want.equals(was)) {
                mismatches.append(mismatches.length() == 0 ? "" : ", ").append(field).append(" expected ")
                        .append(want).append(" but was ").append(was);
            }
        }
        if (mismatches.length() > 0) {
            throw new SnapshotException("snapshot: taken from a model of another architecture: " + mismatches);
        }
        String fingerprint = header.path("fingerprint").asText("missing");
        if (!fingerprint.equals(model.fingerprint())) {
            throw new SnapshotException("snapshot: taken from a model with other weights (fingerprint "
                    + abbreviate(fingerprint) + ", this model " + abbreviate(model.fingerprint()) + ")");
        }
        int stateBytes = stream.h.capacity() * (stream.c == null ? 1 : 2);
        if (header.path("stateBytes").asInt(-1) != stateBytes || in.remaining() != stateBytes) {
            throw new SnapshotException("snapshot: expected " + stateBytes + " bytes of state but the header says "
                    + header.path("stateBytes").asText("?") + " and " + in.remaining() + " follow");
        }
        long steps = header.path("steps").asLong(-1);
        if (steps < 0) {
            throw new SnapshotException("snapshot: expected a step count >= 0 but was "
                    + header.path("steps").asText("missing"));
        }
        boolean isFloat = model.config().dataType().width() == 4;
        ByteBuffer h = ByteBuffer.allocate(stream.h.capacity()).order(ByteOrder.nativeOrder());
        readLittleEndian(in, h, isFloat);
        ByteBuffer c = null;
        if (stream.c != null) {
            c = ByteBuffer.allocate(stream.c.capacity()).order(ByteOrder.nativeOrder());
            readLittleEndian(in, c, isFloat);
        }
        stream.restoreState(h, c, steps);
    }

    /** Restores {@code bytes} into a stream its caller holds idle (as after its own snapshot). */
    static void restoreInPlace(byte[] bytes, Stream stream) {
        stream.acquire();
        try {
            restore(bytes, stream);
        } finally {
            stream.release();
        }
    }

    private static Map<String, Object> architecture(InferenceModel model) {
        RecurrentConfig config = model.config();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", FORMAT);
        header.put("version", VERSION);
        header.put("cell", config.cell().name());
        header.put("dataType", config.dataType().name());
        header.put("inputSize", config.inputSize());
        header.put("hiddenSize", config.hiddenSize());
        header.put("numLayers", config.numLayers());
        header.put("bias", config.bias());
        header.put("outputSize", model.head().isPresent() ? model.outputSize() : 0);
        return header;
    }

    /** Native-order state values to little-endian ones at {@code out}'s position. */
    private static void copyLittleEndian(ByteBuffer state, ByteBuffer out, boolean isFloat) {
        ByteBuffer le = out.slice().order(ByteOrder.LITTLE_ENDIAN);
        int width = isFloat ? 4 : 8;
        for (int at = 0; at < state.capacity(); at += width) {
            if (isFloat) {
                le.putFloat(at, state.getFloat(at));
            } else {
                le.putDouble(at, state.getDouble(at));
            }
        }
        out.position(out.position() + state.capacity());
    }

    private static void readLittleEndian(ByteBuffer in, ByteBuffer state, boolean isFloat) {
        ByteBuffer le = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        int width = isFloat ? 4 : 8;
        for (int at = 0; at < state.capacity(); at += width) {
            if (isFloat) {
                state.putFloat(at, le.getFloat(at));
            } else {
                state.putDouble(at, le.getDouble(at));
            }
        }
        in.position(in.position() + state.capacity());
    }

    private static String abbreviate(String fingerprint) {
        return fingerprint.length() > 12 ? fingerprint.substring(0, 12) + "…" : fingerprint;
    }
}
