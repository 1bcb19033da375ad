"""Dense nets and CNNs (issue 21, release 5 round): one made-up input per general mechanism, each
asserting the plan line (none of these are corpus rows)."""

from __future__ import annotations

import pytest

from diagram.reader import read_request
from diagram.reader_code import conv_roles


def line(text: str) -> str | None:
    plan = read_request(text)
    return plan.line() if plan is not None else None


@pytest.mark.parametrize("values, want", [
    ([3, 24, 5], (24, "5x5")),            # (in, out, kernel)
    ([None, 48, 3], (48, "3x3")),         # the input channels left to None
    ([64, 3, 3], (64, "3x3")),            # (filters, kh, kw)
    ([3, 3, 40], (40, "3x3")),            # (kh, kw, filters)
    ([3, 20, 7, 7, 1, 1], (20, "7x7")),   # (in, out, kh, kw, stride, stride)
    ([48, 5, 2], (48, "5x5")),            # (filters, kernel, stride): the second is kernel-sized, the first not
    ([8, 3, 1], (8, "3x3")),              # (filters, kernel, stride): 8 is no image's channel count
    ([24, 5], (24, "5x5")),               # (filters, kernel)
    ([12], (12, "")),
])
def test_conv_roles_from_values(values: list[int | None], want: tuple[int | None, str]) -> None:
    assert conv_roles(values) == want


def test_positional_convolution_in_out_kernel() -> None:
    text = ("class Net(Chain):\n    def __init__(self):\n        super().__init__(\n"
            "            a=L.Convolution2D(3, 24, 5),\n            b=L.Convolution2D(24, 48, 3),\n"
            "            out=L.Linear(None, 7))\n\n    def __call__(self, x):\n"
            "        h = F.max_pooling_2d(F.relu(self.a(x)), 2)\n        h = self.b(h)\n        return self.out(h)\n")
    assert line(text) == "# layers Conv 5x5, 24 > MaxPool 2x2 > Conv 3x3, 48 > Dense 7"


def test_kernel_pair_then_filters() -> None:
    text = "net.add_conv(3, 3, 12)\nnet.add_pool(2, 2)\nnet.add_conv(3, 3, 24)\nnet.add_dense(5)\n"
    assert line(text) == "# layers Conv 3x3, 12 > MaxPool 2x2 > Conv 3x3, 24 > Dense 5"


def test_count_keyword_beside_the_kernel() -> None:
    text = "let m = Sequential([\n    Conv(5, count: 5),\n    MaxPool(),\n    Conv(3, count: 9),\n    Dense(inFeatures: 81, outFeatures: 4)\n])"
    assert line(text) == "# layers Conv 5x5, 5 > MaxPool > Conv 3x3, 9 > Dense 4"


def test_constant_named_through_its_class() -> None:
    text = ("class Small(chainer.Chain):\n    OUT = 12\n\n    def __init__(self):\n        super().__init__(\n"
            "            c=L.Convolution2D(1, 16, 3),\n            f=L.Linear(400, Small.OUT))\n\n"
            "    def __call__(self, x):\n        return self.f(F.max_pooling_2d(self.c(x), 2))\n")
    assert line(text) == "# layers Conv 3x3, 16 > MaxPool 2x2 > Dense 12"


def test_activation_named_layers_with_sizes() -> None:
    text = "model = (nn.Reshape([16, 16, 1]) >> nn.Conv([3, 3, 8]) >> nn.Flatten() >> nn.Tanh(50) >> nn.Softmax(4))"
    assert line(text) == "# layers Conv 3x3, 8 > Flatten > Dense 50 > Dense 4"
    text = "type Small = Network\n    '[ Flatten,\n       DenseTanh 100 20,\n       DenseSoftmax 20 5\n     ]"
    assert line(text) == "# layers 100-20-5"


def test_activation_with_a_dimension_is_no_layer() -> None:
    text = "net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.Flatten(), nn.Linear(200, 6), nn.Softmax(1))"
    assert line(text) == "# layers Conv 3x3, 8 > Flatten > Dense 6"


def test_r_assignment_arrow_names_no_prose_layer() -> None:
    text = ("c1 <- mx.symbol.Convolution(data=x, kernel=c(3,3), num_filter=12)\n"
            "p1 <- mx.symbol.Pooling(data=c1, pool_type=\"max\", kernel=c(2,2))\n"
            "flatten <- mx.symbol.Flatten(data=p1)\n"
            "fc <- mx.symbol.FullyConnected(data=flatten, num_hidden=6)")
    assert line(text) == "# layers Conv 3x3, 12 > MaxPool 2x2 > Flatten > Dense 6"


def test_summary_table_with_a_batch_number() -> None:
    text = ("        Layer (type)               Output Shape         Param #\n"
            "            Conv2d-1            [8, 12, 30, 30]             336\n"
            "         MaxPool2d-2            [8, 12, 15, 15]               0\n"
            "           Flatten-3                 [8, 2700]               0\n"
            "            Linear-4                    [8, 5]          13,505\n")
    assert line(text) == "# layers Conv, 12 > MaxPool > Flatten > Dense 5"


