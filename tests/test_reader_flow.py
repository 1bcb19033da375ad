"""The clause-chain reading (diagram.reader_flow): one rank per clause, branches, lanes, joins."""

from __future__ import annotations

import random

import pytest

from diagram.plan import PlanLineError, read_plan_line, structure_regex
from diagram.reader import read_request
from diagram.reader_flow import read_flow

ROW_32 = ("A pipeline which reads text, then stores it in a DB, then sends the result to a process step and a "
          "chart, then applies a function to them, then passes it to a model, then sends the result to a chart "
          "and a process step, then sends each to its own chart")
ROW_64 = ("Draw this flow: Workflow diagram where the system reads a picture, sends the result to a process step "
          "and a chart, sends each to its own model, sends each to its own function, and finally renders them as "
          "a picture")


def edges(plan):
    return sorted((n.id, t) for n in plan.nodes() for t in n.targets)


def test_row_32_reads_as_the_reference_structure():
    plan = read_request(ROW_32)
    assert plan.line() == ("# steps: Text > DB > Process, Chart > Function > Model > Chart, Process "
                           ">> Chart, Chart")
    assert edges(plan) == [(0, 1), (1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (5, 6), (5, 7), (6, 8), (7, 9)]


def test_row_64_reads_as_lanes_then_a_join():
    plan = read_request(ROW_64)
    assert plan.line() == "# steps: Picture > Process, Chart >> Model, Model >> Function, Function > Picture"
    assert edges(plan) == [(0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7), (6, 7)]


@pytest.mark.parametrize("request_text, line", [
    ("process that reads text, processes it in a process step, sends the result to a function, a model and a DB, "
     "sends each to its own model and sends each to its own DB",
     "# steps: Text > Process > Function, Model, DB >> Model, Model, Model >> DB, DB, DB"),
    ("Flowchart: read numeric data and data from a DB, then draw a chart from them, then convert it to numeric data",
     "# steps: Numeric data, DB > Chart > Numeric data"),
    ("The pipeline loads the logs, then stores them in a DB, then trains a model on them, then merges them",
     "# steps: Logs > DB > Model > Merge"),
    ("diagram pls: Flowchart: read data from a DB, then pass it to a model, then send the result to numeric "
     "data and text", "# steps: DB > Model > Numeric data, Text"),
    ("Pipeline: DB + text -> function -> process + model -> one text each",
     "# steps: DB, Text > Function > Process, Model >> Text, Text"),
])
def test_clause_chains_and_lanes(request_text, line):
    assert read_request(request_text).line() == line


@pytest.mark.parametrize("request_text", [
    "reads text, then does something nobody can name in so very many words here, then stores it in a DB",
    "The loader reads documents and the embedder turns them into vectors",
    "reads text",  # one clause: nothing to chain
    "reads 3 files, then stores them in a DB",
    "ML training pipeline: load dataset, preprocess, split train/test, train model, evaluate, deploy",
    "Batch scoring job: read customers from Hive, compute features in Spark, score with XGBoost",
])
def test_a_chain_it_cannot_explain_whole_is_not_read_as_one(request_text):
    assert read_flow(request_text) is None


def test_a_list_of_imperatives_keeps_its_verbs():
    plan = read_request("ML training pipeline: load dataset, preprocess, split train/test, train model, evaluate, deploy")
    assert plan.line() == "# steps: Load dataset > Preprocess > Split train/test > Train model > Evaluate > Deploy"


def test_lane_plan_lines_round_trip_and_fix_the_grammar():
    plan = read_request(ROW_64)
    assert read_plan_line(plan.line()) == plan
    grammar = structure_regex(plan)
    assert r"\[3\], 'Process'" in grammar and r"\[4\], 'Chart'" in grammar and r"\[3, 4\]" not in grammar
    with pytest.raises(PlanLineError):
        read_plan_line("# steps: A >> B, C")


def test_every_generated_flow_request_reads_as_its_chart():
    from trainer.data.structures import flow_request, sample_flowchart
    rng = random.Random(0)
    for _ in range(300):
        chart = sample_flowchart(rng)
        request = flow_request(chart, rng)
        plan = read_request(request)
        assert plan is not None, request
        assert plan.drawn_sizes == tuple(len(r) for r in chart.ranks), request
        assert edges(plan) == sorted(chart.edges), request


def test_an_arrow_chain_inside_a_sentence_reads_alone():
    plan = read_request("This guide sets up a realistic four-stage pipeline (lint → compile → package → release), "
                        "then explains how to grow it.")
    assert plan.line() == "# steps: Lint > Compile > Package > Release"
    plan = read_request("Overview\nEvents are shipped by agents and land in a queue.\n"
                        "[Edge Agents] → Redis → [Spark Jobs] → Postgres\n↓\n[Errors]")
    assert plan.labels[:4] == ("Edge Agents", "Redis", "Spark Jobs", "Postgres")


def test_an_arrow_s_own_label_is_no_step():
    plan = read_request("We will use a cascade: audio --[STT]--> raw text --[NMT]--> german text --[TTS]--> german audio")
    assert plan.line() == "# steps: Audio > Raw text > German text > German audio"


def test_a_component_keeps_the_noun_that_qualifies_it():
    plan = read_request("Files are uploaded to an S3 bucket. A Lambda function parses them and writes rows into a "
                        "DynamoDB table. Kibana dashboards show the results.")
    assert plan.line() == "# steps: S3 bucket > Lambda function > DynamoDB table > Kibana dashboards"
    plan = read_request("Filebeat agents ship the logs to a Logstash shipper, which forwards them to Elasticsearch "
                        "indices; Kibana reads Elasticsearch.")
    assert plan.labels == ("Filebeat agents", "Logstash shipper", "Elasticsearch indices", "Kibana")  # named once


def test_a_mermaid_graph_written_on_one_line():
    plan = read_request("Overview\nHow logs move.\nflowchart LR A[Web Apps] --> B[Fluentd] B --> C[Kafka] "
                        "C --> D[(ClickHouse)] D --> E[Superset]")
    assert plan.line() == "# steps: Web Apps > Fluentd > Kafka > ClickHouse > Superset"


def test_branches_drawn_as_a_tree_under_a_chain():
    plan = read_request("Fan-out\n[NewUser event] → SNS Topic\n├── SQS Queue (email team)\n├── SQS Queue (billing)\n"
                        "└── Lambda (welcome mail)\nEach consumer gets its own queue.")
    assert plan.ranks == (("NewUser event",), ("SNS Topic",),
                          ("SQS Queue (email team)", "SQS Queue (billing)", "Lambda (welcome mail)"))


def test_the_steps_under_an_approach_heading_are_read_without_the_problem_statement():
    from diagram.reader import steps_section
    text = ("#### Problem\n\nGiven a list of words, write a function that counts the vowels\n\n#### Approach\n\n"
            "- take the next word\n- count its vowels\n- add the count to the total\n- return the total")
    assert steps_section(text).startswith("- take the next word")
    plan = read_request(text)
    assert plan.labels[0] == "Take the next word" and "Write function" not in plan.labels
    assert steps_section("Algorithm:\n- a\n- b") is None  # nothing before the heading: the whole text is read


def test_a_chain_line_beats_prose_that_only_reads_that_line():
    plan = read_request("The goal is a system that translates speech in one language into speech in another. Doing "
                        "this with one model is hard. We use a simpler pipeline approach:\n\n"
                        "en speech --[ASR]--> en text --[MT]--> fr text --[TTS]--> fr speech")
    assert plan.line() == "# steps: En speech > En text > Fr text > Fr speech"


def test_step_markers_on_their_own_lines_end_a_step():
    from diagram.reader_clauses import read_clauses
    plan = read_clauses("Algorithm:\nStep 1: Start\nStep 2: Read the two numbers\nStep 3: Add them\nStep 4: Print the sum")
    assert plan is not None and plan.labels[0] == "Start" and not any("Step" in label for label in plan.labels)
