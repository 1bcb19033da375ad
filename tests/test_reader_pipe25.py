"""Pipelines read as people write them (issue 21, round 25): mechanisms that carry to unseen text.
Made-up inputs only (no rows of the outside corpora)."""
from diagram.plan import Plan
from diagram.reader import read_request
from diagram.reader_lists import with_inline_checks
from diagram.reader_prose import read_prose, series


# ---- one component named twice: the fuller name is its label --------------------------------------

def test_a_component_named_more_fully_later_takes_the_fuller_name():
    plan = read_prose("Orders land in Kafka first. Apache Kafka hands them to Flink, which writes to ClickHouse.")
    assert plan is not None
    assert plan.labels == ("Apache Kafka", "Flink", "ClickHouse")


def test_the_fuller_name_renames_the_step_where_it_was_first_named():
    plan = read_request("The app uses Lambda for compute and DynamoDB for state. An upload to the S3 bucket "
                        "triggers a Lambda function that writes a row to DynamoDB.")
    assert plan is not None
    assert plan.labels[0] == "Lambda function"
    assert "Lambda" not in plan.labels


def test_a_verb_after_a_name_is_no_fuller_name():
    plan = read_prose("Files land in S3. S3 stores them and Athena queries them.")
    assert plan is not None
    assert plan.labels == ("S3", "Athena")


# ---- a picture's size makes no CNN ----------------------------------------------------------------

def test_a_flow_that_states_an_image_size_is_read_as_a_flow():
    plan = read_request("1. The browser uploads a photo to the S3 bucket.\n"
                        "2. An S3 event triggers a Lambda function that makes a 640x480 preview.\n"
                        "3. The preview is written to a second S3 bucket and a row goes to DynamoDB.")
    assert plan is not None and plan.kind == "steps"
    assert any("Lambda" in label for label in plan.labels)


def test_a_net_with_an_image_size_is_still_no_flow():
    assert read_request("A CNN for 32x32 images") is None
    assert read_request("Input 28x28, then 784 neurons") is None


# ---- an enumeration of stages: bounded by its brackets, dashes and stated count ---------------------

_FOUR = ("Our search service has four stages: crawling (fetch pages, follow links), parsing (HTML to text), "
         "indexing in an inverted index (Lucene), and ranking (BM25, learned weights).")


def test_a_counted_list_reads_its_items_without_what_the_brackets_say_they_do():
    plan = read_request(_FOUR)
    assert plan is not None
    assert plan.labels == ("Crawling", "Parsing", "Indexing in an inverted index", "Ranking")


def test_a_count_the_items_do_not_match_is_no_counted_list():
    assert series(_FOUR.replace("four stages", "five stages")) is None
    assert series(_FOUR) is not None


def test_commas_inside_brackets_do_not_split_an_item():
    plan = read_request(_FOUR.replace("four stages", "five stages"))
    assert plan is not None
    assert plan.n_nodes == 4 and plan.labels[0].startswith("Crawling")


def test_a_dash_closes_the_list_of_stages():
    plan = read_request("A good data platform is more than storage. It includes collection, cleaning, modelling, "
                        "serving, and auditing — all tested, documented, and owned.")
    assert plan is not None
    assert plan.labels == ("Collection", "Cleaning", "Modelling", "Serving", "Auditing")


# ---- a check written inside one step ----------------------------------------------------------------

def test_a_question_and_its_outcome_in_one_bullet_is_a_decision():
    plan = read_request("Release steps:\n- Build the bundle\n- Run the smoke tests\n- Publish to the CDN\n"
                        "- Smoke tests red? Revert.")
    assert plan is not None
    assert "Smoke tests red?" in plan.labels and "Revert" in plan.labels
    decision = plan.labels.index("Smoke tests red?")
    rank = next(r for r in plan.ranks if "Revert" in r)
    assert len(rank) == 2 and plan.labels[decision + 1] in rank


def test_an_if_arrow_step_is_a_decision_with_the_way_on():
    plan = with_inline_checks(Plan.steps([["Start job"], ["Wait"], ["All green → ship it?"], ["Else: continue"]]))
    assert plan.line() == "# steps: Start job > Wait > All green? > Ship it, Else: continue"


def test_steps_without_a_check_are_left_alone():
    plan = Plan.steps([["Build"], ["Test"], ["Deploy"]])
    assert with_inline_checks(plan) is plan


# ---- a name written before an arrow is a component ---------------------------------------------------

def test_the_name_before_the_first_arrow_is_a_step_too():
    plan = read_prose("This starter moves records from Zendesk -> BigQuery -> Looker with Airbyte doing the loading "
                      "and dbt the modelling.")
    assert plan is not None
    assert plan.labels[:3] == ("Zendesk", "BigQuery", "Looker")


def test_the_end_of_an_html_comment_is_no_arrow():
    plan = read_request("<!--BEGIN NOTICE BANNER--> The stack uses Airbyte to load S3 data into Snowflake.")
    assert plan is not None
    assert not any("BANNER" in label.upper() for label in plan.labels)


# ---- a list item keeps the whole name its writer gave it ---------------------------------------------

def test_a_plural_subject_before_a_plain_verb_is_the_whole_stage_name():
    plan = read_request("Stages of the pipeline\n- Intake agents collect each order and check it\n"
                        "- Pricing workers compute the totals in batches\n- Billing sends the invoice to the customer\n"
                        "- Archive stores the order for seven years")
    assert plan is not None
    assert plan.labels == ("Intake agents", "Pricing workers", "Billing", "Archive")


def test_a_short_item_that_fits_a_label_is_not_cut_at_its_preposition():
    plan = read_request("Concept Flow - Order handling\nOrder Placed by Customer\nOrder Checked by Fraud Service\n"
                        "Order Packed in Warehouse\nOrder Shipped by Courier\n"
                        "Orders move from the shop through checks, packing and shipping.")
    assert plan is not None
    assert "Order Checked by Fraud Service" in plan.labels
    assert "Order Checked" not in plan.labels


def test_a_question_the_text_answers_is_no_check():
    plan = Plan.steps([["Collect events"], ["Why Kafka? Durable replay"], ["Load to warehouse"]])
    assert with_inline_checks(plan) is plan
