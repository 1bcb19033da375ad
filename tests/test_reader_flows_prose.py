"""Flows told the way people outside the project write them (issue 21): numbered pseudo-code with
"go to step N", bullets with "If"/"Else"/"Repeat" items, components named in sentences. Made-up
inputs of the shapes seen in the outside corpora, not copies of their rows."""

from __future__ import annotations

from diagram.reader import read_request
from diagram.reader_algo import read_numbered


def _edges(plan):
    return {(plan.labels[n.id], plan.labels[t]) for n in plan.nodes() for t in n.targets}


def test_numbered_steps_with_goto_make_a_decision_and_a_loop_back():
    plan = read_numbered("Procedure:\nStep 1: Begin\nStep 2: Read the count k\nStep 3: If j < k then goto step 4 "
                         "else goto step 6\nStep 4: total = total + j\nStep 5: Add 1 to j and goto step 3\n"
                         "Step 6: Print the total\nStep 7: Halt")
    assert plan is not None
    assert plan.labels[:3] == ("Begin", "Read count k", "J < k?")
    edges = _edges(plan)
    assert ("J < k?", "Total = total + j") in edges and ("J < k?", "Print total") in edges  # both branches
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("Add 1 to j", "J < k?")]


def test_goto_alone_on_a_line_is_the_jump_of_the_step_before_it_not_a_node():
    plan = read_numbered("1. Open the valve.\n2. Measure the pressure.\n3. Close the valve. Go to Step 1.")
    assert plan is not None and not any("step" in label.lower() for label in plan.labels)
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("Close valve", "Open valve")]


def test_declarations_with_commas_stay_one_step():
    plan = read_numbered("Step 1: Start\nStep 2: Declare x, y = 0, z = 1\nStep 3: Print z\nStep 4: Stop")
    assert plan is not None and plan.labels == ("Start", "Declare x y = 0 z = 1", "Print z", "Stop")


def test_repeat_through_step_n_while_a_condition_is_a_decision_with_a_loop():
    plan = read_numbered("step 1: Read p, q\nstep 2: Repeat through step 4 while q is not 0\nstep 3: r = p % q\n"
                         "step 4: p = q\nstep 5: Print p")
    assert plan is not None
    assert "Q is not 0?" in plan.labels
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("P = q", "Q is not 0?")]
    assert any(len(rank) >= 2 for rank in plan.ranks)  # the loop's exit is a branch


def test_bullets_with_if_else_and_repeat_above_read_as_a_flow():
    text = ("#### Problem\nGiven a list, move every zero to its end.\n\n#### Approach\n"
            "- Take the first item of the list\n- Look at the item after it\n"
            "- If the item is zero then move it to the end\n- Else keep it in place\n"
            "- Repeat the above steps for every item")
    plan = read_request(text)
    assert plan is not None
    assert "Item is zero?" in plan.labels
    assert {"Move it to end", "Keep it in place"} <= set(plan.labels)
    assert plan.loops  # "repeat the above steps": back to the first item


def test_plain_bullets_are_left_to_the_list_readers():
    assert read_numbered("- Kafka\n- Flink\n- ClickHouse") is None
    assert read_numbered("- collect the logs\n- parse them\n- store them") is None


def test_numbered_items_listing_components_are_left_to_the_component_reader():
    text = ("1. The stack deploys an S3 bucket, an SQS queue, a Lambda and a DynamoDB table\n"
            "2. The queue listens to bucket events\n3. The Lambda writes the items to DynamoDB")
    assert read_numbered(text) is None


def test_a_long_item_is_cut_to_a_short_phrase_keeping_a_named_component():
    plan = read_numbered("1. Fetch the orders from the shop database for the last seven days of trading.\n"
                         "2. The worker will push every cleaned order record onward to the SQS queue.\n"
                         "3. Send a summary email.")
    assert plan is not None
    assert plan.labels[0] == "Fetch orders from shop database for last seven days"
    assert "SQS" in plan.labels[1] and len(plan.labels[1]) <= 60


def test_a_failing_branch_that_retries_loops_back_to_its_test():
    plan = read_numbered("* Start the job with the input file\n* The job calls the scoring service\n"
                         "* If the call fails, the job will retry up to 3 times\n* Store the scores")
    assert plan is not None
    assert "Call fails?" in plan.labels
    assert any(plan.labels[b] == "Call fails?" for _, b in plan.loops)


def test_lettered_steps_read_like_numbered_ones():
    plan = read_numbered("Do it like this:\na Divide the bigger value by the smaller value.\n"
                         "b Swap the two values around.\nc Repeat this process until the remainder is zero.")
    assert plan is not None and plan.labels[0].startswith("Divide bigger value")
    assert plan.loops


