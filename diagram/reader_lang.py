"""Read the structure of pseudo-code and of procedures written in languages other than English.

    >>> read_pseudocode("START\\nGET n\\nWHILE n > 0\\nDISPLAY n\\nSET n = n - 1\\nEND WHILE\\nSTOP").line()
    '# steps: START > GET n > N ＞ 0? > DISPLAY n, Else: continue > SET n = n - 1 > STOP; loop SET n = n - 1 > N ＞ 0?'

Three readers (`diagram.reader.read_request` calls them):

- `read_diagram_source`: a flowchart written in a diagram language (Mermaid `flowchart`/`graph`, Graphviz
  DOT, PlantUML activity diagrams) read node for node: decisions, their branches and loops as drawn.

- `read_pseudocode`: a run of statements a line ("IF x THEN" / "ELSE" / "END IF", "WHILE c" /
  "END WHILE", "FOR ..." / "NEXT", "REPEAT" / "UNTIL c", "BREAK", C-like braces, and the same
  keywords in other languages: "se ... entao" / "fimse", "enquanto ... faca" / "fimenquanto", "si ...
  alors" / "sinon", "wenn", "если ... то" / "иначе", ...): one node a statement, a decision "c?" a
  test, the body of a loop going back to its test. A block without its closing keyword is one
  statement long (an "if") or runs to the end of the run (a loop).
- `read_other_language`: a procedure in a language other than English (few English function
  words) split into steps: list items, lines or sentences; a step's title before " – " / ":" when a
  description follows; long sentences cut into their clauses; an item opening with a word for "if"
  ("wenn", "si", "se", "если", "jeśli", "kung", ...) a decision, one with a word for "repeat" or
  "again" a loop back. Labels are cut at a word boundary within LABEL_CHARS (the answer grammar's limit, 40 today).

The keywords are a small table (`KEYWORDS`) per role, for English and common languages (de, es, pt,
fr, it, nl, pl, ru, tl). Every pattern is anchored to one line or one item and bounded: linear in the
text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from diagram.plan import MAX_PLAN_NODES, Plan

from diagram.reader_algo import LABEL_CHARS, StepGraph, layered_steps, short_step, word_stem, is_heading, unfenced

# role -> words or phrases that open a line with that role (lower case; a space matches any blanks)
KEYWORDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "elif": ("else if", "elseif", "elsif", "elif", "otherwise if", "senão se", "senao se", "senãose", "senaose",
             "sino si", "si no si", "sinon si", "sonst wenn", "ansonsten wenn", "altrimenti se", "anders als",
             "w przeciwnym razie jeśli", "inaczej jeśli", "иначе если", "kung hindi kung", "} else if"),
    "else": ("else", "otherwise", "senão", "senao", "sino", "si no", "de lo contrario", "sinon", "sonst",
             "ansonsten", "altrimenti", "anders", "w przeciwnym razie", "inaczej", "иначе", "kung hindi",
             "} else"),
    "endif": ("end if", "endif", "end-if", "fi", "fimse", "fim se", "fim-se", "fin si", "finsi", "fin-si", "ende wenn",
              "endewenn", "fine se", "einde als", "koniec jeżeli", "koniec jeśli", "конец если", "все"),
    "endwhile": ("end while", "endwhile", "end-while", "wend", "end loop", "endloop", "loop", "fimenquanto",
                 "fim enquanto", "fin mientras", "finmientras", "fin tant que", "fintantque", "ende solange",
                 "fine mentre", "einde zolang", "koniec dopóki", "конец пока", "кц"),
    "endfor": ("end for", "endfor", "end-for", "next", "fimpara", "fim para", "fin para", "finpara", "fin pour",
               "finpour", "ende für", "fine per", "einde voor", "koniec dla", "конец для"),
    "until": ("until", "loop until", "até que", "ate que", "até", "ate", "hasta que", "hasta",
              "jusqu'à", "jusqu'a", "jusqu’à", "bis", "finché non", "fino a", "totdat", "tot", "aż", "dopóki nie",
              "до тех пор пока", "пока не", "hanggang", "} while"),
    "if": ("if", "se", "si", "wenn", "falls", "als", "indien", "jeżeli", "jeśli", "jezeli", "jesli", "если",
           "kung", "kapag", "sakaling"),
    "while": ("while", "do while", "enquanto", "mientras", "mientras que", "tant que", "solange", "während",
              "mentre", "finché", "zolang", "terwijl", "dopóki", "podczas gdy", "пока", "нц пока", "habang"),
    "for": ("for each", "foreach", "for every", "for all", "for", "para cada", "para", "pour chaque", "pour",
            "für jede", "für jeden", "für", "per ogni", "per", "voor elke", "voor", "dla każdego", "dla", "для каждого",
            "для", "нц для", "sa bawat", "para sa"),
    "repeat": ("repeat", "do", "repita", "repetir", "faça", "faca", "répéter", "repeter", "wiederhole", "ripeti",
               "herhaal", "powtarzaj", "rób", "повторять", "повторить", "нц", "ulitin"),
    "break": ("break", "exit loop", "exit for", "exit while", "interrompa", "romper", "salir", "sortir", "abbruch",
              "interrompi", "przerwij", "прервать", "выход из цикла"),
    "stop": ("stop", "end", "exit", "halt", "end program", "endprogram", "end algorithm", "fimalgoritmo",
             "fim algoritmo", "fim", "fin", "finalgoritmo", "fin algoritmo", "ende", "stopp", "fine", "einde",
             "koniec", "конец", "стоп", "wakas", "tapos"),
    "skip": ("var", "variables", "variáveis", "variaveis", "algoritmo", "algorithm", "program", "programme",
             "inicio", "início", "begin", "declare", "const", "función", "função", "funcion", "funcao", "procedure",
             "procedimento", "procedimiento", "```", "@startuml", "@enduml"),
    "start": ("start", "début", "debut", "beginn", "inizio", "początek", "начало", "simula"),
})
# words that end a test ("IF x THEN", "enquanto x faca", "если x, то")
THEN_WORDS = ("then", "do", "entao", "então", "faca", "faça", "entonces", "hacer", "alors", "faire", "dann",
              "allora", "fai", "dan", "doe", "wtedy", "wykonuj", "то", "делать", "нц")
# words for "repeat" / "again" / "go back" in a step, per language
LOOP_WORDS = ("repeat", "again", "go back", "loop", "ciclo", "bucle", "boucle",
              "wiederhol", "erneut", "zurück", "repet", "de nuevo", "otra vez",
              "volver", "novamente", "de novo", "voltar", "répét", "à nouveau", "de nouveau", "revenir", "ripet",
              "di nuovo", "tornare", "herhaal", "opnieuw", "terug", "powtórz", "powtarza", "ponownie", "wróć",
              "повтор", "снова", "вернуть", "цикл", "ulitin", "muli", "bumalik")
# words for "step" before a number ("Repetimos os passos 2 a 4")
STEP_WORDS = ("step", "steps", "schritt", "schritte", "paso", "pasos", "passo", "passos", "étape", "étapes", "etape",
              "etapes", "stap", "stappen", "krok", "kroki", "kroków", "шаг", "шага", "шаги", "шагов", "hakbang")
# words that join clauses ("and" and its like), a sentence then splits there when it is long
AND_WORDS = ("and", "und", "y", "e", "et", "en", "i", "oraz", "и", "at", "ed")


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(words, key=len, reverse=True))


def _role_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # the keyword, then the end of the line or a boundary ("if(", "se(", "}", "fimse.")
    return re.compile(rf"^(?:{_alternation(words)})(?![\w'’])[ \t]*(?P<rest>.*)$", re.I)


_ROLES = tuple((role, _role_pattern(words)) for role, words in KEYWORDS.items())
_THEN_TAIL = re.compile(rf"[ \t]*(?:[,:{{]|\b(?:{_alternation(THEN_WORDS)})\b)?[ \t]*[:{{]?[ \t]*$", re.I)
_THEN_SPLIT = re.compile(rf"[ \t]*,?[ \t]*\b(?:{_alternation(THEN_WORDS)})\b[ \t]*[,:]?[ \t]*|[ \t]*(?:[,:]|→|->|=>)[ \t]*",
                         re.I)
_LOOP_WORD = re.compile(rf"(?:{_alternation(LOOP_WORDS)})", re.I)
_STEP_REF = re.compile(rf"\b(?:{_alternation(STEP_WORDS)})[ \t]+(\d{{1,2}})\b", re.I)
_AND = re.compile(rf"[ \t]+(?:{_alternation(AND_WORDS)})[ \t]+", re.I)
_COMMENT = re.compile(r"[ \t]*(?://|--[ \t]|#[ \t]).*$")
_MARK = re.compile(r"^[ \t]*(?:[-*•·▪►]|\d{1,2}[.)](?=[ \t])|\d{1,2}[.)]?(?=[ \t]*[-–—]))[ \t]*")
_CODE_CHARS = re.compile(r"[=←<>(){}\[\];+*/%]|<-|:=")
_QUOTED = re.compile(r"[\"“][^\"“”]{0,80}[\"”]")
# what only code has: ";" at the end, braces, "←", "==", "if (" / "for (" / "while ("
_STRICT_CODE = re.compile(r"[;{}←][ \t]*$|←|<-|:=|==|!=|<=|>=|^[ \t]*(?:if|for|while|se|si|para|enquanto)[ \t]*\(", re.I)
_ASSIGN = re.compile(r"(?:←|<-|:=|(?<![=<>!])=(?!=))")
# a line of English prose, not a statement: 7+ words ending in a full stop
_PROSE_END = re.compile(r"(?<![\"'”’)])\.[ \t]*$")
_ENGLISH = frozenset("the and of is are if then with for from this that be it on by you your will when each "
                     "which into must should can was were has have".split())
# common function words of de, es, pt, fr, it, nl, pl, tl (none of them English words)
_FOREIGN = frozenset("de en der die das und ist nicht ein eine einen mit von zu dem des auf sich oder wird kann "
                     "si entonces sino hasta mientras leer escribir mostrar imprimir inicializar ciclo "  # pseudo-code
                     "então entao senão senao enquanto leia escreva alors sinon lire afficher "
                     "el la los las que y un una por con es del se lo su "
                     "os da dos das em uma não é ao pela pelo "
                     "le les des et est une pour dans du au sur qui ou avec sont "
                     "il di che è gli della delle nel "
                     "het een van dat niet voor zijn "
                     "się nie jest że oraz lub "
                     "ang ng sa mga ay kung ito".split())
_WORD = re.compile(r"[^\W\d_]+")
_CLOSES = MappingProxyType({"if": ("endif",), "while": ("endwhile",), "for": ("endfor", "endwhile")})


def english_share(text: str) -> float:
    """The share of the text's words that are common English function words (about 0.15-0.3 in English
    prose, under 0.03 in other languages)."""
    words = [w.lower() for w in _WORD.findall(text or "")[:2000]]
    return sum(w in _ENGLISH for w in words) / len(words) if words else 1.0


def is_other_language(text: str) -> bool:
    """Whether a request is written in a language other than English: eight words or more, few English
    function words, and either other scripts (Cyrillic, CJK, ...) or the function words of another language."""
    words = [w.lower() for w in _WORD.findall(text or "")[:2000]]
    if len(words) < 8 or english_share(text) >= 0.05:
        return False
    latin = sum(w.isascii() or all(c < "\u0250" for c in w) for w in words)
    return latin * 10 < len(words) * 7 or sum(w in _FOREIGN for w in words) * 100 >= len(words) * 6


def classify(line: str) -> tuple[str, str]:
    """(role, rest of the line) of one statement: 'if', 'elif', 'else', 'endif', 'while', 'endwhile',
    'for', 'endfor', 'repeat', 'until', 'break', 'stop', 'start', 'skip', 'close' (a lone "}") or 'stmt'."""
    text = line.strip().rstrip(";").strip()
    if text in ("}", "};", "end}"):
        return "close", ""
    if text in ("{",):
        return "skip", ""
    for role, pattern in _ROLES:
        m = pattern.match(text)
        if not m:
            continue
        rest = m.group("rest").strip()
        if role == "stop" and rest and not rest.startswith(("(", ".")) and len(rest.split()) > 1:
            continue  # "End the transaction", "Exit the room": a statement
        if role == "repeat" and rest and not rest.startswith(("{", ":")):
            continue  # "do the following", "repeat steps 2-4": a statement the list readers read
        if role == "skip" and len(rest.split()) > 3:
            continue
        if role in ("start",) and len(rest.split()) > 2:
            continue
        if role == "if" and re.match(r"(?i)s[ei]\b", text) and not rest.startswith("(") and \
                not re.search(rf"(?i),|→|->|=>|\b(?:{_alternation(THEN_WORDS)})\b", rest):
            continue  # "Se comprueba que ...", "Si controlla ...": a reflexive verb, no "if" (no consequent follows)
        if role == "endwhile" and text.lower().startswith("loop") and rest:
            return ("until", re.sub(r"(?i)^(?:until|while)\b[ \t]*", "", rest)) if re.match(r"(?i)(?:until|while)\b", rest) \
                else ("stmt", text)
        if role == "until" and text.lower().startswith("} while"):
            return "until", rest
        return role, rest
    if re.match(r"(?i)^return\b", text):
        return "return", text
    return "stmt", text


def _cut(text: str, limit: int = LABEL_CHARS) -> str:
    """A label: the text without markup and a final full stop, cut at a word boundary within `limit`."""
    text = " ".join(text.replace("**", "").replace("`", "").split()).strip().rstrip(".;:,{").strip()
    if len(text) > limit:
        text = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—(")
    return text[:1].upper() + text[1:]


def _test(rest: str) -> tuple[str, str]:
    """(condition, action after it) of an "if"/"while" line's rest: "x > 0 then print x" -> ("x > 0",
    "print x"); "(x > 0) {" -> ("x > 0", "")."""
    rest = rest.strip().rstrip("{").strip()
    if rest.startswith("("):  # "(x > 0) return x", PlantUML's "(check size?) is (not empty)"
        depth = 0
        for k, ch in enumerate(rest[:200]):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and not re.match(r"(?i)[ \t]*(?:and|or|&&|\|\||[<>=!])", rest[k + 1:]):
                after = _THEN_SPLIT.sub("", rest[k + 1:], count=1).strip() if re.match(
                    rf"(?i)[ \t]*(?:[,:]|(?:{_alternation(THEN_WORDS)})\b)", rest[k + 1:]) else rest[k + 1:].strip()
                if after.startswith("(") or re.match(r"(?i)^is\b", after):
                    after = ""  # PlantUML's "then (yes)", "is (not empty)"
                return rest[1:k].strip(), after.rstrip(";{").strip()
            if depth == 0:
                break
    parts = _THEN_SPLIT.split(rest, maxsplit=1)
    cond, action = (parts[0], parts[1]) if len(parts) == 2 else (rest, "")
    cond = _THEN_TAIL.sub("", cond).strip()
    if cond.startswith("(") and cond.endswith(")") and cond.count("(") == 1:
        cond = cond[1:-1].strip()
    return cond, action.strip().rstrip(";{").strip()




def _code_label(text: str) -> str:
    """A statement's label: as written when it assigns ("mid ← (low + high) / 2", "cont <- 1"), else cut to a
    short phrase like a step's (`reader_algo._short`)."""
    text = _CONNECTOR_ARG.sub(" ", text)  # print "Between",lower,"and",upper -> print "Between" lower upper
    if re.search(r"[\"“”]", text):  # escreva("O número ", n, " é ímpar!"): the pieces without the commas between them
        text = re.sub(r"[ \t]*,[ \t]*(?=[\"“])", " ", re.sub(r"(?<=[\"”])[ \t]*,[ \t]*", " ", text))
    return _cut(text) if _ASSIGN.search(text) else short_step(text)


