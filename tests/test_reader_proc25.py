"""Process reading mechanisms of issue 21, release 6 round (made-up inputs, not rows of the corpora)."""

from diagram.plan import Plan
from diagram.reader import read_request
from diagram.reader_clauses import folded_lists
from diagram.reader_lang import read_diagram_source


def _branches(plan: Plan) -> bool:
    back = set(plan.loops)
    out: dict[int, set[int]] = {}
    for node in plan.nodes():
        for t in node.targets:
            if (node.id, t) not in back:
                out.setdefault(node.id, set()).add(t)
    return any(len(ts) >= 2 for ts in out.values())


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
