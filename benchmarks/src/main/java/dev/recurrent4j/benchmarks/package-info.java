/**
 * JMH benchmarks, one question per class, with the GEMM floor measured in the same run so that ratios, not
 * absolute times, are quoted. Run {@code java -jar benchmarks/target/benchmarks.jar}.
 */
package dev.recurrent4j.benchmarks;
