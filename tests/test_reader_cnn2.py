"""CNNs and dense nets told in prose the reader once missed (issue 21, release 4): made-up inputs."""
from diagram.reader import read_request


def _line(text: str) -> str | None:
    plan = read_request(text)
    return plan.line() if plan is not None else None


def test_plus_joins_a_pooling_to_its_convolution():
    text = ("Our small VGG-like net:\n1. Convolution using 16 filters\n2. Convolution using 16 filters + Max pooling\n"
            "3. Convolution using 32 filters + Max pooling\n4. Fully connected with 100 nodes\n5. Output layer with 5 nodes")
    assert _line(text) == "# layers Conv, 16 > Conv, 16 > MaxPool > Conv, 32 > MaxPool > Dense 100 > Output 5"


def test_n_conv_blocks_repeat_conv_through_pooling():
    text = "The classifier is made of 3 convolutional blocks with 5x5 filters, ReLU activations, max pooling, and a dense layer."
    assert _line(text) == "# layers Conv 5x5 > ReLU > MaxPool > Conv 5x5 > ReLU > MaxPool > Conv 5x5 > ReLU > MaxPool > Dense"


def test_blocks_heading_with_listed_contents():
    text = ("Model layout:\n- Rescaling layer\n- Two convolutional blocks each with:\n- Conv2D layer with 16 filters of size 5x5\n"
            "- MaxPooling2D layer\n- Flatten layer\n- Dense layer with 64 units")
    assert _line(text) == "# layers Conv 5x5, 16 > MaxPool > Conv 5x5, 16 > MaxPool > Flatten > Dense 64"


def test_spanish_layers_with_pooling_each():
    text = "## Red\nLa red tiene:\n- 3 capas convolucionales con ReLU + AvgPooling\n- Capa fully connected con 20 neuronas"
    assert _line(text) == "# layers Conv > AvgPool > Conv > AvgPool > Conv > AvgPool > Dense 20"


def test_worked_out_sizes_and_parameter_counts_are_no_blocks():
    text = ("We compute the shapes step by step:\nConvolution Layer 1:\n- Input Size: 64x64x1\n- Kernel Size (F): 5x5\n"
            "- Number of Kernels (K): 8\n- Stride (S): 1\nOutput Size = ((Input Size - Kernel Size) / Stride) + 1 = 60\n"
            "- Output Size: 60x60x8\nNumber of parameters = (5 * 5 * 1 + 1) * 8 = 208\nPooling Layer 1:\n"
            "- Input Size: 60x60x8\n- Pool Size: 3x3\nParameter Calculation: Pooling layers have no parameters.\n"
            "Flatten Layer:\n- Output Size: 800")
    assert _line(text) == "# layers Conv 5x5, 8 > MaxPool 3x3 > Flatten"


def test_chinese_role_words():
    text = "我们的多层感知器:\n输入层:64个输入神经元\n隐藏层:共有32个隐藏神经元\n输出层:3个输出神经元"
    assert _line(text) == "# layers 64-32-3"


def test_count_of_hidden_layers_with_neurons_in_each_and_a_regression_output():
    text = ("Imagine a network with 3 hidden layers and 6 neurons in each hidden layer. There are 4 features (input nodes) "
            "and the task is a regression problem. How many weights are there?")
    assert _line(text) == "# layers 4-6-6-6-1"


def test_keras_model_told_in_words_by_input_and_output_shapes():
    text = ("We stack three dense layers.\n- Layer 1: Input Layer (Dense Layer) - input shape of (None, 6), output shape of (None, 12)\n"
            "- Layer 2: Hidden Layer (Dense Layer) - output shape of (None, 5)\n- Layer 3: Output Layer (Dense Layer) - output shape of (None, 3)")
    assert _line(text) == "# layers 6-12-5-3"


def test_keras_model_told_in_words_by_dense_units():
    text = ("First we create a sequential model, then we add a dense layer of sixteen neurons giving the input shape of four, "
            "and at the end we add one more dense layer with three neurons.")
    assert _line(text) == "# layers 4-16-3"


def test_one_long_sentence_per_layer_with_lost_x_and_same_parameters():
    text = ("Exercise 2. The network consists of- the first layer is a 2D convolution layer of 12 filters of the size 5 5 with "
            "stride 1 and tanh activation.- The first layer is followed by a 3 3 max pooling layer.- The max pooling layer is "
            "followed by another convolutional layer with the same parameters as the first.- The second convolutional layer "
            "is followed by another max pooling layer of the same parameters.- The pooling output is flattened and followed by "
            "a dense layer of four neurons.Compute the output size of each layer.")
    assert _line(text) == "# layers Conv 5x5, 12 > MaxPool 3x3 > Conv 5x5, 12 > MaxPool 3x3 > Flatten > Dense 4"


def test_image_passed_through_layers_told_in_sentences():
    text = ("A small (32x32x3) image is passed through a convolution layer with 8 filters, each of size (5 5 3). The stride "
            "is 1. Then, max pooling is applied with hyperparameters: 2 2 , stride 2, therefore the pooling layer produces "
            "8 volumes. Then the volumes from the pooling layer are flattened to make a vector as the input to a classifier.")
    assert _line(text) == "# layers Input 32x32x3 > Conv 5x5, 8 > MaxPool 2x2 > Flatten"


def test_sizes_told_with_their_bias_unit():
    text = ("Our network: the input layer has 65 columns (one per feature, plus the bias). The hidden layer has 33 columns "
            "including the bias, and the output layer has 4 columns, one per class.")
    assert _line(text) == "# layers 64-32-4"


def test_layers_told_one_sentence_each_with_filters_and_units_in_clauses():
    text = ("Layer A1 is a convolutional layer: 4 filters, stride 1. Layer B2 pools that down with a small window. "
            "Layer A3 applies 12 new filters across the 4 channels. Layer B4 pools again. Layer A5 is fully connected, "
            "taking the values down to 50 units, with many parameters. Layer A6 is another fully connected layer, "
            "50 down to 20 units.")
    assert _line(text) == "# layers Conv, 4 > MaxPool > Conv, 12 > MaxPool > Dense 50 > Dense 20"


def test_flatten_then_into_the_dense_layers_in_one_clause():
    text = ("We add a convolutional layer with 8 filters, then a max-pooling layer. By the time the image reaches the "
            "flatten on its way into the dense layers, it is small.")
    assert _line(text) == "# layers Conv, 8 > MaxPool > Flatten > Dense"


def test_list_items_each_starting_with_a_layer_name_cs231n_style():
    text = ("A toy ConvNet for 64x64 photos has these layers:\n"
            "• INPUT [64x64x3] holds the raw pixels, with three colour channels.\n"
            "• CONV layer computes dot products between its weights and small regions of the input, giving a volume such "
            "as [64x64x20] when we use 20 filters.\n"
            "• RELU layer applies an elementwise activation, leaving the size unchanged.\n"
            "• POOL layer downsamples along width and height, resulting in [32x32x20].\n"
            "• FC layer computes the scores of the classes, resulting in a volume of [1x1x7], one per class.")
    assert _line(text) == "# layers Input 64x64x3 > Conv, 20 > MaxPool > Dense 7"