def test_named_layer_list_with_prefixed_settings() -> None:
    text = ("net = NeuralNet(\n    layers=[\n        ('input', layers.InputLayer),\n"
            "        ('c1', layers.Conv2DLayer),\n        ('p1', layers.MaxPool2DLayer),\n"
            "        ('fc', layers.DenseLayer),\n        ('output', layers.DenseLayer),\n    ],\n"
            "    input_shape=(None, 1, 32, 32),\n    c1_num_filters=20, c1_filter_size=(5, 5), p1_pool_size=(2, 2),\n"
            "    fc_num_units=64, output_num_units=3,\n)")
    assert line(text) == "# layers Conv 5x5, 20 > MaxPool 2x2 > Dense 64 > Dense 3"


def test_net_drawn_as_a_graph_of_neurons() -> None:
    edges = [f"    A{i} --> B{j}" for i in (1, 2) for j in (1, 2, 3)] + [f"    B{j} --> Z" for j in (1, 2, 3)]
    text = ("A tiny neural network with one hidden layer:\n\ngraph LR\n" + "\n".join(edges))
    assert line(text) == "# layers 2-3-1"
    # a flow of single letters that is no net keeps its steps
    flow = "graph LR\n    A1 --> B1\n    A1 --> B2\n    B1 --> C\n    B2 --> C"
    assert line(flow) is not None and line(flow).startswith("# steps")


def test_borderless_layer_table() -> None:
    text = ("layer   filters  size/strd      input            output\n"
            "  0 conv     8      3 x 3/ 1    64 x 64 x 3  ->  64 x 64 x 8\n"
            "  1 max             2 x 2/ 2    64 x 64 x 8  ->  32 x 32 x 8\n"
            "  2 conv    10      1 x 1/ 1    32 x 32 x 8  ->  32 x 32 x 10\n"
            "  3 avg                         32 x 32 x10  ->  10\n")
    assert line(text) == "# layers Conv 3x3, 8 > MaxPool 2x2 > Conv 1x1, 10 > AvgPool"


def test_borderless_table_rows_say_more_than_their_calls() -> None:
    text = ("Layer Role Output\n"
            "Conv2D (24 filters) finds strokes in 5×5 windows [24, 24, 24]\n"
            "MaxPooling2D (2×2) halves the map [12, 12, 24]\n"
            "Flatten turns the maps into one vector [3456]\n"
            "Dense (7 units) one score per class [7]\n")
    assert line(text) == "# layers Conv 5x5, 24 > MaxPool 2x2 > Flatten > Dense 7"


def test_chinese_network_sizes_and_layers_told_after_what_they_hold() -> None:
    assert line("实验记录\n神经网络大小[100, 40, 20, 5] 学习率=0.1, 运行了12分钟") == "# layers 100-40-20-5"
    text = ("输入层接收一张 16x16 的灰度图像。我们有一个包含 32 个神经元的隐藏层,以及一个包含 4 个神经元的输出层。")
    assert line(text) == "# layers 256-32-4"


def test_image_size_is_the_input_of_a_net_naming_none() -> None:
    text = "Each sample is a 20x20 grayscale image. The network has a hidden layer with 50 neurons and an output layer with 6 neurons."
    assert line(text) == "# layers 400-50-6"


def test_size_in_a_count_of_hidden_layers_and_math_numbers() -> None:
    assert line("A net with $12$ inputs, $9$ units in $3$ hidden layers and $2$ units in the output layer.") == \
        "# layers 12-9-9-9-2"


def test_latex_math_read_as_plain_text() -> None:
    from diagram.reader_code import delatex
    assert delatex(r"we use \(8\enspace3 \times 3\) filters, a \(30 \times 30 \times 8\) volume") == \
        "we use  8 3x3  filters, a  30x30x8  volume"
    assert delatex("no math here: 3 -> 4") == "no math here: 3 -> 4"
    text = "An MLP autoencoder:\n- Encoder: $(100 \\rightarrow 20 \\rightarrow 3)$\n- Decoder: $(3 \\to 20 \\to 100)$"
    assert line(text) == "# layers 100-20-3-20-100"


def test_conv_roles_continuing_the_convolution_before() -> None:
    assert conv_roles([32, 8, 3], previous=32) == (8, "3x3")         # (in, out, kernel) after a conv of 32
    assert conv_roles([8, 1, 1, 1], previous=8) == (1, "1x1")        # (in, out, kh, kw)
    assert conv_roles([32, 3, 3], previous=32) == (32, "3x3")        # the same filters again: (filters, kh, kw)
    text = ("model:add(nn.SpatialConvolution(1, 32, 3, 3))\nmodel:add(nn.SpatialConvolution(32, 8, 3, 3))\n"
            "model:add(nn.SpatialConvolution(8, 1, 1, 1))")
    assert line(text) == "# layers Conv 3x3, 32 > Conv 3x3, 8 > Conv 1x1, 1"


def test_letters_in_a_flowchart_are_no_neurons() -> None:
    text = "flowchart TD\n  A --> B\n  A --> C\n  B --> D\n  C --> D\nThe network layer forwards packets"
    assert line(text) == "# steps: A > B, C > D"


def test_chinese_layer_has_neurons() -> None:
    assert line("输入层有4个神经元，隐藏层有5个神经元，输出层有3个神经元。") == "# layers 4-5-3"
