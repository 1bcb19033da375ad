"""Processes as unseen text writes them (issue 21, release 4, round 2): made-up texts, not corpus rows."""
from __future__ import annotations

from diagram.reader import read_request


def _labels(plan):
    return [n.label for n in plan.nodes()]


def _branches(plan) -> bool:
    loops = set(plan.loops)
    return any(len([t for t in n.targets if (n.id, t) not in loops and t != n.id]) >= 2 for n in plan.nodes())


def test_parenthesised_numbers_keep_the_items_words() -> None:
    plan = read_request("Making tea, step by step:\n(1) Boil the kettle.\n(2) Put the teabag in.\n"
                        "(3) Pour the water.\n(4) Take the teabag out.\n(5) Add milk.")
    assert plan is not None
    labels = [" ".join(w for w in label.lower().split() if w != "the") for label in _labels(plan)]
    assert labels == ["boil kettle", "put teabag in", "pour water", "take teabag out", "add milk"]


def test_a_closing_remark_about_the_drawing_is_no_step() -> None:
    plan = read_request("(1) Open the gate.\n(2) Drive the car in.\n(3) Close the gate.\n"
                        "Now draw this as a flow chart with one box per step.")
    assert plan is not None
    assert _labels(plan) == ["Open gate", "Drive car in", "Close gate"]


def test_a_question_then_if_it_is_go_to_steps_is_a_decision_with_a_loop() -> None:
    plan = read_request("(1) Fill the kettle.\n(2) Is the kettle full? If it is, go to step 4, otherwise go to step 3.\n"
                        "(3) Add more water and go back to step 2.\n(4) Switch the kettle on.")
    assert plan is not None
    labels = _labels(plan)
    assert "Is kettle full?" in labels and "Add more water" in labels and "Switch kettle on" in labels
    assert _branches(plan)
    assert plan.loops


def test_a_step_that_only_jumps_back_is_a_loop() -> None:
    plan = read_request("(1) Start the pump.\n(2) Wait for 5 minutes.\n(3) Is the tank full? If it is, go to step 5, "
                        "otherwise go to step 4.\n(4) Go back to step 2.\n(5) Stop the pump.")
    assert plan is not None
    labels = _labels(plan)
    assert "Go back to step 2" not in labels
    ids = {n.label: n.id for n in plan.nodes()}
    assert (ids["Is tank full?"], ids["Wait for 5 minutes"]) in set(plan.loops)


def test_french_bullets_keep_their_accented_words_and_drop_asides() -> None:
    plan = read_request("Une commande est issue d’une demande du client, elle doit donc être traitée très vite. "
                        "Le traitement se fait en plusieurs étapes :\n"
                        "- Vérifier le stock disponible quel que soit l’entrepôt utilisé par le client\n"
                        "- Préparer le colis (en pesant, emballant et étiquetant si le colis part à l’étranger)\n"
                        "- Expédier la commande par la poste\n"
                        "- Envoyer la facture au client (toute facture doit être archivée)")
    assert plan is not None
    labels = [label.lower() for label in _labels(plan)]
    assert len(labels) == 4
    assert labels[0].startswith("vérifier le stock disponible")
    assert labels[1:] == ["préparer le colis", "expédier la commande par la poste", "envoyer la facture au client"]


def test_pseudocode_in_a_fence_keeps_its_first_line_and_drops_its_title() -> None:
    plan = read_request("## Pseudocode for a coin game\n\n```Pick a random side\nGet a call from the player\n"
                        "While the call is wrong\nif it's heads then print \"It was heads\"\n"
                        "if it's tails then print \"It was tails\"\nGet another call from the player\n"
                        "print \"You win!\"```")
    assert plan is not None
    labels = _labels(plan)
    assert labels[0] == "Pick random side"
    assert not any("Pseudocode" in label or "```" in label for label in labels)
    assert plan.loops


def test_a_printed_connector_between_values_is_dropped_so_the_values_fit() -> None:
    plan = read_request("<b>Pseudocode</b>\nlow = high = 0\nwhile low > high\ninput low\ninput high\n"
                        "total = low + high\nprint \"Pick a value from\",low,\"to\",high\ninput value\n"
                        "if value > high\nprint \"Too big\"\nelse\nprint \"Fine\"\nend if")
    assert plan is not None
    labels = _labels(plan)
    assert 'Print "Pick value from" low high' in labels
    assert not any("Pseudocode" in label for label in labels)


