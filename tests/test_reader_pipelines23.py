"""Pipelines as people write them (issue 21, release 4): boxes drawn on a line, asides that name a
step, Mermaid nodes declared apart from their edges, bullets that are phrases, components named by
role. Every text here is made up for the test (none is a corpus row)."""

from __future__ import annotations

import time

from diagram.reader import read_request
from diagram.plan import Plan
from diagram.reader_prose import read_prose, with_checks, with_feedback
from diagram.reader_steps import drawn_chain


def _labels(text: str) -> list[str]:
    plan = read_request(text)
    assert plan is not None, text
    return list(plan.labels)


def _edges(text: str) -> set[tuple[str, str]]:
    plan = read_request(text)
    assert plan is not None
    labels = plan.labels
    return {(labels[a], labels[b]) for a, b in plan.edges()} if hasattr(plan, "edges") else set()


# ---- boxes drawn on a line, asides --------------------------------------------------------------

def test_boxed_chain_under_a_title_reads_every_box():
    text = ("# Orders (Go) + Redpanda + Postgres\n\n## Layout\n\n"
            "[--- Checkout ---] --> [--- Redpanda ---] --> [--- Ledger ---] --> [--- Reports ---]\n\n"
            "[------------------ Nomad ------------------]")
    assert _labels(text) == ["Checkout", "Redpanda", "Ledger", "Reports"]


def test_drawn_chain_beats_the_numbered_story_under_it():
    text = ("## How it fits\n\n"
            "    +--------+      +---------+      +--------+      +---------+\n"
            "    | Scanner| ---> | Sorter  | ---> | Packer | ---> | Shipper |\n"
            "    +--------+      +---------+      +--------+      +---------+\n\n"
            "1. **Scanner** reads the barcode of every parcel\n"
            "2. **Sorter** picks a lane for the parcel\n"
            "3. **Packer** wraps it\n")
    assert _labels(text) == ["Scanner", "Sorter", "Packer", "Shipper"]


def test_a_short_aside_stays_with_its_step():
    labels = _labels("The flow we run today:\n\n(Webhook → Worker → Queue → Worker (retries twice) → Parking lot)")
    assert "Worker (retries twice)" in labels and labels[-1] == "Parking lot"
    labels = _labels("### Flow\n\n```text\nTag (release) → Build Image → Scan Image → Publish\n```")
    assert labels == ["Tag (release)", "Build Image", "Scan Image", "Publish"]


def test_bracketed_boxes_keep_slashes_and_asides():
    labels = _labels("Pipeline:\n\n[Phone / Tablet] -> [Gateway] -> Buffer -> [Scorer (rules+model)] -> Inbox")
    assert labels == ["Phone / Tablet", "Gateway", "Buffer", "Scorer (rules+model)", "Inbox"]


def test_a_bulleted_arrow_line_is_no_drawing():
    assert drawn_chain("- if stale → refetch → store → answer") is None
    assert drawn_chain("Then, we go a -> b -> c.") is None
    assert drawn_chain("[A1] --> [B1] --> [C1]") is not None


def test_run_order_asides_are_not_names():
    assert _labels("intake -> parse, tag (in parallel) -> store") == ["Intake", "Parse", "Tag", "Store"]
    assert _labels("queue -> sorter (step 2) -> bin (e.g. a crate) -> van") == ["Queue", "Sorter (step 2)", "Bin", "Van"]


def test_drawn_chains_read_fast_at_the_limit():
    text = ("[" + "x" * 50 + "] --> ") * 30 + "| y |"
    started = time.process_time()
    read_request(text[:2000])
    assert time.process_time() - started < 0.5


# ---- Mermaid nodes declared on their own lines, bullets that are phrases -------------------------

def test_mermaid_nodes_declared_apart_from_their_edges_read_by_label():
    text = ("```mermaid\ngraph LR\n    subgraph \"Shop\"\n        Web[\"Web Shop\\n(React)\"]\n"
            "        Orders[\"Order Service\"]\n    end\n    Pay(\"Payment Provider\")\n    Mail[Mail Sender]\n\n"
            "    Web --> Orders\n    Orders --> Pay\n    Pay --> Orders\n    Orders --> Mail\n```")
    plan = read_request(text)
    assert plan is not None
    assert list(plan.labels) == ["Web Shop", "Order Service", "Payment Provider", "Mail Sender"]
    assert plan.loops  # Payment Provider back to Order Service