# a printed piece that only joins the values around it: ,"and", / ," to ", / ,", ",
_CONNECTOR_ARG = re.compile(r"""[ \t]*,[ \t]*["'][ \t]*(?:and|or|to|of|,|-|:|/)?[ \t]*["'][ \t]*,[ \t]*""", re.I)


class _Compiler:
    """Statements to a graph: each statement a node, tests decisions, loop bodies back to their test."""

    def __init__(self, stmts: list[tuple[str, str, str]], short: Callable[[str], str] = _code_label) -> None:
        self.stmts = stmts  # (role, rest, line)
        self.short = short  # a statement's label
        self.g = StepGraph()
        self.loops: list[list[int]] = []  # per open loop: the nodes that break out of it

    def question(self, cond: str) -> str:
        return self.short(cond.rstrip("?"))[: LABEL_CHARS - 1].rstrip() + "?"

    def add(self, label: str, pending: list[int]) -> int:
        node = self.g.node(label)
        self.g.edges.extend((p, node) for p in pending)
        return node

    def closer_ahead(self, i: int, kinds: tuple[str, ...]) -> bool:
        return any(role in kinds for role, _, _ in self.stmts[i:])

    def seq(self, i: int, pending: list[int], depth: int, until: tuple[str, ...] = ()) -> tuple[int, list[int]]:
        """Statements from i until one whose role is in `until` (not consumed) or the end."""
        while i < len(self.stmts) and self.stmts[i][0] not in until:
            i, pending = self.stmt(i, pending, depth)
        return i, pending

    def body(self, i: int, pending: list[int], depth: int, opener: str, braced: bool) -> tuple[int, list[int]]:
        """The body of a block opened before item i: up to its closer ("}", "END IF", "ELSE", ...), or without one
        a single statement (an "if" or "else") or the rest of the run up to a "stop"/"return" (a loop)."""
        ends: tuple[str, ...] = ("close", "else", "elif", "endif", "endwhile", "endfor", "until")
        if braced or self.closer_ahead(i, _CLOSES.get(opener, ("until",))):
            return self.seq(i, pending, depth + 1, ends if opener != "repeat" else ("until", "close"))
        if opener == "if":
            if i < len(self.stmts) and self.stmts[i][0] not in ends:
                return self.stmt(i, pending, depth + 1)
            return i, pending
        return self.seq(i, pending, depth + 1, ends + ("stop", "return"))

    def consume(self, i: int, kinds: tuple[str, ...], braced: bool) -> int:
        if i < len(self.stmts) and (self.stmts[i][0] in kinds or braced and self.stmts[i][0] == "close"):
            return i + 1
        return i

    def branch(self, i: int, pending: list[int], depth: int) -> tuple[int, list[int]]:
        """An "if" (or "else if") at item i with its branches; returns after its "end if"."""
        role, rest, line = self.stmts[i]
        cond, action = _test(rest)
        dec = self.add(self.question(cond or line), pending)
        braced = line.rstrip().endswith("{")
        if action:
            a_role, a_rest = classify(action)
            if a_role == "break" and self.loops:
                self.loops[-1].append(dec)
                then = []
            else:
                node = self.add(self.short(action), [dec])
                then = [] if a_role in ("stop", "return") else [node]
            i += 1
        else:
            i, then = self.body(i + 1, [dec], depth, "if", braced)
            if then == [dec]:
                then = [dec]
        other: list[int] = [dec]
        if i < len(self.stmts) and self.stmts[i][0] == "elif":
            return_i, other = self.branch(i, [dec], depth)
            return return_i, then + other
        if i < len(self.stmts) and self.stmts[i][0] == "else":
            _, e_rest, e_line = self.stmts[i]
            if e_rest and e_rest not in ("{", ":"):
                a_role, _ = classify(e_rest.rstrip("{").strip())
                if a_role == "if":  # "else, if ..." written apart
                    self.stmts[i] = ("elif", classify(e_rest)[1], e_line)
                    i, other = self.branch(i, [dec], depth)
                    return i, then + other
                node = self.add(self.short(e_rest.lstrip(",: ")), [dec])
                other = [] if a_role in ("stop", "return") else [node]
                i += 1
            else:
                braced = e_line.rstrip().endswith("{")
                i, other = self.body(i + 1, [dec], depth, "if", braced)
        i = self.consume(i, ("endif",), braced)
        return i, list(dict.fromkeys(then + other))

    def chain(self, text: str, pending: list[int]) -> list[int]:
        """Nodes for the parts of an arrow chain after `pending`; what goes on after it (nothing after "End" or
        "return to X", which loops back to the earlier step X names)."""
        for part in [p.strip() for p in _ARROWS.split(text)[:8] if p.strip()]:
            back = _BACK_TO.search(part)
            if back and len(set(re.findall(r"\w{3,}", back.group("to").lower()))) < 2 and \
                    not re.search(r"(?i)\bback\b", back.group(0)):
                back = None  # "Return to Customer": a step that sends something back, no loop
            head = part[: back.start()].strip(" ,;&") if back else part
            if head:
                role, _ = classify(head)
                node = self.add(self.short(head), pending)
                pending = [] if role in ("stop", "return") else [node]
            if back:
                want = {word_stem(w) for w in re.findall(r"\w{3,}", back.group("to"))} - {"the", "and"}
                for earlier in range(len(self.g.labels) - 1):
                    if want and want <= {word_stem(w) for w in re.findall(r"\w{3,}", self.g.labels[earlier])}:
                        self.g.edges.extend((p, earlier) for p in pending)
                        return []
        return pending

    def stmt(self, i: int, pending: list[int], depth: int) -> tuple[int, list[int]]:
        role, rest, line = self.stmts[i]
        if role in ("if", "elif"):
            return self.branch(i, pending, depth)
        if role in ("while", "for"):
            cond, action = _test(rest)
            label = self.question(cond) if role == "while" else self.short(line.rstrip("{: "))
            test = self.add(label, pending)
            self.loops.append([])
            if action:
                node = self.add(self.short(action), [test])
                i, exits = i + 1, [node]
            else:
                i, exits = self.body(i + 1, [test], depth, role, line.rstrip().endswith("{"))
            self.g.edges.extend((e, test) for e in exits if e != test)
            i = self.consume(i, ("endwhile", "endfor"), line.rstrip().endswith("{"))
            # what follows the loop is drawn after its body (the test's exit beside the body, as "Else: continue")
            after = [e for e in exits if e != test] or [test]
            return i, after + self.loops.pop()
        if role == "repeat":
            first = len(self.g.labels)
            self.loops.append([])
            i, exits = self.body(i + 1, pending, depth, "repeat", line.rstrip().endswith("{"))
            if i < len(self.stmts) and self.stmts[i][0] == "until" and first < len(self.g.labels):
                cond, _ = _test(self.stmts[i][1])
                test = self.add(self.question(cond or "done"), exits)
                self.g.edges.append((test, first))
                i += 1
                return i, [test] + self.loops.pop()
            if first < len(self.g.labels) and exits:
                self.g.edges.extend((e, first) for e in exits)
            i = self.consume(i, ("endwhile",), line.rstrip().endswith("{"))
            return i, exits + self.loops.pop()
        if role == "chain":  # "Allocate stock -> Confirm order -> End", "Show error -> return to step 2"
            return i + 1, self.chain(rest, pending)
        if role == "break":
            if self.loops:
                self.loops[-1].extend(pending)
                return i + 1, []
            return i + 1, pending
        if role in ("skip", "close", "endif", "endwhile", "endfor", "else", "until"):
            return i + 1, pending  # a closer without its opener, a declaration
        if role == "stop":
            node = self.add(self.short(line), pending)
            return i + 1, [] if depth > 0 or i + 1 < len(self.stmts) else [node]
        node = self.add(self.short(line), pending)
        return i + 1, [] if role == "return" else [node]


