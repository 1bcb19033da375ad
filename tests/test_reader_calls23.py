"""Networks written as layer-constructor calls in other languages and libraries (issue 21, release 4):
`diagram.reader_calls` and its hook in `diagram.reader.read_request`. Every snippet here is made up
for the test (none is a corpus row); each asserts the plan line the person would be shown."""

from __future__ import annotations

import time

import pytest

from diagram.reader import read_request
from diagram.reader_calls import read_calls, with_calls
from diagram.plan import Plan

SNIPPETS = {
    "lua torch cnn": ("""require 'nn'
local net = nn.Sequential()
net:add(nn.SpatialConvolution(1, 8, 3, 3))  -- 8 maps
net:add(nn.ReLU())
net:add(nn.SpatialMaxPooling(2, 2, 2, 2))
net:add(nn.View(8 * 13 * 13))
net:add(nn.Linear(8 * 13 * 13, 50))
net:add(nn.Linear(50, 4))""", "# layers Conv 3x3, 8 > MaxPool 2x2 > Flatten > Dense 50 > Dense 4"),
    "swift generic with a typed binding": ("""let width: Int = 24
struct Classifier: Layer {
    var a = Dense<Float>(inputSize: 6, outputSize: width, activation: relu)
    var b = Dense<Float>(inputSize: width, outputSize: 5, activation: softmax)
}""", "# layers 6-24-5"),
    "synaptic layers of nodes, an expression of a binding": ("""var n = 12;
var a = new Layer(n);
var b = new Layer(parseInt(n / 3));
var c = new Layer(2);""", "# layers 12-4-2"),
    "brain.js hidden sizes, input and output from the training data": (
        """const net = new brain.NeuralNetwork({ hiddenLayers: [6, 4] });
net.train([{ input: [1, 0, 1], output: [1, 0] }]);""", "# layers 3-6-4-2"),
    "c# builder chain": ("""var net = new NetworkBuilder()
    .WithInput(12)
    .WithLayer(9, Activation.Relu)
    .WithLayer(3, Activation.Softmax)
    .Build();""", "# layers 12-9-3"),
    "clojure mxnet maps": ("""(def net (as-> (sym/variable "data") data
  (sym/fully-connected "h1" {:data data :num-hidden 40})
  (sym/fully-connected "h2" {:data data :num-hidden 7})))""", "# layers 3-40-7"),
    "c++ dlib nested templates, input innermost": (
        "using net_type = loss_multiclass_log<fc<6, relu<fc<30, input<matrix<float>>>>>>;", "# layers 3-30-6"),
    "r neuralnet formula": ("fit <- neuralnet(price ~ rooms + area + age, data = homes, hidden = c(7, 4))",
                            "# layers 3-7-4-1"),
    "python mxnet symbols": ("""net = mx.sym.Variable('data')
net = mx.sym.Convolution(data=net, kernel=(3, 3), num_filter=12)
net = mx.sym.Activation(data=net, act_type='relu')
net = mx.sym.Pooling(data=net, pool_type='avg', kernel=(2, 2), stride=(2, 2))
net = mx.sym.Flatten(data=net)
net = mx.sym.FullyConnected(data=net, num_hidden=5)""", "# layers Conv 3x3, 12 > AvgPool 2x2 > Flatten > Dense 5"),
    "chainer None input": ("""class Net(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, 70)
            self.l2 = L.Linear(70, 30)
            self.l3 = L.Linear(30, 2)""", "# layers 3-70-30-2"),
    "gluon in_units": ("""net = nn.Sequential()
net.add(nn.Dense(48, in_units=12, activation='relu'))
net.add(nn.Dense(6))""", "# layers 12-48-6"),
    "tflearn incoming tensor first": ("""net = tflearn.input_data(shape=[None, 20])
net = tflearn.fully_connected(net, 16, activation='tanh')
net = tflearn.fully_connected(net, 3, activation='softmax')""", "# layers 20-16-3"),
    "js perceptron constructor": ("var p = new Architect.Perceptron(3, 9, 9, 2);", "# layers 3-9-9-2"),
    "pybrain sizes": ("n = buildNetwork(6, 11, 1, bias=True)", "# layers 6-11-1"),
    "neurolab one range per input": ("net = nl.net.newff([[0, 1], [0, 1], [0, 1]], [4, 2])", "# layers 3-4-2"),
    "java layers with a final int": ("""final int hidden = 13;
Layer input = new InputLayer(4);
Layer h = new DenseLayer(hidden);
Layer out = new DenseLayer(2);""", "# layers 4-13-2"),
    "php rubix dense list (input unstated)": ("""$layers = [
    new Dense(40),
    new Activation(new ReLU()),
    new Dense(15),
];""", "# layers 3-40-15"),
    "libtorch options inside the layer": ("""auto c1 = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 16, 5));
auto p1 = torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2));
auto f1 = torch::nn::Linear(400, 9);""", "# layers Conv 5x5, 16 > MaxPool 2x2 > Dense 9"),
    "matlab hidden-only constructor (input and output unstated)": ("h = 9;\nnet = patternnet(h, 'trainscg');",
                                                                    "# layers 3-9-3"),
    "lisp-looking argument in plain code is no lisp form": ("""var a = new Layer(6);
var b = new Layer(3);
a.project(b);
var net = new Network({ input: a, output: b });""", "# layers 6-3"),
    "any call stating its hidden sizes, with an R formula": (
        "sizes <- c(12, 6)\nfit <- elm_train(target ~ a + b + c + d, data = df, hidden = sizes)", "# layers 4-12-6-1"),
    "names that say each layer's role": ("n_inputs = 7\nn_hidden_1 = 11\nn_hidden_2 = 5\nn_outputs = 2\n",
                                         "# layers 7-11-5-2"),
    "pytorch layers in an attribute Sequential, run in forward": ("""class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Linear(4 * 13 * 13, 7))

    def forward(self, x):
        x = self.body(x)
        x = torch.flatten(x, 1)
        return self.head(x)""", "# layers Conv 3x3, 4 > MaxPool 2x2 > Flatten > Dense 7"),
    "a keras block function expanded where it is called": ("""def block(x, filters, k=3):
    x = Conv2D(filters, (k, k), activation="relu")(x)
    x = MaxPooling2D((2, 2))(x)
    return x

inputs = Input(shape=(32, 32, 3))
x = block(inputs, 16)
x = block(x, 24, k=5)
x = Flatten()(x)
outputs = Dense(7)(x)""", "# layers Input 32x32x3 > Conv 3x3, 16 > MaxPool 2x2 > Conv 5x5, 24 > MaxPool 2x2 > Flatten > Dense 7"),
    "caffe prototxt blocks declared by type": ("""layer {
  name: "c1"
  type: "Convolution"
  convolution_param { num_output: 12 kernel_size: 3 }
}
layer {
  name: "p1"
  type: "Pooling"
  pooling_param { pool: AVE kernel_size: 2 stride: 2 }
}
layer {
  name: "f1"
  type: "InnerProduct"
  inner_product_param { num_output: 9 }
}""", "# layers Conv 3x3, 12 > AvgPool 2x2 > Dense 9"),
    "haskell grenade type-level layers": (
        "type Net = Network '[ FullyConnected 5 14, Tanh, FullyConnected 14 2, Logit ] '[ 'D1 5, 'D1 14, 'D1 2 ]",
        "# layers 5-14-2"),
    "c# accord network: inputs then layer sizes": (
        "var network = new ActivationNetwork(new SigmoidFunction(2), 5, 8, 2);", "# layers 5-8-2"),
    "php-ml: inputs, hidden list, class labels": ("$mlp = new MLPClassifier(6, [9, 4], ['x', 'y']);",
                                                  "# layers 6-9-4-2"),
    "java encog basic layers": ("""network.addLayer(new BasicLayer(null, true, 5));
network.addLayer(new BasicLayer(new ActivationSigmoid(), true, 7));
network.addLayer(new BasicLayer(new ActivationSigmoid(), false, 2));""", "# layers 5-7-2"),
    "c fann: the number of layers first": ("struct fann *ann = fann_create_standard(4, 6, 9, 5, 2);",
                                           "# layers 6-9-5-2"),
    "r nnet formula and size": ("fit <- nnet(kind ~ a + b + c + d + e, data = df, size = 6)", "# layers 5-6-1"),
    "haskell record of role-named sizes": (
        "model <- sample $ MLPSpec { inputFeatures = 5, hiddenFeatures0 = 13, outputFeatures = 2 }", "# layers 5-13-2"),
    "libtorch: built by name, run in forward() with functional pools": ("""struct Net : torch::nn::Module {
    Net() {
        c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 12, 5)));
        c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(12, 24, 3)));
        f1 = register_module("f1", torch::nn::Linear(600, 7));
    }
    torch::Tensor forward(torch::Tensor x) {
        x = torch::relu(torch::max_pool2d(c1->forward(x), 2));
        x = torch::relu(torch::max_pool2d(c2->forward(x), 2));
        return f1->forward(x.view({-1, 600}));
    }
    torch::nn::Conv2d c1{nullptr}, c2{nullptr};
    torch::nn::Linear f1{nullptr};
};""", "# layers Conv 5x5, 12 > MaxPool 2x2 > Conv 3x3, 24 > MaxPool 2x2 > Dense 7"),
    "sizes named by constants, an activation last": ("""OBS = 6
model = Chain(Dense(OBS, 32, relu),
              Dense(32, 16, relu),
              Dense(16, ACTIONS))""", "# layers 6-32-16-3"),
    "arguments whose comments name their roles": ("""net = mylib.Spec(
    7,                            # input layer
    [[12, act.relu], [4, act.relu]],  # hidden layers
    [3, act.softmax],             # output layer
    0.05)""", "# layers 7-12-4-3"),
    "a cnn told by its hyperparameter names": ("""kernel_size1 = 3
num_filters1 = 8
kernel_size2 = 5
num_filters2 = 24
fc_size = 64""", "# layers Conv 3x3, 8 > Conv 5x5, 24 > Dense 64"),
    "c++ dlib cnn: con/max_pool templates, input innermost": (
        "using net = loss_multiclass_log<fc<7, relu<fc<40, max_pool<2,2,2,2,relu<con<12,3,3,1,1, "
        "input<matrix<unsigned char>>>>>>>>>;", "# layers Conv 3x3, 12 > MaxPool 2x2 > Dense 40 > Dense 7"),
    "swift cnn with filterShape": ("""var c = Conv2D<Float>(filterShape: (3, 3, 1, 10), activation: relu)
var p = MaxPool2D<Float>(poolSize: (2, 2), strides: (2, 2))
var f = Flatten<Float>()
var d = Dense<Float>(inputSize: 13 * 13 * 10, outputSize: 4)""", "# layers Conv 3x3, 10 > MaxPool 2x2 > Flatten > Dense 4"),
    "c# keras.net with a Shape": ("""var model = new Sequential();
model.Add(new Dense(20, activation: "relu", input_shape: new Shape(11)));
model.Add(new Dense(2, activation: "softmax"));""", "# layers 11-20-2"),
    "haskell hasktorch specs": ("init :: IO MLP\ninit = MLP <$> sample (LinearSpec 30 9) <*> sample (LinearSpec 9 4)",
                                "# layers 30-9-4"),
}


