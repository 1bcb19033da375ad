"""Process reading mechanisms of issue 21, release 6 round (made-up inputs, not rows of the corpora)."""

from diagram.plan import Plan
from diagram.reader import read_request
from diagram.reader_algo import _short
from diagram.reader_clauses import _sentences, folded_lists, plain_conditions, read_clauses
from diagram.reader_lang import read_diagram_source


def _branches(plan: Plan) -> bool:
    back = set(plan.loops)
    out: dict[int, set[int]] = {}
    for node in plan.nodes():
        for t in node.targets:
            if (node.id, t) not in back:
                out.setdefault(node.id, set()).add(t)
    return any(len(ts) >= 2 for ts in out.values())


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


# ---- flowcharts written in a diagram language -----------------------------------------------------------

_MERMAID = """```mermaid
flowchart TD
    s((Begin))
    a[Take ticket]
    q{Seat free?}
    b[Sit down]
    c[/Wait in line/]
    e((Leave))
    s --> a --> q
    q -- Yes --> b --> e
    q -- No --> c --> q
    style s fill:#eee
```"""


def test_mermaid_with_nodes_declared_apart_and_text_on_its_edges():
    plan = read_diagram_source(_MERMAID)
    assert plan is not None
    assert plan.labels[:3] == ("Begin", "Take ticket", "Seat free?")
    assert set(plan.ranks[3]) == {"Sit down", "Wait in line"} and _branches(plan)
    labels = plan.labels
    assert [(labels[a], labels[b]) for a, b in plan.loops] == [("Wait in line", "Seat free?")]
    assert read_request(_MERMAID) == plan  # read before the other flow readers


def test_mermaid_loop_test_gets_no_else_continue_and_a_one_way_rhombus_is_no_question():
    loop = read_diagram_source("graph TD\n  A[Type code] --> B{Code ok?}\n  B -->|no| A\n  B -->|yes| C[Open door]\n"
                               "  C --> D[Close door]")
    assert loop.line() == "# steps: Type code > Code ok? > Open door > Close door; loop Code ok? > Type code"
    hub = read_diagram_source("flowchart LR\n  A[Sensors] --> B{Router}\n  B --> C[Store]\n  C --> E[Report]")
    assert hub.labels == ("Sensors", "Router", "Store", "Report")  # one way out: a component drawn as a rhombus
    fan = read_diagram_source("flowchart LR\n  A[Sensors] --> B{Router}\n  B --> C[Store] & D[Alert & Page]\n"
                              "  C --> E[Report]")
    assert fan.ranks[1:3] == (("Router?",), ("Store", "Alert & Page"))  # "&" between nodes, not in a label
    twins = read_diagram_source("flowchart LR\n  A[Queue<br/>orders] --> B[Worker]\n  B --> C[Queue<br/>invoices]")
    assert twins.labels == ("Queue orders", "Worker", "Queue invoices")  # the second line tells them apart


def test_graphviz_dot_with_labels_shapes_and_a_loop():
    plan = read_diagram_source("""digraph review {
  rankdir=LR;
  node [shape=box];
  s [label="Submit essay"];
  r [label="Grade essay"];
  ok [label="Passed", shape=diamond];
  done [label="Publish grade"];
  s -> r -> ok;
  ok -> done [label="yes"];
  ok -> s [label="no"];
}""")
    assert plan.line() == "# steps: Submit essay > Grade essay > Passed? > Publish grade; loop Passed? > Submit essay"
    quoted = read_diagram_source('digraph { "Fill form" -> "Check form"; "Check form" -> "Send form" [label="ok"]; '
                                 '"Check form" -> "Fix form" [label="not ok"]; "Fix form" -> "Check form"; }')
    assert quoted.ranks[:3] == (("Fill form",), ("Check form",), ("Send form", "Fix form"))


def test_plantuml_activity_if_else_and_repeat():
    plan = read_diagram_source("""@startuml
start
:Scan badge;
if (Badge valid?) then (yes)
  :Open gate;
elseif (Visitor pass?) then (yes)
  :Call host;
else (no)
  :Sound alarm;
endif
:Log event;
stop
@enduml""")
    assert plan is not None and "Badge valid?" in plan.labels and "Visitor pass?" in plan.labels
    rank = {label: r for r, labels in enumerate(plan.ranks) for label in labels}
    assert rank["Open gate"] == rank["Visitor pass?"] == rank["Badge valid?"] + 1
    assert rank["Log event"] > max(rank["Call host"], rank["Sound alarm"])
    looped = read_diagram_source("@startuml\nstart\nrepeat\n  :Pour water;\n  :Measure level;\n"
                                 "repeat while (Level low?) is (yes)\n:Serve;\nstop\n@enduml")
    assert looped.line() == ("# steps: Start > Pour water > Measure level > Level low? > Serve > Stop; "
                             "loop Level low? > Pour water")


def test_text_that_is_no_diagram_source_is_left_to_the_other_readers():
    assert read_diagram_source("First wash the cups, then dry them and put them away.") is None
    assert read_diagram_source("@startuml\nAlice -> Bob: hello\n@enduml") is None  # a sequence diagram


# ---- conditions and loops as written in running text ----------------------------------------------

def test_conditions_in_running_text_become_if_sentences():
    out = plain_conditions(_sentences("The clerk counts the boxes, if the count is correct, she signs the note."))
    assert out == ["The clerk counts the boxes", "if the count is correct, she signs the note."]
    checked = read_clauses("Check whether the tank is full: if yes, close the valve; if no, open the tap. "
                           "Then write the level down.")
    assert checked.line() == "# steps: Check whether tank is full > Tank is full? > Close valve, Open tap > Write level down"
    asked = read_clauses("Is the badge valid? Yes: open the gate. No: call the guard.")
    assert asked.line() == "# steps: Badge valid? > Open gate, Call guard"


def test_two_cases_of_one_condition_and_events_in_a_row():
    cases = read_clauses("The robot scans the shelf. When an item is missing, it orders a new one; when it is "
                         "present, it moves on.")
    assert "Item is missing?" in cases.labels and _branches(cases)
    events = read_clauses("When the form is created, the clerk files it. When the form is signed, the clerk "
                          "sends it to the bank.")
    assert not any(label.endswith("?") for label in events.labels)  # events in a row, no decision


def test_keep_doing_while_and_done_for_each_are_loops():
    keep = read_clauses("Keep asking for the code while it is wrong; when it is right, open the door.")
    labels = keep.labels
    assert labels[:2] == ("Ask for code", "It is wrong?") and "Open door" in labels
    assert [(labels[a], labels[b]) for a, b in keep.loops] == [("It is wrong?", "Ask for code")]
    each = read_clauses("The clerk weighs a parcel. She prints a label. This is done for each parcel in the bin. "
                        "Finally she closes the bin.")
    assert "Close bin" in each.labels and not any("each parcel" in label.lower() for label in each.labels)
    assert each.loops
    titled = read_clauses("Scenario: Door lock. Keep asking for the code while it is wrong; when it is right, "
                          "open the door.")
    assert titled is not None and "Ask for code" in titled.labels