def _statements(lines: list[str]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for ln in lines:
        text = _COMMENT.sub("", _MARK.sub("", ln)).strip().lstrip(":").strip()  # PlantUML's ":read file;"
        if not text:
            continue
        role, rest = classify(text)
        out.append((role, rest, text))
    return out


def compile_statements(stmts: list[tuple[str, str, str]], short: Callable[[str], str] = _code_label) -> Plan | None:
    """The plan of statements (role, rest, line): tests as decisions, loops back to their tests; None when fewer
    than three nodes or more than a plan holds."""
    if not stmts or len(stmts) > MAX_PLAN_NODES * 2:
        return None
    comp = _Compiler(stmts, short)
    i, pending = 0, []
    while i < len(stmts):
        i, pending = comp.stmt(i, pending, 0)
    g = comp.g
    if len(g.labels) < 3 or len(g.labels) > MAX_PLAN_NODES - 1:
        return None
    into = {b for _, b in g.edges}
    outof = {a for a, _ in g.edges}
    for node in range(1, len(g.labels)):
        if node not in into and node - 1 not in outof:
            g.edges.append((node - 1, node))  # a statement nothing leads to follows the one before it
    return layered_steps(g)


_ARROWS = re.compile(r"[ \t]*(?:->|→|=>|⟶)[ \t]*")
_BACK_TO = re.compile(r"(?i)\b(?:return|go|loop|jump)(?:[ \t]+back)?[ \t]+to[ \t]+(?:the[ \t]+)?(?:step[ \t]+)?(?P<to>[^,;.]{1,60})$")
# a flowchart outline: "Is the order valid? (Diamond)", "- Yes -> Check stock (Process)", "No: Show error -> End"
_SHAPE = re.compile(r"(?i)[ \t]*[\(\[](?:oval|rectangle|process|diamond|decision|terminal|terminator|parallelogram|"
                    r"input/output|i/o|start/end|data|rounded[ \t]+rectangle|circle)[\)\]]")
_ANSWER = re.compile(r"(?i)^(?:if[ \t]+)?(?P<ans>yes|no|true|false|y|n)\b[ \t]*(?:->|→|=>|:|,|–|—|-|\))[ \t]*(?P<rest>\S.*)$")
_QUESTION = re.compile(r"^(?:(?:decision|check|condition)[ \t]*:[ \t]*)?\{?(?P<q>[^{}?]{3,120}?)\??\}?[ \t]*$", re.I)


def read_outline(text: str) -> Plan | None:
    """A flowchart written as an outline: a question a line ("Is the order valid? (Diamond)", "{Whether ...}")
    with its answers on the lines after it ("- Yes -> Check stock (Process)", "No: Show error -> End"), and steps
    between them (shape names dropped): the questions as decisions, the answers as their branches. None unless
    there are two answers or more."""
    lines = [_SHAPE.sub("", _MARK.sub("", ln)).strip() for ln in (text or "").splitlines()[: MAX_PLAN_NODES * 3]]
    lines = [ln for ln in lines if ln]
    stmts: list[tuple[str, str, str]] = []
    answers = 0
    open_question = False
    for ln in lines:
        ans = _ANSWER.match(ln)
        if ans and open_question:
            if stmts[-1][0] != "if":
                stmts.append(("else", "", ln))
            stmts.append(("chain", ans.group("rest"), ans.group("rest")))
            answers += 1
            continue
        if ln.endswith(":") and stmts:
            break  # "Flowchart Symbols Used:": the outline is over
        if ln.endswith(":"):
            continue  # its heading
        q = _QUESTION.match(ln)
        if (ln.endswith("?") or ln.startswith("{") and ln.endswith("}")) and q:
            stmts.append(("if", q.group("q") + " then", ln))
            open_question = True
            continue
        if len(ln.split()) > 14:
            continue  # a description, not a step
        role, rest = classify(ln)
        stmts.append(("stop", rest, ln) if role == "stop" else ("chain", ln, ln))
        open_question = False
    if answers < 2 or len(stmts) < 3:
        return None
    return compile_statements(stmts)


def _code_like(line: str) -> bool:
    """Whether a line reads as a statement of pseudo-code (not a sentence of prose or a heading)."""
    text = _COMMENT.sub("", _MARK.sub("", line)).strip()
    if not text or len(text) > 120:
        return False
    role, _ = classify(text)
    words = text.split()
    if role != "stmt":
        return len(words) <= 16 and not (len(words) >= 8 and _PROSE_END.search(text))
    if text.endswith(":") and not _CODE_CHARS.search(text):
        return False  # a heading ("Step-by-step explanation:")
    if _PROSE_END.search(text) and len(words) >= 5:
        return False
    return len(words) <= 10 and (bool(_CODE_CHARS.search(text)) or len(words) <= 6 or bool(_QUOTED.search(text))
                                 or bool(re.match(r"[A-Z]{2,}\b", text)))


_STRUCTURE = frozenset({"if", "elif", "else", "endif", "while", "endwhile", "for", "endfor", "repeat", "until", "close"})
_CLOSERS = frozenset({"endif", "endwhile", "endfor", "until", "close"})


def _one_line_between(lines: list[str], first: list[str], second: list[str], gaps: list[int]) -> bool:
    """Whether at most one line stands between the end of run `first` and the start of run `second`."""
    end = next((k for k in range(len(lines)) if lines[k] is first[-1]), None)
    start = next((k for k in range(len(lines)) if lines[k] is second[0]), None)
    return end is not None and start is not None and 0 < start - end <= 2


def pseudocode_run(text: str) -> list[tuple[str, str, str]] | None:
    """The statements of the pseudo-code in a text: the run of statement lines with the most tests and loops,
    when it has four lines or more, an "if"/loop opener, and a closing keyword ("END IF", "}", "fimse",
    "UNTIL") or two assignments ("x ← 0", "cont <- 1"); else None."""
    lines = [ln for ln in map(unfenced, (text or "").splitlines()[: MAX_PLAN_NODES * 4])
             if ln.strip() and not is_heading(ln)]
    runs: list[list[str]] = []
    current: list[str] = []
    depth = 0  # open braces: inside them a longer statement without a full stop still belongs to the run
    for ln in lines:
        if _code_like(ln) or depth > 0 and current and len(ln.split()) <= 30 and not _PROSE_END.search(ln.strip()):
            current.append(ln)
            depth = max(0, depth + ln.count("{") - ln.count("}"))
            continue
        if not _COMMENT.sub("", _MARK.sub("", ln)).strip():
            continue  # a comment line: part of the run
        if current:
            runs.append(current)
        current = []
        depth = 0
    if current:
        runs.append(current)
    # two runs of code with one line of prose between them (a note between two functions): one run
    gaps = [k for k, ln in enumerate(lines) if not _code_like(ln)]
    joined: list[list[str]] = []
    for run in runs:
        if joined and len(joined[-1]) >= 3 and len(run) >= 3 and _one_line_between(lines, joined[-1], run, gaps):
            joined[-1] = joined[-1] + run
        else:
            joined.append(run)
    runs = joined
    best: list[tuple[str, str, str]] | None = None
    best_score = 0
    for run in runs:
        stmts = _statements(run)
        roles = [r for r, _, _ in stmts]
        score = sum(r in _STRUCTURE for r in roles)
        opener = any(r in ("if", "while", "for", "repeat") for r in roles)
        closed = any(r in _CLOSERS for r in roles)
        assigns = sum(bool(_ASSIGN.search(line)) for r, _, line in stmts if r == "stmt")
        code = sum(bool(_STRICT_CODE.search(line)) for _, _, line in stmts)
        if len(stmts) >= 4 and opener and score >= 2 and (closed or assigns >= 2 or code >= 3) and score > best_score:
            best, best_score = stmts, score
    return best


def read_pseudocode(text: str) -> Plan | None:
    """The plan of the pseudo-code in a text (see the module doc), or None."""
    stmts = pseudocode_run(text)
    return compile_statements(stmts) if stmts else None


# ---- procedures in other languages -------------------------------------------------------------

_TITLED = re.compile(r"^(?P<title>[^\W\d_][^:–—.!?]{1,60}?)[ \t]*(?:[ \t][–—-][ \t]|:[ \t]*)(?P<desc>\S.*)$")
# a sentence ends at a full stop before a capital (also with no space: "...item.Tingnan"; not "1. Open"), a line
# break, or before an item number inside a line ("... 2. Si stock ...")
_SENTENCE = re.compile(r"(?<=[.!?。！？])(?<![\s(]\d[.])(?<![\s(]\d\d[.])(?:[ \t]+|(?=[^\W\d_]))(?=[^\W\d_\"“«(])|\n+|"
                       r"[ \t]+(?=\d{1,2}[.)][ \t]+[^\W\d_])")


def split_items(text: str) -> list[str]:
    """The steps of a procedure as written: list items (a line under an item without a mark of its own
    continues it), else lines, else sentences."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()][: MAX_PLAN_NODES * 4]
    marked = [bool(_MARK.match(ln)) for ln in lines]
    if sum(marked) >= 3:
        items: list[str] = []
        for ln, mark in zip(lines, marked):
            if mark:
                items.append(_MARK.sub("", ln).strip())
            elif items:
                items[-1] = (items[-1] + " " + ln).strip()
        return [it for it in items if it]
    if len(lines) >= 3 and sum(len(ln) <= 120 for ln in lines) * 4 >= len(lines) * 3:
        return lines[1:] if len(lines) >= 4 and not re.search(r"[.!?:]$", lines[0]) and len(lines[0].split()) <= 6 \
            and all(len(ln) > len(lines[0]) for ln in lines[1:3]) else lines
    sentences = (_MARK.sub("", s).strip() for s in _SENTENCE.split("\n".join(lines)) if s)
    return [s for s in sentences if re.search(r"[^\W\d_]", s)]


def _clauses(text: str) -> list[str]:
    """A long sentence cut into its clauses (at commas, semicolons and "and"), short pieces kept with the one before."""
    if len(text) <= LABEL_CHARS:
        return [text]
    out: list[str] = []
    for piece in re.split(r"[ \t]*[,;][ \t]+", text):
        for part in _AND.split(piece):
            part = part.strip()
            if not part:
                continue
            if out and (len(part.split()) < 2 or len(out[-1].split()) < 2):
                out[-1] = f"{out[-1]} {part}"
            else:
                out.append(part)
    return out or [text]


_PAREN_ASIDE = re.compile(r"[ \t]*\((?=[^()]{0,200}\s)[^()]{8,200}\)")


# an item that opens a loop and writes its body after a colon; the loop's bound after "until"/"hasta"/"≤"
_LOOP_ITEM = re.compile(r"^(?P<head>[^:\n]{3,80}?)[ \t]*:[ \t]*(?P<body>\S.{5,400})$")
_BOUND = re.compile(r"(?i)\b(?:until|while|hasta(?:[ \t]+que)?|mientras|até|jusqu'à|tant[ \t]+que|bis|fino[ \t]+a)[ \t]+"
                    r"(?P<cond>\S.{0,60})$")


def _lang_statements(items: list[str]) -> list[tuple[str, str, str]] | None:
    """Items to statements: tests from "if"-words, loop items as marks for a loop back."""
    stmts: list[tuple[str, str, str]] = []
    for item in items:
        item = item.strip().rstrip(".").strip()
        if not item:
            continue
        titled = _TITLED.match(item)
        body = item
        title = ""
        if titled and len(titled.group("title").split()) <= 6 and len(titled.group("desc").split()) >= 3 \
                and not titled.group("desc").startswith(("\"", "“", "«")):
            title, body = titled.group("title").strip(), titled.group("desc").strip()
        body = _PAREN_ASIDE.sub("", body).strip() or body  # "(en écoutant, questionnant ...)": how, not a step
        role, rest = classify(body)
        if role in ("if", "elif", "else") and not title:
            stmts.append((role, rest, body))
            continue
        if role in ("if", "elif"):
            cond, action = _test(rest)
            stmts.append((role, "", title))  # "Check the condition: if x, y": the titled check is the test
            if action:
                stmts.append(("stmt", "", action))
            continue
        if title:
            stmts.append(("stmt", "", title))
            continue
        if role in ("stop", "start"):
            stmts.append((role, rest, body))
            continue
        looped = _LOOP_ITEM.match(body)
        if looped and (_LOOP_WORD.search(looped.group("head")) or classify(looped.group("head"))[0] in ("while", "for")):
            # "Ejecutar ciclo I ← 1 hasta I ≤ N: leer NUM, si ... entonces A, sino B": a loop and its body
            head = looped.group("head")
            bound = _BOUND.search(head)
            stmts.append(("while", bound.group("cond") if bound else head, head))
            for piece in re.split(r"[ \t]*[,;][ \t]+(?![^()]*\))", looped.group("body"))[:8]:
                role, rest = classify(piece)
                stmts.append((role if role in ("if", "else", "elif", "stmt") else "stmt", rest, piece))
            stmts.append(("endwhile", "", ""))
            continue
        for clause in _clauses(body)[:4]:
            stmts.append(("stmt", "", clause))
    return stmts or None


# a network, not a procedure: left to the dense and CNN readers (or to nothing)
_NET_WORDS = re.compile(r"(?i)neur|нейрон|netz|r[eé]seau|\brede\b|\bred\b|layer|camada|\bcapas?\b|couche|schicht|сло[йи]|"
                        r"warstw|\bmlp\b|\bcnn\b|keras|pytorch|tensorflow|\bconv")


def read_other_language(text: str) -> Plan | None:
    """The plan of a procedure written in a language other than English (see the module doc), or None
    when the text is English, describes a network, or reads as fewer than three steps."""
    if not is_other_language(text) or _NET_WORDS.search(text or ""):
        return None
    code = read_pseudocode(text)
    if code is not None:
        return code
    items = split_items(text)
    if len(items) < 2:
        return None
    stmts = _lang_statements(items)
    if stmts is None or len(stmts) < 3:
        return None
    stmts = stmts[: MAX_PLAN_NODES - 4]
    # an "if" whose action is written on the item after it: one statement long (the compiler's rule)
    plan = compile_statements(stmts, _cut)
    if plan is None:
        return None
    loop_at = [k for k, (_, _, line) in enumerate(stmts) if _LOOP_WORD.search(line)]
    if loop_at and not plan.loops:
        plan = _with_loop_back(stmts, loop_at[-1])
    return plan


def _with_loop_back(stmts: list[tuple[str, str, str]], k: int) -> Plan | None:
    """The statements compiled with the loop item k going back: to the step it names ("passos 2 a 4"),
    else to the second statement (the first is often a start or a setup)."""
    ref = _STEP_REF.search(stmts[k][2]) or re.search(r"\b(\d{1,2})[ \t]*(?:[-–a-z]{1,3}|bis|à|до)[ \t]*\d{1,2}\b",
                                                     stmts[k][2])
    target_item = int(ref.group(1)) - 1 if ref else (1 if k >= 2 else 0)
    target_item = max(0, min(target_item, k - 1))
    comp = _Compiler(stmts, _cut)
    i, pending = 0, []
    starts: dict[int, int] = {}
    ends: dict[int, list[int]] = {}
    while i < len(stmts):
        starts[i] = len(comp.g.labels)
        j, pending = comp.stmt(i, pending, 0)
        ends[i] = list(pending)
        i = j
    g = comp.g
    if len(g.labels) < 3 or len(g.labels) > MAX_PLAN_NODES - 1:
        return None
    while target_item not in starts and target_item > 0:
        target_item -= 1
    src = ends.get(k) or []
    dest = starts.get(target_item, 0)
    g.edges.extend((s, dest) for s in src if s >= dest)
    into = {b for _, b in g.edges}
    outof = {a for a, _ in g.edges}
    for node in range(1, len(g.labels)):
        if node not in into and node - 1 not in outof:
            g.edges.append((node - 1, node))
    return layered_steps(g)


def _structure(plan: Plan) -> int:
    return int(any(len(rank) > 1 for rank in plan.ranks)) + int(bool(plan.loops))


def more_structure(plan: Plan, other: Plan) -> bool:
    """Whether `plan` draws at least as much of a procedure's structure (a branch, a loop) as `other` and some."""
    return _structure(plan) >= max(1, _structure(other))


def kept_words(plan: Plan, text: str) -> float:
    """The share of a plan's label words written as such in the text ("Plusieur tapes" for "plusieurs
    étapes" keeps none): a reader that mangles words in another script reads worse than one that keeps them."""
    written = {w.lower() for w in _WORD.findall(text or "")}
    said = [w.lower() for label in plan.labels for w in _WORD.findall(label) if w.lower() not in ("else", "continue")]
    return sum(w in written for w in said) / len(said) if said else 0.0


# ---- flowcharts written in a diagram language: Mermaid, Graphviz DOT, PlantUML activity (release 6 round) ----

_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[\w-]*[ \t]*$")
_MERMAID_HEAD = re.compile(r"^[ \t]*(?:flowchart|graph)(?:[ \t]+(?:TD|TB|LR|RL|BT))?[ \t]*;?[ \t]*$", re.I)
_MERMAID_SKIP = re.compile(r"^[ \t]*(?:%%|subgraph\b|end[ \t]*$|style[ \t]|classDef[ \t]|class[ \t]|click[ \t]|linkStyle[ \t]|"
                           r"direction[ \t])", re.I)
# an edge between two node references: "-->", "---", "-.->", "==>", "-- text -->", "-. text .->", "== text ==>",
# "-->|text|", "--o", "--x", "<-->"
_MERMAID_EDGE = re.compile(r"[ \t]*(?:<?--[ \t]*[^-<>|\n]{1,60}?[ \t]*-->|<?-\.[ \t]*[^.\n]{1,60}?[ \t]*\.->|<?==[ \t]*[^=<>\n]{1,60}?"
                           r"[ \t]*==>|<?-{2,}>|<?-\.+->|<?={2,}>|-{3,}|--[ox])[ \t]*(?:\|[^|\n]{0,60}\|)?[ \t]*")
# a node reference with its shape: id, id[Label], id(Label), id([Label]), id((Label)), id{Label}, id{{Label}},
# id[/Label/], id[(Label)], id[[Label]], id>Label]; ":::class" after it
_MERMAID_NODE = re.compile(r"^(?P<id>[^\s\[\](){}<>|&;\"'-][^\s\[\](){}<>|&;\"']{0,60}?)[ \t]*"
                           r"(?P<shape>\(\[.{0,200}?\]\)|\(\(.{0,200}?\)\)|\[\[.{0,200}?\]\]|\[\(.{0,200}?\)\]|"
                           r"\[[/\\].{0,200}?[/\\]\]|\{\{.{0,200}?\}\}|\{.{0,200}?\}|\[.{0,200}?\]|\(.{0,200}?\)|>.{0,200}?\])?"
                           r"(?::::[\w-]+)?$")
_DOT_HEAD = re.compile(r"^[ \t]*(?:strict[ \t]+)?(?:di)?graph\b[^{\n]{0,80}\{", re.I | re.M)
_DOT_ID = r"(?:\"(?:[^\"\\\n]|\\.){1,200}\"|[\w.]{1,60})"
_DOT_EDGE = re.compile(rf"^(?P<chain>{_DOT_ID}(?:[ \t]*-[->][ \t]*{_DOT_ID})+)[ \t]*(?:\[(?P<attrs>[^\]]{{0,300}})\])?$")
_DOT_NODE = re.compile(rf"^(?P<id>{_DOT_ID})[ \t]*\[(?P<attrs>[^\]]{{0,300}})\]$")
_DOT_LABEL = re.compile(r"\blabel[ \t]*=[ \t]*(?:\"(?P<q>(?:[^\"\\]|\\.){0,200})\"|(?P<w>[\w.]{1,60}))", re.I)
_DOT_SHAPE = re.compile(r"\bshape[ \t]*=[ \t]*\"?(?P<shape>\w+)", re.I)
_UML_ACTION = re.compile(r"^:(?P<label>.{1,300}?)(?:;|\||<|>|/|\]|\})[ \t]*$")
_UML_IF = re.compile(r"^(?:else[ \t]*)?if[ \t]*\((?P<cond>.{1,200}?)\)[ \t]*(?:then\b.*)?$", re.I)
_UML_ELSEIF = re.compile(r"^else[ \t]*if[ \t]*\((?P<cond>.{1,200}?)\)[ \t]*(?:then\b.*)?$|^elseif[ \t]*\((?P<cond2>.{1,200}?)\)"
                         r"[ \t]*(?:then\b.*)?$", re.I)
_UML_WHILE = re.compile(r"^while[ \t]*\((?P<cond>.{1,200}?)\)[ \t]*(?:is\b.*)?$", re.I)
_UML_REPEAT_WHILE = re.compile(r"^repeat[ \t]+while[ \t]*\((?P<cond>.{1,200}?)\).*$", re.I)
_UML_SKIP = re.compile(r"^(?:@startuml|@enduml|title\b|skinparam\b|note\b|end[ \t]*note\b|partition\b|\}|\{|\|.*\||legend\b|"
                       r"endlegend\b|header\b|footer\b|caption\b|scale\b|left to right|top to bottom|'|detach\b|kill\b|"
                       r"floating\b|split\b|end[ \t]*split\b|split[ \t]+again\b|fork[ \t]+again\b|fork\b|end[ \t]*fork\b|"
                       r"end[ \t]*merge\b)", re.I)


def _source_label(text: str, decision: bool = False, first_line: bool = False) -> str:
    """A node's label as the diagram writes it: quotes and markup out, its lines joined (`first_line`: the first
    line only, "Kafka<br>payment_transactions" -> "Kafka"), cut like a step."""
    lines = [ln for ln in re.split(r"(?i)<br[ \t]*/?>|\\n|\\l|\\r|\n", text) if ln.strip(" \t\"'")]
    text = (lines[:1] if first_line else lines and [" ".join(ln.strip() for ln in lines)]) or [""]
    text = re.sub(r"<[^<>]{0,40}>|\*\*|`", "", text[0]).strip(" \t\"'")
    text = re.sub(r"[ \t]+", " ", text).strip()
    if not text:
        return ""
    if decision:
        return short_step(text.rstrip("?").strip())[: LABEL_CHARS - 1].rstrip() + "?"
    return short_step(text) if len(text) > LABEL_CHARS else text[:1].upper() + text[1:]


def _graph_plan(order: list[str], labels: dict[str, str], edges: list[tuple[str, str]]) -> Plan | None:
    """The plan of a flowchart's nodes (in order of first mention) and edges: layered by longest path, edges
    closing a cycle as loops, a decision whose other branch skips ahead drawn with "Else: continue"."""
    used = [node for node in order if any(node in edge for edge in edges)]
    if len(used) < 3 or len(edges) < 2 or len(used) > MAX_PLAN_NODES:
        return None
    g = StepGraph()
    ids = {node: g.node(labels.get(node) or node) for node in used}
    g.edges = list(dict.fromkeys((ids[a], ids[b]) for a, b in edges if a != b))
    return layered_steps(g, loop_tests=True)


def _mermaid(lines: list[str]) -> Plan | None:
    labels: dict[str, str] = {}
    order: list[str] = []
    edges: list[tuple[str, str]] = []
    rhombus: set[str] = set()

    seconds: dict[str, str] = {}

    def ref(part: str) -> list[str]:
        found = []
        for piece in part.split("\x01"):
            m = _MERMAID_NODE.match(piece.strip())
            if not m:
                return []
            node, shape = m.group("id"), m.group("shape") or ""
            if shape:
                inner = re.sub(r"^(?:\(\[|\(\(|\[\[|\[\(|\[[/\\]|\{\{|\{|\[|\(|>)|(?:\]\)|\)\)|\]\]|\)\]|[/\\]\]|\}\}|\}|\]|\))$",
                               "", shape)
                if shape.startswith("{") and not shape.startswith("{{"):
                    rhombus.add(node)
                label = _source_label(inner, first_line=True)
                if label:
                    labels[node] = label
                    whole = _source_label(inner)
                    if whole != label:
                        seconds[node] = whole  # "Apache Kafka<br/>Topic: crypto_prices": told apart by its second line
            if node not in order:
                order.append(node)
            found.append(node)
        return found

    for line in lines:
        line = line.strip().rstrip(";")
        if not line or _MERMAID_SKIP.match(line):
            continue
        spans: list[str] = []  # what brackets and quotes hold is no edge and no "&"
        masked = re.sub(r"\[[^\[\]\n]{0,200}\]|\([^()\n]{0,200}\)|\{[^{}\n]{0,200}\}|\"[^\"\n]{0,200}\"",
                        lambda m: spans.append(m.group()) or f"\x00{len(spans) - 1}\x00", line)
        parts = [re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], re.sub(r"[ \t]+&[ \t]+", "\x01", part))
                 for part in _MERMAID_EDGE.split(masked)]
        if len(parts) > 12:
            continue
        refs = [ref(part) for part in parts]
        if not all(refs):
            continue
        for a, b in zip(refs, refs[1:]):
            edges += [(x, y) for x in a for y in b]
    firsts = [labels.get(node, node).lower() for node in order]
    for node in order:  # two "Apache Kafka" nodes: their second lines tell them apart
        if firsts.count(labels.get(node, node).lower()) > 1 and node in seconds:
            labels[node] = seconds[node]
    for node in rhombus:  # a rhombus with two ways out (or asking) is a decision; with one, a component drawn so
        ways = {b for a, b in edges if a == node}
        label = labels.get(node, node)
        if len(ways) >= 2 or label.endswith("?"):
            labels[node] = _source_label(label, decision=True)
    return _graph_plan(order, labels, edges)


