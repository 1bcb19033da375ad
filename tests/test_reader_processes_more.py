"""Processes as outside texts write them (issue 21, release 3): conditional steps, named steps with a
description, two-level section numbers, steps set as title lines, outcomes in a row, a procedure that
a word ("pool") made look like a CNN. Made-up inputs of the shapes the corpora hold, not their rows."""

from __future__ import annotations

from diagram.plan import Plan
from diagram.reader import read_request
from diagram.reader_algo import read_numbered, read_title_lines, with_alternatives, with_conditions


def _edges(plan: Plan) -> set[tuple[str, str]]:
    """Label pairs a plan links: every node of a rank to every node of the next (no lanes here)."""
    return {(a, b) for r in range(len(plan.ranks) - 1) for a in plan.ranks[r] for b in plan.ranks[r + 1]}


def _branches(plan: Plan) -> bool:
    return any(len(rank) >= 2 for rank in plan.ranks[1:])


def test_sections_numbered_in_two_levels_are_steps_named_by_their_titles():
    text = ("Front desk procedure\n"
            "1.1: Greet Guest: The clerk welcomes the guest at the counter.\n"
            "1.2: Check Booking: In this process the clerk looks up the booking by name.\n"
            "2.1: Hand Over Key: The key card is coded and given to the guest.\n"
            "2.2: Log Arrival: In this process the arrival time is written into the guest book.")
    plan = read_numbered(text)
    assert plan is not None
    assert plan.labels == ("Greet Guest", "Check Booking", "Hand Over Key", "Log Arrival")
    assert plan.loops == ()  # "In this process" names no repeat
    assert read_request(text) == plan


def test_a_repeat_of_this_process_is_still_a_loop():
    plan = read_numbered("1. Fill the kettle.\n2. Boil the water.\n3. Pour a cup.\n"
                         "4. If more guests arrive, repeat this process again.")
    assert plan is not None and plan.loops


def test_a_step_done_only_under_a_condition_is_a_decision_that_can_pass_it():
    plan = read_numbered("1. Unpack the parcel.\n2. Weigh the items.\n3. Labels are printed if the weight is over 2 kg.\n"
                         "4. Store the items on the shelf.")
    assert plan is not None
    assert ("Weight is over 2 kg?", "Labels are printed") in _edges(plan)  # the step keeps its words, not its condition
    assert _branches(plan)
    assert plan.labels[-1] == "Store items on shelf"


def test_a_named_step_whose_description_opens_with_if_is_conditional():
    plan = read_numbered("1. Prepare sample: The technician cleans the glass slide.\n"
                         "2. Stain sample: If the sample is from blood, a stain should be applied before drying.\n"
                         "3. Read slide: The slide is read under the microscope.")
    assert plan is not None
    assert "Stain sample" in plan.labels and "Sample is from blood?" in plan.labels
    assert _branches(plan)


def test_check_if_is_a_question_of_the_step_not_a_condition_on_it():
    plan = read_numbered("1. Open the form.\n2. Check if the fields are filled in.\n3. Submit the form.")
    assert plan is not None
    assert plan.labels == ("Open form", "Check if fields are filled in", "Submit form")


def test_steps_set_as_title_lines_with_a_sub_list_under_one():
    text = ("Hiring Workflow\n\nJob Posting\n\nCandidate Screening\n  - CV check\n  - Phone call\n\n"
            "Interview Rounds\n\nOffer Letter\n\nOnboarding Plan")
    expected = ("Job Posting", "Candidate Screening", "Interview Rounds", "Offer Letter", "Onboarding Plan")
    assert read_title_lines(text).labels == expected  # the heading ("Hiring Workflow") is no step
    assert read_request(text).labels == expected


def test_title_lines_under_bullet_markers_of_their_own():
    text = ("The five stages of the cycle are:\n-\nFault Detection\n-\nFault Isolation\n-\nFault Repair\n-\n"
            "Service Restoration\nEach stage matters for uptime.")
    assert read_request(text).labels == ("Fault Detection", "Fault Isolation", "Fault Repair", "Service Restoration")


