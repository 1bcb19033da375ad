"""Dense nets and CNNs as people write them (issue 21, release 4): made-up requests in the styles the
reader learned to read, each asserting the plan line. None of these are corpus rows."""

from __future__ import annotations

import pytest

from diagram.reader import read_request


def line(text: str) -> str | None:
    plan = read_request(text)
    return plan.line() if plan is not None else None


@pytest.mark.parametrize("text, want", [
    # hidden sizes as a setting or an argument; input and output from names, records or a formula
    ("fit <- neuralnet(price ~ area + rooms + age, data = homes, hidden = c(7, 4))", "# layers 3-7-4-1"),
    ("model <- neuralnet(formula_x, data = d, hidden = 6, linear.output = TRUE)", "# layers 3-6-3"),
    ("const net = new brain.NeuralNetwork({ hiddenLayers: [4, 3] });\n"
     "net.train([{ input: [1, 0, 1], output: [1, 0] }]);", "# layers 3-4-3-2"),
    ("sizes <- c(12, 6)\nfit <- mlp_fit(y ~ ., data = df, n_hidden = sizes)", "# layers 3-12-6-1"),
    ("LAYERS = (64, 32)\nreg = MLPRegressor(hidden_layer_sizes=LAYERS, max_iter=300)", "# layers 3-64-32-3"),
    ("reg = MLPRegressor(hidden_layer_sizes=2*[50])", "# layers 3-50-50-3"),
    ("hiddenSize = 14;\nnet = patternnet(hiddenSize);\nnet = train(net, x, t);", "# layers 3-14-3"),
    ("n_in = 5\nn_hid = 9\nn_out = 2\nweights = init(n_in, n_hid, n_out)", "# layers 5-9-2"),
    ("NI = 6; NH = 4; NO = 3;\nbuild(NI, NH, NO);", "# layers 6-4-3"),
    # sizes told as "the number of ... is N", verbs, ordinals, one role per line
    ("Our data has the number of attributes equal to 12, and the number of classes is 4. "
     "We use a hidden layer of size 30.", "# layers 12-30-4"),
    ("We set the number of neurons in the input layer to 5, the number of neurons in the hidden layer "
     "to 7 and the number of neurons in the output layer to 3.", "# layers 5-7-3"),
    ("The network has 2 hidden layers; the number of nodes in the first hidden layer was set to 20 "
     "and we put 9 nodes in the second hidden layer.", "# layers 3-20-9-3"),
    ("The input layer contains 40 neurons, the hidden layer contains 12 neurons and the output layer "
     "contains 2 neurons.", "# layers 40-12-2"),
    ("## Model\n- Input Layer: 300\n- Hidden Layer: 60\n- Output Layer: 5", "# layers 300-60-5"),
])
def test_dense_nets_as_written(text: str, want: str) -> None:
    assert line(text) == want


@pytest.mark.parametrize("text", [
    "hidden: 10\nhidden: 4\ninput: 8\noutput: 1",  # prose fields: the dense reader's, not a code setting
    "Inputs = 2 (x, y). Hidden = 1 layer, 9 units. Output = 3 classes (softmax).",
])
def test_prose_fields_are_not_read_as_code_settings(text: str) -> None:
    got = line(text)
    assert got in ("# layers 8-10-4-1", "# layers 2-9-3"), got


@pytest.mark.parametrize("text, want", [
    # attributes told after the block's name, in their own parts
    ("### Small CNN\n2 CONV, 1 FC\nCONV1, 8 filters, each with filter size 3 and stride 1\nActivation\n"
     "CONV2, there are 16 filters, with filter size 5\nActivation\nFC, output neuron is 4",
     "# layers Conv 3x3, 8 > Conv 5x5, 16 > Dense 4"),
    ("Layer A: Convolution\n- 12 kernels (3×3)\n- Output: 12 feature maps of 30×30\nLayer B: Max Pooling\n"
     "- Output: 12 feature maps of 15×15\nLayer C: Fully Connected\n- 50 units",
     "# layers Conv 3x3, 12 > MaxPool > Dense 50"),
    # a whole chain on one line: read alone, the counting sentence left out; channels written in→out
    ("The model is small. It has three convolution layers and one fully connected layer.\n"
     "Pipeline: Conv(3→16, 5×5) → ReLU → MaxPool → Conv(16→32, 5×5) → ReLU → MaxPool → Flatten → FC",
     "# layers Conv 5x5, 16 > ReLU > MaxPool > Conv 5x5, 32 > ReLU > MaxPool > Flatten > Dense"),
    # rules for every layer of a type
    ("Design: all convolutions are 5x5 with stride 1\nall max poolings are 3x3 with stride 2\n"
     "block A: conv-pool\nblock B: conv-conv-pool",
     "# layers Conv 5x5 > MaxPool 3x3 > Conv 5x5 > Conv 5x5 > MaxPool 3x3"),
    ("Input -> Convolution -> Max-pooling -> Convolution -> Max-pooling -> Dense\n"
     "In max-pooling layers, filter size is (3*3), and stride = 3.",
     "# layers Input > Conv > MaxPool 3x3 > Conv > MaxPool 3x3 > Dense"),
])
def test_cnns_told_in_words(text: str, want: str) -> None:
    assert line(text) == want


