"""Pipelines as people outside the project write them (issue 21, release 3): vertical ASCII
diagrams with fan-outs, Mermaid labels over two lines, CI/orchestration code (Jenkins stages,
Airflow task ids, jobs with `needs`), numbered headings with what each stage does under them,
a series of stages in one sentence, and components named with the capitalised words after them.
Every input is made up here, in the shapes the outside corpora showed."""

from __future__ import annotations

from diagram.reader import read_request
from diagram.reader_lists import read_lists
from diagram.reader_prose import mentions, read_prose, series


def _line(text: str) -> str:
    plan = read_request(text)
    assert plan is not None, text
    return plan.line()


# ---- vertical diagrams ------------------------------------------------------------------------

def test_vertical_diagram_with_edge_words_and_asides():
    text = ("Sync plan\n```\nOrders DB\n  |\n  |  (change log)\n  v\nCapture Service (Connect)\n  |\n  v\n"
            "Event Topic (CDC events)\n  |\n  v\nSearch Index (full text)\n```")
    # an aside that names something stays, a lower-case description goes
    assert _line(text) == ("# steps: Orders DB > Capture Service (Connect) > Event Topic (CDC events) > "
                           "Search Index")


def test_vertical_diagram_fans_out_over_columns():
    text = ("How it fits together\nBrowser\n  |\n  v\nCart API\n  |\n  v\nEvent Bus (CartUpdated)\n"
            "  |        |         |\n  v        v         v\nPricing  Stock    Mailer\nService  Service  Service")
    assert _line(text) == ("# steps: Browser > Cart API > Event Bus (CartUpdated) > "
                           "Pricing Service, Stock Service, Mailer Service")


def test_vertical_diagram_with_a_repeated_component_and_a_plus_pair():
    plan = read_lists("Client\n↓\nGateway\n↓\nWorker\n↓\nBlob Store\n↓\nWorker\n↓\nIndexer + Archive")
    assert plan is not None
    assert plan.ranks == (("Client",), ("Gateway",), ("Worker",), ("Blob Store",), ("Worker 2",),
                          ("Indexer", "Archive"))


def test_tree_of_only_last_children_is_a_chain():
    text = "### Job order\nbegin\n└─ fetch_files\n└─ clean_rows\n└─ publish_report\n└─ finish"
    assert _line(text) == "# steps: Begin > Fetch_files > Clean_rows > Publish_report > Finish"


def test_tree_with_siblings_still_branches():
    plan = read_lists("Router → Dispatcher\n├── Email sender\n└── SMS sender")
    assert plan is not None and plan.ranks[-1] == ("Email sender", "SMS sender")


# ---- Mermaid ----------------------------------------------------------------------------------

def test_mermaid_labels_over_two_lines_told_apart_by_the_second():
    text = ("## Flow\n1) Apps emit clicks\n2) Stream job enriches\n```mermaid\nflowchart LR\n"
            "  A[Apps\\n(web + mobile)] --> B[(Queue\\nraw_clicks)]\n  B --> C[Enricher\\nJoin + Dedupe]\n"
            "  C --> D[(Queue\\nclean_clicks)]\n  D --> E[Dashboard]\n```")
    assert _line(text) == "# steps: Apps > Queue raw_clicks > Enricher > Queue clean_clicks > Dashboard"


# ---- CI and orchestration code ----------------------------------------------------------------

def test_jenkins_stage_names_in_order():
    text = ("pipeline {\n  agent any\n  stages {\n    stage('Checkout') {\n      steps { git 'x' }\n    }\n"
            "    stage(\"Lint and format\") {\n      steps { sh 'make lint' }\n    }\n"
            "    stage('Package') {\n      steps { sh 'make dist' }\n    }\n  }\n}")
    assert _line(text) == "# steps: Checkout > Lint and format > Package"


def test_airflow_task_ids_and_dependencies():
    text = ("with DAG('nightly', schedule='@daily') as dag:\n"
            "    pull_a = BashOperator(task_id='pull_sales', bash_command='x')\n"
            "    pull_b = BashOperator(\n        task_id='pull_costs',\n        bash_command='y')\n"
            "    merge = PythonOperator(task_id='merge_tables', python_callable=m)\n"
            "    report = PythonOperator(task_id='send_report', python_callable=r)\n"
            "    [pull_a, pull_b] >> merge\n    merge.set_downstream(report)\n")
    assert _line(text) == "# steps: Pull_sales, Pull_costs > Merge_tables > Send_report"


def test_airflow_chain_with_reversed_arrows():
    text = ("a = PythonOperator(task_id='download', python_callable=f)\n"
            "b = PythonOperator(task_id='unzip', python_callable=g)\n"
            "c = PythonOperator(task_id='upload', python_callable=h)\n"
            "c << b << a  # order\n")
    assert _line(text) == "# steps: Download > Unzip > Upload"