def _dot(text: str) -> Plan | None:
    head = _DOT_HEAD.search(text)
    if head is None:
        return None
    body = text[head.end():]
    labels: dict[str, str] = {}
    order: list[str] = []
    edges: list[tuple[str, str]] = []

    def node_id(raw: str) -> str:
        raw = raw.strip()
        node = raw[1:-1] if raw.startswith('"') else raw
        if node not in order:
            order.append(node)
        if raw.startswith('"') and node not in labels:
            labels[node] = _source_label(node)
        return node

    for stmt in re.split(r"[;\n]", body)[:400]:
        stmt = stmt.strip()
        if not stmt or re.match(r"(?i)^(?:node|edge|graph|subgraph|rankdir|rank|label|splines|bgcolor|fontname|"
                                r"size|ratio|compound|newrank)\b|^[{}]", stmt):
            continue
        edge = _DOT_EDGE.match(stmt)
        if edge:
            chain = [node_id(x) for x in re.split(r"[ \t]*-[->][ \t]*", edge.group("chain"))]
            edges += list(zip(chain, chain[1:]))
            continue
        node = _DOT_NODE.match(stmt)
        if node:
            nid = node_id(node.group("id"))
            label = _DOT_LABEL.search(node.group("attrs"))
            shape = _DOT_SHAPE.search(node.group("attrs"))
            diamond = bool(shape) and shape.group("shape").lower() in ("diamond", "mdiamond")
            text_of = (label.group("q") if label.group("q") is not None else label.group("w")) if label else ""
            if text_of or diamond:
                labels[nid] = _source_label(text_of or labels.get(nid, nid), decision=diamond)
    return _graph_plan(order, labels, edges)


