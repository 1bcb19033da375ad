"""Requests made to break the request reader (issue 19): the adversarial corpus (every unit repeated
to the input limit in every context) and seeded fuzz requests. Shared by tests/test_reader_reliability.py
and benchmarks/bench_reader.py / bench_reliability.py."""

from __future__ import annotations

from collections.abc import Sequence

# ---- adversarial inputs (issue 19): runs that once made the reader's patterns backtrack -----------

ADVERSARIAL_UNITS = [" ", "\t", "\n", " \n", ",", " ,", ", ", ";", ".", ". ", "-", "->", " -> ", "=>", ">",
                     " > ", "→", "1", "12", "1 ", "1,", "1, ", "1-", "1 -> ", "1x", "a", "a ", "ab ", "a, ",
                     "a.", "(", ")", "()", "(a) ", "[", "[1, ", "x_1, ", "_", "=", ":", "?", "'", "é",
                     "and ", "then ", "hidden ", "layer ", "layers of ", "3 inputs ", "input ", "output ",
                     "nodes ", "feeds ", "back to ", "loops back to ", "with ", "as input ", "please ",
                     "nn.Linear(1, ", "Dense(", "conv ", "if ", "yes ", "go to step 2 ", "- a\n", "1. a\n",
                     "from a to ", "a to b via ", "with a as input ", "x that, with a as input ", "feeds a ",
                     "a which ", "then a, ", "first ", ": a, ", "step 1: a\n", "a (b) ", "(a, b) ", "a | ",
                     "a + ", "x > 1 ", "x_1 ", "fc1 ", "a? ", "if a then b else c ", "repeat until ", "a -- ",
                     "Conv2D(32, (3, 3)) ", "| a | 1 | ", "x that, with a as input, and b as output ",
                     "with a as input, and b as output ", "a that with b as input and ", "Kafka ", "Amazon S3 ",
                     "LoginToWebsite. ", "If a, GoHome. Otherwise, Kafka again. ", "AbAbAbAb ", "AbCdEf",
                     # issue 21 readers: edge lists, tables, lists, clauses, decisions, code order, CNN words
                     "A[x] --> B\n", "a --> ", "↓\n", "|---|\n", "1) a ", "- a = b\n", "📥 a\n", "a:\n",
                     "The clerk checks the invoice, ", "If the invoice is valid, the clerk pays it. ",
                     "either a or the b checks ", "the whole process in a loop. ", "T1 T2 ", "Amazon A B ",
                     "self.conv1(self.pool(", "def forward(self, x): ", "two blocks of conv and pool ",
                     "[conv -> pool]*2 ", "conv3-64, ", "3 conv layers with 1, 2 and 3 filters, each followed by "]
ADVERSARIAL_PREFIXES = ["", "a", "MLP ", "pipeline: ", "Draw a ", "process that consists of first, "]
ADVERSARIAL_SUFFIXES = ["", "x", " loops back to a", " (loop)", ", thanks!", " 2 outputs"]


def adversarial_requests(limit: int = 2_000, prefixes: Sequence[str] = ADVERSARIAL_PREFIXES,
                         suffixes: Sequence[str] = ADVERSARIAL_SUFFIXES) -> list[str]:
    """Every unit repeated to `limit` characters, in every prefix/suffix context."""
    out = []
    for unit in ADVERSARIAL_UNITS:
        for prefix in prefixes:
            for suffix in suffixes:
                room = limit - len(prefix) - len(suffix)
                out.append(prefix + unit * (room // len(unit)) + suffix)
    return out


FUZZ_TOKENS = ["MLP", "net", "network", "neural", "pipeline", "process", "flow", "draw", "a", "an", "the",
               "with", "and", "then", "first", "finally", "of", "in", "out", "to", "from", "via", "as",
               "input", "inputs", "output", "outputs", "hidden", "layer", "layers", "nodes", "neurons",
               "units", "each", "size", "feeds", "goes to", "loops back to", "back to", "(loop)", "if",
               "yes", "no", "step", "repeat until", "go to step 2", "Kafka", "Flink", "nn.Linear(", "Dense(",
               "Conv2D(", "conv", "pool", "x_1", "fc1", "one", "two", "three", "twelve", "please", "thanks",
               "0", "1", "3", "12", "13", "128", "784", "99999999", "99999999999999999999", "-", "->", "→",
               ">", "=>", ",", ";", ":", ".", "?", "!", "(", ")", "[", "]", "+", "|", "&", "/", "=", "_",
               "'", '"', "\\", "#", "…", "é", "\t", "\n", "\n- ", "\n1. ", " ", "  ",
               "otherwise", "either", "or", "-->", "↓", "| a |", "def forward(", "self.", "again", "T1", "checks",
               "is sent", "the clerk", "When", "1)"]


def fuzz_requests(n: int, seed: int = 19) -> list[str]:
    """`n` random requests of 1-60 tokens from FUZZ_TOKENS (seeded): words, numbers, arrows, marks."""
    import random
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens = rng.choices(FUZZ_TOKENS, k=rng.randint(1, 60))
        out.append("".join(t + (" " if rng.random() < 0.6 else "") for t in tokens))
    return out