def test_an_algorithm_told_in_one_paragraph_has_its_tests_and_its_loop() -> None:
    plan = read_request("A way to find the last digit sum of a number k. If k > 9 add the digits of k and let s be "
                        "their sum. If s < 10 then s is the result; otherwise apply the same algorithm to s.")
    assert plan is not None
    labels = _labels(plan)
    assert "K ＞ 9?" in labels and "S < 10?" in labels
    assert "Add digits of k and let s be their sum" in labels
    assert "S is result" in labels and "Apply same algorithm to s" in labels
    assert _branches(plan) and plan.loops


def test_prose_with_two_ifs_and_no_loop_is_not_read_as_an_algorithm() -> None:
    from diagram.reader_algo import _sentence_items
    assert _sentence_items("If the order is paid, ship it. If it is not paid, send a reminder.") is None


def test_knuth_style_bracketed_step_titles_are_the_steps() -> None:
    plan = read_request("Algorithm S (sum of digits).\nS1. [Start.] Set t <- 0.\nS2. [Add digit.] Set t <- t + k mod 10 "
                        "and k <- k / 10.\nS3. [Done?] If k = 0, the algorithm stops; t is the sum.\n"
                        "S4. [Loop.] Go back to step S2.")
    assert plan is not None
    labels = _labels(plan)
    assert labels[:4] == ["Start", "Add digit", "Done?", "Loop"]
    assert "T is sum" in labels
    ids = {n.label: n.id for n in plan.nodes()}
    assert (ids["Loop"], ids["Add digit"]) in set(plan.loops)
    assert _branches(plan)


def test_spanish_bullets_with_a_loop_and_its_body_after_a_colon() -> None:
    plan = read_request("Pasos\n  • Leer K (cantidad de valores)\n  • Inicializar SUMA ← 0\n"
                        "  • Ejecutar ciclo J ← 1 hasta J ≤ K: leer V, si V > 0 entonces SUMA ← SUMA + V, "
                        "sino CEROS ← CEROS + 1\n  • Mostrar SUMA")
    assert plan is not None
    labels = _labels(plan)
    for want in ("Leer K", "Leer V", "SUMA ← SUMA + V", "CEROS ← CEROS + 1", "Mostrar SUMA"):
        assert want in labels
    assert "J ≤ K?" in labels
    assert _branches(plan) and plan.loops


def test_requirement_bullets_it_should_are_steps_and_keep_doing_loops_back() -> None:
    plan = read_request("Write a program for a quiz:\n- It should show the next question on screen\n"
                        "- It should ask the player for an answer\n- It should award a point when the answer is right\n"
                        "- It should keep asking until all ten questions are done\n- It should print the final score")
    assert plan is not None
    labels = _labels(plan)
    assert "Show next question on screen" in labels and "Print final score" in labels
    assert not any(label.startswith("It should") for label in labels)
    ids = {n.label: n.id for n in plan.nodes()}
    keep = next(label for label in labels if label.startswith("Keep asking"))
    assert (ids[keep], ids["Ask player for answer"]) in set(plan.loops)


def test_printed_pieces_lose_the_commas_between_them_so_they_fit() -> None:
    plan = read_request("algoritmo \"Idade\"\nvar\nidade : inteiro\ninicio\nescreva(\"Digite a idade: \")\nleia(idade)\n"
                        "se (idade >= 18) entao\nescreva(\"A idade \", idade, \" é maior!\")\nsenao\n"
                        "escreva(\"A idade \", idade, \" é menor!\")\nfimse\nfimalgoritmo")
    assert plan is not None
    labels = _labels(plan)
    assert 'Escreva("idade " idade " é maior!")' in labels
    assert 'Escreva("idade " idade " é menor!")' in labels


def test_an_order_doing_two_things_too_long_for_one_label_is_two_steps() -> None:
    plan = read_request("1. Read the two numbers x and y.\n2. Multiply the number x by the number y and then store "
                        "the resulting product in the variable p.\n3. Print p.")
    assert plan is not None
    labels = _labels(plan)
    assert "Multiply number x by number y" in labels and "Store resulting product in variable p" in labels
    assert labels.index("Multiply number x by number y") + 1 == labels.index("Store resulting product in variable p")


def test_a_list_of_nouns_after_and_is_not_split() -> None:
    plan = read_request("1. Register the data sources for the offline store.\n"
                        "2. Define entities, features, and labels in the Python SDK for serving.\n3. Deploy the features.")
    assert plan is not None
    assert not any(label.startswith("Labels") for label in _labels(plan))