def test_ci_jobs_with_needs():
    hcl = ('workflow "ship" {\n  on = "push"\n}\n\naction "deps" {\n  uses = "x"\n}\n\n'
           'action "unit tests" {\n  uses = "x"\n  needs = ["deps"]\n}\n\n'
           'action "publish" {\n  uses = "x"\n  needs = ["unit tests"]\n}\n')
    assert _line(hcl) == "# steps: Deps > Unit tests > Publish"
    yaml = ("on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n  test:\n    needs: lint\n"
            "    runs-on: ubuntu-latest\n  docs:\n    needs: lint\n  release:\n    needs: [test, docs]\n")
    assert read_lists(yaml).ranks == (("Lint",), ("Test", "Docs"), ("Release",))


# ---- numbered headings over what each stage does ------------------------------------------------

def test_numbered_headings_with_bodies_read_as_the_headings():
    text = ("Delivery flow\n1. Intake Stage\nStarts when a form is sent.\n- Tasks: validate, tag.\n"
            "2. Review Stage\nA person checks the request.\n3. Fulfil Stage\n- Tasks: ship, invoice.\n"
            "4. Archive (Cold Storage)\n- Keeps the record for a year")
    assert _line(text) == "# steps: Intake Stage > Review Stage > Fulfil Stage > Archive (Cold Storage)"


def test_numbered_algorithm_steps_are_not_headings():
    # an algorithm's numbered steps with decisions under them stay with the algorithm reader
    text = "1. Read n\n- if n < 0 print error\n2. Set total\n- total = 0\n3. Print total\n- done"
    plan = read_lists(text)
    assert plan is None or "Read n" not in plan.labels


# ---- a series of stages in one sentence -------------------------------------------------------

def test_series_of_verb_phrases_in_one_sentence():
    text = ("## What it does\nA nightly job that pulls invoices from the ledger, checks totals against orders, "
            "writes mismatches to a report table, and emails the finance team.")
    assert _line(text) == ("# steps: Pulls invoices from the ledger > Checks totals against orders > "
                           "Writes mismatches to a report table > Emails the finance team")


def test_series_keeps_the_components_named_before_it():
    text = ("Thumbnailer\nWhen a photo lands in an S3 bucket, a Lambda function wakes up, crops the photo, "
            "stores the crop in a second bucket, and notifies the owner through SNS.")
    found = series(text)
    assert found is not None
    assert found[0][:2] == ["S3 bucket", "Lambda function"]
    assert read_prose(text).labels == ("S3 bucket", "Lambda function", "Wakes up", "Crops the photo",
                                        "Stores the crop in a second bucket", "Notifies the owner through SNS")


def test_series_of_noun_phrases_after_includes():
    text = "# Reads pipeline\nThe workflow includes adapter trimming, read alignment, duplicate marking and finally peak calling."
    assert _line(text) == "# steps: Adapter trimming > Read alignment > Duplicate marking > Peak calling"


def test_a_series_in_one_sentence_of_a_long_story_is_not_the_flow():
    story = ("The clerk opens the mail. " * 6 + "She sorts letters, stamps forms, and files copies. " +
             "Then the manager signs the forms. " * 4)
    found = series(story)
    assert found is not None  # the sentence is a series ...
    plan = read_prose(story)
    assert plan is None or "Stamps forms" not in plan.labels  # ... but too small a part of the text


# ---- components named with capitalised words after them ----------------------------------------

def test_component_keeps_capitalised_words_and_generic_nouns():
    names = mentions("Events go to a Kinesis Stream; Kinesis Analytics queries them and the Redis cache "
                     "serves reads. Glue ETL jobs compact the lake.")
    assert names == ["Kinesis Stream", "Kinesis Analytics", "Redis cache", "Glue ETL jobs"]


def test_component_followed_by_another_component_stays_two():
    assert mentions("Kafka Postgres demo") == ["Kafka", "Postgres"]


def test_arrow_chain_beats_emoji_headed_lines():
    text = ("Shipping a parcel is a chain:\nScan → Sort → Load → Drive → Hand over\nEach hop asks:\n"
            "👉 Where is it?\n👉 Is it late?\n👉 Who holds it?\nThread ↓")
    assert _line(text) == "# steps: Scan > Sort > Load > Drive > Hand over"


def test_lines_saying_what_each_component_does():
    text = ("Overview\nThe setup works like this:\nBuildkite\nRuns the unit tests\nPackages the wheel\n"
            "Publishes it to the index\nHelm\nRenders the chart values\nInstalls the release")
    assert _line(text) == ("# steps: Buildkite > Runs the unit tests > Packages the wheel > Publishes it to the index > "
                           "Helm > Renders the chart values > Installs the release")


def test_verb_bullets_with_sub_items_under_a_colon():
    text = ("## The parser\n- Reads each row from the export\n- Splits the row into fields:\n- name\n- date\n"
            "- amount\n- Validates the amounts against the ledger totals (per day)\n- Writes the clean rows")
    assert read_lists(text).labels == ("The parser", "Reads each row from the export", "Splits the row into fields",
                                       "Validates amounts against ledger totals", "Writes the clean rows")  # articles go before a cut