def test_names_set_in_bold_are_the_components_of_a_flow_told_in_sentences():
    text = ("* The **Browser** sends the form to the **Edge Proxy**\n"
            "* The **Edge Proxy** passes it on to the **Signup API**\n"
            "* The **Signup API** writes the account to the **Accounts Store** and calls the **Mailer**")
    plan = read_request(text)
    assert plan is not None
    assert plan.labels == ("Browser", "Edge Proxy", "Signup API", "Accounts Store", "Mailer")


def test_a_bold_heading_is_no_component():
    from diagram.reader_prose import mentions
    assert mentions("**Step 1:** the **Ledger Service** books it") == ["Ledger Service"]
    assert mentions("_Amazon Athena_ reads the **Note** field") == ["Amazon Athena"]


def test_items_that_say_what_a_named_stage_does_read_as_their_subjects():
    text = ("Stages\n- Collector gathers the readings and checks them\n- Buffer keeps them until a worker is free\n"
            "- Scorer computes an anomaly score\n- Alerter pages the person on call")
    plan = read_request(text)
    assert plan is not None and plan.labels == ("Collector", "Buffer", "Scorer", "Alerter")


def test_a_run_of_short_lines_under_a_title_is_a_chain_of_stages():
    text = ("Release flow - what happens after a merge\nMerge Request\nBuild Image\nScan Image\nShip To Cluster\n"
            "Every merge builds and scans an image before it is shipped to the cluster.")
    plan = read_request(text)
    assert plan is not None and plan.labels == ("Merge Request", "Build Image", "Scan Image", "Ship To Cluster")


def test_short_lines_further_down_a_text_are_not_taken_for_stages():
    from diagram.reader_lists import _short_lines
    lines = ["Warehouse loader", "The loader copies rows into the warehouse every night and keeps a log.",
             "It stores data such as", "Customers", "Orders", "Invoices", "The log is kept for a year."]
    assert _short_lines(lines) == []
    assert _short_lines(["How a merge is shipped to the cluster", "Merge Request", "Build Image", "Scan Image",
                         "It ships when the scan passes."]) == ["Merge Request", "Build Image", "Scan Image"]


def test_step_markers_are_numbers_not_names_of_the_steps():
    text = ("* Step 1 : If k = 0, print the total and stop; otherwise proceed to Step 2.\n"
            "* Step 2 : Add k to the total.\n* Step 3 : Take 1 from k. Go to Step 1.")
    plan = read_request(text)
    assert plan is not None and not any(label.lower().startswith("step") for label in plan.labels)
    assert "K = 0?" in plan.labels and plan.loops
    plan = read_request("* Steps 1 and 2 - The shop sends the order to the broker.\n"
                        "* Steps 3, 3.1 and 3.2 - The broker routes it to the packer.\n"
                        "* Step 4 - The packer hands the parcel to the courier.")
    assert plan is not None and not any(label.lower().startswith("step") for label in plan.labels)


def test_pseudo_code_a_statement_a_line_reads_with_its_if_else():
    text = ("Begin\nStore n=0;\nPrint (\"Type a number:\")\nRead n\nif (n % 2 == 0)\n"
            "Print (\"The number is even\")\nelse\nPrint (\"The number is odd\")\nend if")
    plan = read_request(text)
    assert plan is not None
    assert plan.labels[-3] == "N % 2 == 0?" and set(plan.ranks[-1]) == {'Print ("number is even")',
                                                                        'Print ("number is odd")'}
    assert not any("end" in label.lower() for label in plan.labels)  # "end if" closes the block, no step


def test_sentences_a_line_are_left_to_the_prose_readers():
    text = ("First, the clerk OpensTicket.\nThen, the agent ReviewsTicket.\n"
            "If the fix is known, the agent AppliesFix.\nOtherwise, the agent EscalatesTicket.")
    assert read_numbered(text) is None


def test_a_series_of_one_actors_actions_reads_as_one_step_each():
    from diagram.reader_clauses import read_clauses
    plan = read_clauses("The auditor then samples the receipts, compares the totals with the ledger, "
                        "and signs the report.")
    assert plan is not None and plan.labels == ("Sample receipts", "Compare totals with ledger", "Sign report")


def test_a_while_block_loops_from_its_last_statement_back_to_its_test():
    text = ("BEGIN\nREAD k\nSET total = 0\nWHILE k > 0 DO\nd = k % 10\ntotal = total + d\nk = k / 10\nENDWHILE\n"
            "IF total == 7\nDISPLAY lucky\nELSE\nDISPLAY plain\nENDIF\nEND")
    plan = read_request(text)
    assert plan is not None
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("K = k / 10", "K ＞ 0?")]
    assert {"DISPLAY lucky", "DISPLAY plain"} in [set(rank) for rank in plan.ranks]


