/**
 * Sample classes for the agent's tests: loops of every shape javac produces. Outside
 * {@code io.goloom} on purpose (the agent never instruments goloom's own packages). Every public
 * static no-argument method whose name starts with {@code run} is a scenario: the tests run it
 * from an instrumented and from an original copy of the class and compare the outcome (value,
 * or exception class, message and the sample frames of its stack trace).
 */
package com.example.loops;
