"""Processes' structure: pseudo-code blocks, loops, decisions, and procedures written in other languages
(issue 21, release 4). Every text here is made up for the test."""

from __future__ import annotations

import re
import time

from diagram.reader import read_request
from diagram.reader_lang import (classify, is_other_language, read_other_language, read_pseudocode,
                                 split_items)


def _edges(plan):
    """(label, label) of every forward edge and every loop of a plan."""
    nodes = plan.nodes()
    by_id = {n.id: n.label for n in nodes}
    loops = {(by_id[a], by_id[b]) for a, b in plan.loops}
    forward = {(by_id[n.id], by_id[t]) for n in nodes for t in n.targets} - loops
    return forward, loops


def test_upper_case_pseudo_code_reads_every_statement_with_its_decisions_and_loop():
    text = ("Solution:\nBEGIN\nINPUT count\nSET total = 0\nIF count < 1 THEN\nDISPLAY \"nothing to add\"\nSTOP\n"
            "ELSE\nSET k = 1\nWHILE k <= count\nINPUT price\nIF price < 0 THEN\nBREAK\nEND IF\n"
            "SET total = total + price\nSET k = k + 1\nEND WHILE\nDISPLAY total\nEND IF\nSTOP\n"
            "Explanation:\n- The program asks how many prices to add.\n- It stops when a price is negative.")
    plan = read_request(text)
    assert plan is not None
    labels = set(plan.labels)
    for want in ("INPUT count", "SET total = 0", "Count < 1?", "SET k = 1", "K <= count?", "INPUT price",
                 "Price < 0?", "SET total = total + price", "SET k = k + 1", "DISPLAY total"):
        assert want in labels, want
    forward, loops = _edges(plan)
    assert ("SET k = k + 1", "K <= count?") in loops
    assert any(len(rank) >= 2 for rank in plan.ranks)  # the decisions branch
    assert not any(label.lower().startswith(("end if", "end while", "else ")) for label in plan.labels)


def test_a_loop_without_its_closing_keyword_runs_to_the_return_after_it():
    text = ("Search(list, wanted)\n- pos ← 0\n- found ← false\n- while pos < size and not found\n"
            "- if list[pos] = wanted\n- found ← true\n- else\n- pos ← pos + 1\n- return pos")
    plan = read_pseudocode(text)
    assert plan is not None and plan.loops
    assert {"Pos ← 0", "Found ← false", "Found ← true", "Pos ← pos + 1"} <= set(plan.labels)
    _, loops = _edges(plan)
    assert all(b == "Pos < size and not found?" for _, b in loops)


def test_braces_repeat_until_and_plantuml_blocks():
    braces = read_pseudocode("for (j = 0; j < n; j++) {\nx = read()\nif (x > top) {\ntop = x\n}\n}\nprint(top)")
    assert braces is not None and braces.loops and "Top = x" in braces.labels and "X ＞ top?" in braces.labels
    repeat = read_pseudocode("tries = 0\nREPEAT\nask for the code\ntries = tries + 1\nUNTIL code is right OR tries = 3\n"
                             "open the door")
    assert repeat is not None
    _, loops = _edges(repeat)
    assert loops == {("Code is right OR tries = 3?", "Ask for code")}
    uml = read_pseudocode("@startuml\nstart\nwhile (more pages?) is (yes)\n:scan page;\n:save page;\n"
                          "endwhile (no)\n:send batch;\nstop\n@enduml")
    assert uml is not None and "More pages?" in uml.labels and ("Save page", "More pages?") in _edges(uml)[1]


def test_pseudo_code_in_portuguese_and_spanish_keywords():
    pt = ("algoritmo \"soma\"\nvar\nn, s: inteiro\ninicio\ns <- 0\nleia(n)\nenquanto (n <> 0) faca\n"
          "s <- s + n\nse (s > 100) entao\nescreva(\"muito\")\nfimse\nleia(n)\nfimenquanto\nescreva(s)\nfimalgoritmo")
    plan = read_request(pt)
    assert plan is not None and plan.loops
    assert {"S <- 0", "S <- s + n", "N <＞ 0?", "S ＞ 100?"} <= set(plan.labels)
    es = read_pseudocode("total <- 0\nmientras total < 10 hacer\ntotal <- total + 2\nsi total = 6 entonces\n"
                         "escribir total\nfinsi\nfinmientras\nescribir \"fin\"")
    assert es is not None and es.loops and "Total = 6?" in es.labels