def test_bullet_phrases_are_one_step_and_names_side_by_side_are_two():
    text = "This kit lets you:\n- Fetch and clean records\n- Score, rank, and store leads\n- Send digests via Mailgun"
    assert _labels(text) == ["Fetch and clean records", "Score rank and store leads", "Send digests via Mailgun"]
    text = "Stack:\n- Loader\n- BM25 and FAISS\n- Reranker"
    plan = read_request(text)
    assert plan is not None and plan.ranks[1] == ("BM25", "FAISS")
    assert read_request("Steps:\n- fetch\n- parse and score (in parallel)\n- store").ranks[1] == ("Parse", "Score")


# ---- components named by role or with a word that says which one ---------------------------------

def test_components_named_by_role_are_steps_in_a_text_that_names_tools():
    text = ("Click events arrive in Kafka. Flink writes them to an offline store; Airflow copies the features into an "
            "online database, and the ranking service reads them from there.")
    labels = [x.lower() for x in read_prose(text).labels]
    for want in ("offline store", "online database", "ranking service"):
        assert any(want in x for x in labels), (want, labels)


def test_roles_stay_out_of_a_story_that_names_no_tools():
    text = ("The clerk checks the form. If the form is complete, the clerk stamps it and the service desk files it. "
            "Otherwise the clerk returns the form to the applicant.")
    plan = read_request(text)
    assert plan is None or not any(x.lower() == "service desk" for x in plan.labels)


def test_a_word_before_a_service_says_which_one():
    text = ("Photos land in the raw S3 bucket. An Ingest Lambda resizes them and writes them to the output S3 bucket; "
            "a Notify Lambda posts a message to SNS.")
    labels = _labels(text)
    assert labels[:2] == ["raw S3 bucket", "Ingest Lambda"]
    assert "output S3 bucket" in labels and "Notify Lambda" in labels


def test_the_bucket_again_is_the_same_bucket():
    text = "Uploads go to the S3 bucket, which triggers Lambda. Lambda calls Rekognition and writes the tags back into the bucket."
    plan = read_prose(text)
    assert list(plan.labels) == ["S3 bucket", "Lambda", "Rekognition"] and plan.loops == ((2, 0),)


def test_role_nouns_read_fast_at_the_limit():
    text = ("Kafka feeds the the the online store service layer queue " * 40)[:2000]
    started = time.process_time()
    read_request(text)
    assert time.process_time() - started < 0.5


def test_two_roles_with_one_word_are_two_components():
    text = ("An online store serves features to Redis clients. Spark writes them to an offline store, then Airflow "
            "loads them into an online database.")
    labels = [x.lower() for x in read_prose(text).labels]
    assert "online store" in labels and "online database" in labels and "offline store" in labels


def test_role_nouns_in_a_row_are_one_name():
    labels = [x.lower() for x in read_prose("Kafka feeds Flink, which pushes results over WebSocket to a live "
                                            "frontend dashboard.").labels]
    assert "live frontend dashboard" in labels


def test_bold_lead_in_is_no_bullet_and_phrases_stay_whole():
    text = ("# Churn Kit\n\n**Audience:** Data team – Growth\n\nThe repo covers:\n- data loading & cleanup\n"
            "- model fitting & scoring\n- Streamlit app for review\n- Docker build and CI checks")
    assert _labels(text) == ["Data loading & cleanup", "Model fitting & scoring", "Streamlit app for review",
                             "Docker build and CI checks"]


# ---- a check told in a pipeline's text --------------------------------------------------------------

def _decision(plan) -> tuple[str, tuple[str, ...]] | None:
    """(the decision's label, the rank after it) of a plan, or None."""
    for k, rank in enumerate(plan.ranks[:-1]):
        if len(rank) == 1 and rank[0].endswith("?"):
            return rank[0], plan.ranks[k + 1]
    return None


