"""Dense nets and CNNs as people outside the project write them (issue 21, release 3 causes).

Every input here is made up for this test, in the shapes the outside corpora showed (other
libraries' layer constructors, weight matrices, layer tables, a size per line, ...); none is a
copy of a corpus row.
"""

from __future__ import annotations

from diagram.plan import MAX_PLAN_NODES, Plan, fits
from diagram.reader import explain_request, read_request
from diagram.reader_code import UNSTATED
from diagram.reader_text import MAX_REQUEST_CHARS


def line(text: str) -> str:
    plan = read_request(text)
    return plan.line() if plan is not None else ""


# ---- wide and deep nets are drawn shortened, never refused ----------------------------------------

def test_a_deep_wide_net_is_drawn_as_short_schematics_with_every_size_written():
    plan = read_request("nn.Sequential(nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 96), nn.Linear(96, 24), "
                        "nn.Linear(24, 6), nn.Linear(6, 24), nn.Linear(24, 96), nn.Linear(96, 256), "
                        "nn.Linear(256, 1024))")
    assert plan is not None and plan.line() == "# layers 1024-256-96-24-6-24-96-256-1024"
    assert fits(plan) and plan.n_nodes <= MAX_PLAN_NODES
    ellipses = [n for n in plan.nodes() if n.elided]
    assert [n.label for n in ellipses][:2] == ["... 1024", "... 256"]
    assert ellipses[0].elided == 1024 - 2  # first node and last node drawn, the rest elided
    assert "drawn as" in plan.describe()


def test_a_net_too_deep_for_any_schematic_is_still_refused():
    assert not fits(Plan.dense((3,) * 14))
    assert read_request("layers 3-3-3-3-3-3-3-3-3-3-3-3-3-3") is None  # 42 nodes, nothing to shorten


# ---- layer constructors of other libraries -----------------------------------------------------

def test_matlab_layer_arrays_read_kernel_then_filters():
    text = ("layers = [\n    imageInputLayer([32 32 3])\n    convolution2dLayer(5,20,'Padding','same')\n"
            "    reluLayer\n    averagePooling2dLayer(2,'Stride',2)\n    convolution2dLayer(3,40)\n"
            "    fullyConnectedLayer(7)\n    softmaxLayer\n    classificationLayer];")
    assert line(text) == "# layers Input 32x32x3 > Conv 5x5, 20 > AvgPool 2x2 > Conv 3x3, 40 > Dense 7"


def test_lasagne_layers_take_the_incoming_layer_first():
    text = ("def build(width=20, depth=3):\n    net = InputLayer((None, depth, width))\n"
            "    net = DenseLayer(net, 300, nonlinearity=rectify)\n    net = DenseLayer(net, num_units=40)\n"
            "    return DenseLayer(net, 5, nonlinearity=softmax)")
    assert line(text) == "# layers 60-300-40-5"


def test_global_and_adaptive_pooling_are_pooling_blocks():
    text = ("self.body = nn.Sequential(nn.Conv2d(1, 12, 5), nn.ReLU(), nn.Conv2d(12, 24, 3), "
            "nn.AdaptiveMaxPool2d(1))\nself.head = nn.Linear(24, 4)")
    assert line(text) == "# layers Conv 5x5, 12 > Conv 3x3, 24 > MaxPool > Dense 4"
    keras = "x = layers.Conv1D(48, 7)(x)\nx = layers.GlobalAveragePooling1D()(x)\nout = layers.Dense(3)(x)"
    assert line(keras) == "# layers Conv 7x7, 48 > AvgPool > Dense 3"


def test_a_dense_with_two_sizes_is_in_then_out_and_construct_is_the_forward_pass():
    text = ("class Net(nn.Cell):\n    def __init__(self):\n        self.fc2 = nn.Dense(50, 20)\n"
            "        self.conv = nn.Conv2d(3, 8, 3)\n        self.pool = nn.MaxPool2d(kernel_size=2)\n"
            "        self.flat = nn.Flatten()\n        self.fc1 = nn.Dense(8 * 5 * 5, 50)\n"
            "    def construct(self, x):\n        x = self.pool(self.conv(x))\n        x = self.flat(x)\n"
            "        return self.fc2(self.fc1(x))")
    assert line(text) == "# layers Conv 3x3, 8 > MaxPool 2x2 > Flatten > Dense 50 > Dense 20"


def test_a_scalar_hidden_layer_size_in_scikit_learn():
    assert line("clf = MLPRegressor(hidden_layer_sizes = 48, max_iter=300)") == f"# layers {UNSTATED}-48-{UNSTATED}"
    assert line("MLPRegressor(hidden_layer_sizes=2*[64])") != f"# layers {UNSTATED}-2-{UNSTATED}"


# ---- sizes from arrays: weight matrices and example inputs -------------------------------------

def test_weight_matrices_that_chain_are_the_layers_in_either_orientation():
    tf1 = ("W_a = tf.Variable(tf.truncated_normal([50, 30]))\nb_a = tf.Variable(tf.zeros([30]))\n"
           "W_b = tf.Variable(tf.truncated_normal([30, 4]))")
    assert line(tf1) == "# layers 50-30-4"
    out_in = ("let w1 = Tensor::zeros((64, 20), DType::F32, &dev)?;\nlet w2 = Tensor::zeros((64, 64), DType::F32, &dev)?;\n"
              "let w3 = Tensor::zeros((2, 64), DType::F32, &dev)?;")
    assert line(out_in) == "# layers 20-64-64-2"
    apart = read_request("a = np.zeros((3, 7))\nb = np.zeros((5, 9))")  # they do not chain: no net
    assert apart is None or apart.kind != "dense"