def test_a_flax_block_class_is_expanded_with_its_fields_bound_by_the_call():
    text = """class Stage(nn.Module):
    width: int = 8

    @nn.compact
    def __call__(self, x):
        x = nn.Conv(features=self.width, kernel_size=(3, 3))(x)
        x = nn.relu(x)
        x = nn.Conv(features=self.width, kernel_size=(3, 3))(x)
        return nn.max_pool(x, window_shape=(2, 2), strides=(2, 2))


class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = Stage(width=12)(x)
        x = Stage(width=20)(x)
        x = x.reshape((x.shape[0], -1))
        return nn.Dense(features=6)(x)
"""
    line = ("# layers Conv 3x3, 12 > Conv 3x3, 12 > MaxPool 2x2 > Conv 3x3, 20 > Conv 3x3, 20 > MaxPool 2x2 > "
            "Dense 6")
    assert read_calls(text).line() == line
    assert read_request(text).line() == line  # the code reader reads the block once, without its widths


@pytest.mark.parametrize("text", [
    "Dense(" + " " * 30000 + ")", "nn.Linear(4, 8)\n" + " " * 7000 + ".nOut(3)", "\t" * 9000 + "Dense(3)",
    "Layer(2)\n" + "    " * 1500 + "Layer(3)", "type: conv\n" * 800, "{ type: 'conv' " * 600,
    ("x" * 199 + " # input\n") * 38, "1 # hidden\n" * 700, "num_filters1 = 1\n" * 500,
])
def test_raw_text_with_long_blank_runs_reads_in_bounded_time(text):
    started = time.process_time()
    read_request(text)
    assert time.process_time() - started < 0.5


