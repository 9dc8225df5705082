package com.example.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HelloTest {
    @Test
    void sumsInGoroutines() throws InterruptedException {
        assertEquals(500_000_500_000L, Hello.sum(1_000_000));
    }
}
