"""Issue 21, round 24 (processes): general mechanisms of the step reader, on made-up inputs."""

from __future__ import annotations

from diagram.reader import read_request
from diagram.reader_algo import LABEL_CHARS, inline_steps, short_step
from diagram.reader_text import fit_label, headline


def _labels(text: str) -> list[str]:
    plan = read_request(text)
    assert plan is not None
    return [n.label for n in plan.nodes()]


# ---- labels shortened the way a headline is -----------------------------------------------------

def test_headline_drops_auxiliaries_only_when_too_long():
    assert headline("The parcel will be weighed", 40) == "The parcel will be weighed"  # fits: as written
    long = "All pending invoices will be reviewed by the finance clerk"
    short = headline(long, 40)
    assert len(short) <= 40 or "will" not in short.split()
    assert short.startswith("All pending invoices")
    assert "reviewed" in short and "finance" in short


def test_headline_keeps_code_and_first_and_last_words():
    # "a = b", "n is 0": not words of a sentence a headline may shorten
    text = "Set a = b when the counter n is 0 and the flag is raised again"
    out = headline(text, 40)
    assert "a = b" in out and "n is 0" in out


def test_fit_label_cuts_after_a_whole_word_without_a_dangling_one():
    out = fit_label("Measure the width of the wooden panel against the template of the frame", 40)
    assert len(out) <= 40
    assert not out.split()[-1].lower() in {"of", "the", "against", "and"}
    assert out.startswith("Measure width of wooden panel")


def test_short_keeps_more_than_a_verb_and_its_subject():
    # a cut at the particle "in" would leave "Visitor signs"
    out = short_step("The visitor signs in to the guest portal with a badge to open the outer gate")
    assert out.startswith("Visitor signs in to guest portal")
    assert len(out) <= LABEL_CHARS


# ---- "Step N:" markers inside a line --------------------------------------------------------------

def test_inline_step_markers_become_lines():
    text = "Step 1: Begin Step 2: Read the width w Step 3: Print w times two Step 4: Halt"
    assert inline_steps(text).splitlines() == ["Step 1: Begin", "Step 2: Read the width w",
                                               "Step 3: Print w times two", "Step 4: Halt"]


def test_inline_step_markers_glued_or_in_backquotes():
    glued = "Step 1: BeginStep 2: Read k.\nStep 3: Print k.\nStep 4: Halt."
    assert inline_steps(glued).splitlines()[:2] == ["Step 1: Begin", "Step 2: Read k."]
    quoted = "`` Step 1: Begin``\n`` Step 2: Read k ``\n`` Step 3: Halt``"
    assert inline_steps(quoted).splitlines() == ["Step 1: Begin", "Step 2: Read k", "Step 3: Halt"]


def test_inline_step_markers_out_of_order_are_left_alone():
    text = "Do as in step 3: wash, then see Step 1: dry and Step 2: fold"
    assert inline_steps(text) == text


def test_steps_in_one_line_read_as_steps():
    labels = _labels("Step 1: Begin Step 2: Read the width w Step 3: Print w times two Step 4: Halt")
    assert labels == ["Begin", "Read width w", "Print w times two", "Halt"]


def test_headline_keeps_the_verb_of_there_and_relative_clauses():
    text = "There might be several reviewers working on the same pull request"
    assert headline(text, 40).startswith("There might be several reviewers")
    text = "Afterwards the clerk archives all the folders that are closed today"
    assert "that are closed" in headline(text, 40)


# ---- the task a request sets is no step -------------------------------------------------------------

def test_unframe_keeps_what_the_program_does():
    from diagram.reader_clauses import unframe
    assert unframe("Write a program to convert the price and print the receipt") == \
        "convert the price and print the receipt"
    assert unframe("Draw a flow chart that can be used to create a program which reads three marks") == \
        "reads three marks"
    assert unframe("Develop an algorithm using pseudocode to count the vowels") == "count the vowels"


def test_unframe_drops_a_sentence_that_only_sets_the_task_or_describes_the_drawing():
    from diagram.reader_clauses import unframe
    assert unframe("Prepare a flowchart using any tool for the following refund process") == ""
    assert unframe("Requirements: Write the algorithm (5 pts) and draw the flowchart (5 pts)") == ""
    assert unframe("The activity diagram below shows the parcel return process in detail") == ""
    assert unframe("The clerk writes a note to the courier") == "The clerk writes a note to the courier"


def test_framed_request_reads_its_steps_not_the_task():
    labels = _labels("Write a program to read the length of a fence. The program multiplies the length by the "
                     "price per metre. If the total is over 500, it prints a warning. Then it prints the total.")
    assert not any(label.lower().startswith("write") for label in labels)
    assert any("length" in label.lower() and label.lower().startswith("read") for label in labels)


def test_a_long_question_ends_on_a_word_it_asks_about():
    from diagram.reader_clauses import _question
    from diagram.grammar import LABEL_MAX_CHARS
    text = "the total value of the requisition is less than the limit of the department"
    q = _question(text)
    assert q.endswith("?") and len(q) <= LABEL_MAX_CHARS and len(q) < len(text)
    assert q.split()[-1].rstrip("?").lower() not in {"is", "the", "of", "than", "a", "any"}
    assert " is " in q  # a question keeps its verb ("value is less"), only articles go


def test_headline_turns_a_modal_and_its_verb_into_one_verb():
    out = headline("The billing service will retry the failed payment three times with a longer pause", 40)
    assert "service retries failed payment" in out
    out = headline("All regional managers will approve the quarterly plans before the deadline", 40)
    assert "managers approve quarterly plans" in out  # a plural keeps the verb as it is
    out = headline("The parcel will be weighed at the depot and then labelled for the courier", 40)
    assert "parcel weighed at depot" in out


def test_headline_writes_and_as_ampersand_only_when_still_too_long():
    assert headline("Sand and paint the frame", 40) == "Sand and paint the frame"
    out = headline("Measure the opening and cut the glass panel to size for the frame", 40)
    assert "opening & cut glass panel" in out


# ---- a choice of two acts on one thing ----------------------------------------------------------------

def test_verb_choice_shares_the_object():
    from diagram.reader_clauses import verb_choice
    assert verb_choice("The editor can either publish or archive the draft") == ("Publish draft", "Archive draft")
    assert verb_choice("The warden must choose to RENEW or CANCEL the permit") == ("Renew permit", "Cancel permit")
    assert verb_choice("The coach reviews the plan, accepts it or returns it", ["plan"]) == \
        ("Accept plan", "Return plan")


def test_verb_choice_is_no_passive_or_list_of_things():
    from diagram.reader_clauses import verb_choice
    assert verb_choice("The parcel is delivered or picked up at the desk") is None
    assert verb_choice("Bring a pen or pencil to the exam") is None


def test_choice_in_a_process_branches():
    plan = read_request("The tenant sends a repair request. The landlord can approve or reject the request. "
                        "Then the tenant is informed by email.")
    labels = [n.label for n in plan.nodes()]
    assert "Approve request" in labels and "Reject request" in labels
    send = next(n for n in plan.nodes() if n.label.startswith("Send"))
    assert len(send.targets) == 2  # the step before the choice branches to both acts