def test_a_role_named_in_prose_is_no_binding():
    assert read_calls("Inputs = 2 (x, y). Hidden = 1 layer, 9 units. Output = 3 classes (softmax).") is None


def test_example_data_fills_the_sizes_a_classifier_leaves_out():
    text = ("inputs = [[0.1, 0.2, 0.3, 0.4, 0.5], [0.4, 0.5, 0.6, 0.7, 0.8]]\nlabels = [1, 0]\n"
            "model = MLPRegressor(hidden_layer_sizes=(8, 4))")
    assert read_calls(text).line() == "# layers 5-8-4-1"
    assert read_request(text).line() == "# layers 5-8-4-1"


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_calls_in_other_languages_read_as_their_plan(name):
    text, line = SNIPPETS[name]
    plan = read_calls(text)
    assert plan is not None and plan.line() == line
    request = read_request(text)  # the hook: what the person is shown
    assert request is not None and request.line() == line


def test_sizes_that_do_not_link_are_not_a_chain():
    assert read_calls("nn.Linear(10, 20)\nnn.Linear(30, 5)") is None


@pytest.mark.parametrize("text", [
    "input 32x32 -> conv(8) -> relu -> pool -> conv(16) -> pool -> fc -> output",
    "two conv layers, a max pool, then dense(20) and dense(3)",
])
def test_a_chain_told_in_words_with_a_few_calls_is_left_to_the_word_readers(text):
    assert read_calls(text) is None
    assert read_request(text).kind == "chain"