def test_lettered_sub_items_under_a_numbered_while_are_its_body():
    text = ("1. Read the number.\n2. Set total to 0.\n3. while (k is not 0):\n     a. Take the last digit of k.\n"
            "     b. Add it to total.\n4. Print total.")
    plan = read_numbered(text)
    assert plan is not None
    assert "K is not 0?" in plan.labels and "Take last digit of k" in plan.labels
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("Add it to total", "K is not 0?")]
    k = plan.labels.index("K is not 0?")
    assert len(plan.ranks[[r for r, rank in enumerate(plan.ranks) if plan.labels[k] in rank][0] + 1]) == 2


def test_pseudo_code_is_not_taken_for_a_run_of_stage_names():
    from diagram.reader_lists import read_lists
    assert read_lists("Pseudocode\nBEGIN\nREAD n\nSET s = 0\nPRINT s\nEND") is None


def test_bullets_that_jump_to_step_n_count_the_bullets_as_steps():
    text = ("Method:\n- Begin\n- Read k\n- If k < 10 then go to step 5 otherwise go to step 6\n"
            "- Add 1 to k and go to step 3\n- Print k\n- Halt")
    plan = read_numbered(text)
    assert plan is not None and "K < 10?" in plan.labels
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("Add 1 to k", "K < 10?")]


def test_repeat_step_n_inside_an_item_loops_back_to_step_n():
    plan = read_numbered("Step 1: Set x = 1.\nStep 2: Print x.\nStep 3: Double x and repeat step 2 while x < 50.\n"
                         "Step 4: Stop.")
    assert plan is not None
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [("Double x", "Print x")]


def test_continue_with_a_gerund_loops_back_to_the_step_it_names():
    text = ("- Start scanning from the left end of the row.\n- Look at the current cell.\n"
            "- If the cell is empty then stop\n- Else continue scanning")
    plan = read_numbered(text)
    assert plan is not None
    assert [(plan.labels[a], plan.labels[b]) for a, b in plan.loops] == [
        ("Continue scanning", "Start scanning from left end of row")]


def test_a_mistyped_step_marker_is_still_a_number():
    text = "- Step 1 : Begin\n- Start 2 : Read n\n- Start 3 : Print n\n- Start 4 : Halt"
    plan = read_request(text)
    assert plan is not None and plan.labels == ("Begin", "Read n", "Print n", "Halt")


def test_two_outcomes_told_after_a_list_of_stages_branch_the_chain():
    text = ("Release flow - what runs after every merge\nMerge\nBuild Image\nRun Checks\nPublish Image\nAlert Owners\n"
            "When a merge lands the image is built and checked. If the checks pass, the image is published; "
            "if they fail, the owners are alerted.")
    plan = read_request(text)
    assert plan is not None
    assert plan.ranks[-1] == ("Publish Image", "Alert Owners") and plan.ranks[-2] == ("Run Checks",)


def test_outcomes_that_name_no_two_neighbouring_stages_leave_the_chain_alone():
    from diagram.plan import Plan
    from diagram.reader_lists import with_outcomes
    chain = Plan.steps([["Load"], ["Clean"], ["Train"], ["Report"]])
    assert with_outcomes(chain, "If the data is small, we load it; otherwise we report.") == chain


def test_numbered_titles_with_descriptions_under_them_are_the_steps():
    text = ("Onboarding\nStep 1: Welcome Call\nThe coordinator phones the new client.\n- Explain the plan\n"
            "Step 2: Account Setup\nThe team opens the accounts.\nStep 3: First Review\n"
            "Build: the starter report is built.\nStep 4: Handover")
    plan = read_numbered(text)
    assert plan is not None
    assert plan.labels == ("Welcome Call", "Account Setup", "First Review", "Build: starter report is built",
                           "Handover")


def test_bullets_that_are_imperative_sentences_are_one_step_each():
    text = ("#### Problem\nGroup the words of a list by their first letter.\n\n#### Approach\n"
            "- Create an empty map from letters to lists of words.\n- Read every word of the list in turn.\n"
            "- Append the word to the list of its first letter.\n- Return the map of letters to their words.")
    plan = read_request(text)
    assert plan is not None
    assert len(plan.labels) == 4 and not plan.loops
    assert [label.split()[0] for label in plan.labels] == ["Create", "Read", "Append", "Return"]
    assert plan.labels[1] == "Read every word of list in turn"


def test_marked_lines_under_a_step_are_its_sub_steps_not_a_wrapped_line():
    plan = read_numbered("Step 1 -> Read n\nStep 2 -> Repeat below steps n times\n-> print the value of a\n"
                         "-> add b to a\nStep 3 -> Stop")
    assert plan is not None
    assert {"Print value of a", "Add b to a"} <= set(plan.labels)