PADDLE = """import paddle.fluid as fluid
class Small(fluid.dygraph.Layer):
    def __init__(self):
        super(Small, self).__init__()
        self.a = Conv2D(1, 12, 3, 1)
        self.b = Pool2D(pool_size=2, pool_type='avg', pool_stride=2)
        self.c = Linear(300, 7)
    def forward(self, x):
        x = self.a(x)
        x = self.b(x)
        x = fluid.layers.reshape(x, shape=[-1, 300])
        return self.c(x)
"""

LIBTORCH = """struct Tiny : torch::nn::Module {
    Tiny() {
        c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3)));
        c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 3).stride(1)));
        head = register_module("head", torch::nn::Linear(64, 5));
    }
    torch::Tensor forward(torch::Tensor x) {
        x = torch::relu(torch::max_pool2d(c1->forward(x), 2));
        x = torch::relu(torch::max_pool2d(c2->forward(x), 2));
        x = x.view({-1, 64});
        return head->forward(x);
    }
    torch::nn::Conv2d c1{nullptr}, c2{nullptr};
    torch::nn::Linear head{nullptr};
};
"""

CONTAINERS = """class Net(nn.Module):
    def __init__(self, n_out):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(32 * 4 * 4, 50), nn.ReLU(), nn.Linear(50, n_out))
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
        )
    def forward(self, x):
        x = self.body(x)
        x = torch.flatten(x, 1)
        return self.head(x)
"""


@pytest.mark.parametrize("text, want", [
    (PADDLE, "# layers Conv 3x3, 12 > AvgPool 2x2 > Dense 7"),
    (LIBTORCH, "# layers Conv 3x3, 8 > MaxPool 2x2 > Conv 3x3, 16 > MaxPool 2x2 > Dense 5"),
    (CONTAINERS, "# layers Conv 3x3, 16 > MaxPool 2x2 > Conv 3x3, 32 > MaxPool 2x2 > Flatten > Dense 50 > Dense"),
])
def test_cnn_code_dialects(text: str, want: str) -> None:
    assert line(text) == want


@pytest.mark.parametrize("text, want", [
    ("Uma rede com duas camadas ocultas, cada uma com 64 neurônios.", "# layers 3-64-64-3"),
    ("Сеть: входной слой с 20 нейронами, один скрытый слой с 7 нейронами и выходной слой с 2 нейронами.",
     "# layers 20-7-2"),
    ("Das Netz hat eine Eingabeschicht mit 6 Neuronen, eine versteckte Schicht mit 9 Neuronen und eine "
     "Ausgabeschicht mit 1 Neuron.", "# layers 6-9-1"),
    ("Un réseau avec une couche d'entrée de 12 neurones, une couche cachée de 5 neurones et une couche de "
     "sortie de 2 neurones.", "# layers 12-5-2"),
])
def test_dense_nets_in_other_languages(text: str, want: str) -> None:
    assert line(text) == want


CAFFE_CNN = """input: "img"
input_dim: 1
input_dim: 3
input_dim: 32
input_dim: 32
layer {
  name: "c1"
  type: "Convolution"
  convolution_param { num_output: 10 kernel_size: 3 weight_filler { type: "msra" } }
}
layer { name: "p1" type: "Pooling" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
layer { name: "r1" type: "ReLU" }
layer { name: "f1" type: "InnerProduct" inner_product_param { num_output: 30 } }
"""