def test_english_step_lists_are_not_taken_for_pseudo_code():
    text = ("- Open the ticket\n- If the customer is known, load the account\n- Otherwise create an account\n"
            "- Send the reply")
    assert read_pseudocode(text) is None
    assert read_pseudocode("Collect the forms\nCheck the totals\nIf they match, file them\nSign the report") is None


def test_keywords_are_classified_by_role_in_several_languages():
    assert classify("END IF")[0] == "endif" and classify("fimse")[0] == "endif"
    assert classify("ELSE IF x > 2 THEN")[0] == "elif" and classify("иначе если x > 2")[0] == "elif"
    assert classify("Wenn der Antrag fehlt, ruft er an")[0] == "if"
    assert classify("mientras x < 3 hacer")[0] == "while" and classify("tant que x < 3 faire")[0] == "while"
    assert classify("End the call with the customer")[0] == "stmt"  # a statement, not "END"
    assert classify("Set x = 0")[0] == "stmt" and classify("Send the form")[0] == "stmt"  # no "se"/"si" inside words
    assert classify("Se envía la factura al cliente")[0] == "stmt"  # a reflexive verb, no consequent: no "if"
    assert classify("Se o valor for par, some um")[0] == "if"


def test_other_languages_are_told_apart_from_english():
    assert is_other_language("Der Kunde füllt das Formular aus und der Berater prüft die Angaben im System.")
    assert is_other_language("Клиент заполняет форму, затем менеджер проверяет данные и отправляет ответ.")
    assert not is_other_language("The customer fills in the form and the advisor checks the data in the system.")
    assert not is_other_language("Create Ticket\nAssign Agent\nResolve Ticket\nClose Ticket\nSend Survey\nArchive")


def test_a_german_procedure_reads_its_steps_decision_and_loop():
    text = ("Bestellung bearbeiten\n\nDer Kunde sendet die Bestellung an den Verkauf. Der Verkauf prüft den "
            "Lagerbestand. Wenn die Ware fehlt, bestellt der Einkauf beim Lieferanten. Der Versand packt das Paket. "
            "Ist die Adresse falsch, wird der Schritt 2 wiederholt.")
    plan = read_request(text)
    assert plan is not None
    text_labels = " | ".join(plan.labels)
    for words in ("Kunde sendet die Bestellung", "prüft den Lagerbestand", "Versand packt das Paket"):
        assert words in text_labels, words
    assert "Die Ware fehlt?" in plan.labels
    assert any(len(rank) >= 2 for rank in plan.ranks) and plan.loops


def test_titled_items_in_another_language_read_as_their_titles():
    text = ("Recibir la solicitud – El agente registra los datos del cliente en el sistema.\n"
            "Revisar los documentos – Se comprueba que estén completos y firmados.\n"
            "Aprobar el crédito – El gerente firma la aprobación final del préstamo.\n"
            "Notificar al cliente – Se envía un correo con la decisión tomada.")
    plan = read_request(text)
    assert plan is not None
    assert list(plan.labels) == ["Recibir la solicitud", "Revisar los documentos", "Aprobar el crédito",
                                 "Notificar al cliente"]


def test_russian_list_items_with_if_and_else_branch():
    text = ("Алгоритм:\n- Начало.\n- Ввести число N.\n- Если N больше нуля, то:\n- Вывести слово плюс.\n"
            "- Иначе:\n- Вывести слово минус.\n- Конец.")
    plan = read_other_language(text)
    assert plan is not None
    assert "N больше нуля?" in plan.labels
    assert {"Вывести слово плюс", "Вывести слово минус"} in [set(rank) for rank in plan.ranks]


def test_split_items_joins_wrapped_lines_and_sentences_without_spaces():
    assert split_items("- Ввести\nчисло\n.\n- Сложить числа.\n- Вывести сумму.") == [
        "Ввести число .", "Сложить числа.", "Вывести сумму."]
    assert split_items("Tanggapin ang item – Suriin ito.Itala ang item – Isulat ito.") == [
        "Tanggapin ang item – Suriin ito.", "Itala ang item – Isulat ito."]