def test_title_lines_in_a_table_first_column_drop_footnote_marks():
    text = ("Activity\nOwner\nPick Release Version\nR\nBuild Release Package1\nA/R\nRun Smoke Tests2\nI\n"
            "Publish Release Notes\nC\n1: only for hotfixes 2: skipped for docs")
    plan = read_title_lines(text)
    assert plan is not None
    assert plan.labels == ("Pick Release Version", "Build Release Package", "Run Smoke Tests", "Publish Release Notes")


def test_title_lines_need_four_and_a_third_of_the_lines():
    assert read_title_lines("Job Posting\nOffer Letter\nOnboarding Plan") is None
    prose = "\n".join(f"The clerk writes line {i} of the report and files it." for i in range(12))
    assert read_title_lines(prose + "\nJob Posting\nOffer Letter\nOnboarding Plan\nExit Review") is None


def test_outcomes_in_a_row_become_the_branches_of_a_decision():
    plan = read_request("- Submitted: the author sends the paper.\n- Under Review: referees read the paper.\n"
                        "- Accepted: the paper is taken.\n- Declined: the paper is turned down.\n"
                        "- Archived: the record is stored.")
    assert plan is not None
    assert ("Accepted", "Declined") in plan.ranks
    assert ("Under Review", "Declined") in _edges(plan)
    chained = read_request("Draft -> Under Review -> Pass -> Fail -> Archived")
    assert ("Pass", "Fail") in chained.ranks


def test_outcomes_apart_or_of_one_side_stay_a_chain():
    chain = Plan.steps([["Draft"], ["Approve budget"], ["Approve hiring"], ["Close"]])
    assert with_alternatives(chain) == chain  # both the same outcome
    apart = Plan.steps([["Draft"], ["Approved"], ["Signed"], ["Rejected"]])
    assert with_alternatives(apart) == apart  # not in a row
    first = Plan.steps([["Approved"], ["Rejected"], ["Close"]])
    assert with_alternatives(first) == first  # no step before them to branch from
    loops = Plan.steps([["Draft"], ["Review"], ["Accepted"], ["Rejected"]], ((3, 0),))
    merged = with_alternatives(loops)
    assert merged.ranks == (("Draft",), ("Review",), ("Accepted", "Rejected")) and merged.loops == ((3, 0),)


def test_a_procedure_with_a_cnn_word_but_no_network_is_read_as_steps():
    text = ("Step 1: Skim the pool\nRemove the leaves from the water with a scoop.\n"
            "Step 2: Brush the walls\nScrub the sides so that algae come loose.\n"
            "Step 3: Vacuum the floor\nIf the water is cloudy, vacuum again after an hour.")
    plan = read_request(text)
    assert plan is not None and plan.kind == "steps"
    assert plan.labels[:3] == ("Skim pool", "Brush walls", "Vacuum floor")


def test_a_cnn_told_in_words_is_not_taken_for_a_procedure():
    plan = read_request("1. conv 3x3 with 32 filters\n2. max pooling 2x2\n3. flatten\n4. dense 10")
    assert plan is None or plan.kind != "steps"


def test_a_conditional_item_of_a_list_the_list_reader_reads_gets_its_decision():
    plan = read_request("1. Receive the parcel: The courier hands over the box.\n"
                        "2. Count the items: The clerk counts what is inside.\n"
                        "3. Refund: If the items are damaged, the money is paid back to the buyer.\n"
                        "4. Close the case: The case is closed in the tracker.")
    assert plan is not None
    assert ("Count the items", "Items are damaged?") in _edges(plan)
    assert ("Items are damaged?", "Refund") in _edges(plan) and _branches(plan)
    bullets = read_request("- Forms are scanned.\n- Forms are filed.\n- Copies mailed if the client asks.\n- Case closed.")
    assert ("Client asks?",) in bullets.ranks and _branches(bullets)


def test_with_conditions_leaves_plans_with_branches_or_unnamed_steps():
    text = "1. Open the till.\n2. Count the cash.\n3. Bank the cash if the total is over 500.\n4. Lock the till."
    branched = Plan.steps([["Open till"], ["Count cash", "Bank cash"], ["Lock till"]])
    assert with_conditions(branched, text) == branched
    other = Plan.steps([["Start"], ["Middle"], ["End"]])
    assert with_conditions(other, text) == other  # no step the conditional item names