CAFFE_DENSE = """layer {
  name: "h"
  type: "InnerProduct"
  inner_product_param {
    num_output: 9
    weight_filler { type: "gaussian" std: 0.01 }
  }
}
layer {
  name: "o"
  type: "InnerProduct"
  inner_product_param { num_output: N_OUT }
}
"""


def test_caffe_prototxt() -> None:
    assert line(CAFFE_CNN) == "# layers Input 32x32x3 > Conv 3x3, 10 > AvgPool 2x2 > Dense 30"
    assert line(CAFFE_DENSE) == "# layers 3-9-3"  # the input and the output left to names: unstated


@pytest.mark.parametrize("text, want", [
    ("First convolutional layer: 24 filters of size 3x3, ReLU. Second convolutional layer: 48 filters of "
     "size 3x3. Max pooling 2x2. Fully connected layer with 64 neurons.",
     "# layers Conv 3x3, 24 > ReLU > Conv 3x3, 48 > MaxPool 2x2 > Dense 64"),
    ("conv1: 3x3, 12 filters\npool1: 2x2 max\nconv2: 3x3, 24 filters\nfc1: 200\nfc2: 5",
     "# layers Conv 3x3, 12 > MaxPool 2x2 > Conv 3x3, 24 > Dense 200 > Dense 5"),
    ("We apply eight 7x7 convolution filters, then 3x3 average pooling, then twelve 3x3 filters.",
     "# layers Conv 7x7, 8 > AvgPool 3x3 > Conv 3x3, 12"),
    ("conv(5x5, 20) -> maxpool(3x3) -> conv(5x5, 40) -> fc(100)",
     "# layers Conv 5x5, 20 > MaxPool 3x3 > Conv 5x5, 40 > Dense 100"),
    ("A Conv2D layer with 40 filters and kernel_size=(5, 5), then pooling with pool size (3, 3) and a dense layer.",
     "# layers Conv 5x5, 40 > MaxPool 3x3 > Dense"),
    ("| Layer | Type | Filters | Kernel |\n|---|---|---|---|\n| 1 | Conv | 20 | 5x5 |\n| 2 | MaxPool | - | 3x3 |\n"
     "| 3 | Dense | 70 | - |", "# layers Conv 5x5, 20 > MaxPool 3x3 > Dense 70"),
])
def test_cnn_phrasings(text: str, want: str) -> None:
    assert line(text) == want


def test_a_sentence_run_into_a_tables_first_line_is_no_cell() -> None:
    text = ("This small network was built for a tabular task with several inputs.| Layer | Neurons |\n|---|---|\n"
            "| Input | 9 |\n| Hidden 1 | 30 |\n| Hidden 2 | 12 |\n| Output | 2 |")
    assert line(text) == "# layers 9-30-12-2"


def test_tflearn_layers_and_one_of_n_classes() -> None:
    code = ("net = tflearn.input_data(shape=[None, 12])\nnet = tflearn.fully_connected(net, 40)\n"
            "net = tflearn.fully_connected(net, 3, activation='softmax')")
    assert line(code) == "# layers 12-40-3"
    cnn = ("net = input_data(shape=[None, 32, 32, 3])\nnet = conv_2d(net, 16, 5, activation='relu')\n"
           "net = max_pool_2d(net, 3)\nnet = fully_connected(net, 4, activation='softmax')")
    assert line(cnn) == "# layers Input 32x32x3 > Conv 5x5, 16 > MaxPool 3x3 > Dense 4"
    assert line("An MLP reads 64 pixel values, uses hidden layers of 100 and 50 units, and predicts one of "
                "7 classes.") == "# layers 64-100-50-7"


def test_a_chain_on_a_line_of_its_own_and_in_out_pairs_only_after_a_conv() -> None:
    text = ("Example: 5 → 7 → 3 net:\n  Layer 1 (5→7): 5×7 + 7 = 42 params\n  Layer 2 (7→3): 7×3 + 3 = 24 params")
    assert line(text) == "# layers 5-7-3"  # "(5→7)" after "Layer 1" is no conv's channels


def test_a_net_constructor_called_with_its_sizes() -> None:
    assert line("const net = Architect.perceptron(5, 8, 3);\nnet.activate([1, 0, 0, 1, 1]);") == "# layers 5-8-3"