def test_labels_are_cut_at_a_word_boundary_within_the_label_limit():
    from diagram.grammar import LABEL_MAX_CHARS

    text = ("- Die Mitarbeiterin im Kundenservice nimmt die telefonische Reklamation entgegen.\n"
            "- Wenn die Rechnung fehlt, fordert sie eine Kopie an.\n- Der Fall wird geschlossen.")
    plan = read_other_language(text)
    assert plan is not None and all(len(label) <= LABEL_MAX_CHARS for label in plan.labels)
    words = set(re.findall(r"\w+", text.lower()))
    assert all(w in words for label in plan.labels if label != "Else: continue"
               for w in re.findall(r"\w+", label.lower()))  # no word cut in two
    assert plan.labels[0].startswith("Die Mitarbeiterin im Kundenservice nimmt")


def test_worst_case_inputs_read_in_bounded_time():
    texts = ["IF " * 700, "if (" * 500 + ")" * 500, ("WHILE x\n" * 300) + "END WHILE\n" * 300,
             ("- Wenn a, b\n" * 150), "x <- 1\n" * 400, "и " * 900]
    for text in texts:
        start = time.process_time()
        read_request(text)
        read_other_language(text)
        assert time.process_time() - start < 2.0


# ---- loops told in English lists ---------------------------------------------------------------

def test_a_last_item_that_continues_to_loop_goes_back_to_the_first():
    text = ("The robot runs a loop; in each pass it will:\n- read the distance sensor\n"
            "- if the wall is closer than 10 cm, turn left\n- if the path is clear, drive forward\n"
            "- continue to loop until the battery is empty")
    plan = read_request(text)
    assert plan is not None and plan.loops
    _, loops = _edges(plan)
    assert any(b == "Read distance sensor" for _, b in loops)


def test_a_bare_repeat_item_loops_the_steps_before_it():
    plan = read_request("1. Editor: Mark the typos.\n2. Author: Fix the draft.\n3. (Repeat)\n4. Editor: Sign off.\n"
                        "5. Publisher: Print.")
    assert plan is not None and "Repeat" not in " ".join(plan.labels)
    _, loops = _edges(plan)
    assert loops == {("Author: Fix draft", "Editor: Mark typos")}


def test_repeat_the_same_steps_and_repeat_the_process_loop_back():
    same = read_request("1. take the first card as the sorted pile.\n2. compare the next card with the pile; if it is "
                        "lower, move it left.\n3. repeat the same steps for all the remaining cards.\n"
                        "4. when no card is left, stop.")
    assert same is not None and same.loops
    process = read_request("Step 1: Weigh the flour.\nStep 2: Sift it into the bowl. Check for lumps and repeat the "
                           "process till none are left.\nStep 3: Bake.")
    assert process is not None
    _, loops = _edges(process)
    assert loops == {("Sift it into bowl", "Weigh flour")}


def test_a_branch_that_redoes_an_earlier_step_loops_back_to_it():
    text = ("Steps:\n- Draw a ticket number\n- Look the number up in the used list\n"
            "- If it is free, hand it to the guest\n- If it is taken, discard it and draw a new one")
    plan = read_request(text)
    assert plan is not None
    _, loops = _edges(plan)
    assert any(b == "Draw ticket number" for _, b in loops)


def test_a_step_that_repeats_an_earlier_ones_verb_loops_back_to_it():
    from diagram.plan import Plan
    from diagram.reader_algo import with_redo_loops
    plan = with_redo_loops(Plan.steps([["Mix Paint"], ["Apply Coat"], ["Coat is thin?"],
                                       ["Repeat process of applying paint", "Let dry"]]))
    assert plan is not None and plan.loops == ((3, 1),)
    resubmit = with_redo_loops(Plan.steps([["Submit form"], ["Review form"], ["Resubmit form"]]))
    assert resubmit is not None and resubmit.loops == ((2, 0),)
    no_verb = Plan.steps([["Retriever"], ["Ranker"], ["Reranker"], ["LLM"]])
    assert with_redo_loops(no_verb) == no_verb  # "Reranker" redoes nothing


# ---- decisions whose answers are written as items of their own -----------------------------------

