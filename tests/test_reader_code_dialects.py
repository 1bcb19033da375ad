"""Code the reader reads since blind2's first contact (issue 21): sizes written as names the same text
binds to numbers, products and powers, TF.js / TF1 `tf.layers.*`, Julia Flux `Chain(...)`, DL4J
builders, Theano-style layers, functional pools in forward(), torchinfo's output column, Reshape to a
flat size. Texts here are written for the tests (none is from benchmarks/outside)."""

from __future__ import annotations

import pytest

from diagram.reader import read_request
from diagram.reader_code import assignments, read_code


def test_names_bound_to_numbers_in_the_same_text():
    env = assignments("n_in = 12\nfinal int outputs = 3;\nA, B, C = 5, 40, 7\nnet = Net(width=30, depth=2)\n"
                      "k = 4\nk = 5\nhidden_size=(8, 8)")
    assert env == {"n_in": 12, "outputs": 3, "A": 5, "B": 40, "C": 7, "width": 30, "depth": 2}  # k: two values


@pytest.mark.parametrize("code, line", [
    # a tuple assignment, then torch Linear layers by name
    ("B, IN, HID, OUT = 32, 600, 50, 4\nmodel = torch.nn.Sequential(\n    torch.nn.Linear(IN, HID),\n"
     "    torch.nn.ReLU(),\n    torch.nn.Linear(HID, OUT))", "# layers 600-50-4"),
    # the sizes a subclass takes, given where it is built
    ("class Small(torch.nn.Module):\n    def __init__(self, a, b, c):\n        self.h = torch.nn.Linear(a, b)\n"
     "        self.o = torch.nn.Linear(b, c)\nnet = Small(a=5, b=9, c=3)", "# layers 5-9-3"),
    # Keras with upper-case constants
    ("WIDTH = 96\nCLASSES = 5\nFLAT = 400\nmodel.add(Dense(WIDTH, input_shape=(FLAT,)))\nmodel.add(Dense(WIDTH))\n"
     "model.add(Dense(CLASSES))", "# layers 400-96-96-5"),
    # products and powers of names and numbers
    ("SIDE = 20\nmodel = nn.Sequential(nn.Linear(SIDE * SIDE, 64), nn.ReLU(), nn.Linear(64, 3))", "# layers 400-64-3"),
    ("layers.Reshape(target_shape=(16 * 16,), input_shape=(16, 16)),\nlayers.Dense(40),\nlayers.Dense(6)",
     "# layers 256-40-6"),
])
def test_sizes_given_as_names_and_products(code, line):
    assert read_code(code).line() == line


@pytest.mark.parametrize("code, line", [
    # TF.js object literals (camelCase keys)
    ("const m = tf.sequential();\nm.add(tf.layers.dense({units: 30, activation: 'relu', inputShape: [6]}));\n"
     "m.add(tf.layers.dense({units: 2, activation: 'softmax'}));", "# layers 6-30-2"),
    # Julia Flux: in => out, and Dense(in, out, σ)
    ("m = Chain(Dense(13^2 => 50, relu), Dense(50 => 4), softmax)", "# layers 169-50-4"),
    ("m = Chain(Dense(3, 20, tanh),\n          Dense(20, 20, tanh),\n          Dense(20, 1))", "# layers 3-20-20-1"),
    # DL4J builders
    ("int nIn = 5;\n.layer(new DenseLayer.Builder().nIn(nIn).nOut(9).build())\n"
     ".layer(new OutputLayer.Builder(LossFunction.MSE).nIn(9).nOut(2).build())", "# layers 5-9-2"),
    # Theano-style layers with n_in / n_out
    ("net = Network([Hidden(), FullyConnectedLayer(n_in=50, n_out=25),\n SoftmaxLayer(n_in=25, n_out=4)])",
     "# layers 50-25-4"),
])
def test_javascript_julia_java_dense_nets(code, line):
    assert read_code(code).line() == line


