"""The readers widened for requests written outside the project (issue 21): processes told in
sentences, structured pipeline texts, listed decisions, PyTorch forward order and CNNs in words.
Texts here are written for the tests (none is from benchmarks/outside)."""

from __future__ import annotations

import pytest

from diagram.plan import parse_plan_line
from diagram.reader import read_request
from diagram.reader_clauses import ELSE_CONTINUE, activity, read_clauses
from diagram.reader_code import read_cnn_words, read_code
from diagram.reader_lists import read_lists


def _branches(plan) -> bool:
    """Whether some node points forward to two or more nodes (a decision or a fork drawn)."""
    back = set(plan.loops)
    return any(len([t for t in node.targets if (node.id, t) not in back]) >= 2 for node in plan.nodes())


def _round_trips(plan) -> None:
    assert parse_plan_line(plan.line()) == plan


@pytest.mark.parametrize("clause, label", [
    ("The clerk checks the invoice for errors", "Check invoice for errors"),
    ("the invoice is forwarded to the Administration Department", "Forward invoice to Administration Department"),
    ("the marketing team will perform a market analysis", "Perform market analysis"),
    ("they send it to the warehouse", "Send to warehouse"),
    ("the replay buffer stores the transition", "Replay buffer stores transition"),
    ("the team starts by creating a storyboard", "Create storyboard"),
    ("the patient is sent to the ICU", "Patient sent to ICU"),
    ("the process ends here", "End"),
])
def test_a_clause_reads_as_verb_and_object(clause, label):
    assert activity(clause) == label


def test_if_otherwise_is_a_decision_with_two_branches():
    plan = read_request("The clerk checks the invoice. If the invoice is valid, the clerk pays the supplier. "
                        "Otherwise, the invoice is rejected. Finally the clerk archives the invoice.")
    assert plan.line() == "# steps: Check invoice > Invoice is valid? > Pay supplier, Reject invoice > Archive invoice"
    assert _branches(plan)
    _round_trips(plan)


def test_an_if_without_otherwise_gets_an_else_branch_and_a_loop_back_finds_its_step():
    plan = read_clauses("First we write the draft. The editor reviews the draft. "
                        "If changes are needed, we go back to writing.")
    assert plan.ranks[-1] == ("Back to writing", ELSE_CONTINUE)
    labels = plan.labels
    assert [(labels[a], labels[b]) for a, b in plan.loops] == [("Back to writing", "Write draft")]
    _round_trips(plan)


def test_three_branches_and_either_or():
    plan = read_clauses("The officer receives the application. If the score is low, the application is declined. "
                        "If the score is medium, a senior officer reviews it. Otherwise the loan is approved.")
    assert plan.ranks[-1] == ("Decline application", "Review", "Approve loan")
    either = read_clauses("The nurse measures vital signs. The patient is either sent to the ICU or waits for a "
                          "doctor.")
    assert either.ranks[-1] == ("Send to ICU", "Wait for doctor") and _branches(either)


def test_a_request_to_draw_is_no_step_and_an_unreadable_text_is_none():
    plan = read_clauses("Could you draw our approval process? An employee submits an expense, the manager reviews "
                        "it.")
    assert plan.labels == ("Submit expense", "Review expense")
    assert read_clauses("Nice weather today.") is None


def test_mermaid_edges_keep_joins_and_loops():
    plan = read_lists("flowchart LR\nA[Events] --> B[Kafka]\nC[CDC] --> B\nB --> D[Flink]\nD --> B")
    assert plan.ranks == (("Events", "CDC"), ("Kafka",), ("Flink",))
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("Flink", "Kafka")]
    _round_trips(plan)


@pytest.mark.parametrize("text, labels", [
    ("| Stage | What |\n|---|---|\n| 1. Build | compile |\n| 2. Test (Dev) | run tests |\n| 3. Deploy | ship |",
     ("Build", "Test (Dev)", "Deploy")),
    ("Stages:\n- Lint = static checks\n- Test = unit tests\n- Ship = upload", ("Lint", "Test", "Ship")),
    ("Our pipeline has four stages: 1) ingest documents, 2) embed chunks, 3) index them, 4) answer questions.",
     ("Ingest documents", "Embed chunks", "Index them", "Answer questions")),
    ("Architecture\nSensors\n↓\nMQTT broker\n↓\nInfluxDB (time series)\n↓\nGrafana", ("Sensors", "MQTT broker",
                                                                                      "InfluxDB", "Grafana")),
])
def test_structured_pipeline_texts(text, labels):
    assert read_lists(text).labels == labels


def test_listed_if_else_items_are_a_decision():
    plan = read_request("1. Start\n2. Read x\n3. If x > 0, print positive\n4. Else print negative\n5. Stop")
    assert plan.ranks[2:4] == (("X ＞ 0?",), ("Print positive", "Print negative"))
    assert _branches(plan)


def test_task_codes_in_parallel_and_the_whole_process_in_a_loop():
    plan = read_request("Tasks T1 T2 in sequence followed by tasks T3 T4 T5 in parallel. The whole process in a loop.")
    assert plan.ranks == (("T1",), ("T2",), ("T3", "T4", "T5"))
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("T5", "T1")]


