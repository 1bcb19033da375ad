"""Layer sizes written in the syntax of more languages (made-up inputs): sequences built by `List(...)`,
`Seq(...)`, `Vector(...)`; lists separated by ';' (F#, OCaml, MATLAB); a whole net's sizes bound to a
name that says so (`layer_sizes = [...]`); C's `#define NAME value` with a product as the value."""

from __future__ import annotations

import pytest

from diagram.reader import read_request


def line(text: str) -> str | None:
    plan = read_request(text)
    return plan.line() if plan is not None else None


@pytest.mark.parametrize("text, expected", [
    ("object App {\n  val model = Network(List(12, 7, 3))\n  model.fit(xs)\n}", "# layers 12-7-3"),
    ("val mlp = new NeuralNetwork(Seq(5, 9, 2))", "# layers 5-9-2"),
    ("let run () =\n    let sizes = [6; 11; 4]\n    let net = Network(sizes)\n    net", "# layers 6-11-4"),
    ("import numpy as np\nlayer_sizes = [9, 6, 3, 2]\nfor i, n in enumerate(layer_sizes):\n    plot_layer(i, n)",
     "# layers 9-6-3-2"),
    ("val netTopology = Vector(4, 8, 8, 1)\nprintln(netTopology)", "# layers 4-8-8-1"),
    ("#define NUM_INPUTS 16 * 16\n#define NUM_HIDDEN 40\n#define NUM_OUTPUTS 4\n", "# layers 256-40-4"),
    ("#define N_IN 5\n#define N_HID 7 // hidden units\n#define N_OUT 2\ndouble w1[N_IN][N_HID];", "# layers 5-7-2"),
])
def test_sizes_in_the_syntax_of_other_languages(text, expected):
    assert line(text) == expected


@pytest.mark.parametrize("text", [
    "layer_sizes = [9, 6]\nlayer_sizes = [4, 4, 4]\n",  # bound twice to different lists: which one?
    "shape = (28, 28)\nimg = load(path).reshape(shape)",  # an image's shape is no net
    "kernel_sizes = [3, 5, 7]\nstrides = [1, 2]",  # not a layer's size
    "#define BUFFER_SIZE 64 * 4\n#define MAX_ITEMS 10\n",  # constants without a layer's role
])
def test_other_lists_and_constants_are_no_net(text):
    assert line(text) is None or "layers" not in line(text)