@pytest.mark.parametrize("code, line", [
    ("m.add(tf.layers.conv2d({inputShape: [32, 32, 3], filters: 12, kernelSize: 5}));\n"
     "m.add(tf.layers.maxPooling2d({poolSize: 2}));\nm.add(tf.layers.flatten());\nm.add(tf.layers.dense({units: 7}));",
     "# layers Input 32x32x3 > Conv 5x5, 12 > MaxPool 2x2 > Flatten > Dense 7"),
    # TF1: the input tensor comes first
    ("h = tf.layers.conv2d(images, 24, 3, activation=tf.nn.relu)\nh = tf.layers.max_pooling2d(h, 3, 2)\n"
     "h = tf.layers.dense(h, 50)", "# layers Conv 3x3, 24 > MaxPool 3x3 > Dense 50"),
    ("net = Chain(\n  Conv((3, 3), 3=>10, relu),\n  MaxPool((2, 2)),\n  Flux.flatten,\n  Dense(250 => 5))",
     "# layers Conv 3x3, 10 > MaxPool 2x2 > Flatten > Dense 5"),
    (".layer(new ConvolutionLayer.Builder(7, 7)\n  .nIn(channels)\n  .nOut(30)\n  .build())\n"
     ".layer(new SubsamplingLayer.Builder(PoolingType.MAX)\n  .kernelSize(3,3)\n  .build())\n"
     ".layer(new DenseLayer.Builder().nOut(60).build())", "# layers Conv 7x7, 30 > MaxPool 3x3 > Dense 60"),
    ("FILTERS = 18\nmodel.add(Conv2D(FILTERS, (3, 3), input_shape=(40, 40, 1)))\nmodel.add(MaxPooling2D())\n"
     "model.add(Flatten())\nmodel.add(Dense(FILTERS))", "# layers Input 40x40x1 > Conv 3x3, 18 > MaxPool 2x2 > Flatten > Dense 18"),
    ("net = Network([ConvPoolLayer(image_shape=(10, 1, 32, 32), filter_shape=(12, 1, 3, 3), poolsize=(2, 2)),\n"
     "  FullyConnectedLayer(n_in=12*15*15, n_out=40)])", "# layers Conv 3x3, 12 > MaxPool 2x2 > Dense 40"),
])
def test_cnns_in_javascript_julia_java(code, line):
    assert read_code(code).line() == line


def test_functional_pools_in_forward_keep_their_place():
    code = ("class Tiny(nn.Module):\n    def __init__(self):\n        self.a = nn.Conv2d(1, 4, 3)\n"
            "        self.b = nn.Conv2d(4, 8, 3)\n        self.out = nn.Linear(200, 10)\n"
            "    def forward(self, x):\n        x = F.max_pool2d(F.relu(self.a(x)), 2)\n"
            "        x = F.relu(self.b(x))\n        x = F.avg_pool2d(x, 3)\n        x = torch.flatten(x, 1)\n"
            "        return self.out(x)")
    assert read_code(code).line() == "# layers Conv 3x3, 4 > MaxPool 2x2 > Conv 3x3, 8 > AvgPool 3x3 > Flatten > Dense 10"


def test_torchinfo_rows_read_the_output_shape_when_both_are_shown():
    table = ("├─Conv2d: 1-1      [4, 3, 32, 32]      [4, 12, 30, 30]     336\n"
             "├─MaxPool2d: 1-2   [4, 12, 30, 30]     [4, 12, 15, 15]     --\n"
             "├─Linear: 1-3      [4, 2700]           [4, 9]              24,309")
    assert read_code(table).line() == "# layers Conv, 12 > MaxPool > Dense 9"


def test_unknown_names_stay_unstated_and_keras_positional_activation_is_no_size():
    assert read_code("model.add(Dense(32, input_shape=(features,)))\nmodel.add(Dense(n_out))").line() == \
        "# layers 3-32-3"  # neither name is bound: drawn as UNSTATED nodes
    assert read_request("model.add(Dense(16, 'relu', input_dim=4))\nmodel.add(Dense(2, 'softmax'))").line() == \
        "# layers 4-16-2"


@pytest.mark.parametrize("code, line", [
    ("var defs = [];\ndefs.push({type:'input', out_sx:1, out_sy:1, out_depth:3});\n"
     "defs.push({type:'fc', num_neurons:15, activation:'relu'});\ndefs.push({type:'softmax', num_classes:4});",
     "# layers 3-15-4"),
    ("defs.push({type:'input', out_sx:24, out_sy:24, out_depth:1});\ndefs.push({type:'conv', sx:3, filters:8, stride:1});\n"
     "defs.push({type:'pool', sx:2, stride:2});\ndefs.push({type:'softmax', num_classes:10});",
     "# layers Input 24x24x1 > Conv 3x3, 8 > MaxPool 2x2 > Dense 10"),
])
def test_typed_object_literals(code, line):
    assert read_code(code).line() == line