@pytest.mark.parametrize("text", [
    "Send the invoice (PDF) to accounting, then archive it.",
    "The pool (2x2) of workers feeds the queue.",
    "Dense(10)",
    "model.add(Dense(64))",
])
def test_one_layer_or_no_layer_call_reads_nothing(text):
    assert read_calls(text) is None


def test_sizes_left_out_by_the_code_reader_are_filled_from_the_calls():
    read = Plan.chain(["Conv 3x3, 32", "MaxPool 2x2", "Dense"])
    text = ("num_classes: int = 10\nx = nn.Conv(features=32, kernel_size=(3, 3))(x)\n"
            "x = nn.max_pool(x, window_shape=(2, 2))\nx = nn.Dense(features=self.num_classes)(x)")
    assert with_calls(read, text).line() == "# layers Conv 3x3, 32 > MaxPool 2x2 > Dense 10"
    other = Plan.chain(["Conv 5x5, 6", "MaxPool 2x2", "Dense 7"])  # a different reading stays
    assert with_calls(other, text) is other


@pytest.mark.parametrize("text", [
    "Dense(" * 1300, "fc<" * 2600, "Linear(" + "(" * 7000, "(dense " * 1100, "nn.Linear(1, 2), " * 450,
    "Dense(" + "units=" * 1300, "Dense(" + "1*" * 3000 + "1)", "a." * 3999, "conv2d: {" * 800,
    "Layer(1)" + ".nOut(1)" * 900, "Dense('" * 1300, "neuralnet(" + "a+" * 3900 + "a~b)",
    "x = [1, 2, 3]\n" * 550, "Conv2D(32, (3, 3)) pool " * 330,
])
def test_hostile_code_reads_in_bounded_time(text):
    started = time.process_time()
    read_calls(text[:8000])
    assert time.process_time() - started < 0.5


def test_nested_blocks_expanded_many_times_read_in_bounded_time():
    body = "    def blk(x):\n" + "        y = 1\n" * 400 + "        x = Dense(4)(x)\n" + "    blk(x)\n" * 12
    text = ("class A(nn.Module):\n" + body + "A()\n" * 12)[:8000]
    started = time.process_time()
    read_request(text)
    assert time.process_time() - started < 0.5


def test_text_over_the_code_limit_reads_nothing():
    assert read_calls("nn.Linear(4, 8)\nnn.Linear(8, 2)\n" + "x = 1\n" * 1400) is None  # 8,400 characters
    assert read_calls("nn.Linear(4, 8)\nnn.Linear(8, 2)\n" + " " * 8000).line() == "# layers 4-8-2"  # blanks tidied


def test_a_forward_with_no_layer_built_by_name_reads_without_an_error():
    """Two fuzz inputs (bench_reliability) raised KeyError('') here: no named layer, an empty alternation."""
    for text in ("\n then=&input ( def forward( each> [ network self.\\ # pool   ",
                 "Conv2D(32) then def forward(self, x): return x"):
        read_request(text)  # no exception; whatever it reads
    assert read_request("def forward( [ network self. # pool") is None
