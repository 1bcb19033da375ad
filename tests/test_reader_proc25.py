"""Process reading mechanisms of issue 21, release 6 round (made-up inputs, not rows of the corpora)."""

from diagram.plan import Plan, parse_plan_line
from diagram.reader import read_request
from diagram.reader_algo import _short, with_question_branches
from diagram.reader_clauses import ELSE_CONTINUE, folded_lists


def _branches(plan: Plan) -> bool:
    back = set(plan.loops)
    out: dict[int, set[int]] = {}
    for node in plan.nodes():
        for t in node.targets:
            if (node.id, t) not in back:
                out.setdefault(node.id, set()).add(t)
    return any(len(ts) >= 2 for ts in out.values())


# ---- a question drawn as a decision ---------------------------------------------------------------

def test_a_question_without_a_branch_gets_else_continue_and_keeps_its_loop():
    plan = parse_plan_line("# steps: Begin > Card inserted? > Ask for PIN > PIN correct? > Pay out > Finish; "
                           "loop PIN correct? > Ask for PIN")
    got = with_question_branches(plan)
    assert got.ranks[2] == ("Ask for PIN", ELSE_CONTINUE)
    assert _branches(got) and not _branches(plan)
    labels = got.labels
    (a, b), = got.loops  # the loop still runs from the second question back to "Ask for PIN"
    assert (labels[a], labels[b]) == ("PIN correct?", "Ask for PIN")


def test_plans_that_branch_or_ask_nothing_are_left_alone():
    branched = parse_plan_line("# steps: Start > Valid? > Save, Reject > End")
    plain = parse_plan_line("# steps: Load > Clean > Save")
    last = parse_plan_line("# steps: Load > Clean > Done?")
    looped = parse_plan_line("# steps: Think > Act > Goal met?; loop Goal met? > Think")  # the loop is its other way
    for plan in (branched, plain, last, looped):
        assert with_question_branches(plan) == plan


def test_a_mermaid_decision_whose_targets_fall_in_different_ranks_is_drawn_as_a_branch():
    text = ("flowchart TD\n    A[Open app] --> B{Account exists?}\n    B -->|No| C[Sign up]\n"
            "    B -->|Yes| D[Show home]\n    C --> D\n    D --> E[Close app]\n")
    plan = read_request(text)
    assert plan is not None and "Account exists?" in plan.labels and _branches(plan)


# ---- an item's main clause after a lead-in ----------------------------------------------------------

def test_a_long_item_opening_with_a_subordinate_clause_is_labelled_by_its_main_clause():
    assert _short("When the parcel reaches the depot, the courier scans the barcode and updates the tracking "
                  "record") .startswith("Courier scans barcode")
    assert _short("For every row in the sheet, copy the value into the summary table of the report") \
        .startswith("Copy value into summary")
    assert _short("Once approved, archive it") == "Once approved, archive it"  # short items as written
    assert _short("If the tank is full, close the valve and write the level into the log book").startswith("If")


# ---- a list that is the object of one sentence --------------------------------------------------------

_VISIT = ("At the front desk the receptionist will ask you for the following:\n\n"
          "  - Your insurance card\n  - A photo ID\n  - The name of your doctor\n\n"
          "Next the receptionist enters your details into the system. A technician then draws a blood sample. "
          "After the test, you either go home or you are sent to a specialist.")


def test_a_list_of_things_under_a_sentence_is_folded_into_it():
    folded = folded_lists(_VISIT)
    assert folded is not None
    text, items = folded
    assert items == ["Your insurance card", "A photo ID", "The name of your doctor"]
    assert "ask you for the following." in text and "photo ID" not in text


def test_a_list_of_orders_or_a_list_alone_is_not_folded():
    orders = "To start the service do the following:\n- Open the panel\n- Press the green switch\n- Wait two minutes\n"
    alone = "You will need the following:\n- A hammer\n- Some nails\n- A board\n"
    assert folded_lists(orders) is None
    assert folded_lists(alone) is None


def test_a_process_with_an_object_list_reads_its_sentences_as_the_steps():
    plan = read_request(_VISIT)
    assert plan is not None
    text = " ".join(plan.labels).lower()
    assert "insurance card" not in text and "photo id" not in text
    assert "blood sample" in text and any("receptionist" in label.lower() or "details" in label.lower()
                                          for label in plan.labels)