@pytest.mark.parametrize("text, line", [
    ("The model has an input layer with 64 inputs, a hidden layer with 12 units, and a softmax layer giving a "
     "distribution over the 5 classes.", "# layers 64-12-5"),
    ("n_hidden_1 = 40 # neurons of the first layer\nn_hidden_2 = 20 # neurons of the second layer\n"
     "num_input = 300 # input features\nnum_classes = 6 # classes", "# layers 300-40-20-6"),
    ("The net should have three input nodes, four hidden layer nodes and one output node.", "# layers 3-4-1"),
    ("MLP: in=4, hidden = 2 layers, 9 units, out=3", "# layers 4-9-3"),  # a count of layers stays a count
])
def test_dense_sizes_told_in_more_phrasings(text, line):
    assert read_request(text).line() == line


def test_old_keras_summaries_with_a_cut_type_column():
    table = ("conv2d_1 (Conv2D)            (None, 26, 26, 16)        160\n"
             "max_pooling2d_1 (MaxPooling2 (None, 13, 13, 16)        0\n"
             "average_pooling2d_1 (AveragePooli (None, 6, 6, 16)     0\n"
             "flatten_1 (Flatten)          (None, 576)              0\n"
             "dense_1 (Dense)              (None, 64)               36928")
    assert read_code(table).line() == "# layers Conv, 16 > MaxPool > AvgPool > Flatten > Dense 64"


def test_a_flatten_only_forward_does_goes_between_the_convolutions_and_the_dense_layers():
    code = ("class Small(nn.Module):\n    def __init__(self):\n        self.body = nn.Sequential(\n"
            "            nn.Conv2d(3, 8, 3),\n            nn.ReLU(),\n            nn.MaxPool2d(2))\n"
            "        self.head = nn.Sequential(nn.Linear(8 * 15 * 15, 20), nn.ReLU(), nn.Linear(20, 4))\n"
            "    def forward(self, x):\n        x = self.body(x)\n        x = x.view(x.size(0), -1)\n"
            "        return self.head(x)")
    assert read_code(code).line() == "# layers Conv 3x3, 8 > MaxPool 2x2 > Flatten > Dense 20 > Dense 4"


def test_commented_out_layers_and_comments_inside_calls_are_no_code():
    code = ("model = tf.keras.Sequential([\n    tf.keras.layers.Flatten(input_shape=(10, 10)),\n"
            "    # tf.keras.layers.Dense(64, activation='relu'),  # TODO\n    tf.keras.layers.Dense(32),\n"
            "    tf.keras.layers.Dense(3)])")
    assert read_code(code).line() == "# layers 100-32-3"
    conv = ("self.c = nn.Sequential(nn.Conv2d(\n    in_channels=1,   # grey, one channel\n"
            "    out_channels=12,  # filters (12 of them)\n    kernel_size=3,\n), nn.MaxPool2d(2))")
    assert read_code(conv).line() == "# layers Conv 3x3, 12 > MaxPool 2x2"


def test_linear_chain_whose_first_input_is_a_name_keeps_it_unstated():
    code = "m = nn.Sequential(nn.Linear(D, 40), nn.ReLU(), nn.Linear(40, 20), nn.Linear(20, K))"
    assert read_code(code).line() == "# layers 3-40-20-3"  # not 40-40-20-3


@pytest.mark.parametrize("text, line", [
    ("Architecture\n- Input Layer -- 5 features: a, b, c\n- Hidden Layer 1 -- 40 neurons with ReLU\n"
     "- Hidden Layer 2 -- 20 neurons with ReLU\n- Output Layer -- 2 neurons, softmax", "# layers 5-40-20-2"),
    ("Given-\n- no. of input node - 300\n- no. of hidden node - 50 (a good choice here)\n- no. of output node - 6",
     "# layers 300-50-6"),
])
def test_sizes_after_dashes(text, line):
    assert read_request(text).line() == line


def test_n_layers_each_followed_by_a_pooling():
    plan = read_request("The chart shows how data flows in the network below. There are three convolutional layers, "
                        "each followed by a down-sampling using average-pooling (not drawn here). Then there are two "
                        "fully-connected layers ending in a softmax-classifier.")
    assert plan.line() == "# layers Conv > AvgPool > Conv > AvgPool > Conv > AvgPool > Dense > Dense"
