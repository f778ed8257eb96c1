package dev.recurrent4j.examples;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Characters ↔ token ids for a character-level model: the distinct characters of a text, sorted, id = rank.
 * Saved with a checkpoint as its {@link #symbols()} string.
 */
public final class CharVocabulary {
    private final String symbols;
    private final Map<Character, Integer> ids = new LinkedHashMap<>();

    public CharVocabulary(String symbols) {
        if (symbols == null || symbols.isEmpty()) {
            throw new IllegalArgumentException("symbols: expected at least one character but was "
                    + (symbols == null ? "null" : "empty"));
        }
        for (int k = 0; k < symbols.length(); k++) {
            if (ids.put(symbols.charAt(k), k) != null) {
                throw new IllegalArgumentException("symbols: expected distinct characters but '"
                        + symbols.charAt(k) + "' repeats");
            }
        }
        this.symbols = symbols;
    }

    /** The distinct characters of {@code text}, sorted. */
    public static CharVocabulary of(String text) {
        TreeSet<Character> set = new TreeSet<>();
        for (char c : text.toCharArray()) {
            set.add(c);
        }
        StringBuilder symbols = new StringBuilder();
        set.forEach(symbols::append);
        return new CharVocabulary(symbols.toString());
    }

    /** V. */
    public int size() {
        return symbols.length();
    }

    public String symbols() {
        return symbols;
    }

    /**
     * @param what the argument's name, for the message
     * @throws IllegalArgumentException naming the first character that is not in the vocabulary
     */
    public int[] encode(String text, String what) {
        int[] out = new int[text.length()];
        for (int k = 0; k < text.length(); k++) {
            Integer id = ids.get(text.charAt(k));
            if (id == null) {
                throw new IllegalArgumentException(what + ": expected characters of the vocabulary "
                        + printable(symbols) + " but character " + k + " is " + printable(String.valueOf(
                        text.charAt(k))));
            }
            out[k] = id;
        }
        return out;
    }

    public char decode(int id) {
        return symbols.charAt(id);
    }

    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        Arrays.stream(ids).forEach(id -> text.append(symbols.charAt(id)));
        return text.toString();
    }

    static String printable(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }
}