def _plantuml(lines: list[str]) -> Plan | None:
    g = StepGraph()
    tails: list[int] = []
    # a frame per open block: ("if", decision, ends of the branches done) / ("while", test) / ("repeat", first)
    frames: list[tuple[str, int | None, list[int]]] = []
    repeat_next = False
    statements = 0
    buffered = ""
    for raw in lines:
        line = raw.strip()
        if buffered:  # an action over several lines (":first line\nsecond line;")
            line = f"{buffered} {line}"
            if not re.search(r"[;|<>/\]}][ \t]*$", line):
                buffered = line
                continue
            buffered = ""
        elif line.startswith(":") and not re.search(r"[;|<>/\]}][ \t]*$", line):
            buffered = line
            continue
        if not line or _UML_SKIP.match(line) and not line.lower().startswith("fork"):
            continue

        def add(label: str) -> int:
            nonlocal repeat_next
            node = g.node(label)
            g.edges += [(t, node) for t in tails]
            if repeat_next:
                frames.append(("repeat", node, []))
                repeat_next = False
            return node

        low = line.lower()
        action = _UML_ACTION.match(line)
        if len(g.labels) >= MAX_PLAN_NODES:
            return None
        if low == "start":
            tails = [add("Start")]
        elif low in ("stop", "end"):
            add(line[:1].upper() + line[1:].lower())
            tails = []
        elif action:
            tails = [add(_source_label(action.group("label")))]
            statements += 1
        elif _UML_ELSEIF.match(line) and frames and frames[-1][0] == "if":
            kind, dec, ends = frames[-1]
            m = _UML_ELSEIF.match(line)
            ends += tails
            tails = [dec] if dec is not None else []
            nxt = add(_source_label(m.group("cond") or m.group("cond2"), decision=True))
            frames[-1] = ("if", nxt, ends)
            tails = [nxt]
        elif _UML_IF.match(line) and not low.startswith("else"):
            dec = add(_source_label(_UML_IF.match(line).group("cond"), decision=True))
            frames.append(("if", dec, []))
            tails = [dec]
        elif re.match(r"(?i)^else\b", line) and frames and frames[-1][0] == "if":
            kind, dec, ends = frames[-1]
            frames[-1] = ("else", dec, ends + tails)
            tails = [dec] if dec is not None else []
        elif re.match(r"(?i)^end[ \t]*if\b", line) and frames and frames[-1][0] in ("if", "else"):
            kind, dec, ends = frames.pop()
            tails = ends + tails + ([dec] if kind == "if" and dec is not None else [])
            tails = list(dict.fromkeys(tails))
        elif _UML_WHILE.match(line):
            test = add(_source_label(_UML_WHILE.match(line).group("cond"), decision=True))
            frames.append(("while", test, []))
            tails = [test]
        elif re.match(r"(?i)^end[ \t]*while\b", line) and frames and frames[-1][0] == "while":
            _, test, _ = frames.pop()
            g.edges += [(t, test) for t in tails]
            tails = [test]
        elif low == "repeat" or low.startswith("repeat :") or low.startswith("repeat:"):
            repeat_next = True
            rest = line[6:].strip()
            if rest.startswith(":") and _UML_ACTION.match(rest):
                tails = [add(_source_label(_UML_ACTION.match(rest).group("label")))]
                statements += 1
        elif _UML_REPEAT_WHILE.match(line) and frames and frames[-1][0] == "repeat":
            _, first, _ = frames.pop()
            test = add(_source_label(_UML_REPEAT_WHILE.match(line).group("cond"), decision=True))
            if first is not None:
                g.edges.append((test, first))
            tails = [test]
        elif re.match(r"(?i)^(?:fork(?:[ \t]+again)?|end[ \t]*fork|split(?:[ \t]+again)?|end[ \t]*split)\b", line):
            continue  # parallel branches: drawn in a row (the layering puts them apart when they join)
        else:
            return None  # a line of another language: not an activity diagram
    if statements < 2 or frames and any(kind == "if" for kind, _, _ in frames):
        return None
    return layered_steps(g, loop_tests=True) if len(g.labels) >= 3 and g.edges else None


