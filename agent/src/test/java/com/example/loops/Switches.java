package com.example.loops;

/** Switches inside loops, loops inside switch cases, and a loop while an uninitialized object is on the stack. */
public final class Switches {
    private Switches() {
    }

    sealed interface Shape permits Circle, Square, Line {
    }

    record Circle(int r) implements Shape {
    }

    record Square(int side) implements Shape {
    }

    record Line(int length) implements Shape {
    }

    record Box(int value, String tag) {
    }

    public static Object runTableSwitchInLoop() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            switch (i % 5) {
                case 0:
                    sb.append('z');
                    break;
                case 1:
                    sb.append('o');
                    continue;
                case 2:
                case 3:
                    sb.append('t');
                    break;
                default:
                    sb.append('d');
            }
            sb.append('|');
        }
        return sb.toString();
    }

    public static Object runLookupSwitchInLoop() {
        int acc = 0;
        for (int i = 0; i < 20; i++) {
            switch (i * 1000) {
                case 0 -> acc += 1;
                case 5000 -> acc += 50;
                case 13000 -> acc -= 7;
                default -> acc++;
            }
        }
        return acc;
    }

    public static Object runStringSwitchInLoop() {
        String[] cmds = {"push", "push", "pop", "peek", "push", "noop"};
        int depth = 0;
        int peeks = 0;
        for (String c : cmds) {
            switch (c) {
                case "push" -> depth++;
                case "pop" -> depth--;
                case "peek" -> peeks++;
                default -> {
                }
            }
        }
        return depth + "," + peeks;
    }

    public static Object runLoopInsideCases() {
        StringBuilder sb = new StringBuilder();
        for (int kind = 0; kind < 4; kind++) {
            switch (kind) {
                case 0 -> {
                    for (int i = 0; i < 3; i++) {
                        sb.append('a');
                    }
                }
                case 1 -> {
                    int n = 5;
                    while (n-- > 0) {
                        sb.append('b');
                    }
                }
                case 2 -> {
                    int n = 0;
                    do {
                        sb.append('c');
                    } while (++n < 2);
                }
                default -> sb.append('!');
            }
        }
        return sb.toString();
    }

    public static Object runSwitchExpressionLoopInsideNew() {
        int k = 2;
        // javac keeps the uninitialized Box (twice: new, dup) on the operand stack while the loop
        // inside the switch expression runs: the back-edge frames carry uninitialized(new).
        Box box = new Box(switch (k) {
            case 1 -> 1;
            case 2 -> {
                int s = 0;
                for (int i = 0; i < 10; i++) {
                    s += i;
                }
                yield s;
            }
            default -> -1;
        }, "tag");
        return box.toString();
    }

    public static Object runPatternSwitchInLoop() {
        Shape[] shapes = {new Circle(2), new Square(3), new Line(4), new Circle(1)};
        int score = 0;
        for (Shape s : shapes) {
            score += switch (s) {
                case Circle c when c.r() > 1 -> 100 * c.r();
                case Circle c -> c.r();
                case Square q -> {
                    int area = 0;
                    for (int i = 0; i < q.side(); i++) {
                        area += q.side();
                    }
                    yield area;
                }
                case Line l -> l.length();
            };
        }
        return score;
    }
}
