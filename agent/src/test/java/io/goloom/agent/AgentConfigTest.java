package io.goloom.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Argument parsing and the include / exclude / never-instrument rules. */
class AgentConfigTest {

    @Test
    void parsesTheIssueExample() {
        AgentConfig c = AgentConfig.parse("include=com.example.,exclude=com.example.gen.");
        assertTrue(c.instruments("com/example/Foo"));
        assertTrue(c.instruments("com/example/sub/Bar$Inner"));
        assertFalse(c.instruments("com/example/gen/Generated"));
        assertFalse(c.instruments("com/examples/Foo"), "a trailing dot means the package, not a name prefix");
        assertFalse(c.instruments("org/other/Foo"));
        assertFalse(c.entry);
        assertFalse(c.verbose);
        assertTrue(c.retransform);
        assertFalse(c.verify);
    }

    @Test
    void bareTokensContinueTheListBeforeThem() {
        AgentConfig c = AgentConfig.parse(" include=com.a., org.b. ,exclude=com.a.x.,com.a.y., entry=true,verbose=true,");
        assertTrue(c.instruments("com/a/Foo"));
        assertTrue(c.instruments("org/b/Foo"));
        assertFalse(c.instruments("com/a/x/Foo"));
        assertFalse(c.instruments("com/a/y/Foo"));
        assertTrue(c.entry);
        assertTrue(c.verbose);
    }

    @Test
    void aPrefixWithoutTrailingDotIsANamePrefix() {
        AgentConfig c = AgentConfig.parse("include=com.example.Hot");
        assertTrue(c.instruments("com/example/Hot"));
        assertTrue(c.instruments("com/example/Hot$1"));
        assertTrue(c.instruments("com/example/Hotter"));
        assertFalse(c.instruments("com/example/Cold"));
    }

    @Test
    void starIncludesEverythingButTheNeverListAndExcludes() {
        AgentConfig c = AgentConfig.parse("include=*,exclude=org.skip.,retransform=false,verify=true");
        assertTrue(c.instruments("Foo"), "the unnamed package too");
        assertTrue(c.instruments("org/any/Thing"));
        assertFalse(c.instruments("org/skip/Thing"));
        assertFalse(c.retransform);
        assertTrue(c.verify);
    }

    @ParameterizedTest
    @ValueSource(strings = {"java/lang/String", "javax/crypto/Cipher", "jdk/internal/vm/Continuation",
            "sun/misc/Unsafe", "com/sun/net/httpserver/HttpServer", "io/goloom/scheduler/Go",
            "io/goloom/agent/YieldPoint", "io/goloom/core/G"})
    void neverInstrumentsTheJdkOrGoloomEvenWithStar(String name) {
        assertFalse(AgentConfig.parse("include=*").instruments(name));
        assertFalse(AgentConfig.parse("include=io.,com.,java,javax,sun,jdk").instruments(name));
    }

    @Test
    void broadPrefixesAreAllowedButTheNeverListStillWins() {
        AgentConfig c = AgentConfig.parse("include=com.,io.");
        assertTrue(c.instruments("com/example/Foo"));
        assertTrue(c.instruments("io/netty/Foo"));
        assertFalse(c.instruments("com/sun/Foo"));
        assertFalse(c.instruments("io/goloom/Foo"));
        assertFalse(c.instruments(null));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "''                                     | no arguments",
            "'   '                                  | no arguments",
            "entry=true                             | include is required",
            "exclude=com.example.                   | include is required",
            "com.example.                           | a bare prefix must follow include= or exclude=",
            "include=com.example.,entry=true,org.x. | a bare prefix must follow",
            "include=                               | empty prefix",
            "include=com/example/                   | write prefixes with dots",
            "include=com.exa mple.                  | cannot appear in a class name",
            "include=java.util.                     | never instruments java.*",
            "include=io.goloom.                     | never instruments io.goloom.*",
            "include=io.goloom.scheduler.           | never instruments io.goloom.*",
            "include=*,com.example.                 | include=* cannot be combined",
            "include=com.example.,include=*         | include=* cannot be combined",
            "include=com.example.,exclude=*         | only allowed as include=*",
            "include=com.example.,entry=yes         | expected true or false",
            "include=com.example.,entry=TRUE        | expected true or false",
            "include=com.example.,entry=true,entry=false | given twice",
            "include=com.example.,inclde=org.x.     | unknown option 'inclde'",
    })
    void badArgumentsAreRejectedWithAClearMessage(String args, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(args));
        assertTrue(e.getMessage().startsWith("goloom-agent: bad arguments '"), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains("usage: include=<prefix>"), e.getMessage());
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(null));
    }

    @Test
    void goroutinesNamesTheClassesWhoseYieldPointsMaySwitchNativeGoroutines() {
        AgentConfig c = AgentConfig.parse("include=com.fasterxml.,goroutines=com.example.,org.app.,exclude=com.example.gen.");
        assertTrue(c.instruments("com/fasterxml/jackson/X"));
        assertFalse(c.switchesGoroutines("com/fasterxml/jackson/X"), "a library: virtual threads only");
        assertTrue(c.instruments("com/example/Loop"), "goroutines= prefixes are instrumented too");
        assertTrue(c.switchesGoroutines("com/example/Loop"));
        assertTrue(c.switchesGoroutines("org/app/Main"), "a bare token continues the goroutines list");
        assertFalse(c.instruments("com/example/gen/G"), "exclude wins");
        assertFalse(c.instruments("java/util/ArrayList"));

        AgentConfig only = AgentConfig.parse("goroutines=com.example.");
        assertTrue(only.instruments("com/example/Loop") && only.switchesGoroutines("com/example/Loop"));
        assertFalse(only.instruments("com/other/X"));

        AgentConfig all = AgentConfig.parse("include=com.,goroutines=*");
        assertTrue(all.switchesGoroutines("com/fasterxml/X"));
        assertFalse(AgentConfig.parse("include=com.").switchesGoroutines("com/fasterxml/X"), "the default");

        for (String bad : new String[] {"goroutines=java.util.", "goroutines=*", "include=a.,goroutines=*,b.",
                "include=a.,goroutines=", "include=a.,goroutines=com/x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("goloom-agent: bad arguments '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void toStringShowsTheEffectiveOptions() {
        assertEquals("include=[com.example.] exclude=[com.example.gen.] goroutines=[] entry=true verbose=false retransform=true verify=false",
                AgentConfig.parse("include=com.example.,exclude=com.example.gen.,entry=true").toString());
    }
}
