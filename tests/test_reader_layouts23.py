"""Flows written in layouts the other readers do not read (diagram/reader_layouts.py; issue 21, release 4).

Made-up texts in the layouts people outside the project write (not copies of corpus rows)."""

from diagram.reader import read_request, request_kind
from diagram.reader_layouts import (read_arrow_lines, read_headings, read_inline_numbered, read_noun_lines, read_tree,
                                    read_sequence, read_step_headings, speaks_of_net)


def _branches(plan) -> bool:
    return any(len(node.targets) >= 2 for node in plan.nodes())


def test_vertical_arrows_between_lines_and_a_fan_out_on_the_last():
    text = ("Overview\n\nRaw Events (mobile, web)\n      ↓\n   Landing Zone\n      ↓\n   Curated Tables\n"
            "      ↓\n Dashboards | Alerts | Feature Store")
    plan = read_request(text)
    assert plan is not None
    assert plan.ranks == (("Raw Events",), ("Landing Zone",), ("Curated Tables",),
                          ("Dashboards", "Alerts", "Feature Store"))


def test_bar_and_v_arrows_with_hung_steps_and_an_alternative():
    text = ("The flow:\nUpload Form\n|\nv\nQueue Listener\n|\n+---> Step 1: Parser -- Split the form into fields, "
            "checkboxes and notes\n|\n+---> Step 2: Scorer -- Score the request against the policy rules\n|\n"
            "+---> Step 3: Writer -- Store the result\n| OR send rejected forms to the manual review desk\nv\nDone")
    plan = read_arrow_lines(text)
    assert plan is not None
    assert plan.labels[:3] == ("Upload Form", "Queue Listener", "Parser -- Split the form into fields checkboxes and notes")
    assert "Send rejected forms to the manual review desk" in plan.labels and "Writer -- Store the result" in plan.labels
    assert _branches(plan)  # the scorer leads to the writer or to the review desk


def test_steps_with_a_trailing_bar_for_the_arrow():
    text = ("A usual day at the bakery goes like this |\n |\nMix the dough |\n |\nLet it rise |\n |\n"
            "Bake the loaves |\n |\nShelve the bread |")
    assert read_request(text).labels == ("Mix the dough", "Let it rise", "Bake the loaves", "Shelve the bread")


def test_a_chain_line_with_one_arrow_down_to_one_more_component():
    text = "Orders are streamed and stored.\n[Web Shop] → Broker → [Stream Jobs] → Warehouse\n↓\n[Quarantine Bucket]"
    assert read_request(text).labels == ("Web Shop", "Broker", "Stream Jobs", "Warehouse", "Quarantine Bucket")


def test_tables_and_boxes_are_no_arrow_lines():
    table = "| Stage | Tool |\n|---|---|\n| Fetch | curl |\n| Parse | jq |\n| Load | psql |"
    assert read_arrow_lines(table) is None
    boxes = "+------+   +------+\n| Fetch | --> | Load |\n+------+   +------+\n|\nv\nDone"
    assert read_arrow_lines(boxes) is None


def test_a_sequence_diagram_reads_the_long_names_and_the_messages():
    text = ("```mermaid\nsequenceDiagram\n  participant W as Web Client\n  participant G as Gateway Service\n"
            "  participant P as Payment Provider\n  participant L as Ledger DB\n  W->>G: checkout\n"
            "  G->>P: charge card\n  P-->>G: receipt\n  G->>L: record entry\n  G->>G: log\n```")
    plan = read_request(text)
    assert plan is not None
    assert plan.ranks == (("Web Client",), ("Gateway Service",), ("Payment Provider", "Ledger DB"))


def test_a_sequence_diagram_on_one_line():
    text = ("sequenceDiagram participant A as Camera (Front Door) participant B as Frame Queue participant C as "
            "Detector A->>B: frame B->>C: batch")
    assert read_sequence(text).labels == ("Camera (Front Door)", "Frame Queue", "Detector")


def test_an_inline_numbered_list_in_one_line():
    text = ("Boarding a flight takes a few stages.\n1 check in online 2 drop the bags 3 pass security "
            "4 wait at the gate 5 board the plane.")
    assert read_request(text).labels == ("Check in online", "Drop the bags", "Pass security", "Wait at the gate",
                                         "Board the plane")
    assert read_inline_numbered("(1) wash the cup (2) dry the cup (3) shelve the cup").labels == (
        "Wash the cup", "Dry the cup", "Shelve the cup")
    assert read_inline_numbered("We sold 3 apples and 2 pears on 1 day.") is None


def test_noun_phrases_one_a_line_after_an_intro():
    text = "Closing a support ticket should follow\nticket review\ncustomer confirmation\nroot cause note\nticket archive."
    assert read_request(text).labels == ("Ticket review", "Customer confirmation", "Root cause note", "Ticket archive")


