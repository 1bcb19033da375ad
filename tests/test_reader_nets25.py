"""Issue 21, nets round of 2026-12-08: mechanisms that read how sizes chain (made-up inputs, not corpus rows)."""
from __future__ import annotations

from diagram.reader import read_request
from diagram.reader_code import read_cnn_words
from diagram.reader_dense import _io_chain, normalise, read_dense


def _line(text: str) -> str:
    plan = read_request(text)
    return plan.line() if plan is not None else ""


# ---- a CNN walked through in prose: volumes, strides, f=/k= fields, one layer in a long sentence ---------------

def test_a_volume_after_a_filter_gives_the_conv_its_channels_and_is_no_kernel():
    text = ("A small net for 64x64x3 photos:\n"
            "- 3x3 filter with a stride of 1 resulting in a vol of 62x62x12 outputs.\n"
            "- Pooling layer with stride of 2 and 31x31x12 outputs.\n"
            "assume a kernel of 2x2 (K=2).\n"
            "- 3x3 filter with a stride of 1 resulting in a vol of 29x29x24 outputs.\n"
            "...then into the fully connected layers")
    line = _line(text)
    assert "Conv 3x3, 12 > MaxPool 2x2 > Conv 3x3, 24" in line
    assert "MaxPool 31x31" not in line and "Output 1" not in line  # a volume is no kernel, a stride no size


def test_a_stride_is_no_size_of_a_dense_layer():
    plan = read_cnn_words("conv 3x3, 8 filters -> max pool 2x2 -> fully connected layer with a stride of 2, 40 units")
    assert plan is not None and plan.line().endswith("Dense 40")


def test_f_equals_gives_a_pool_its_kernel():
    plan = read_cnn_words("We use 10 3x3 filters with a stride s=1. Next comes an average pool with filter f=3 and stride s=3. "
                          "Then we use 20 filters of dimension 3x3.")
    assert plan is not None
    assert plan.line() == "# layers Conv 3x3, 10 > AvgPool 3x3 > Conv 3x3, 20"


def test_a_long_sentence_that_names_one_layer_reads_from_that_layers_article():
    text = ("In the first step we use 12 7x7 filters with a stride of 1. Then a 2x2 max pooling halves the maps. "
            "Since the maps are now small enough for the classifier we can finally apply a fully connected layer with 33 nodes. "
            "Then we apply another fully connected layer with 7 nodes.")
    line = _line(text)
    assert line.endswith("Dense 33 > Dense 7"), line
    assert line.startswith("# layers Conv 7x7, 12 > MaxPool 2x2")


def test_a_long_sentence_without_the_word_layer_is_still_no_block():
    # "pool" in a long sentence of a procedure (no "layer"): no pooling block is made of it
    text = ("Check the water first. If the level in the pool is too low after the storm we refill it with the hose "
            "until the skimmer is covered. Then test the water again.")
    plan = read_request(text)
    assert plan is None or "Pool" not in plan.line()


# ---- sizes chained from what each layer takes in and puts out ------------------------------------------------

def test_sizes_chain_from_in_and_out_statements():
    text = ("The first layer reads the sensor vector and sends 40 output signals to the second layer. "
            "The second layer has input dimension of 40 and sends 12 output signals to the last layer. "
            "The last layer has input dimensions of 12 and normalizes all the 5 outputs.")
    assert read_dense(text) == (3, 40, 12, 5)  # the first input is not told as a number: unstated (3 nodes)


def test_in_out_statements_that_never_link_are_not_read_as_a_chain():
    # no stated input equals the output before it: no chain is made up of the numbers
    assert _io_chain(normalise("The encoder has an output size of 40. The decoder has an input size of 7 and 9 outputs.")) is None
    assert _io_chain(normalise("The first layer puts out 40 output values; the second one gets an input size of 40 "
                               "and puts out 9 output values.")) == (3, 40, 9)


def test_words_that_go_on_past_a_linear_call_extend_it():
    text = ("nn.Linear(300, 48) maps 300 inputs to 48 outputs. The output size of fc1 is 48, so the input size "
            "of fc2 must also be 48. The output size of fc2 is 24, so the input size of fc3 must be 24. "
            "The network produces 6 outputs.")
    assert _line(text) == "# layers 300-48-24-6"


def test_a_linear_chain_alone_is_unchanged():
    assert _line("nn.Sequential(nn.Linear(30, 14), nn.ReLU(), nn.Linear(14, 2))") == "# layers 30-14-2"
