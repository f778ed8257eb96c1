package dev.recurrent4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.custom.BitCast;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes <a href="https://github.com/huggingface/safetensors">safetensors</a> files as ND4J arrays.
 *
 * <h2>The format</h2>
 * An 8-byte little-endian unsigned header length {@code N}; then {@code N} bytes of UTF-8 JSON, an object mapping
 * each tensor name to {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} object of string to string; then the data section, which starts at byte {@code 8 + N}.
 * Offsets are relative to the data section, data is little-endian and 'c' (row-major) ordered, and the tensors must
 * tile the data section exactly: no overlaps, no gaps, no trailing bytes.
 *
 * <h2>What this class is</h2>
 * <ul>
 *   <li>A strict reader: the whole header is validated before any tensor data is touched, and anything the
 *       official library would reject (and a little more: non-0/1 booleans, unknown keys in a tensor entry) is
 *       refused with a {@link SafeTensorsFormatException} that names the file, the tensor, what was expected and
 *       what was found. A bad file never yields an {@link OutOfMemoryError} or a wrong array: memory is allocated
 *       only for data the file actually contains, after the header checks out.</li>
 *   <li>A crash-safe writer: the file is written next to the target under a temporary name, forced to disk and
 *       renamed over the target, so readers see either the old file or the complete new one.</li>
 * </ul>
 *
 * <h2>What it is not</h2>
 * <ul>
 *   <li>Not lazy and not memory-mapped: every tensor is copied into a fresh ND4J array (reads go through bounded
 *       1 MiB chunks, so the peak is about the Java array plus the ND4J buffer of the largest tensor). It is meant
 *       for checkpoints that fit in memory, not for streaming multi-gigabyte models.</li>
 *   <li>Not every safetensors dtype: see the table below. The unsigned 16/32/64-bit, 8-bit float and complex
 *       dtypes are refused, as are tensors of more than {@value #MAX_ELEMENTS} elements.</li>
 *   <li>No partial reads, appends or in-place updates.</li>
 * </ul>
 *
 * <h2>Dtypes</h2>
 * <table>
 *   <caption>safetensors dtype and ND4J data type</caption>
 *   <tr><th>safetensors</th><th>ND4J</th></tr>
 *   <tr><td>F64</td><td>DOUBLE</td></tr>
 *   <tr><td>F32</td><td>FLOAT</td></tr>
 *   <tr><td>F16</td><td>HALF</td></tr>
 *   <tr><td>BF16</td><td>BFLOAT16</td></tr>
 *   <tr><td>I64</td><td>LONG</td></tr>
 *   <tr><td>I32</td><td>INT</td></tr>
 *   <tr><td>I16</td><td>SHORT</td></tr>
 *   <tr><td>I8</td><td>BYTE</td></tr>
 *   <tr><td>U8</td><td>UBYTE</td></tr>
 *   <tr><td>BOOL</td><td>BOOL (one byte, 0 or 1)</td></tr>
 * </table>
 * Values are carried bit for bit, NaN payloads included: F16, BF16 and U8 are loaded as the signed Java integer of
 * the same width and reinterpreted with ND4J's {@code bitcast} op, so no floating-point conversion is involved.
 */
public final class SafeTensors {
    /** The largest header accepted, in bytes; the same cap as the official library (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The largest tensor accepted, in elements: the most one Java array can hold. */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private static final Logger LOG = LoggerFactory.getLogger(SafeTensors.class);

    private static final String METADATA_KEY = "__metadata__";
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");
    private static final int PREFIX_BYTES = 8;
    private static final int CHUNK_BYTES = 1 << 20;

    /** Rejects duplicate keys and anything after the top-level object; numbers stay exact (big integers too). */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafeTensors() {}

    /**
     * Everything a safetensors file holds.
     *
     * @param tensors the tensors by name, in the order of their data in the file (ties in header order); each a
     *     fresh 'c'-ordered array of the file's dtype and shape (rank 0 for shape {@code []}, an empty array for
     *     a shape with a zero dimension)
     * @param metadata the {@code __metadata__} strings, in header order; empty when the file has none
     */
    public record Contents(Map<String, INDArray> tensors, Map<String, String> metadata) {
        /**
         * Copies both maps into unmodifiable ones that keep the given iteration order.
         *
         * @param tensors the tensors by name
         * @param metadata the metadata strings
         */
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /**
     * Reads every tensor of a safetensors file.
     *
     * @param path the file
     * @return a mutable {@link LinkedHashMap} from name to a fresh 'c'-ordered array, in the order of the data in
     *     the file; shapes and dtypes as in the file (see the class documentation for the dtype table)
     * @throws SafeTensorsFormatException if the file is malformed or uses what this reader does not support: shorter
     *     than 8 bytes, a header length over {@link #MAX_HEADER_BYTES} or past the end of the file, a header that
     *     is not a UTF-8 JSON object, duplicate names, an entry with a missing, extra or mistyped field, an unknown
     *     dtype, a negative dimension, offsets with begin &gt; end, a shape whose byte size differs from its
     *     offsets, offsets past the end of the data (a truncated file), overlapping tensors, gaps or trailing bytes
     *     in the data section, a BOOL byte other than 0 or 1, a tensor of more than {@value #MAX_ELEMENTS} elements
     * @throws IOException if the file cannot be read
     */
    public static Map<String, INDArray> read(Path path) throws IOException {
        return new LinkedHashMap<>(readWithMetadata(path).tensors());
    }

    /**
     * Reads every tensor of a safetensors file together with its {@code __metadata__}.
     *
     * @param path the file
     * @return the tensors (as {@link #read}) and the metadata, both unmodifiable
     * @throws SafeTensorsFormatException as {@link #read}, and if {@code __metadata__} is not an object of strings
     * @throws IOException if the file cannot be read
     */
    public static Contents readWithMetadata(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
                MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            long fileSize = channel.size();
            if (fileSize < PREFIX_BYTES) {
                throw new SafeTensorsFormatException(path,
                        "expected at least the 8-byte header length, but the file has " + fileSize + " bytes");
            }
            ByteBuffer prefix = ByteBuffer.allocate(PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, prefix, 0, path, "the header length");
            long headerLength = prefix.getLong(0);
            long afterPrefix = fileSize - PREFIX_BYTES;
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new SafeTensorsFormatException(path, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > afterPrefix) {
                throw new SafeTensorsFormatException(path, "header length " + headerLength + " exceeds the "
                        + afterPrefix + " bytes that follow the length prefix (truncated file?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, PREFIX_BYTES, path, "the header");
            long dataStart = PREFIX_BYTES + headerLength;
            long dataLength = fileSize - dataStart;

            Header header = parseHeader(path, headerBytes.array(), dataLength);
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            for (Entry entry : header.entries()) {
                tensors.put(entry.name(), readTensor(channel, path, dataStart, entry));
            }
            return new Contents(tensors, header.metadata());
        }
    }

    /**
     * Writes tensors to a safetensors file with no metadata; see {@link #write(Path, Map, Map)}.
     *
     * @param path the file to create or replace
     * @param tensors the tensors by name, written in the map's iteration order
     * @throws IllegalArgumentException as {@link #write(Path, Map, Map)}
     * @throws IOException if the file cannot be written
     */
    public static void write(Path path, Map<String, INDArray> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /**
     * Writes tensors and metadata to a safetensors file, atomically: the bytes go to a temporary file in the same
     * directory (created with the default permissions), which is forced to disk and then renamed over
     * {@code path} (an atomic move where the file system supports it, a replacing move otherwise). A failure at
     * any point leaves {@code path} as it was and removes the temporary file. A symbolic link at {@code path} is
     * replaced by the new file, not followed.
     *
     * <p>Tensors may be any rank (rank 0 included), any ordering and views; each is written in 'c' order with the
     * dtype matching its ND4J data type (see the class documentation), contiguously in the map's iteration order.
     * The JSON header is padded with spaces so that the data section starts at a multiple of 8 bytes.
     *
     * @param path the file to create or replace
     * @param tensors the tensors by name, written in the map's iteration order
     * @param metadata free-form strings stored as {@code __metadata__}; omitted from the header when empty
     * @throws IllegalArgumentException before anything is written, naming the tensor, if a name is null, empty or
     *     {@code "__metadata__"}, an array is null, an array's data type has no safetensors dtype here (for
     *     example UTF8 or UINT16), an array has more than {@value #MAX_ELEMENTS} elements, a metadata key or value
     *     is null, or the header would exceed {@link #MAX_HEADER_BYTES}
     * @throws IOException if the file cannot be written or moved into place
     */
    public static void write(Path path, Map<String, INDArray> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        List<Planned> plan = plan(path, tensors);
        byte[] header = headerBytes(path, plan, metadata);
        long expectedSize = PREFIX_BYTES + header.length + (plan.isEmpty() ? 0 : plan.get(plan.size() - 1).end());

        Path target = path.toAbsolutePath();
        Path directory = target.getParent();
        Path temp = directory.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            try (FileChannel channel =
                    FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                Output out = new Output(channel);
                out.room(PREFIX_BYTES).putLong(header.length);
                out.put(header);
                for (Planned tensor : plan) {
                    writeTensor(out, tensor);
                }
                out.flush();
                if (channel.size() != expectedSize) {
                    throw new IllegalStateException("wrote " + channel.size() + " bytes to " + temp
                            + " but the header promises " + expectedSize);
                }
                channel.force(true);
            }
            moveIntoPlace(temp, target);
        } catch (IOException | RuntimeException | Error failure) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        syncDirectory(directory);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reading

    /**
     * The safetensors dtypes supported here; constant names are the dtype strings of the format. ND4J deprecates
     * HALF, LONG, INT, SHORT, BYTE and UBYTE in favour of aliases (FLOAT16, INT64, ...), but arrays still report
     * the old constants from {@code dataType()}, so those are the ones to compare with.
     */
    private enum Dtype {
        F64(DataType.DOUBLE, 8),
        F32(DataType.FLOAT, 4),
        F16(DataType.HALF, 2),
        BF16(DataType.BFLOAT16, 2),
        I64(DataType.LONG, 8),
        I32(DataType.INT, 4),
        I16(DataType.SHORT, 2),
        I8(DataType.BYTE, 1),
        U8(DataType.UBYTE, 1),
        BOOL(DataType.BOOL, 1);

        final DataType nd4j;
        final int size;

        Dtype(DataType nd4j, int size) {
            this.nd4j = nd4j;
            this.size = size;
        }

        /** The dtype named {@code name} in a header, or null. */
        static Dtype forName(String name) {
            for (Dtype dtype : values()) {
                if (dtype.name().equals(name)) {
                    return dtype;
                }
            }
            return null;
        }

        /** The dtype that holds ND4J's {@code type}, or null. */
        static Dtype forDataType(DataType type) {
            for (Dtype dtype : values()) {
                if (dtype.nd4j == type) {
                    return dtype;
                }
            }
            return null;
        }

        static String supportedNames() {
            return String.join(", ", Arrays.stream(values()).map(Enum::name).toList());
        }

        static String supportedDataTypes() {
            return String.join(", ", Arrays.stream(values()).map(d -> d.nd4j.name()).toList());
        }
    }

    /** One validated header entry; {@code begin} and {@code end} are relative to the data section. */
    private record Entry(String name, Dtype dtype, long[] shape, long elementCount, long begin, long end) {
        String describeOffsets() {
            return "[" + begin + ", " + end + "]";
        }
    }

    /** A validated header: entries in data order, metadata in header order. */
    private record Header(List<Entry> entries, Map<String, String> metadata) {}

    private static Header parseHeader(Path file, byte[] bytes, long dataLength) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsFormatException(file, "header is not valid UTF-8", e);
        }
        if (!text.startsWith("{")) {
            String found = text.isEmpty() ? "an empty header" : "'" + abbreviate(text) + "'";
            throw new SafeTensorsFormatException(file, "expected a header starting with '{', found " + found);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
            String where = at < 0 ? "" : " (at character " + at + ")";
            throw new SafeTensorsFormatException(file,
                    "header is not valid JSON: " + e.getOriginalMessage() + where, e);
        }
        if (root == null || !root.isObject()) {
            throw new SafeTensorsFormatException(file, "expected the header to be a JSON object, found "
                    + (root == null ? "nothing" : describe(root)));
        }

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (METADATA_KEY.equals(field.getKey())) {
                metadata = parseMetadata(file, field.getValue());
            } else {
                entries.add(parseEntry(file, field.getKey(), field.getValue(), dataLength));
            }
        }
        return new Header(inDataOrder(file, entries, dataLength), metadata);
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(file,
                    METADATA_KEY + ": expected a JSON object of strings, found " + describe(node));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw new SafeTensorsFormatException(file, METADATA_KEY + ": expected a string for key '"
                        + field.getKey() + "', found " + describe(field.getValue()));
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
        return metadata;
    }

    /** Checks one entry on its own: fields, dtype, shape, offsets, size, and that it lies inside the data. */
    private static Entry parseEntry(Path file, String name, JsonNode node, long dataLength) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(file, where
                    + ": expected a JSON object with dtype, shape and data_offsets, found " + describe(node));
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!ENTRY_KEYS.contains(field.getKey())) {
                throw new SafeTensorsFormatException(file, where + ": unexpected key '" + field.getKey()
                        + "', expected only dtype, shape and data_offsets");
            }
        }

        JsonNode dtypeNode = requireField(file, where, node, "dtype");
        if (!dtypeNode.isTextual()) {
            throw new SafeTensorsFormatException(file,
                    where + ": expected dtype to be a JSON string, found " + describe(dtypeNode));
        }
        Dtype dtype = Dtype.forName(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafeTensorsFormatException(file, where + ": unsupported dtype '" + dtypeNode.textValue()
                    + "', expected one of " + Dtype.supportedNames());
        }

        long[] shape = integers(file, where, "shape", requireField(file, where, node, "shape"), -1);
        for (long dimension : shape) {
            if (dimension < 0) {
                throw new SafeTensorsFormatException(file, where + ": shape " + Arrays.toString(shape)
                        + " has negative dimension " + dimension);
            }
        }

        long[] offsets = integers(file, where, "data_offsets", requireField(file, where, node, "data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        String offsetsText = "[" + begin + ", " + end + "]";
        if (begin < 0 || end < 0) {
            throw new SafeTensorsFormatException(file,
                    where + ": data_offsets " + offsetsText + " must not be negative");
        }
        if (begin > end) {
            throw new SafeTensorsFormatException(file,
                    where + ": data_offsets " + offsetsText + " have begin > end");
        }

        long elementCount;
        long byteCount;
        try {
            elementCount = 1;
            for (long dimension : shape) {
                elementCount = Math.multiplyExact(elementCount, dimension);
            }
            byteCount = Math.multiplyExact(elementCount, (long) dtype.size);
        } catch (ArithmeticException e) {
            throw new SafeTensorsFormatException(file, where + ": shape " + Arrays.toString(shape) + " of "
                    + dtype + " needs more than " + Long.MAX_VALUE + " bytes");
        }
        if (byteCount != end - begin) {
            throw new SafeTensorsFormatException(file, where + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + byteCount + " bytes, but data_offsets " + offsetsText + " span " + (end - begin));
        }
        if (end > dataLength) {
            throw new SafeTensorsFormatException(file, where + ": data_offsets " + offsetsText
                    + " end past the data section, which has " + dataLength + " bytes (truncated file?)");
        }
        if (elementCount > MAX_ELEMENTS) {
            throw new SafeTensorsFormatException(file, where + ": " + elementCount
                    + " elements, more than the " + MAX_ELEMENTS + " this reader supports per tensor");
        }
        return new Entry(name, dtype, shape, elementCount, begin, end);
    }

    private static JsonNode requireField(Path file, String where, JsonNode entry, String key) {
        JsonNode value = entry.get(key);
        if (value == null) {
            throw new SafeTensorsFormatException(file, where + ": missing '" + key + "'");
        }
        return value;
    }

    /** A JSON array of 64-bit integers; {@code length} -1 accepts any length. */
    private static long[] integers(Path file, String where, String key, JsonNode node, int length) {
        String expected = length < 0 ? "an array of integers" : "an array of " + length + " integers";
        if (!node.isArray() || (length >= 0 && node.size() != length)) {
            throw new SafeTensorsFormatException(file,
                    where + ": expected " + key + " to be " + expected + ", found " + describe(node));
        }
        long[] values = new long[node.size()];
        for (int k = 0; k < values.length; k++) {
            JsonNode element = node.get(k);
            if (!element.isIntegralNumber() || !element.canConvertToLong()) {
                throw new SafeTensorsFormatException(file, where + ": expected " + key + "[" + k
                        + "] to be a 64-bit integer, found " + describe(element));
            }
            values[k] = element.longValue();
        }
        return values;
    }

    /**
     * Sorts the entries by offset (ties keep header order) and checks that they tile the data section exactly,
     * as the official library requires: each tensor starts where the previous one ends, and the last one ends
     * where the file ends.
     */
    private static List<Entry> inDataOrder(Path file, List<Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry coveredBy = null;
        for (Entry entry : sorted) {
            if (entry.begin() < covered) {
                throw new SafeTensorsFormatException(file, "tensor '" + entry.name() + "': data_offsets "
                        + entry.describeOffsets() + " overlap tensor '" + coveredBy.name() + "' at "
                        + coveredBy.describeOffsets());
            }
            if (entry.begin() > covered) {
                throw new SafeTensorsFormatException(file, "bytes [" + covered + ", " + entry.begin()
                        + ") of the data section belong to no tensor (a gap before tensor '" + entry.name() + "')");
            }
            if (entry.end() > entry.begin()) {
                covered = entry.end();
                coveredBy = entry;
            }
        }
        if (covered != dataLength) {
            throw new SafeTensorsFormatException(file, "the data section has " + dataLength
                    + " bytes but the tensors cover only " + covered + " (" + (dataLength - covered)
                    + " trailing bytes)");
        }
        return sorted;
    }

    /** Receives one chunk of a tensor's bytes (little-endian, position 0) holding {@code count} elements. */
    @FunctionalInterface
    private interface ChunkDecoder {
        void decode(ByteBuffer chunk, int firstElement, int count);
    }

    private static INDArray readTensor(FileChannel channel, Path file, long dataStart, Entry entry)
            throws IOException {
        if (entry.elementCount() == 0) {
            return Nd4j.create(entry.dtype().nd4j, entry.shape());
        }
        int n = (int) entry.elementCount();
        long position = dataStart + entry.begin();
        INDArray flat = switch (entry.dtype()) {
            case F64 -> {
                double[] values = new double[n];
                readChunks(channel, file, position, entry,
                        (chunk, first, count) -> chunk.asDoubleBuffer().get(values, first, count));
                yield Nd4j.createFromArray(values);
            }
            case F32 -> {
                float[] values = new float[n];
                readChunks(channel, file, position, entry,
                        (chunk, first, count) -> chunk.asFloatBuffer().get(values, first, count));
                yield Nd4j.createFromArray(values);
            }
            case I64 -> {
                long[] values = new long[n];
                readChunks(channel, file, position, entry,
                        (chunk, first, count) -> chunk.asLongBuffer().get(values, first, count));
                yield Nd4j.createFromArray(values);
            }
            case I32 -> {
                int[] values = new int[n];
                readChunks(channel, file, position, entry,
                        (chunk, first, count) -> chunk.asIntBuffer().get(values, first, count));
                yield Nd4j.createFromArray(values);
            }
            case I16, F16, BF16 -> {
                short[] bits = new short[n];
                readChunks(channel, file, position, entry,
                        (chunk, first, count) -> chunk.asShortBuffer().get(bits, first, count));
                INDArray shorts = Nd4j.createFromArray(bits);
                yield entry.dtype() == Dtype.I16 ? shorts : bitcast(shorts, entry.dtype().nd4j);
            }
            case I8, U8 -> {
                byte[] bits = new byte[n];
                readChunks(channel, file, position, entry,
                        (chunk, first, count) -> chunk.get(bits, first, count));
                INDArray bytes = Nd4j.createFromArray(bits);
                yield entry.dtype() == Dtype.I8 ? bytes : bitcast(bytes, DataType.UBYTE);
            }
            case BOOL -> {
                boolean[] values = new boolean[n];
                readChunks(channel, file, position, entry, (chunk, first, count) -> {
                    for (int k = 0; k < count; k++) {
                        byte b = chunk.get(k);
                        if (b != 0 && b != 1) {
                            throw new SafeTensorsFormatException(file, "tensor '" + entry.name() + "': element "
                                    + (first + k) + " of BOOL is " + (b & 0xFF) + ", expected 0 or 1");
                        }
                        values[first + k] = b == 1;
                    }
                });
                yield Nd4j.createFromArray(values);
            }
        };
        return flat.reshape('c', entry.shape());
    }

    /** Reads the entry's bytes at {@code position} in chunks of at most {@link #CHUNK_BYTES}. */
    private static void readChunks(FileChannel channel, Path file, long position, Entry entry, ChunkDecoder decoder)
            throws IOException {
        int size = entry.dtype().size;
        int chunkElements = CHUNK_BYTES / size;
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, entry.end() - entry.begin()))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (long first = 0; first < entry.elementCount(); first += chunkElements) {
            int count = (int) Math.min(chunkElements, entry.elementCount() - first);
            chunk.clear().limit(count * size);
            readFully(channel, chunk, position + first * size, file, "tensor '" + entry.name() + "'");
            chunk.flip();
            decoder.decode(chunk, (int) first, count);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path file, String what)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw new SafeTensorsFormatException(file,
                        "unexpected end of file at byte " + at + " while reading " + what + " (file changed?)");
            }
            at += read;
        }
    }

    /** Reinterprets the bits of {@code source} as {@code target}, which must have the same width; a new array. */
    private static INDArray bitcast(INDArray source, DataType target) {
        return Nd4j.exec(new BitCast(source, target))[0];
    }

    /** Names a JSON node's kind followed by its JSON text, abbreviated, e.g. {@code number 1.5}. */
    private static String describe(JsonNode node) {
        return node.getNodeType().name().toLowerCase(Locale.ROOT) + " " + abbreviate(node.toString());
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Writing

    /** One tensor to write, with its place in the data section. */
    private record Planned(String name, INDArray array, Dtype dtype, long begin, long end) {}

    /** Validates every name and array before anything is written, and lays the tensors out back to back. */
    private static List<Planned> plan(Path path, Map<String, INDArray> tensors) {
        String prefix = "Cannot write safetensors file " + path + ": ";
        List<Planned> plan = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, INDArray> tensor : tensors.entrySet()) {
            String name = tensor.getKey();
            INDArray array = tensor.getValue();
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException(prefix + "expected a non-empty tensor name, found "
                        + (name == null ? "null" : "an empty name"));
            }
            if (METADATA_KEY.equals(name)) {
                throw new IllegalArgumentException(
                        prefix + "'" + METADATA_KEY + "' is reserved for metadata and cannot name a tensor");
            }
            if (array == null) {
                throw new IllegalArgumentException(prefix + "tensor '" + name + "' is null");
            }
            Dtype dtype = Dtype.forDataType(array.dataType());
            if (dtype == null) {
                throw new IllegalArgumentException(prefix + "tensor '" + name + "' has data type "
                        + array.dataType() + ", expected one of " + Dtype.supportedDataTypes());
            }
            if (array.length() > MAX_ELEMENTS) {
                throw new IllegalArgumentException(prefix + "tensor '" + name + "' has " + array.length()
                        + " elements, more than the " + MAX_ELEMENTS + " supported per tensor");
            }
            long end = Math.addExact(offset, array.length() * dtype.size);
            plan.add(new Planned(name, array, dtype, offset, end));
            offset = end;
        }
        return plan;
    }

    /** The JSON header, metadata first, padded with spaces so that the data section starts at a multiple of 8. */
    private static byte[] headerBytes(Path path, List<Planned> plan, Map<String, String> metadata)
            throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode metadataNode = root.putObject(METADATA_KEY);
            for (Map.Entry<String, String> field : metadata.entrySet()) {
                if (field.getKey() == null || field.getValue() == null) {
                    throw new IllegalArgumentException("Cannot write safetensors file " + path
                            + ": metadata key and value must not be null, found " + field.getKey() + " -> "
                            + field.getValue());
                }
                metadataNode.put(field.getKey(), field.getValue());
            }
        }
        for (Planned tensor : plan) {
            ObjectNode entry = root.putObject(tensor.name());
            entry.put("dtype", tensor.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long dimension : tensor.array().shape()) {
                shape.add(dimension);
            }
            entry.putArray("data_offsets").add(tensor.begin()).add(tensor.end());
        }
        byte[] json = MAPPER.writeValueAsBytes(root);
        int paddedLength = (json.length + 7) / 8 * 8;
        if (paddedLength > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("Cannot write safetensors file " + path + ": the header would be "
                    + paddedLength + " bytes, more than the " + MAX_HEADER_BYTES + " readers accept");
        }
        byte[] padded = Arrays.copyOf(json, paddedLength);
        Arrays.fill(padded, json.length, paddedLength, (byte) ' ');
        return padded;
    }

    /** Writes one tensor's elements in 'c' order, little-endian. */
    private static void writeTensor(Output out, Planned tensor) throws IOException {
        INDArray array = tensor.array();
        if (array.length() == 0) {
            return;
        }
        // A fresh 'c'-ordered copy, viewed as 1-D: works for views, 'f' order and rank 0 alike.
        INDArray flat = array.dup('c').reshape(array.length());
        switch (tensor.dtype()) {
            case F64 -> {
                for (double v : flat.toDoubleVector()) {
                    out.room(8).putDouble(v);
                }
            }
            case F32 -> {
                for (float v : flat.toFloatVector()) {
                    out.room(4).putFloat(v);
                }
            }
            case I64 -> {
                for (long v : flat.toLongVector()) {
                    out.room(8).putLong(v);
                }
            }
            case I32 -> {
                for (int v : flat.toIntVector()) {
                    out.room(4).putInt(v);
                }
            }
            case I16 -> {
                for (int v : flat.castTo(DataType.INT).toIntVector()) {
                    out.room(2).putShort((short) v);
                }
            }
            case F16, BF16 -> {
                for (int v : bitcast(flat, DataType.SHORT).castTo(DataType.INT).toIntVector()) {
                    out.room(2).putShort((short) v);
                }
            }
            case I8, U8, BOOL -> {
                // UBYTE 0..255 narrows to the same bits; BOOL casts to 0 or 1.
                for (int v : flat.castTo(DataType.INT).toIntVector()) {
                    out.room(1).put((byte) v);
                }
            }
        }
    }

    /** A little-endian write buffer of {@link #CHUNK_BYTES} in front of a channel. */
    private static final class Output {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);

        Output(FileChannel channel) {
            this.channel = channel;
        }

        /** The buffer, flushed first if it has fewer than {@code bytes} bytes free. */
        ByteBuffer room(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
            return buffer;
        }

        void put(byte[] bytes) throws IOException {
            int at = 0;
            while (at < bytes.length) {
                int count = Math.min(room(1).remaining(), bytes.length - at);
                buffer.put(bytes, at, count);
                at += count;
            }
        }

        void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the rename itself durable where the platform allows forcing a directory (it does on Linux). */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            LOG.debug("Could not force directory {} to disk: {}", directory, e.toString());
        }
    }
}
