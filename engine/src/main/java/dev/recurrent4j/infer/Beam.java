package dev.recurrent4j.infer;

/**
 * One hypothesis of {@link Generator#beamSearch}.
 *
 * @param tokens the generated ids, the end token included if it ended with one
 * @param logProbability the sum of the log-probabilities of its tokens
 * @param score what the beams are ranked by: {@code logProbability / length^lengthPenalty}
 */
public record Beam(int[] tokens, double logProbability, double score) {}
