package dev.recurrent4j.examples;

import java.util.List;

/**
 * A generated data set cut in order into 70 % training, 15 % validation and the rest for testing (the examples are
 * already shuffled by their generator's seed). The lists are views of the given list.
 */
record DataSplit<T>(List<T> train, List<T> validation, List<T> test) {

    static <T> DataSplit<T> of(List<T> all) {
        int trainSize = (int) (all.size() * 0.7);
        int validationSize = (int) (all.size() * 0.15);
        return new DataSplit<>(all.subList(0, trainSize), all.subList(trainSize, trainSize + validationSize),
                all.subList(trainSize + validationSize, all.size()));
    }
}