def read_diagram_source(text: str) -> Plan | None:
    """A flowchart written in a diagram language, read node for node: Mermaid `flowchart`/`graph` (node shapes
    declared on their own lines or in the edges, "-- Yes -->" and "-->|No|" edges, chains "a --> b --> c", "&"),
    Graphviz DOT (`digraph { a [label="Valid?", shape=diamond]; a -> b [label="yes"]; ... }`) or a PlantUML
    activity diagram (`:step;`, `if (C?) then (yes)` / `elseif` / `else` / `endif`, `while (C?)` / `endwhile`,
    `repeat` / `repeat while (C?)`, `start` / `stop`). Decisions (a `{...}` or diamond shape, an if/while test) end
    with "?", edges closing a cycle are loops; None when the text is none of these or holds fewer than three nodes."""
    lines = [ln for ln in (text or "").splitlines() if not _FENCE.match(ln)][:400]
    content = [ln for ln in lines if ln.strip()]
    if not content:
        return None
    start = next((k for k, ln in enumerate(content) if _MERMAID_HEAD.match(ln)), None)
    if start is not None:
        return _mermaid(content[start + 1:])
    if _DOT_HEAD.search(text or ""):
        return _dot("\n".join(lines))
    uml = next((k for k, ln in enumerate(content) if ln.strip().lower().startswith("@startuml")), None)
    if uml is not None:
        end = next((k for k in range(uml + 1, len(content)) if content[k].strip().lower().startswith("@enduml")),
                   len(content))
        return _plantuml(content[uml + 1:end])
    return None