def test_pytorch_layers_in_forward_order():
    code = ("class Net(nn.Module):\n def __init__(self):\n  self.conv1 = nn.Conv2d(1, 8, 3)\n"
            "  self.pool = nn.MaxPool2d(2, 2)\n  self.conv2 = nn.Conv2d(8, 16, 3)\n  self.fc = nn.Linear(400, 10)\n"
            " def forward(self, x):\n  # x = self.fc(x)\n  x = self.pool(F.relu(self.conv1(x)))\n"
            "  x = self.pool(F.relu(self.conv2(x)))\n  x = torch.flatten(x, 1)\n  return self.fc(x)\n")
    assert read_code(code).line() == ("# layers Conv 3x3, 8 > MaxPool 2x2 > Conv 3x3, 16 > MaxPool 2x2 > Flatten "
                                      "> Dense 10")


@pytest.mark.parametrize("text, line", [
    ("Layer 1: convolutional layer, 100 5x5 filters with stride 1. Layer 2: 2x2 max-pooling layer. "
     "Layer 3: fully-connected layer", "# layers Conv 5x5, 100 > MaxPool 2x2 > Dense"),
    ("conv3-64, conv3-64, maxpool, FC-4096", "# layers Conv 3x3, 64 > Conv 3x3, 64 > MaxPool > Dense 4096"),
    ("INPUT -> [CONV -> POOL]*2 -> FC", "# layers Input > Conv > MaxPool > Conv > MaxPool > Dense"),
    ("a CNN with two conv layers (32 and 64 filters, 3x3 kernels), each followed by 2x2 max pooling, then a dense "
     "layer of 128", "# layers Conv 3x3, 32 > MaxPool 2x2 > Conv 3x3, 64 > MaxPool 2x2 > Dense 128"),
    ("This CNN has two blocks of Convolution and Max Pooling, followed by two Fully Connected layers.",
     "# layers Conv > MaxPool > Conv > MaxPool > Dense > Dense"),
])
def test_cnns_told_in_words(text, line):
    assert read_cnn_words(text).line() == line


@pytest.mark.parametrize("code, line", [
    ("net = newff(Pr,[6,4,3]);", "# layers 3-6-4-3"),           # input left to the data: UNSTATED
    ("net = feedforwardnet([10 5]);", "# layers 3-10-5-3"),
])
def test_matlab_networks(code, line):
    assert read_request(code).line() == line


def test_a_service_in_the_singular_reads_as_its_name():
    plan = read_request("Items land in a DynamoDB table. The EventBridge pipe reads the stream and writes to an SQS "
                        "queue.")
    assert plan.labels == ("DynamoDB table", "EventBridge Pipes", "SQS queue")  # the noun a component is named with stays


@pytest.mark.parametrize("text, line", [
    ("net.add(nn.Conv2D(channels=6, kernel_size=5), nn.AvgPool2D(pool_size=2), nn.Dense(10))",   # MXNet
     "# layers Conv 5x5, 6 > AvgPool 2x2 > Dense 10"),
    ("x = nn.Conv(features=32, kernel_size=(3, 3))(x)\nx = nn.max_pool(x, window_shape=(2, 2))\n"     # Flax
     "x = nn.Dense(features=10)(x)", "# layers Conv 3x3, 32 > MaxPool 2x2 > Dense 10"),
    ("DefaultConv2D(filters=64, kernel_size=7),\nkeras.layers.MaxPooling2D(pool_size=2),\nDefaultConv2D(filters=128)",
     "# layers Conv 7x7, 64 > MaxPool 2x2 > Conv, 128"),
    ("│ conv2d (Conv2D)   │ (None, 26, 26, 32)  │   320 │\n│ flatten (Flatten) │ (None, 5408) │ 0 │\n"  # Keras 3
     "│ dense (Dense)     │ (None, 10)          │ 54,090 │", "# layers Conv, 32 > Flatten > Dense 10"),
    ("├─Conv2d: 1-1    [1, 6, 28, 28]   156\n├─MaxPool2d: 1-2   [1, 6, 14, 14]   --\n"                      # torchinfo
     "├─Linear: 1-3    [1, 10]   11,770", "# layers Conv, 6 > MaxPool > Dense 10"),
])
def test_more_code_dialects_and_summaries(text, line):
    assert read_code(text).line() == line


def test_both_and_fan_out_are_parallel_steps():
    plan = read_request("Events arrive in Kafka. Flink writes the results to both Cassandra and Elasticsearch. "
                        "Grafana reads from Elasticsearch.")
    assert plan.ranks == (("Kafka",), ("Flink",), ("Cassandra", "Elasticsearch"), ("Grafana",))


def test_services_read_in_their_own_spelling():
    plan = read_request("Amazon Apigateway receives the request. The data is stored in a Dynamodb table, and the polly "
                        "service reads it.")
    assert plan.labels == ("Amazon API Gateway", "DynamoDB table", "Polly")
