"""Pipelines written the way unseen text writes them (issue 21, round 2): made-up texts."""

from diagram.reader import read_request


def _labels(text: str) -> tuple[str, ...]:
    plan = read_request(text)
    assert plan is not None
    return plan.labels


def test_emoji_bullets_are_read_as_steps():
    text = ("## 🚀 Features\n\n- 🗂️ Fetches orders from the shop API\n- 🧹 Removes duplicate rows\n"
            "- 📊 Writes daily totals into a sheet\n- 🔔 Notifies the team — messages go to the chat room")
    plan = read_request(text)
    assert plan.labels == ("Fetches orders from the shop API", "Removes duplicate rows",
                           "Writes daily totals into a sheet", "Notifies the team")
    assert all(len(rank) == 1 for rank in plan.ranks) and not plan.loops  # one chain


def test_emoji_bullets_under_a_plain_heading():
    text = ("## What it does\n- 🧾 Reads invoices from a mailbox\n- 🔎 Extracts the totals\n"
            "- 💾 Saves rows into a sheet\n- ❓ Lets you search them — results come from both the sheet and the mailbox")
    assert _labels(text) == ("Reads invoices from a mailbox", "Extracts the totals", "Saves rows into a sheet",
                             "Lets you search them")


def test_bullets_with_a_component_aside_keep_the_action():
    text = ("## Parts\n\n* Gathering metrics from the hosts (Telegraf).\n\n* Time series storage (InfluxDB).\n\n"
            "* Metrics dashboards (Grafana).")
    plan = read_request(text)
    assert plan.labels == ("Gathering metrics from hosts (Telegraf)", "Time series storage (InfluxDB)",
                           "Metrics dashboards (Grafana)")
    assert all(len(rank) == 1 for rank in plan.ranks) and not plan.loops


def test_component_bullets_without_an_action_still_read_the_components():
    text = "The stack:\n- Telegraf\n- InfluxDB\n- Grafana"
    assert _labels(text) == ("Telegraf", "InfluxDB", "Grafana")


def test_prose_naming_components_is_still_read_as_components():
    text = ("Mobile apps send clicks to Kafka. Flink reads the topic and aggregates sessions. "
            "The results land in ClickHouse and Grafana shows them.")
    labels = _labels(text)
    assert {"Kafka", "Flink", "ClickHouse", "Grafana"} <= set(labels)
    assert all(len(label.split()) <= 3 for label in labels)  # components, no clause fragments


def test_a_flow_line_under_a_component_list_says_the_flow():
    text = ("## Components\n1. Sensor Gateway - Collects readings and sends them to MQTT.\n"
            "2. MQTT & Redis - MQTT carries the messages, Redis caches the last values.\n"
            "3. Telegraf Agent - Reads the broker and writes to InfluxDB.\n4. InfluxDB - Stores the series.\n\n"
            "Data Flow: Sensor Gateway → MQTT Topic → Telegraf Agent → InfluxDB")
    assert _labels(text) == ("Sensor Gateway", "MQTT Topic", "Telegraf Agent", "InfluxDB")


def test_a_chain_that_only_shortens_the_list_keeps_the_list():
    text = ("The zones go in order: Landing → Refined → Served.\n\n1. Landing Zone (Raw)\n"
            "   • Holds: raw files\n2. Refined Zone (Cleaned)\n   • Holds: checked rows\n3. Served Zone (Marts)\n"
            "   • Holds: tables for reports")
    assert _labels(text) == ("Landing Zone (Raw)", "Refined Zone (Cleaned)", "Served Zone (Marts)")


def test_a_relative_clause_listing_what_a_tool_does_reads_as_its_actions():
    text = ("In this guide you will set up a GitLab CI job that compiles the Go binary, signs it with a Cosign key, "
            "uploads it to Harbor Registry, and restarts the Nomad Service to pick up the new build.")
    labels = _labels(text)
    assert labels[-4:] == ("Compiles the Go binary", "Signs it with a Cosign key", "Uploads it to Harbor Registry",
                           "Restarts Nomad Service")


def test_a_series_of_actions_on_components_beats_the_bare_components():
    text = ("This project holds a small Node-based tool that crawls a React-rendered shop ```shop.example/en```, "
            "normalises the prices, and writes the rows to a hosted Postgres database. Cron runs it every night.")
    assert _labels(text) == ("Crawls React-rendered shop", "Normalises the prices",
                             "Writes rows to hosted Postgres database")


def test_a_component_keeps_its_noun_across_one_plain_word():
    text = ("Clicks are sent to Kafka. Flink counts them per minute. "
            "The counts land in a Redshift staging table and Grafana is used as a dashboard.")
    assert "Redshift staging table" in _labels(text)


def test_a_named_engine_keeps_its_noun():
    text = ("Events are sent to Apache Kafka. Using Spark's structured streaming engine, the events are aggregated. "
            "Results go to InfluxDB and Grafana is used as a dashboard.")
    assert "Structured Streaming engine" in _labels(text)


def test_a_modal_verb_is_no_part_of_a_component_name():
    text = "The Lambda function writes each record to Kinesis Data Firehose. Kinesis Data Firehose will store them in the S3 bucket."
    labels = _labels(text)
    assert not any("will" in label.lower() for label in labels)
    assert "S3 bucket" in labels


def test_a_tree_drawn_down_the_page_reads_its_branches():
    text = ("Layout\nWeb Form (React)\n└── submit → Orders Queue\n│\n▼\nWorker: Order Checker\n│ (parse → check)\n│\n"
            "├──► Postgres (orders)\n│ PK=order_id\n│\n└──► Worker: Mailer (async)\n│\n├──► SES → Inbox\n└──► Datadog\n"
            "Orders/Metrics :: FailedCount\nTwo workers, one job each.")
    plan = read_request(text)
    assert plan is not None
    assert plan.ranks == (("Web Form (React)",), ("Orders Queue",), ("Worker: Order Checker",),
                          ("Postgres (orders)", "Worker: Mailer (async)"), ("SES", "Datadog"), ("Inbox",))
    # (merged with reader_layouts.read_tree: "SES → Inbox" on a branch draws Inbox after SES; "submit" is the edge's call)


def test_a_tree_without_a_downward_arrow_is_left_to_the_other_readers():
    text = "ingest -> clean\n├── train\n└── report"
    plan = read_request(text)
    assert plan is not None and plan.ranks[-1] == ("Train", "Report")


def test_a_long_verb_item_loses_its_articles_before_it_is_cut():
    text = ("## What It Does\n- Fetches the tickets from the help desk API\n- Scores the urgency of the ticket\n"
            "- Sends the urgent tickets to the on-call engineer")
    labels = _labels(text)
    assert "Sends urgent tickets to on-call engineer" in labels


def test_a_first_bullet_run_onto_the_opening_line_is_a_step():
    text = ("What the Collector Does\nWhen a metric arrives, the collector:- Receives the sample from the agent\n"
            "- Tags it with the host name\n- Drops stale samples\n- Writes the batch to Prometheus")
    labels = _labels(text)
    assert labels[0] == "Receives the sample from the agent"
    assert len(labels) == 4