def test_if_yes_and_if_no_items_are_the_branches_of_the_check_before_them():
    text = ("1. Start\n2. Ask for the PIN\n3. Validate the PIN\n  - If valid, proceed; if invalid, show an error and "
            "return to step 2\n4. Ask for the amount\n5. Check if the amount is at most the balance\n"
            "  - If yes, pay out the amount\n  - If no, show a low-funds message\n6. Print a receipt\n7. End")
    plan = read_request(text)
    assert plan is not None
    assert not any(label in ("Yes?", "No?", "Valid?") for label in plan.labels)
    assert "Check if amount is at most balance?" in plan.labels
    forward, loops = _edges(plan)
    assert ("Check if amount is at most balance?", "Pay out amount") in forward
    assert ("Check if amount is at most balance?", "Show low-funds message") in forward
    assert ("Check if amount is at most balance?", "Print receipt") not in forward  # answered both ways
    assert ("Show error", "Ask for PIN") in loops


def test_a_flowchart_outline_reads_its_questions_and_answers_as_branches():
    from diagram.reader_lang import read_outline
    text = ("Outline:\n- Start (Oval)\n- Clerk scans the parcel (Rectangle)\n- Is the label readable? (Diamond)\n"
            "- Yes -> Sort the parcel (Process)\n- No -> Print a new label (Process) -> go back to scanning the parcel\n"
            "- Is the parcel damaged? (Diamond)\n- Yes -> Return to Sender (Process) -> End (Oval)\n"
            "- No -> Load the truck (Process) -> End (Oval)\nShapes:\n- Oval: Start/End\n- Diamond: Decision")
    plan = read_outline(text)
    assert plan is not None and read_request(text) == plan
    assert "Is label readable?" in plan.labels and "Is parcel damaged?" in plan.labels
    assert {"Sort parcel", "Print new label"} in [set(rank) for rank in plan.ranks]
    assert {"Return to Sender", "Load truck"} in [set(rank) for rank in plan.ranks]  # no loop: sent back, not redone
    _, loops = _edges(plan)
    assert loops == {("Print new label", "Clerk scans parcel")}
    assert not any("Oval" in label or "Shapes" in label or "Diamond" in label for label in plan.labels)


def test_a_clause_done_again_or_a_re_verb_loops_back_to_the_step_it_redoes():
    from diagram.plan import Plan
    from diagram.reader_algo import with_redo_loops
    chain = Plan.steps([["Clerk scans barcode"], ["Scanner reads code?"], ["Clerk types serial number"],
                        ["System checks serial number"], ["Print label"]])
    text = ("The clerk scans the barcode. If the scanner cannot read the code, the clerk types the serial number. "
            "The system checks the serial number; if it is unknown, the clerk types the serial number again.")
    looped = with_redo_loops(chain, text)
    assert looped is not None and looped.loops == ((3, 2),)
    assert with_redo_loops(chain, "The clerk scans the barcode and prints the label.") == chain
    claim = with_redo_loops(Plan.steps([["Receive claim"], ["Assess validity of claim"], ["Details missing?"],
                                        ["Request details", "Pay claim"], ["Re-evaluate claim"]]))
    assert claim is not None and claim.loops == ((5, 1),)


def test_this_process_is_repeated_loops_the_steps_told_just_before():
    from diagram.plan import Plan
    from diagram.reader_algo import with_redo_loops
    chain = Plan.steps([["Open Shop"], ["Pick Basket"], ["Scan Item"], ["Weigh Item"], ["Pay Total"]])
    text = ("The clerk will OpenShop and PickBasket. Then he would ScanItem with the reader and WeighItem on the "
            "scale. This procedure is repeated for each item in the basket. At last he can PayTotal.")
    looped = with_redo_loops(chain, text)
    assert looped is not None and looped.loops == ((3, 0),)  # the two sentences before it: Open shop .. Weigh item
    assert with_redo_loops(chain, "The clerk will OpenShop and PickBasket, ScanItem, WeighItem, PayTotal.") == chain


def test_options_listed_under_one_of_the_following_are_branches_side_by_side():
    from diagram.plan import Plan
    from diagram.reader_algo import with_options
    chain = Plan.steps([["Inspect returned item"], ["Clerk decides"], ["Refund"], ["Repair"], ["Replace"],
                        ["Close ticket"]])
    text = ("1. Inspect the returned item.\n2. The clerk decides on one of the following:\n- Refund\n- Repair\n"
            "- Replace (same model)\n3. Close the ticket.")
    plan = with_options(chain, text)
    assert plan is not None and plan.ranks[2] == ("Refund", "Repair", "Replace") and len(plan.ranks) == 4
    assert with_options(chain, text.replace("one of the following", "these")) == chain
