"""Pipelines read by general mechanisms (issue 21, session 24): labels told in fewer words rather than
cut, a failure sink as a branch, pipeline code read by its declarations. Made-up inputs, no corpus rows."""

from __future__ import annotations

from diagram.plan import LABEL_MAX_CHARS, Plan, compact_label, step_label
from diagram.reader import read_request
from diagram.reader_prose import with_side_paths


def _labels(plan: Plan | None) -> list[str]:
    assert plan is not None
    return list(plan.labels)


def _branches(plan: Plan) -> bool:
    return any(len(set(node.targets)) >= 2 for node in plan.nodes())


# ---- compact_label: function words go before words are cut --------------------------------------

def test_compact_label_keeps_short_labels_as_written():
    assert compact_label("Train the model") == "Train the model"


def test_compact_label_drops_articles_then_function_words_not_the_last_words():
    text = "Scores with precision + recall curves"  # 38: as written
    assert compact_label(text) == text
    long = "Compares the forecast with the baseline of the region"  # 53 characters
    out = compact_label(long)
    assert len(out) <= LABEL_MAX_CHARS
    assert out.endswith("region") and out.startswith("Compares")  # the object at the end stays


def test_compact_label_cuts_whole_words_when_function_words_are_not_enough():
    long = "Reconcile invoices ledgers statements receipts vouchers payslips"
    out = compact_label(long)
    assert len(out) <= LABEL_MAX_CHARS and long.startswith(out) and not long[len(out)].isalnum()
    assert compact_label(long, cut=False) == ""


def test_step_label_never_cuts_inside_a_word():
    label = step_label("Archive the signed contracts of the quarter into cold storage buckets")
    assert len(label) <= LABEL_MAX_CHARS
    assert all(word in "Archive signed contracts quarter cold storage buckets".split() for word in label.split())


def test_listed_step_over_40_characters_keeps_its_last_words():
    plan = read_request("## What it does\n- Fetches the raw feeds\n- Deduplicates with hashing + fuzzy matching\n"
                        "- Publishes the digest")
    assert any(label.endswith("matching") for label in _labels(plan))


# ---- with_side_paths: a sink for failures hangs beside the last stage --------------------------

def test_side_path_named_for_failures_branches_off():
    plan = Plan.steps([["Webhook"], ["Parser"], ["Enricher"], ["Warehouse"], ["Dead-letter queue"]])
    out = with_side_paths(plan, "Webhook events go to the parser, then the enricher, then the warehouse.")
    assert out is not None and out.line() == "# steps: Webhook > Parser > Enricher > Warehouse, Dead-letter queue"
    assert _branches(out)


def test_side_path_told_by_its_sentence():
    text = ("Sensors post readings to an HTTP collector. The collector writes them to Kafka, and Spark "
            "aggregates them into Postgres. Malformed readings are parked in a MinIO bucket.")
    plan = Plan.steps([["HTTP collector"], ["Kafka"], ["Spark"], ["Postgres"], ["MinIO bucket"]])
    out = with_side_paths(plan, text)
    assert out is not None and out.ranks[-1] == ("Postgres", "MinIO bucket")


def test_no_side_path_for_a_stage_that_only_mentions_failures_after_it():
    text = "Code is built, tested and released. Deploy, then Monitor the service for errors."
    plan = Plan.steps([["Build"], ["Test"], ["Release"], ["Deploy"], ["Monitor"]])
    assert with_side_paths(plan, text) == plan


def test_no_side_path_when_the_step_before_is_where_it_fails():
    plan = Plan.steps([["Queue"], ["Worker"], ["Store"], ["Handler (fails twice)"], ["DLQ"]])
    assert with_side_paths(plan, "Messages go from the queue to workers.") == plan


# ---- pipeline code read by its declarations ----------------------------------------------------

def test_scripted_jenkins_stages():
    text = ("node {\n  stage 'Fetch'\n  git url: 'https://example.org/x.git'\n  stage 'Compile'\n  sh 'make'\n"
            "  stage 'Package'\n  sh 'make dist'\n}")
    assert read_request(text).line() == "# steps: Fetch > Compile > Package"


def test_jenkins_when_is_a_decision_before_its_stage():
    text = ("pipeline {\n agent any\n stages {\n  stage('Lint') {\n   steps { sh 'lint' }\n  }\n"
            "  stage('Publish') {\n   when {\n    branch 'release'\n   }\n   steps { sh 'publish' }\n  }\n"
            "  stage('Notify') {\n   steps { sh 'notify' }\n  }\n }\n}")
    plan = read_request(text)
    assert _labels(plan)[:3] == ["Lint", "Branch release?", "Publish"]
    assert _branches(plan)