def test_if_c_then_y_puts_the_check_before_y():
    chain = Plan.steps([["Lint"], ["Unit tests"], ["Publish wheel"], ["Announce"]])
    text = "We lint, then run the unit tests. If the unit tests fail, the wheel is not published and we stop."
    decision = _decision(with_checks(chain, text))
    assert decision == ("The unit tests fail?", ("Publish wheel", "Else: continue"))
    text = "We lint, then run the unit tests, then publish the wheel. If the gate fails, the whole run aborts."
    assert with_checks(chain, text) == chain  # no step named in or before the check


def test_a_step_that_runs_only_when_something_holds_gets_a_check_before_it():
    text = "What the bot does:\n1. Reads new tickets\n2. Tags them by topic\n3. Pages the on-call engineer when unsure"
    plan = read_request(text)
    decision = _decision(plan)
    assert decision is not None and decision[0] == "Unsure?"
    assert decision[1][0].startswith("Pages the on-call engineer")


def test_no_check_without_a_condition_and_none_for_a_step_that_states_its_own():
    plan = read_request("read sensor -> Check if level > limit -> raise alarm")
    assert plan is not None and _decision(plan) is None and plan.n_nodes == 3
    plan = read_request("Orders land in Kafka. Flink enriches them and writes to ClickHouse; Grafana shows them. "
                        "If you want, you can swap Grafana for Superset.")
    assert plan is not None and _decision(plan) is None


def test_a_last_stage_that_retrains_loops_back_to_training():
    text = ("# Model lifecycle\n\n## 1. Data intake\n- Pull events\n\n## 2. Training\n- Fit the model\n\n"
            "## 3. Serving\n- Expose an endpoint\n\n## 4. Watching\n- Dashboards\n\n## 5. Upkeep\n"
            "- Feedback loops from users\n- Retrain monthly")
    plan = read_request(text)
    assert plan is not None and list(plan.labels)[-1] == "Upkeep"
    assert plan.loops == ((4, 1),)  # Upkeep -> Training
    chain = Plan.steps([["Data"], ["Features"], ["Training"], ["Deploy"], ["Retraining"]])
    assert with_feedback(chain, "").loops == ((4, 2),)
    plain = Plan.steps([["Data"], ["Features"], ["Training"], ["Deploy"]])
    assert with_feedback(plain, "Data, features, training, deploy.") == plain


# ---- stage names on lines of their own, a table of stages, boxes side by side --------------------

def test_a_section_of_short_stage_lines_reads_every_line():
    text = ("### From reads to report\nThe assembly pipeline runs a series of steps on every sample.\n"
            "#### Steps\nTrimming\nAssembly\nPolishing\nBinning Of Contigs\nAnnotation")
    assert _labels(text) == ["Trimming", "Assembly", "Polishing", "Binning Of Contigs", "Annotation"]


def test_a_table_of_stages_is_a_pipeline_even_with_units_and_dates():
    text = ("Four stages.\n| Stage | What happens | Pitfalls |\n|---|---|---|\n| 1. Receive | Upload, mail | 03/05/24 dates |\n"
            "| 2. Parse | OCR, units | Rotated pages |\n| 3. Check | Totals, units | Rounding |\n| 4. Post | ERP entry | Duplicates |")
    assert _labels(text) == ["Receive", "Parse", "Check", "Post"]


def test_boxes_side_by_side_read_as_a_chain():
    plan = drawn_chain("Layout\n[Intake form] [Spam filter + dedupe] [Triage: rules + ML] [Ticket queue]")
    assert plan is not None
    assert list(plan.labels) == ["Intake form", "Spam filter + dedupe", "Triage: rules + ML", "Ticket queue"]
    assert drawn_chain("[a] [b]") is None


def test_a_named_component_keeps_its_aside_and_the_aside_is_no_second_step():
    plan = read_prose("Sensors publish to the MQTT broker (Mosquitto). Telegraf reads from Mosquitto and writes to "
                      "InfluxDB; Grafana shows the charts.")
    assert list(plan.labels) == ["MQTT broker (Mosquitto)", "Telegraf", "InfluxDB", "Grafana"]
    plan = read_prose("Images go to Amazon S3 (e.g. a raw prefix). Lambda resizes them and writes to DynamoDB.")
    assert list(plan.labels) == ["Amazon S3", "Lambda", "DynamoDB"]


