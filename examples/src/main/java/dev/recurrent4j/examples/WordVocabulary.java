package dev.recurrent4j.examples;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Words ↔ token ids, sorted for determinism; an unknown word is an error naming it and its position. */
public final class WordVocabulary {
    private final List<String> words;
    private final Map<String, Integer> ids = new LinkedHashMap<>();

    public WordVocabulary(Collection<String> words) {
        this.words = new ArrayList<>(new TreeSet<>(words));
        for (int k = 0; k < this.words.size(); k++) {
            ids.put(this.words.get(k), k);
        }
    }

    public int size() {
        return words.size();
    }

    public String word(int id) {
        return words.get(id);
    }

    /** @throws IllegalArgumentException for a word outside the vocabulary, naming it and its position */
    public int[] encode(List<String> sentence, String what) {
        int[] out = new int[sentence.size()];
        for (int k = 0; k < out.length; k++) {
            Integer id = ids.get(sentence.get(k));
            if (id == null) {
                throw new IllegalArgumentException(what + ": expected known words but word " + k + " '"
                        + sentence.get(k) + "' is not in the vocabulary of " + words.size() + " words");
            }
            out[k] = id;
        }
        return out;
    }
}