def test_noun_lines_are_no_code_and_no_sub_bullets():
    code = "with Flow('nightly') as flow:\n    a = fetch()\n    b = clean(a)\n    c = store(b)"
    assert read_noun_lines(code) is None
    bullets = "The layers are:\n• Raw data\n• Clean data\n• Gold data"
    assert read_noun_lines(bullets) is None


def test_headings_over_their_paragraphs():
    text = ("Intake\nIntake comes first: the clerk records the caller's name, address and the reason for the call.\n"
            "Assessment\nAssessment follows intake, where a social worker weighs the needs of the household.\n"
            "Support Plan\nAfter the assessment, the worker and the family agree on a support plan together.\n"
            "Follow-up\nFinally, the worker calls back after a month to see how the plan is working.")
    plan = read_request(text)
    assert plan.labels == ("Intake", "Assessment", "Support Plan", "Follow-up")
    assert read_headings("Intake\nAssessment\nSupport Plan") is None


def test_step_headings_with_yes_and_no_outcomes():
    text = ("STEP 1: Open the claim\nSTEP 2: CHECK THE RECEIPTS (see the expense policy)\n- Make sure every "
            "receipt is attached.\nSTEP 3: RECEIPTS COMPLETE?\n- YES: PAY OUT - Moves the claim to the payment run.\n"
            "- NO: SEND BACK - Returns the claim to the employee with a note.\nSTEP 4: Archive the claim")
    plan = read_request(text)
    assert plan is not None
    assert plan.labels == ("Open the claim", "Check the receipts", "Receipts complete?", "Pay out", "Send back",
                           "Archive the claim")
    assert _branches(plan)
    assert plan.loops == ((4, 0),)  # sending back starts the claim over
    assert read_step_headings("STEP 1: Open\nSTEP 2: Read\nSTEP 3: Close") is None  # no outcomes: read_numbered's


def test_a_flow_with_token_counts_is_no_dense_net():
    text = ("Indexing flow\nChop pages into passages (200-400 words each)\nTurn passages into vectors\n"
            "Store vectors in the index")
    assert not speaks_of_net(text)
    assert request_kind(text) == "flow"
    assert read_request(text).labels == ("Chop pages into passages (200-400 words each)", "Turn passages into vectors",
                                         "Store vectors in the index")


def test_a_net_is_still_read_as_one():
    assert speaks_of_net("an MLP 4-8-2") and speaks_of_net("DL model 3-6-4") and speaks_of_net("dims 9 -> 6 -> 1")
    assert read_request("Dimensions go 9 -> 6 -> 3").line() == "# layers 9-6-3"


def test_an_indented_tree_hangs_each_item_from_the_one_above_it():
    text = ("Release flow\n```\nTag Release\n├── Build Artifacts\n│   ├── Sign Binaries\n│   └── Upload Checksums\n"
            "└── Draft Notes\n    └── Announce Release\n```")
    plan = read_request(text)
    assert plan.ranks == (("Tag Release",), ("Build Artifacts", "Draft Notes"),
                          ("Sign Binaries", "Upload Checksums", "Announce Release"))


def test_a_tree_without_indentation_arrows_down_and_chains_on_a_line():
    text = ("Setup\nDoor Sensor\n↓ Zigbee\nHome Hub\n├──► Rules Engine → Push Alerts\n└──► Event Log\n"
            "│ (kept for a year)\n├──► Archive Bucket\n└──► Weekly Report\nThat is the whole system.")
    plan = read_tree(text)
    assert plan is not None
    assert plan.ranks == (("Door Sensor",), ("Home Hub",), ("Rules Engine", "Event Log"),
                          ("Push Alerts", "Archive Bucket", "Weekly Report"))
    assert read_tree("Intro line\n└─ only one item") is None


def test_a_heading_whose_paragraph_asks_whether_becomes_a_decision():
    text = ("Check-in\nCheck-in comes first: the desk scans the booking code and prints a boarding pass.\n"
            "Screening\nScreening follows check-in, where officers scan the bags and the travellers.\n"
            "Clearance\nFinally, the officer decides whether the traveller is cleared to the gate or sent to a "
            "second search.")
    plan = read_request(text)
    assert plan.ranks == (("Check-in",), ("Screening",), ("Clearance?",), ("Cleared to the gate", "Sent to a second search"))
    assert _branches(plan)


def test_a_layout_with_fuller_labels_replaces_the_same_steps():
    text = "Nightly DAG\nbegin\n└─ fetch (orders + refunds)\n└─ clean\n└─ publish"
    assert read_request(text).labels == ("Begin", "Fetch (orders + refunds)", "Clean", "Publish")


def test_a_return_line_under_a_chain_leads_down_to_the_last_step():
    text = ("How a page loads\nClient -> Resolver -> Edge Cache -> Origin\n^ |\n|------- page bytes -------\n|\n"
            "Paint (DOM, CSSOM)")
    assert read_request(text).labels == ("Client", "Resolver", "Edge Cache", "Origin", "Paint (DOM CSSOM)")
    assert speaks_of_net("Сеть: входной слой с 4 узлами, выходной слой с 2 узлами")  # other languages too