def test_name_colon_items_whose_text_names_the_components_read_the_components():
    text = ("Architecture\n- Capture: Debezium streamed row changes into Kafka.\n"
            "- Processing: Apache Flink jobs joined the topics and wrote to ClickHouse and Redis.\n"
            "- Glue: small Python helpers.")
    labels = _labels(text)
    for want in ("Debezium", "Kafka", "Apache Flink jobs", "ClickHouse", "Redis"):
        assert want in labels, (want, labels)
    text = "Stages\n- Build: compile the code\n- Test: run the suite\n- Ship: upload the wheel"
    assert _labels(text) == ["Build", "Test", "Ship"]
    text = ("Three steps:\n- Gather: pull from sources such as Shopify, Stripe, HubSpot and Zendesk.\n"
            "- Shape: clean it with tools like dbt or Spark.\n- Share: publish to apps like Tableau and Looker Studio.")
    assert _labels(text) == ["Gather", "Shape", "Share"]


def test_numbered_stages_whose_text_names_components_draw_the_components():
    text = ("1. **Collect 📥:**\n   - Redpanda takes the click events.\n\n2. **Crunch ⚙️:**\n"
            "   - Apache Flink reads the events and rolls up counts.\n\n3. **Keep 💾:**\n   - **ClickHouse** keeps the rollups.\n"
            "   - **Redis** keeps the latest values.\n\n4. **Show 📊:**\n   - A board built with Grafana shows them.")
    plan = read_request(text)
    assert plan is not None
    assert plan.ranks == (("Redpanda (Collect)",), ("Apache Flink (Crunch)",), ("ClickHouse (Keep)", "Redis (Keep)"),
                          ("Grafana (Show)",))


def test_numbered_stages_that_name_no_components_stay_stages():
    text = ("## 1. Framing\n- Define the goal\n\n## 2. Data\n- Collect and label\n\n## 3. Training\n- Fit models\n\n"
            "## 4. Shipping\n- Package with Docker\n")
    assert _labels(text) == ["Framing", "Data", "Training", "Shipping"]


def test_a_long_verb_item_keeps_the_component_it_names():
    text = ("Features\n- Reads click streams arriving from Apache Kafka.\n- Aggregates data in near real-time using "
            "Apache Spark.\n- Writes the aggregated results into Apache Cassandra.")
    labels = _labels(text)
    assert any("Apache Spark" in x for x in labels) and any("Apache Cassandra" in x for x in labels), labels
    assert all(len(x) <= 40 for x in labels)


def test_two_software_roles_make_a_system_text_even_without_a_product_name():
    text = ("Pages are split into chunks. Each chunk goes through the embedding model and lands in the vector store. "
            "At question time the retriever pulls the closest chunks and the LLM writes the answer.")
    labels = [x.lower() for x in read_prose(text).labels]
    for want in ("embedding model", "vector store", "retriever", "llm"):
        assert want in labels, (want, labels)


def test_a_heading_over_verb_items_is_no_step_but_a_component_heading_is():
    text = "## 🛠️ What It Does\n1. Pulls tickets from the queue\n2. Labels each ticket\n3. Routes urgent ones to on-call"
    assert _labels(text)[0].startswith("Pulls tickets")
    text = "### Buildkite\nRuns the unit tests\nPackages the wheel\nPublishes it to the index"
    assert _labels(text)[0] == "Buildkite"


def test_an_aside_that_names_another_component_is_a_description():
    plan = read_prose("Events reach Kinesis Data Streams. Lambda (forwards results to EventBridge) updates DynamoDB.")
    assert "EventBridge" in plan.labels and "Lambda" in plan.labels


def test_what_a_tool_shows_is_no_component():
    assert read_prose("Events land in Kafka. Flink aggregates them and writes to ClickHouse; "
                      "Grafana shows the dashboards.").labels == ("Kafka", "Flink", "ClickHouse", "Grafana")
