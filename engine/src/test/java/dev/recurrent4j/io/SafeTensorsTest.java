package dev.recurrent4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Tests {@link SafeTensors}: round trips of every supported dtype and shape kind, files built byte by byte in the
 * test (independent of the writer) including every F16 and BF16 bit pattern, the on-disk layout the writer
 * produces, each rejection of a malformed file (asserting that the message names the offending tensor or value),
 * and the atomic write. It does not test interoperability with the Python library (no Python here); the
 * hand-built files follow the published format instead.
 */
class SafeTensorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    // -------------------------------------------------------------------------------------------------------------
    // Round trips

    static Stream<DataType> supportedTypes() {
        return Stream.of(DataType.DOUBLE, DataType.FLOAT, DataType.HALF, DataType.BFLOAT16, DataType.LONG,
                DataType.INT, DataType.SHORT, DataType.BYTE, DataType.UBYTE, DataType.BOOL);
    }

    /** Small integers (exact in every dtype; non-negative for UBYTE) cast to {@code type}. */
    private static INDArray values(DataType type, long... shape) {
        long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        double[] v = new double[(int) n];
        for (int k = 0; k < v.length; k++) {
            v[k] = type == DataType.UBYTE ? (k * 37) % 256 : (k % 2 == 0 ? k : -k) * 3;
        }
        return Nd4j.createFromArray(v).reshape('c', shape).castTo(type);
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void roundTripsEveryShapeKindOfEveryDtype(DataType type) throws IOException {
        INDArray fOrder = values(type, 4, 6).dup('f');
        INDArray stridedView = fOrder.get(NDArrayIndex.interval(1, 3), NDArrayIndex.interval(0, 2, 6)).transpose();
        assertTrue(stridedView.isView(), "the test needs a real view");

        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("z.cube", values(type, 2, 3, 4));
        tensors.put("a.scalar", Nd4j.scalar(type, 5));
        tensors.put("m.empty", Nd4j.create(type, 0, 3));
        tensors.put("b.vector", values(type, 5));
        tensors.put("y.f-order", fOrder);
        tensors.put("c.view", stridedView);
        Path file = dir.resolve("all.safetensors");
        SafeTensors.write(file, tensors);

        Map<String, INDArray> read = SafeTensors.read(file);
        assertEquals(new ArrayList<>(tensors.keySet()), new ArrayList<>(read.keySet()), "order of the map");
        for (Map.Entry<String, INDArray> tensor : tensors.entrySet()) {
            INDArray actual = read.get(tensor.getKey());
            assertSameArray(tensor.getValue(), actual, type + " " + tensor.getKey());
            assertEquals('c', actual.ordering(), tensor.getKey() + " ordering");
        }
        assertEquals(0, read.get("a.scalar").rank());
        assertArrayEquals(new long[] {0, 3}, read.get("m.empty").shape());
    }

    @Test
    void roundTripKeepsExtremeValuesBitForBit() throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("f64", Nd4j.createFromArray(Double.MAX_VALUE, -Double.MIN_VALUE, Double.NaN,
                Double.NEGATIVE_INFINITY, -0.0, Math.PI));
        tensors.put("f32", Nd4j.createFromArray(Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN,
                Float.POSITIVE_INFINITY, -0.0f, (float) Math.E));
        tensors.put("i64", Nd4j.createFromArray(Long.MIN_VALUE, Long.MAX_VALUE, (1L << 53) + 1, -1L));
        tensors.put("i32", Nd4j.createFromArray(Integer.MIN_VALUE, Integer.MAX_VALUE, -1));
        tensors.put("i16", Nd4j.createFromArray(new short[] {Short.MIN_VALUE, Short.MAX_VALUE, -1}));
        tensors.put("i8", Nd4j.createFromArray(new byte[] {Byte.MIN_VALUE, Byte.MAX_VALUE, -1}));
        tensors.put("u8", Nd4j.createFromArray(0, 128, 255).castTo(DataType.UBYTE));
        tensors.put("f16", Nd4j.createFromArray(65504f, -6.1035156E-5f, 5.9604645E-8f, Float.NEGATIVE_INFINITY)
                .castTo(DataType.HALF));
        Path file = dir.resolve("extremes.safetensors");
        SafeTensors.write(file, tensors);

        Map<String, INDArray> read = SafeTensors.read(file);
        for (Map.Entry<String, INDArray> tensor : tensors.entrySet()) {
            assertSameArray(tensor.getValue(), read.get(tensor.getKey()), tensor.getKey());
        }
    }

    @Test
    void roundTripsTensorsLargerThanOneReadChunk() throws IOException {
        Random random = new Random(7);
        float[] floats = new float[600_000];
        for (int k = 0; k < floats.length; k++) {
            floats[k] = (float) random.nextGaussian();
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("big", Nd4j.createFromArray(floats).reshape(1000, 600));
        tensors.put("bigHalf", Nd4j.createFromArray(floats).castTo(DataType.HALF));
        tensors.put("bigDouble", Nd4j.createFromArray(floats).castTo(DataType.DOUBLE).reshape(3, 200_000));
        Path file = dir.resolve("big.safetensors");
        SafeTensors.write(file, tensors);

        Map<String, INDArray> read = SafeTensors.read(file);
        for (Map.Entry<String, INDArray> tensor : tensors.entrySet()) {
            assertSameArray(tensor.getValue(), read.get(tensor.getKey()), tensor.getKey());
        }
    }

    @Test
    void metadataAndUnusualNamesRoundTrip() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "quotes \" and \\ backslash, ünïcödé, 日本, newline\n");
        metadata.put("", "empty key is allowed");
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("layer.0/weight \"ü\"", values(DataType.FLOAT, 2, 2));
        Path file = dir.resolve("meta.safetensors");
        SafeTensors.write(file, tensors, metadata);

        SafeTensors.Contents contents = SafeTensors.readWithMetadata(file);
        assertEquals(new ArrayList<>(metadata.entrySet()), new ArrayList<>(contents.metadata().entrySet()));
        assertSameArray(tensors.get("layer.0/weight \"ü\""), contents.tensors().get("layer.0/weight \"ü\""), "w");
        assertThrows(UnsupportedOperationException.class, () -> contents.metadata().put("x", "y"));
    }

    @Test
    void headerLargerThanOneWriteChunkRoundTrips() throws IOException {
        String long3MB = "0123456789".repeat(300_000);
        Path file = dir.resolve("bigheader.safetensors");
        SafeTensors.write(file, Map.of("w", values(DataType.FLOAT, 3)), Map.of("notes", long3MB));

        SafeTensors.Contents contents = SafeTensors.readWithMetadata(file);
        assertEquals(long3MB, contents.metadata().get("notes"));
        assertSameArray(values(DataType.FLOAT, 3), contents.tensors().get("w"), "w");
    }

    @Test
    void fileWithoutMetadataHasEmptyMetadata() throws IOException {
        Path file = dir.resolve("plain.safetensors");
        SafeTensors.write(file, Map.of("w", values(DataType.INT, 3)));
        assertTrue(SafeTensors.readWithMetadata(file).metadata().isEmpty());
        assertFalse(headerOf(Files.readAllBytes(file)).has("__metadata__"), "empty metadata is omitted");
    }

    @Test
    void emptyMapRoundTrips() throws IOException {
        Path file = dir.resolve("none.safetensors");
        SafeTensors.write(file, Map.of());
        assertTrue(SafeTensors.read(file).isEmpty());
        assertEquals(16, Files.size(file), "8-byte prefix, \"{}\" padded to 8 bytes, no data");
    }

    // -------------------------------------------------------------------------------------------------------------
    // Files built in the test, independent of the writer

    @Test
    void readsHandBuiltFileInDataOrder() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"e\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[40,40]},"
                + "\"s\":{\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[40,41]}}     ";
        ByteBuffer data = le(41);
        for (float v : new float[] {1.5f, -2f, 3f, 4.25f, 0f, -0.5f}) {
            data.putFloat(v);
        }
        data.putLong(-7L).putLong(0x0102030405060708L).put((byte) 1);
        Path file = save("hand.safetensors", fileBytes(header, data.array()));

        SafeTensors.Contents contents = SafeTensors.readWithMetadata(file);
        assertEquals(List.of("a", "b", "e", "s"), new ArrayList<>(contents.tensors().keySet()));
        assertEquals(Map.of("format", "pt"), contents.metadata());
        assertSameArray(Nd4j.createFromArray(new float[][] {{1.5f, -2f, 3f}, {4.25f, 0f, -0.5f}}),
                contents.tensors().get("a"), "a");
        assertSameArray(Nd4j.createFromArray(-7L, 0x0102030405060708L), contents.tensors().get("b"), "b");
        assertSameArray(Nd4j.create(DataType.DOUBLE, 0), contents.tensors().get("e"), "e");
        assertSameArray(Nd4j.scalar(true), contents.tensors().get("s"), "s");
    }

    @Test
    void decodesKnownHalfAndBfloat16BitPatterns() throws IOException {
        int[] halfBits = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x3555};
        double[] halfValues = {1, -2, 65504, 0x1p-24, 1023 * 0x1p-24, 0x1p-14, -0.0, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, Double.NaN, 0.333251953125};
        int[] bfloatBits = {0x3F80, 0x4049, 0xC000, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0x7F7F};
        double[] bfloatValues = {1, 3.140625, -2, 0x1p-133, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.NaN, 0x1.FEp127};
        Path file = save("halves.safetensors", sixteenBitFile(halfBits, bfloatBits));

        Map<String, INDArray> read = SafeTensors.read(file);
        assertEquals(DataType.HALF, read.get("h").dataType());
        assertEquals(DataType.BFLOAT16, read.get("b").dataType());
        assertArrayEquals(halfValues, read.get("h").castTo(DataType.DOUBLE).toDoubleVector());
        assertArrayEquals(bfloatValues, read.get("b").castTo(DataType.DOUBLE).toDoubleVector());
    }

    @Test
    void everyHalfAndBfloat16BitPatternDecodesCorrectlyAndWritesBackBitForBit() throws IOException {
        int[] all = new int[65536];
        for (int k = 0; k < all.length; k++) {
            all[k] = k;
        }
        byte[] original = sixteenBitFile(all, all);
        Path file = save("all16.safetensors", original);

        Map<String, INDArray> read = SafeTensors.read(file);
        double[] half = read.get("h").castTo(DataType.DOUBLE).toDoubleVector();
        double[] bfloat = read.get("b").castTo(DataType.DOUBLE).toDoubleVector();
        for (int bits = 0; bits < 65536; bits++) {
            assertEquals(referenceHalf(bits), half[bits], 0.0, "F16 0x" + Integer.toHexString(bits));
            double expected = Float.intBitsToFloat(bits << 16);
            assertEquals(expected, bfloat[bits], 0.0, "BF16 0x" + Integer.toHexString(bits));
        }

        Path copy = dir.resolve("copy.safetensors");
        SafeTensors.write(copy, read);
        assertArrayEquals(dataSection(original), dataSection(Files.readAllBytes(copy)),
                "all 2 x 65536 patterns, NaN payloads included, come back unchanged");
    }

    /** F16 by arithmetic from the IEEE 754 binary16 definition, independent of any bit manipulation. */
    private static double referenceHalf(int bits) {
        int sign = bits >> 15;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        double magnitude;
        if (exponent == 0) {
            magnitude = mantissa * Math.pow(2, -24);
        } else if (exponent == 31) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            magnitude = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    /** A file with tensor "h" (F16) then "b" (BF16), both 1-D, holding the given bit patterns. */
    private static byte[] sixteenBitFile(int[] halfBits, int[] bfloatBits) {
        int h = halfBits.length * 2;
        int b = bfloatBits.length * 2;
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[" + halfBits.length + "],\"data_offsets\":[0," + h
                + "]},\"b\":{\"dtype\":\"BF16\",\"shape\":[" + bfloatBits.length + "],\"data_offsets\":[" + h
                + "," + (h + b) + "]}}";
        ByteBuffer data = le(h + b);
        for (int bits : halfBits) {
            data.putShort((short) bits);
        }
        for (int bits : bfloatBits) {
            data.putShort((short) bits);
        }
        return fileBytes(header, data.array());
    }

    @Test
    void readsUnsignedBytesAndBooleansFromHandBuiltFile() throws IOException {
        String header = "{\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                + "\"t\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[3,7]},"
                + "\"i\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[7,9]},"
                + "\"s\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[9,11]}}";
        byte[] data = {0, (byte) 200, (byte) 255, 1, 0, 0, 1, (byte) -128, 127, 0x34, (byte) 0x82};
        Map<String, INDArray> read = SafeTensors.read(save("bytes.safetensors", fileBytes(header, data)));

        assertEquals(DataType.UBYTE, read.get("u").dataType());
        assertArrayEquals(new int[] {0, 200, 255}, read.get("u").castTo(DataType.INT).toIntVector());
        assertSameArray(Nd4j.createFromArray(new boolean[][] {{true, false}, {false, true}}), read.get("t"), "t");
        assertSameArray(Nd4j.createFromArray(new byte[] {-128, 127}), read.get("i"), "i");
        assertSameArray(Nd4j.createFromArray(new short[] {(short) 0x8234}), read.get("s"), "s");
    }

    @Test
    void zeroSizeTensorsMayShareAnOffset() throws IOException {
        String header = "{\"e1\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"e2\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[4,4]}}";
        Map<String, INDArray> read = SafeTensors.read(save("zeros.safetensors",
                fileBytes(header, le(4).putFloat(2.5f).array())));
        assertEquals(List.of("e1", "w", "e2"), new ArrayList<>(read.keySet()));
        assertArrayEquals(new long[] {0, 5}, read.get("e1").shape());
        assertArrayEquals(new long[] {3, 0}, read.get("e2").shape());
        assertEquals(2.5f, read.get("w").getFloat(0));
    }

    // -------------------------------------------------------------------------------------------------------------
    // The layout the writer produces

    @Test
    void writerProducesAlignedLittleEndianContiguousLayout() throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("w", Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}}).dup('f'));
        tensors.put("n", Nd4j.createFromArray(0x0102030405060708L));
        tensors.put("h", Nd4j.createFromArray(1f, -2f).castTo(DataType.HALF));
        Path file = dir.resolve("layout.safetensors");
        SafeTensors.write(file, tensors, Map.of("format", "pt"));

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8, "data section is 8-byte aligned");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"}"), header);
        assertEquals(header.stripTrailing() + " ".repeat(header.length() - header.stripTrailing().length()),
                header, "padded with spaces only");

        JsonNode json = JSON.readTree(header);
        assertEquals(List.of("__metadata__", "w", "n", "h"), fieldNames(json));
        assertEquals("F32", json.get("w").get("dtype").asText());
        assertEquals("[2,3]", json.get("w").get("shape").toString());
        assertEquals("[0,24]", json.get("w").get("data_offsets").toString());
        assertEquals("I64", json.get("n").get("dtype").asText());
        assertEquals("[24,32]", json.get("n").get("data_offsets").toString());
        assertEquals("F16", json.get("h").get("dtype").asText());
        assertEquals("[32,36]", json.get("h").get("data_offsets").toString());

        ByteBuffer expected = le(36);
        for (float v = 1; v <= 6; v++) {
            expected.putFloat(v);
        }
        expected.put(new byte[] {8, 7, 6, 5, 4, 3, 2, 1});
        expected.putShort((short) 0x3C00).putShort((short) 0xC000);
        assertArrayEquals(expected.array(), dataSection(bytes));
    }

    // -------------------------------------------------------------------------------------------------------------
    // Rejected files

    @Test
    void rejectsFileShorterThanTheLengthPrefix() throws IOException {
        assertRejected(new byte[] {1, 2, 3, 4, 5}, "8-byte header length", "has 5 bytes");
    }

    @Test
    void rejectsHeaderLengthPastTheEndOfTheFile() throws IOException {
        assertRejected(withHeaderLength(1000, new byte[10]), "header length 1000", "10 bytes");
    }

    @Test
    void rejectsAbsurdHeaderLengthsWithoutAllocatingThem() throws IOException {
        assertRejected(withHeaderLength(-1L, new byte[] {'{', '}'}), "18446744073709551615", "limit");
        assertRejected(withHeaderLength(Long.MAX_VALUE, new byte[2]), Long.toString(Long.MAX_VALUE), "limit");
        assertRejected(withHeaderLength(200_000_000L, new byte[2]), "200000000", "limit");
    }

    @Test
    void rejectsHeaderThatIsNotUtf8() throws IOException {
        assertRejected(withHeaderLength(3, new byte[] {'{', (byte) 0xFF, '}'}), "UTF-8");
    }

    @Test
    void rejectsEmptyHeader() throws IOException {
        assertRejected(withHeaderLength(0, new byte[0]), "empty header");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1, 2]", " {}", "\"w\""})
    void rejectsHeaderThatIsNotAnObject(String header) throws IOException {
        assertRejected(fileBytes(header, new byte[0]), "starting with '{'", header);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"w\": {\"dtype\": \"F32\",", "{} {}", "{\"w\" 1}", "{}x"})
    void rejectsHeaderThatIsNotValidJson(String header) throws IOException {
        assertRejected(fileBytes(header, new byte[0]), "not valid JSON");
    }

    @Test
    void rejectsDuplicateTensorNames() throws IOException {
        String entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        SafeTensorsFormatException e = assertRejected(
                fileBytes("{\"dup_name\":" + entry + ",\"dup_name\":" + entry + "}", new byte[4]), "dup_name");
        assertTrue(e.getMessage().toLowerCase().contains("duplicate"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtype", "shape", "data_offsets"})
    void rejectsEntryWithMissingField(String missing) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("dtype", "\"F32\"");
        fields.put("shape", "[1]");
        fields.put("data_offsets", "[0,4]");
        fields.remove(missing);
        String entry = fields.entrySet().stream()
                .map(f -> "\"" + f.getKey() + "\":" + f.getValue())
                .collect(Collectors.joining(",", "{", "}"));
        assertRejected(fileBytes("{\"weight_x\":" + entry + "}", new byte[4]), "tensor 'weight_x'",
                "missing '" + missing + "'");
    }

    static Stream<Arguments> malformedEntries() {
        return Stream.of(
                Arguments.of("3", new String[] {"number 3", "dtype, shape and data_offsets"}),
                Arguments.of("{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}", new String[] {"dtype", "number 5"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":\"abc\",\"data_offsets\":[0,4]}",
                        new String[] {"shape", "string \"abc\""}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}",
                        new String[] {"shape[0]", "1.5"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}",
                        new String[] {"shape[0]", "99999999999999999999"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}",
                        new String[] {"data_offsets", "array of 2 integers", "[0]"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}",
                        new String[] {"data_offsets[1]", "\"4\""}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}",
                        new String[] {"unexpected key 'extra'"}),
                Arguments.of("{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}",
                        new String[] {"unsupported dtype 'F128'", "F64, F32"}),
                Arguments.of("{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}",
                        new String[] {"unsupported dtype 'U16'"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}",
                        new String[] {"negative dimension -3", "[2, -3]"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}",
                        new String[] {"[4294967296, 4294967296, 4]", "needs more than"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}",
                        new String[] {"[2] of F32 needs 8 bytes", "[0, 4] span 4"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}",
                        new String[] {"[4, 0]", "begin > end"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}",
                        new String[] {"[-4, 0]", "negative"}),
                Arguments.of("{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}",
                        new String[] {"[0, 12]", "4 bytes", "truncated"}));
    }

    @ParameterizedTest
    @MethodSource("malformedEntries")
    void rejectsMalformedEntry(String entry, String[] expectedInMessage) throws IOException {
        String[] fragments = Arrays.copyOf(expectedInMessage, expectedInMessage.length + 1);
        fragments[expectedInMessage.length] = "tensor 'bad_one'";
        assertRejected(fileBytes("{\"bad_one\":" + entry + "}", new byte[4]), fragments);
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        String header = "{\"first\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"second\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRejected(fileBytes(header, new byte[12]), "tensor 'second'", "[4, 12]", "overlap", "tensor 'first'",
                "[0, 8]");
    }

    @Test
    void rejectsZeroSizeTensorInsideAnother() throws IOException {
        String header = "{\"first\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"hidden\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
        assertRejected(fileBytes(header, new byte[8]), "tensor 'hidden'", "overlap", "tensor 'first'");
    }

    @Test
    void rejectsGapBetweenTensors() throws IOException {
        String header = "{\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"after_gap\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertRejected(fileBytes(header, new byte[12]), "[4, 8)", "gap", "tensor 'after_gap'");
    }

    @Test
    void rejectsGapAtTheStartOfTheData() throws IOException {
        String header = "{\"late\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertRejected(fileBytes(header, new byte[8]), "[0, 4)", "tensor 'late'");
    }

    @Test
    void rejectsTrailingBytesAfterTheLastTensor() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertRejected(fileBytes(header, new byte[7]), "has 7 bytes", "cover only 4", "3 trailing bytes");
    }

    @Test
    void rejectsDataWithoutTensors() throws IOException {
        assertRejected(fileBytes("{}", new byte[3]), "has 3 bytes", "3 trailing bytes");
    }

    @Test
    void rejectsTruncatedFileWrittenByTheWriter() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        SafeTensors.write(file, Map.of("weights", values(DataType.DOUBLE, 4, 4)));
        byte[] bytes = Files.readAllBytes(file);
        assertRejected(Arrays.copyOf(bytes, bytes.length - 1), "tensor 'weights'", "truncated", "127 bytes");
    }

    @Test
    void rejectsMetadataThatIsNotAnObjectOfStrings() throws IOException {
        assertRejected(fileBytes("{\"__metadata__\":{\"epochs\":10}}", new byte[0]), "__metadata__",
                "key 'epochs'", "number 10");
        assertRejected(fileBytes("{\"__metadata__\":[\"a\"]}", new byte[0]), "__metadata__", "array");
    }

    @Test
    void rejectsBooleanByteOtherThanZeroOrOne() throws IOException {
        String header = "{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}";
        assertRejected(fileBytes(header, new byte[] {1, 0, 2}), "tensor 'mask'", "element 2", "is 2",
                "0 or 1");
    }

    @Test
    void missingFileIsAnIoException() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> SafeTensors.read(dir.resolve("absent")));
    }

    // -------------------------------------------------------------------------------------------------------------
    // Rejected writes

    @Test
    void rejectsEmptyName() {
        IllegalArgumentException e = assertWriteRejected(Map.of("", values(DataType.FLOAT, 2)));
        assertTrue(e.getMessage().contains("empty name"), e.getMessage());
    }

    @Test
    void rejectsMetadataKeyAsTensorName() {
        IllegalArgumentException e = assertWriteRejected(Map.of("__metadata__", values(DataType.FLOAT, 2)));
        assertTrue(e.getMessage().contains("'__metadata__' is reserved"), e.getMessage());
    }

    @Test
    void rejectsNullArray() {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("nothing_here", null);
        IllegalArgumentException e = assertWriteRejected(tensors);
        assertTrue(e.getMessage().contains("tensor 'nothing_here' is null"), e.getMessage());
    }

    @Test
    void rejectsUnsupportedDataType() {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("fine", values(DataType.FLOAT, 2));
        tensors.put("unsigned16", Nd4j.create(DataType.UINT16, 2));
        IllegalArgumentException e = assertWriteRejected(tensors);
        assertTrue(e.getMessage().contains("tensor 'unsigned16' has data type UINT16"), e.getMessage());
        assertTrue(e.getMessage().contains("BFLOAT16"), "lists what is supported: " + e.getMessage());
    }

    @Test
    void rejectedWriteLeavesExistingFileUntouched() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        SafeTensors.write(file, Map.of("w", values(DataType.FLOAT, 3)));
        byte[] before = Files.readAllBytes(file);

        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("", values(DataType.FLOAT, 5))));
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of("keep.safetensors"), listDir());
    }

    /** Asserts an {@link IllegalArgumentException} (not a format exception) and that nothing was created. */
    private IllegalArgumentException assertWriteRejected(Map<String, INDArray> tensors) {
        Path file = dir.resolve("rejected.safetensors");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, tensors));
        assertFalse(e instanceof SafeTensorsFormatException, "write errors are plain IllegalArgumentExceptions");
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(List.of(), listDir(), "nothing written");
        return e;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Atomic write

    @Test
    void writeLeavesNoTemporaryFileAndReplacesExistingFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("w", values(DataType.FLOAT, 2, 2)), Map.of("version", "1"));
        assertEquals(List.of("model.safetensors"), listDir());

        SafeTensors.write(file, Map.of("v", values(DataType.INT, 3)), Map.of("version", "2"));
        assertEquals(List.of("model.safetensors"), listDir());
        SafeTensors.Contents contents = SafeTensors.readWithMetadata(file);
        assertEquals(List.of("v"), new ArrayList<>(contents.tensors().keySet()));
        assertEquals(Map.of("version", "2"), contents.metadata());
        assertSameArray(values(DataType.INT, 3), contents.tensors().get("v"), "v");
    }

    @Test
    void writeToRelativePathWorks() throws IOException {
        Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("relative.safetensors"));
        SafeTensors.write(relative, Map.of("w", values(DataType.FLOAT, 2)));
        assertSameArray(values(DataType.FLOAT, 2), SafeTensors.read(relative).get("w"), "w");
    }

    @Test
    void failedMoveRemovesTheTemporaryFile() throws IOException {
        Path occupied = dir.resolve("occupied");
        Files.createDirectory(occupied);
        Files.writeString(occupied.resolve("inside.txt"), "x");
        assertThrows(IOException.class, () -> SafeTensors.write(occupied, Map.of("w", values(DataType.FLOAT, 2))));
        assertEquals(List.of("occupied"), listDir());
        assertTrue(Files.isDirectory(occupied));
    }

    // -------------------------------------------------------------------------------------------------------------
    // Helpers

    /** Same dtype, shape and values (exact: NaN equals NaN, -0.0 differs from 0.0). */
    private static void assertSameArray(INDArray expected, INDArray actual, String what) {
        assertEquals(expected.dataType(), actual.dataType(), what + ": dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        if (expected.length() == 0) {
            return;
        }
        INDArray e = expected.dup('c').reshape(expected.length());
        INDArray a = actual.dup('c').reshape(actual.length());
        if (expected.dataType() == DataType.LONG) {
            assertArrayEquals(e.toLongVector(), a.toLongVector(), what + ": values");
        } else {
            assertArrayEquals(e.castTo(DataType.DOUBLE).toDoubleVector(), a.castTo(DataType.DOUBLE).toDoubleVector(),
                    what + ": values");
        }
    }

    /** Writes {@code bytes} to a file, reads it, and checks the exception names the file and each fragment. */
    private SafeTensorsFormatException assertRejected(byte[] bytes, String... fragments) throws IOException {
        Path file = save("bad-" + System.nanoTime() + ".safetensors", bytes);
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        }
        return e;
    }

    private Path save(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private List<String> listDir() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ByteBuffer le(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The 8-byte length prefix, the UTF-8 header, then the data. */
    private static byte[] fileBytes(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return withHeaderLength(json.length, concat(json, data));
    }

    /** An arbitrary (possibly lying) length prefix followed by {@code rest}. */
    private static byte[] withHeaderLength(long headerLength, byte[] rest) {
        return concat(le(8).putLong(headerLength).array(), rest);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    private static byte[] dataSection(byte[] file) {
        long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOfRange(file, 8 + (int) headerLength, file.length);
    }

    private static JsonNode headerOf(byte[] file) throws IOException {
        long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return JSON.readTree(new String(file, 8, (int) headerLength, StandardCharsets.UTF_8));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