def test_blocks_defined_by_name_then_chained_by_name() -> None:
    text = ("Convolutions\n- ConvA1: 10 filters, 3x3 size, stride 1.\n- ConvA2: 20 filters, 3x3 size.\nPooling\n"
            "- P1: 3x3 pooling with stride 3.\nDense layers\n- FC1: 50 neurons, tanh.\n- FC2: 4 neurons, softmax.\n"
            "Overall: [Input] -> [ConvA1] -> [P1] -> [ConvA2] -> [FC1] -> [FC2]")
    assert line(text) == "# layers Input > Conv 3x3, 10 > MaxPool 3x3 > Conv 3x3, 20 > Dense 50 > Dense 4"


def test_filters_at_kernel_notation() -> None:
    assert line("Input (32x32x3) → Conv 16@5x5 → MaxPool 2x2 → Conv 3x3@24 → Dense 8") == \
        "# layers Input 32x32x3 > Conv 5x5, 16 > MaxPool 2x2 > Conv 3x3, 24 > Dense 8"


def test_a_two_or_three_layer_net_with_only_its_ends_gets_one_open_hidden_layer() -> None:
    assert line("A two-layer network should map 7 inputs to 3 outputs.") == "# layers 7-3-3"
    assert line("a net with 7 inputs and 3 outputs") == "# layers 7-3"  # no layer count: nothing added


def test_names_with_a_leading_zero_are_no_sizes() -> None:
    text = ("There are 3 input units (i1, i2, i3) and 5 hidden units. The output layer has 2 units (o1, o2). "
            "Compute the output(01, 02) values.")
    assert line(text) == "# layers 3-5-2"


def test_a_comment_states_the_sizes_code_leaves_to_names() -> None:
    code = ("net = torch.nn.Sequential()\n# MLP with layers [64] -> [40] -> [20] -> [3]\n"
            "net.add_module('a', torch.nn.Linear(D, 40))\nnet.add_module('b', torch.nn.Linear(40, 20))\n"
            "net.add_module('c', torch.nn.Linear(20, K))")
    assert line(code) == "# layers 64-40-20-3"


def test_layers_keyed_by_their_type() -> None:
    config = ("export default [\n  { conv2d: { inputShape: [16, 16, 1], kernelSize: 3, filters: 6 } },\n"
              "  { averagePooling2d: { poolSize: [2, 2] } },\n  { flatten: {} },\n  { dense: { units: 4 } },\n]")
    assert line(config) == "# layers Input 16x16x1 > Conv 3x3, 6 > AvgPool 2x2 > Flatten > Dense 4"


@pytest.mark.parametrize("text, want", [
    ("fit <- nnet(y ~ a + b + c, data = d, size = 6, decay = 0.01)", "# layers 3-6-1"),
    ("m <- mlp(inputs, targets, size = c(9, 4), maxit = 50)", "# layers 3-9-4-3"),
    ("net = buildNetwork(6, 4, 2, bias=True)", "# layers 6-4-2"),
    ("struct fann *ann = fann_create_standard(n_layers, 5, 7, 2);", "# layers 5-7-2"),
    ("net.addLayer(new BasicLayer(null, true, 5));\nnet.addLayer(new BasicLayer(new ActivationTANH(), true, 8));\n"
     "net.addLayer(new BasicLayer(new ActivationTANH(), false, 2));", "# layers 5-8-2"),
    ("let net = Sequential::new()\n    .add(Dense::new(30, 12))\n    .add(Dense::new(12, 2));", "# layers 30-12-2"),
    ("est = tf.estimator.DNNClassifier(feature_columns=cols, hidden_units=[24, 12], n_classes=5)", "# layers 3-24-12-5"),
])
def test_more_dense_code_dialects(text: str, want: str) -> None:
    assert line(text) == want


@pytest.mark.parametrize("text, want", [
    ("self.c = nn.Conv2D(1, 10, 5)\nself.p = nn.MaxPool2D(2)\nself.f = nn.Linear(250, 3)",  # Paddle 2
     "# layers Conv 5x5, 10 > MaxPool 2x2 > Dense 3"),
    ("net.add(nn.Conv2D(channels=12, kernel_size=3), nn.MaxPool2D(pool_size=2), nn.Dense(40))",  # Gluon
     "# layers Conv 3x3, 12 > MaxPool 2x2 > Dense 40"),
    ("import paddle.fluid as fluid\nc = Conv2D(num_channels=3, num_filters=8, filter_size=3)\n"
     "p = Pool2D(pool_size=2, pool_type='avg')\nf = Linear(200, 6)", "# layers Conv 3x3, 8 > AvgPool 2x2 > Dense 6"),
])
def test_conv2d_argument_orders(text: str, want: str) -> None:
    assert line(text) == want


