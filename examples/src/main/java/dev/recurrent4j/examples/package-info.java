/**
 * Runnable scenarios built on the engine. {@link dev.recurrent4j.examples.SequenceDemo} is the README's demo.
 */
package dev.recurrent4j.examples;
