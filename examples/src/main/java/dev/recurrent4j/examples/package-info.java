/**
 * Runnable scenarios built on the engine and the trainer, and the command-line tool that runs them
 * ({@link dev.recurrent4j.examples.Cli}: {@code train}, {@code generate}, {@code evaluate}, {@code import-torch},
 * {@code bench}, {@code demo}). One class per scenario: {@link dev.recurrent4j.examples.CharLanguageModel} (1),
 * {@link dev.recurrent4j.examples.SentimentClassification} (2), {@link dev.recurrent4j.examples.EntityTagging} (3),
 * {@link dev.recurrent4j.examples.Forecasting} (4), {@link dev.recurrent4j.examples.DateTranslation} (5),
 * {@link dev.recurrent4j.examples.VanishingGradients} (6); each has a smaller test that trains to a stated
 * threshold. {@link dev.recurrent4j.examples.SequenceDemo} is the original sine-wave demo.
 */
package dev.recurrent4j.examples;
