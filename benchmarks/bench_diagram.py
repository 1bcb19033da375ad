"""Parse and render latency of the diagram core on a ~20-node diagram.

Run: .venv/bin/python -m benchmarks.bench_diagram [--parse-repeats 2000] [--render-repeats 100]

Prints the median parse time per diagram (µs) and per node line, the median render time per
diagram for PNG and SVG (ms; each render spawns graphviz's `neato`), and readability's cost.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from diagram import Diagram, Node, dumps, parse, readability, render


def sample_diagram(layers: tuple[int, ...] = (4, 6, 6, 3, 1)) -> Diagram:
    """A fully connected layered network (20 nodes by default), laid out left to right."""
    nodes: list[Node] = []
    first = 0
    for col, size in enumerate(layers):
        nxt = first + size
        targets = tuple(range(nxt, nxt + layers[col + 1])) if col + 1 < len(layers) else ()
        for row in range(size):
            nodes.append(Node(
                id=first + row, x=100 + 200 * col, y=300 + 80 * (row - (size - 1) / 2),
                shape="circle", width=40, height=40, line_shape="solid arrow",
                fill=(224, 224, 240), line_color=(64, 64, 128), targets=targets,
                label=f"L{col}.{row}",
            ))
        first = nxt
    return Diagram(nodes)


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parse-repeats", type=int, default=2000, help="parse timings to take")
    parser.add_argument("--render-repeats", type=int, default=100, help="renders per format")
    args = parser.parse_args(argv)

    diagram = sample_diagram()
    text = dumps(diagram)
    assert parse(text).diagram == diagram, "the benchmark diagram must round-trip"
    n = len(diagram.nodes)
    print(f"diagram: {n} nodes, {len(diagram.edges())} edges, {len(text)} characters")

    parse_s = median_seconds(lambda: parse(text), args.parse_repeats)
    print(f"parse:        {parse_s * 1e6:8.1f} µs per diagram  ({parse_s * 1e6 / n:.1f} µs per "
          f"node line; median of {args.parse_repeats})")
    score_s = median_seconds(lambda: readability(diagram), args.parse_repeats // 10 or 1)
    print(f"readability:  {score_s * 1e6:8.1f} µs per diagram")
    for fmt in ("png", "svg"):
        render(diagram, fmt)  # warm the page cache for the graphviz binaries and fonts
        render_s = median_seconds(lambda: render(diagram, fmt), args.render_repeats)
        print(f"render {fmt}:   {render_s * 1e3:8.1f} ms per diagram  "
              f"(median of {args.render_repeats})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
