package io.goloom.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** JvmFlags reads goloom.jvmargs as java reads an @argfile. (The missing-flag checks: scheduler's JvmFlagsTest.) */
class JvmFlagsParseTest {

    @Test
    void commentsAndBlankLinesAreNotArguments() {
        assertEquals(List.of("--add-exports", "a/b=ALL-UNNAMED", "--x=y", "-Dk=v#1"),
                JvmFlags.parse("# a comment, with goloom's apostrophe\n\n  --add-exports a/b=ALL-UNNAMED   # why\n--x=y\t-Dk=v#1\r\n"));
    }

    @Test
    void quotedArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> JvmFlags.parse("-Dk=\"a b\"\n"));
    }

    @Test
    void theJarsCopyIsTheRepositorysFile() throws Exception {
        // surefire runs in the module's directory; the repository's root is its parent.
        Path root = Path.of("..", "goloom.jvmargs");
        assertEquals(JvmFlags.parse(Files.readString(root)), JvmFlags.flags());
        assertEquals(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"), JvmFlags.flags());
    }
}