def test_a_parameter_listing_of_conv_and_fc_weights_is_a_cnn():
    text = "'c1.weight' (10, 3, 3, 3)\n'c2.weight' (20, 10, 3, 3)\n'f1.weight' (50, 180)\n'f2.weight' (4, 50)"
    assert line(text) == "# layers Conv 3x3, 10 > Conv 3x3, 20 > Dense 50 > Dense 4"


def test_the_input_size_comes_from_an_example_batch_when_the_layers_do_not_say():
    text = ("model = keras.Sequential([layers.Dense(6, activation='relu'), layers.Dense(2)])\n"
            "x = tf.ones((8, 5))\ny = model(x)")
    assert line(text) == "# layers 5-6-2"
    images = "class M(nn.Module):\n  @nn.compact\n  def __call__(self, x):\n    x = nn.Dense(32)(x)\n" \
             "    return nn.Dense(3)(x)\nbatch = jnp.zeros((16, 12, 12, 1))"
    assert line(images) == "# layers 144-32-3"


# ---- tables, a layer per line, chains in other notations ---------------------------------------

def test_a_layer_table_reads_its_type_maps_kernel_and_neurons_columns():
    cnn = ("| Name | Type | Maps | Kernel | Units |\n|---|---|---|---|---|\n| L1 | Conv | 12 | 7x7 | - |\n"
           "| L2 | Average pooling | 12 | 2x2 | - |\n| L3 | Fully connected | - | - | 30 |")
    assert line(cnn) == "# layers Conv 7x7, 12 > AvgPool 2x2 > Dense 30"
    reversed_table = ("Layer | Type | Maps | Kernel\nOut | Fully connected | - | -\nP2 | Max pooling | 8 | 3x3\n"
                      "K1 | Convolution | 8 | 5x5\nIn | Input | 1 | -")
    assert line(reversed_table) == "# layers Conv 5x5, 8 > MaxPool 3x3 > Dense"
    dense = "Layer | Neurons | Activation\nOne | 90 | relu\nTwo | 45 | relu\nThree | 5 | softmax"
    assert line(dense) == f"# layers {UNSTATED}-90-45-5"
    assert read_request("Stage | Input | Output\nfetch | url | html\nparse | html | json\nstore | json | row") is None or \
        read_request("Stage | Input | Output\nfetch | url | html\nparse | html | json\nstore | json | row").kind != "dense"


def test_a_layer_size_per_line_even_with_an_image_size():
    text = "Stacked autoencoder\n32x32\n600 units\n(pretrained)\n120 units\n600 units\n32x32"
    assert line(text) == "# layers 1024-600-120-600-1024"


def test_hidden_sizes_without_input_or_output_draw_those_ends_unstated():
    assert line("We stacked three hidden layers with 64 neurons in each layer and trained with Adam.") == \
        f"# layers {UNSTATED}-64-64-64-{UNSTATED}"


def test_guards_an_image_shape_chain_and_a_stated_end_are_not_read_as_unstated_layers():
    shapes = read_request("feature maps of a small convnet: 64x64x3 → 64x64x8 → 32x32x8 → 256 → 5")
    assert shapes is None or shapes.line() != "# layers 64-64-3"
    # an end is told (a number beside "output"), only not read: no made-up ends
    assert not line("one hidden layer of 7 nodes and a 3-class softmax output").startswith(f"# layers {UNSTATED}-")
    assert line("two hidden layers with 20 neurons each and sigmoid activations") == \
        f"# layers {UNSTATED}-20-20-{UNSTATED}"


def test_cnn_chains_with_other_arrows_hyphens_and_glued_kernels():
    assert line("Image ⇒ Conv2D ⇒ MaxPool ⇒ Flatten ⇒ Dense") == "# layers Input > Conv > MaxPool > Flatten > Dense"
    assert line("Block A: conv-conv-pool\nBlock B: conv-pool") == \
        "# layers Conv > Conv > MaxPool > Conv > MaxPool"
    assert line("Layer 1: Conv5x5 + ReLU\nLayer 2: MaxPool3x3") == "# layers Conv 5x5 > MaxPool 3x3"


def test_a_links_numbers_are_no_layer_sizes():
    text = ("The network (see https://example.org/2019/07/12/notes) has 6 inputs, one hidden layer of 9 "
            "neurons and 2 outputs.")
    assert line(text) == "# layers 6-9-2"


def test_pasted_code_longer_than_the_prose_limit_is_read():
    block = "model.add(layers.Conv2D(16, (3, 3), padding='same', kernel_regularizer=regularizers.l2(1e-4)))\n" \
            "model.add(layers.BatchNormalization())\nmodel.add(layers.Activation('relu'))\n"
    text = "model = models.Sequential()\n" + block * 14 + "model.add(layers.Flatten())\nmodel.add(layers.Dense(10))"
    assert len(text) > MAX_REQUEST_CHARS
    plan = read_request(text)
    assert plan is not None and plan.labels[-2:] == ("Flatten", "Dense 10") and len(plan.labels) == 16
    _, said = explain_request("word " * (MAX_REQUEST_CHARS // 4))
    assert "at most" in said