def test_n_by_n_kernels_and_counted_convolutions() -> None:
    assert line("a convolutional layer with 3-by-3 kernels, then a two-by-two max pool, then a dense layer") == \
        "# layers Conv 3x3 > MaxPool 2x2 > Dense"
    assert line("- The first layer is made of eight 3x3 convolutions, emitting maps of 30x30.\n"
                "- The second layer is an average pooling of 2x2, emitting maps of 15x15.") == \
        "# layers Conv 3x3, 8 > AvgPool 2x2"


@pytest.mark.parametrize("text, want", [
    ("My net has an input layer of size 50, two hidden layers of size 20 and an output of size 4.", "# layers 50-20-20-4"),
    ("The network is 300 x 40 x 6.", "# layers 300-40-6"),
    ("A network with one hidden layer containing 9 neurons; the inputs are the 5 features and the output is one "
     "of two classes.", "# layers 5-9-2"),
    ("Topology: 3 input nodes, 7 nodes in hidden layer 1, 5 nodes in hidden layer 2, 2 output nodes", "# layers 3-7-5-2"),
    ("We used an MLP with 2 hidden layers (40 and 10 neurons respectively).", "# layers 3-40-10-3"),
    ("Input: 16*16=256 pixels; Hidden: 30 units; Output: 4 units", "# layers 256-30-4"),
    ("We trained an ANN with architecture 9-18-18-2.", "# layers 9-18-18-2"),
    ("Hidden layer sizes: 32, 16. Number of inputs: 6. Number of outputs: 1.", "# layers 6-32-16-1"),
])
def test_more_dense_phrasings(text: str, want: str) -> None:
    assert line(text) == want


@pytest.mark.parametrize("text, want", [
    ("The first Conv2D layer has 12 filters of size 5x5. Then we flatten and add a Dense layer with 50 units and an "
     "output layer with 3 units.", "# layers Conv 5x5, 12 > Flatten > Dense 50 > Output 3"),
    ("Net: Conv(12, 5x5) - ReLU - MaxPool(3x3) - Conv(24, 5x5) - FC(40)",
     "# layers Conv 5x5, 12 > ReLU > MaxPool 3x3 > Conv 5x5, 24 > Dense 40"),
    ("layers:\n  - type: conv2d\n    filters: 10\n    kernel_size: 5\n  - type: maxpool\n  - type: dense\n    units: 3",
     "# layers Conv 5x5, 10 > MaxPool > Dense 3"),
    ("It has 2 convolutional layers with 8 and 16 filters (kernel size 5) each followed by max pooling, then a dense "
     "layer of 30 units.", "# layers Conv 5x5, 8 > MaxPool > Conv 5x5, 16 > MaxPool > Dense 30"),
    ("conv2d(in=3, out=10, k=5) → maxpool(2) → conv2d(in=10, out=20, k=5) → linear(20*4*4, 2)",
     "# layers Conv 5x5, 10 > MaxPool > Conv 5x5, 20 > Dense 2"),
    ("Then come two 3x3 convolutions with 48 filters and a 2x2 max pooling.",
     "# layers Conv 3x3, 48 > Conv 3x3, 48 > MaxPool 2x2"),
])
def test_cnn_separators_fields_and_counts(text: str, want: str) -> None:
    assert line(text) == want


def test_code_flattened_onto_one_line_after_a_comment() -> None:
    text = ("# A model with 3 layers model = keras.Sequential( [ layers.Dense(6, activation='relu'), "
            "layers.Dense(4), layers.Dense(2), ] ) # a test input x = tf.ones((1, 5)) y = model(x)")
    assert line(text) == "# layers 5-6-4-2"


def test_hyperparameters_numbered_by_layer() -> None:
    text = ("# first conv\nfilter_size1 = 3   # 3 x 3 pixels\nnum_filters1 = 8\n# second conv\nfilter_size2 = 3\n"
            "num_filters2 = 24\n# dense\nfc_size = 64")
    assert line(text) == "# layers Conv 3x3, 8 > Conv 3x3, 24 > Dense 64"