def test_ci_stages_and_jobs():
    text = ("stages:\n  - lint\n  - package\n  - ship\n\nlint_code:\n  stage: lint\n  script: make lint\n\n"
            "wheel:\n  stage: package\n  script: make wheel\n\nship_eu:\n  stage: ship\n  script: ./ship eu\n\n"
            "ship_us:\n  stage: ship\n  script: ./ship us\n")
    plan = read_request(text)
    assert plan.ranks == (("Lint_code",), ("Wheel",), ("Ship_eu", "Ship_us"))


def test_dag_of_assigned_tasks():
    text = ("with Flow('fanout') as f:\n    fetch = shell(name='fetch', cmd='curl')\n"
            "    left = shell(name='left', cmd='a')\n    right = shell(name='right', cmd='b')\n"
            "    merge = shell(name='merge', cmd='c')\n    fetch >> [left, right] >> merge\n")
    assert read_request(text).line() == "# steps: Fetch > Left, Right > Merge"


def test_driver_function_calls_in_order_with_a_guard():
    text = ("def run_job():\n    print('starting')\n    rows = download_rows()\n    if rows:\n"
            "        clean = scrub(rows)\n        upload(clean)\n        ping_team()\n")
    plan = read_request(text)
    labels = _labels(plan)
    assert labels[0] == "Download_rows" and labels[1] == "Rows?" and "Scrub" in labels and labels[-1] == "Ping_team"
    assert _branches(plan)


def test_driver_methods_named_by_the_class_built():
    text = ("class Desk:\n    def __init__(self):\n        self.intake = IntakeBot()\n        self.solver = SolverBot()\n"
            "        self.critic = CriticBot()\n    def answer(self, q):\n        a = self.intake.read(q)\n"
            "        b = self.solver.solve(a)\n        c = self.critic.check(b)\n        return c\n")
    assert read_request(text).line() == "# steps: IntakeBot > SolverBot > CriticBot"


def test_arithmetic_function_is_no_call_pipeline():
    text = "def area(r):\n    x = r * r\n    y = x * 3.14\n    z = round(y)\n    return z\n"
    plan = read_request(text)
    assert plan is None or "Round" not in _labels(plan)


# ---- a chain drawn over several lines ------------------------------------------------------------

def test_wrapped_arrow_chain_is_one_chain():
    text = "## Overview\n\nCSV → Parser → Validator → Staging DB\n→ Aggregator → Report → Mailer\n\nSome notes follow here."
    assert read_request(text).line() == "# steps: CSV > Parser > Validator > Staging DB > Aggregator > Report > Mailer"


def test_an_arrow_sub_item_is_not_a_wrapped_chain():
    from diagram.reader_steps import join_wrapped_chains
    text = "Step 2->Loop over rows\n-> print the row"
    assert join_wrapped_chains(text) == text


def test_down_arrow_with_words_over_another_arrow_is_a_step():
    text = ("The flow\n\nBrowser → Gateway\n  ↓ check token\n  ↓ load profile\n        ↓\n   Render service\n        ↓\n"
            "   CDN cache\n\nThat is all of it, told in one closing sentence here.")
    labels = _labels(read_request(text))
    assert labels[:4] == ["Browser", "Gateway", "Check token", "Load profile"] and labels[-1] == "CDN cache"


def test_down_arrow_with_words_over_a_step_is_an_edge_label():
    text = "Sensors\n↓ Zigbee\nHub\n├─> Rules → Alerts\n└─> Archive → Reports\nA common home setup."
    labels = _labels(read_request(text))
    assert "Zigbee" not in labels and labels[:2] == ["Sensors", "Hub"]


# ---- a list in code comments -------------------------------------------------------------------

def test_numbered_list_in_code_comments():
    text = ("#!/bin/sh\nset -e\n# release steps:\n# 1. tag the commit\n# 2. build the wheels\n"
            "# 3. upload to the index #\n# 4. announce on the list\n")
    labels = _labels(read_request(text))
    assert labels == ["Tag commit", "Build wheels", "Upload to index", "Announce on list"]  # no "1." or "#" kept


# ---- one tree reader ---------------------------------------------------------------------------

def test_read_lists_reads_trees_with_the_layout_reader():
    from diagram.reader_lists import read_lists
    text = "Ingest → Bus\n├── Search indexer\n└── Billing"
    assert read_lists(text).line() == "# steps: Ingest > Bus > Search indexer, Billing"
    drawn = "Collector\n▼\nRouter\n├──► Metrics store\n└──► Log store\n│\n├──► Dashboards\n└──► Pager"
    assert read_lists(drawn).line() == "# steps: Collector > Router > Metrics store, Log store > Dashboards, Pager"
