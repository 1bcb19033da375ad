"""Read a process told in plain sentences as activities, decisions and loops back
(`diagram.reader.read_request` calls it when no list, arrow chain or named component reads).

    >>> read_clauses("The clerk checks the invoice. If the invoice is valid, the clerk pays it. "
    ...              "Otherwise, the invoice is rejected.").line()
    '# steps: Check invoice > Invoice is valid? > Pay, Reject invoice'
    >>> read_clauses("First we write the draft. The editor reviews the draft. "
    ...              "If changes are needed, we go back to writing.").line()
    '# steps: Write draft > Review draft > Changes are needed? > Back to writing, Else: continue; loop Back to writing > Write draft'

Each sentence is cut into clauses (", and then", "; ", "and" before a verb, ", while", "(ii)", ...),
each clause into an activity that keeps the step's words: the verb in its base form, its object and
what follows it (to whom, by whom, how) up to LABEL_CHARS (the answer grammar's 60), articles and
filler ("then", "also") left out, possessives and quantifiers kept ("The clerk checks the invoice
for errors" -> "Check invoice for errors", "Prompt the user to insert their card" -> "Prompt user to
insert their card"). Passives read verb first ("the invoice is filed numerically" -> "File invoice
numerically"), unless the participle is no regular form of the verb, which then stays as written
("the copy is sent to X" -> "Copy sent to X", "the process is stopped" -> "Process stopped"). Two
verbs sharing what follows make one label when it keeps every word of both ("review and approve the
request"); "it"/"them" stands for the object before; "decides whether ..." / "verifies that ..." keep
the clause; an opening "When/Once <subject> <verb>," is a step of its own in its words ("Claim
received"); an action noun after an article is one too ("a credit history check"). Verbs are known by
a list of common process verbs and by their place: after a subject, a modal ("must", "will", "has
to") or a form of "be", or before an article (an imperative, a verb in the third person). "If C, X(, otherwise Y)." puts a decision node "C?" before a
rank of the two branches (a missing "otherwise" branch is drawn as "Else: continue"); a sentence
starting "Otherwise"/"Else"/"If not", or a second "If" right after one, fills the other branch;
"either X or Y" / "X or the Y Zs" make the step before a choice of two. A sentence that says
"again", "repeat", "go back", "until", "retry", "in a loop", "several times" adds a back edge to
the step it names (words shared with an earlier label, "step 2"), else to the step before.

Pure functions; every pattern is bounded and runs over one sentence at a time: linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from diagram.grammar import LABEL_MAX_CHARS
from diagram.plan import MAX_LAYER_NODES, MAX_PLAN_NODES, Plan, step_label
from diagram.reader_text import fit_label

ELSE_CONTINUE = "Else: continue"
MAX_LABEL_WORDS = 5  # a noun phrase read without a verb
# An activity's label keeps the verb, its object and what follows (to whom, by whom, how: "Send to sales
# manager for approval") up to this many characters (the answer grammar's limit), filler words dropped.
LABEL_CHARS = LABEL_MAX_CHARS

VERBS = frozenset("""
accept access add adjust administer advise agree allocate analyse analyze announce answer apply approve archive
arrange ask assemble assess assign attach authorize authorise book build calculate call cancel capture categorize
categorise change charge check choose classify clean clear close collect commit communicate compare compile
complete compute conduct configure confirm connect consider consult contact continue convert copy correct create
deal decide decline define deliver deny deploy describe design determine develop discuss dispatch distribute
do download draft draw edit email enter estimate evaluate examine execute explain export extract fill filter
finalize finalise find finish fix follow forward gather generate get give go handle identify implement import
inform initiate input insert inspect install interview investigate invite invoice issue label launch load log
mail maintain make manage mark match measure merge modify monitor move negotiate note notify obtain offer open
order organize organise pack package parse pass pay perform pick place plan post prepare present print process
produce provide publish purchase push put rank rate read receive recommend record redesign register reject
release remind remove renew repair replace reply report request require reserve resolve respond return review
run save scan schedule score search select sell send set ship sign specify start store submit supply take test
tell track train transfer transform translate transmit trigger update upload use validate verify visit wait
write show quit login logout display output input declare let escalate route poll sort swap detect predict
infer embed index retrieve rerank chunk crawl scrape aggregate enrich join stream ingest subscribe consume emit
invoke query fetch pull tag lint rollback hang fold spin rinse wash dry heat cool ask enroll pick
repeat acknowledge raise serve cook fix solve analyse escalate assess
file prompt eject dispense diagnose settle clarify sign segregate greet refund quote audit admit discharge
withdraw deposit reconcile prioritize prioritise terminate archive attach upload approve
accelerate appraise bake boil borrow buy carry centrifuge chop count cut delay destroy discard disinfect dismiss
dispose donate drain drill drop empty escort exchange expedite extend flag freeze grade grant hire learn lend lift
lock lower mix paint pause peel pour postpone protect purify reboot recycle reimburse rent restart restock resume
revise revoke rotate seal secure shred split stack stamp staple sterilize stir stop study sweep teach thank
transport turn unload unlock weigh welcome wrap
""".split())
_IRREGULAR = {"sent": "send", "sends": "send", "built": "build", "made": "make", "done": "do", "does": "do",
              "taken": "take", "took": "take", "given": "give", "gave": "give", "written": "write", "wrote": "write",
              "paid": "pay", "sold": "sell", "found": "find", "held": "hold", "brought": "bring", "kept": "keep",
              "chosen": "choose", "chose": "choose", "shown": "show", "told": "tell", "got": "get", "gets": "get",
              "left": "leave", "bought": "buy", "drawn": "draw", "known": "know", "seen": "see", "goes": "go",
              "went": "go", "gone": "go", "has": "have", "had": "have", "put": "put", "set": "set", "read": "read",
              "run": "run", "ran": "run", "began": "begin", "begun": "begin", "rebuilt": "rebuild", "undertaken":
              "undertake", "understood": "understand", "met": "meet", "led": "lead", "spent": "spend",
              "dealt": "deal", "sent back": "send back", "applies": "apply", "carries": "carry", "carried": "carry",
              "copies": "copy", "copied": "copy", "replies": "reply", "replied": "reply", "verifies": "verify",
              "verified": "verify", "notifies": "notify", "notified": "notify", "identifies": "identify",
              "identified": "identify", "specifies": "specify", "specified": "specify", "classifies": "classify",
              "classified": "classify", "modifies": "modify", "modified": "modify", "tries": "try", "tried": "try",
              "retries": "retry", "retried": "retry", "supplies": "supply", "supplied": "supply", "pays": "pay"}
NOT_VERBS = frozenset("""
is are was were be been being this that these those there here process the a an and or but if when
then also only not no all any each every some both either neither his her its their our your my it they he she
we you i who which what where whose whom as so than very after before while once until
""".split())
_MODAL = frozenset("must will would can could should may might shall needs need has have had is are was were "
                   "be then also first always usually immediately automatically".split())
_BE = frozenset("is are was were be been being get gets got become becomes".split())
_ADVERB = re.compile(r"^(?:(?!(?:supp|rep|app|fami|assemb|anoma|ra|a|f|ju|ita|bel|jel|bul|ho|ear|dai|week|month|year|"
                     r"hour|quarter)ly$)\w+ly|then|also|first|now|again|still|finally|subsequently|afterwards|just|not|"
                     r"all|both|either|later|manually)$", re.I)  # ("supply", "assembly", "monthly": no adverbs)
_DETERMINER = frozenset("the a an all any every its their his her our my your this these those some each both "
                        "such another other respective relevant necessary".split())
_PRONOUN = frozenset("it they them this that these those he she him her we us you i me one".split())
_STOP = frozenset("to from for with by in on at into about via until within after before if when once because "
                  "so which that who whom while as using through and or but than whether then where per "
                  "together including against without during back what how why where whom whose".split())
_CONNECTOR = re.compile(r"^(?:and|then|so|also|otherwise|else|afterwards|after that|after this|next|finally|lastly|first(?:ly)?|"
                        r"second(?:ly)?|subsequently|thereafter|later|now|simultaneously|meanwhile|"
                        r"in the meantime|at the same time|therefore|thus|hence|in this case|in that case|"
                        r"in these cases|in both cases|in addition|additionally|furthermore|moreover|however|"
                        r"optionally|sometimes|usually|typically|normally|generally|eventually|ultimately|"
                        r"at the end|in the end|to start|to begin with|as a result|but|it (?:can|may|might|could) (?:also )?"
                        r"happen that|there (?:is|are) (?:a |an )?(?:need|chance) (?:to|that)|as a first step)\b[,:]?\s*",
                        re.I)
_LEAD = re.compile(r"^(?:after|once|when|whenever|as soon as|as long as|before|while|until|upon|on|following|given that|"
                   r"based on|depending on|at|every|during|in|for|with)\b[^,]{1,120},\s*(?=\S)", re.I)
_LEAD_BARE = re.compile(r"^(?:after|before|during|within|upon|following)\s+(?:(?!(?:the|a|an)\b)[\w-]+\s+){1,4}?"
                        r"(?=(?:the|a|an|he|she|they|we|you|it|i)\s)", re.I)
_IF = re.compile(r"^(?:(?:but|and|then|so|only|now|however),?\s+)?(?:if|in case(?: of)?|should|whether|"
                 r"in the case (?:of|that)|provided that|assuming)\s+(?P<cond>[^,]{2,120}?)\s*"
                 r"(?:,\s*(?:then\s+)?|\s+then\s+)(?P<rest>\S.*)$", re.I)
_OTHERWISE = re.compile(r"^(?:otherwise|else|if not|or else|in (?:all )?other cases|in the other case|"
                        r"if this is not the case|if that is not the case|if it is not)\b,?\s*", re.I)
_INLINE_ELSE = re.compile(r"[,;]?\s*\b(?:otherwise|or else|else|in all other cases|in any other case)\b,?\s*",
                          re.I)
_CLAUSE_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+)?then\b|\band\s+then\b|(?<!\bis )(?<!\bare )(?<!\bbe )(?<!\bwas )(?<!\bwere )\bthen\s+(?=\w+\s)|;|,\s*after\s+which\b|"
                           r",\s*before\b|\s+before\s+(?=(?:the|a|an|they|he|she|we|i|it)\b)|,\s*wh(?:ich|o)\s+(?=\w+s\b)|,?\s+while\s+(?=(?:the|a|an|all|any|other|some|they|he|she|we|you|it)\s|(?:\w+\s+){1,3}(?:is|are|was|were|will|can|must|should)\s)|"
                           r",\s*(?:and\s+)?finally\b|,\s*(?:and\s+|or\s+)?(?=\((?:[ivx]{1,4}|[a-h])\)\s)|:\s+)\s*", re.I)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+(?=\S)|\n+")
_HEADER = re.compile(r"^(?:category|title|name|description|process|scenario)\s*:", re.I)
_LOOP = re.compile(r"\b(?:again|repeat\w*|go(?:es|ing)? back|back to|sends? (?:\w+ ){0,3}back|sent back|returns? to|"
                   r"returned to|loops?|iterat\w*|until|as long as|several times|multiple times|many times|retr(?:y|ies|ied)|"
                   r"once more|re-?(?:submit|send|do|check|design|build|work|peat)\w*|and so on)\b", re.I)
_STEP_N = re.compile(r"\bstep\s+(\d{1,2})\b", re.I)
_WHOLE = re.compile(r"\b(?:whole|entire|complete)\s+(?:process|procedure|thing|flow)\b", re.I)
_END = re.compile(r"\b(?:the\s+)?(?:process|procedure|workflow|case|instance)\s+(?:then\s+)?(?:ends|end|is\s+(?:completed|"
                  r"finished|over|closed|terminated|done)|terminates|stops|finishes|is complete)\b", re.I)
_START = re.compile(r"^(?:the\s+)?(?:\w+\s+){0,6}?(?:process|procedure|workflow)\s+(?:\w+\s+){0,2}?(?:starts?|begins?|"
                    r"is (?:started|initiated|triggered))\s+(?:with|by|when|once|after)\s+", re.I)
_EITHER = re.compile(r"\beither\s+(?P<a>.{2,150}?)\s+or\s+(?P<b>.{2,150})$", re.I)
_OR_CLAUSE = re.compile(r"^(?P<a>.{4,200}?)\s*,?\s+or\s+(?P<b>(?:the|a|an|he|she|they|it|i|we|you)\s+.{4,200})$",
                        re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’/-]*|\d+")


def lemma(word: str) -> str:
    """The base form of a verb: 'checks' -> 'check', 'processes' -> 'process', 'forwarded' -> 'forward'."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w in VERBS:
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if re.search(r"(?:ss|sh|ch|x|zz|o)es$", w):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    if w.endswith("ied") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("ed") and len(w) > 6 and w.startswith("re") and lemma(w[2:]) in VERBS:
        return "re" + lemma(w[2:])  # "rescheduled" -> "reschedule"
    if w.endswith("ed") and len(w) > 4:
        stem = w[:-2]
        if stem + "e" in VERBS:
            return stem + "e"
        if stem in VERBS:
            return stem
        if stem.endswith("ll") and stem[:-1] in VERBS:
            return stem[:-1]  # "labelled", "cancelled"
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            return stem[:-1]
        if re.search(r"(?:[vzcgu]|at|ut|it|iz|is|ur|bl|pl|dl|tl|gl|kl|rs|ns|ps|rc|as|os|us|ar)$", stem):
            return stem + "e"
        return stem
    if w.endswith("ing") and len(w) > 5:
        stem = w[:-3]
        return stem + "e" if stem + "e" in VERBS else stem
    return w


def _is_verb(word: str, after_subject: bool) -> bool:
    w = word.lower()
    if w in NOT_VERBS or not w.isalpha():
        return False
    base = lemma(w)
    if base in VERBS or w in _IRREGULAR or (base.startswith("re") and len(base) > 5 and
                                             lemma(base[2:].lstrip("-")) in VERBS):  # "re-submits"
        return True
    # an unknown word right after a subject in the third person ("the clerk categorizes ...")
    return after_subject and len(w) > 3 and (w.endswith("s") and not w.endswith("ss") or w.endswith("ed"))


def _participle(word: str) -> bool:
    w = word.lower()
    return (w in _IRREGULAR and not w.endswith("s")) or (w.endswith("ed") and len(w) > 4) or lemma(w) in VERBS


_PREPOSITIONS = frozenset("upon like unlike inside outside across between among under over behind near above below "
                          "beyond along around throughout despite except regarding concerning towards toward beside "
                          "besides beneath amid past via per given".split())
# verbs whose object may be a clause with "that" ("verify that the amount is below the limit")
_SAYING = frozenset("verify check ensure confirm make sure validate test assert state note decide determine show "
                    "prove indicate specify".split())
_MODAL_VERBS = frozenset("must will would can could should may might shall".split())


def _noun_phrase(words: list[str], limit: int = 4) -> list[str]:
    """Content words of a phrase up to the first stop word, determiners dropped."""
    out: list[str] = []
    for w in words:
        low = w.lower()
        if low in _STOP or (out and (low in _BE or low in _MODAL_VERBS or low in ("they", "he", "she", "we", "i"))):
            break
        if (low in _DETERMINER and low not in _KEPT) or _ADVERB.match(w) or \
                (not out and low in ("him", "her", "them", "me", "us")):
            continue
        out.append(w)
        if len([o for o in out if o.lower() not in _KEPT]) >= limit:
            break
    while out and out[-1].lower() in _KEPT:
        out.pop()
    return out


# determiners a label keeps ("Enter your PIN", "Send other copy", "Check all tags"): they are the text's words;
# articles and demonstratives go
_KEPT = frozenset("your our their his my other another all any every each both".split())


def _tail(words: list[str]) -> list[str]:
    """What follows a verb: its object, or with only a pronoun there the phrase after it ("send it to X"
    -> "to X")."""
    obj = _noun_phrase(words)
    if len(obj) > 1:
        cut = next((k for k, w in enumerate(obj) if k and w.lower() in _PRONOUN), len(obj))
        obj = obj[:cut]  # "plastic color you want": a relative clause without "that"
    if obj and all(w.lower() in _PRONOUN for w in obj):
        rest = words[len(obj):]
        if rest and rest[0].lower() in ("to", "into", "back"):
            back = ["back"] if rest[0].lower() == "back" else []
            rest = rest[1:]
            if back and rest and rest[0].lower() in ("to", "into"):
                rest = rest[1:]
            return back + (["to"] if rest else []) + _noun_phrase(rest, 3)
        return []
    if obj and len(words) > len(obj) and words[len(obj)].lower() == "back":
        return obj + ["back"]
    if not obj and words and words[0].lower() in ("whether", "if") and len(words) > 1:
        return _noun_phrase(words[1:], 3)  # "checks whether the budget is available" -> "budget"
    if not obj and words and words[0].lower() in ("to", "into", "for", "from", "with", "on"):
        phrase = _noun_phrase(words[1:], 3)
        return [words[0].lower()] + phrase if phrase else []  # "sent to the ICU", "waits for a doctor"
    return obj


_PAREN = re.compile(r"\(([^()]{0,200})\)")
_CUT_MARK = re.compile(r"[,;:\u2013\u2014]|\s-\s|\.\s")
_POSSESSIVE = frozenset("their his her its our my your whose".split())
_FILLER = frozenset("then also just simply really actually first now still already again "
                    "currently usually typically generally normally basically please".split())
_BOUNDARY = frozenset("which who whom whose when whenever while because since unless until before after once so "
                      "where although though but then otherwise else so that than".split())


def _shortest(label: Callable[[list[str]], str], subject: list[str], more: list[str]) -> str:
    """The label with the whole subject ("remaining copies of the invoice") when what follows the verb
    fits too, else without its "of" part ("remaining copies", "copies") when that leaves room for it: the
    words after the verb (to whom, by whom) say more about the step than the subject's modifiers."""
    head = subject[: next((k for k, w in enumerate(subject) if w.lower() == "of"), len(subject))]
    noun = [w for w in head if w.isalpha()][-1:] if head != subject else []
    best, best_kept = "", -1
    for subj in (subject, head, noun):
        if not subj:
            continue
        text = label(subj)
        kept = len(text.split()) - len(subj)
        if kept > best_kept:
            best, best_kept = text, kept
        if not more or text.endswith(more[-1]):
            return text
    return best


def _same_stem(written: str, base: str) -> bool:
    """Whether a verb as written and its base form share their stem once a regular ending is cut
    ("filed" ~ "file"; "sent" !~ "send", "stopped" !~ "stop")."""
    def cut(word: str) -> str:
        word = word.lower()
        for suffix, tail in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
            if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) + len(tail) >= 3:
                word = word[: len(word) - len(suffix)] + tail
                break
        return word[:-1] if word.endswith("e") and len(word) > 3 else word
    return cut(written) == cut(base)


_ACTION_NOUN = re.compile(r"(?i)(?:tion|sion|ment|sal|val|ance|ence|ing|ure|ysis|check|review|test|audit|"
                          r"inspection|approval|request|order|payment)s?$")


def _nominal(words: list[str], cuts: frozenset[int]) -> str | None:
    """A step named as an action noun after an article ("a credit history check", "the appraisal of the
    property"): the noun phrase with its "of" part; None for any other clause without a verb."""
    if len(words) < 2 or words[0].lower() not in ("a", "an", "the"):
        return None
    head: list[str] = []
    k = 1
    while k < len(words) and k not in cuts and words[k].lower() not in _STOP | _BE | _MODAL | _DETERMINER | {"of"} \
            and len(head) < 4:
        head.append(words[k])
        k += 1
    if not head or not _ACTION_NOUN.search(head[-1]) or not all(w.isalpha() for w in head):
        return None
    if k + 1 < len(words) and words[k].lower() == "of" and k + 1 not in cuts:
        head += ["of", *_noun_phrase(words[k + 1:], 3)]
    return _compose(head[0], head[1:])


def _tokens(text: str) -> tuple[list[str], frozenset[int]]:
    """The words of a clause ("applicant's" -> "applicant") and the indices of the words a comma, colon
    or dash comes before (where what follows the verb's object stops). A parenthetical of up to three
    words stays as words ("Place (insert) it"), a longer one is left out."""
    text = re.sub(r"(?<=\w)\((?:s|es|ies)\)", "", text[:600])  # "employee(s)"
    text = _PAREN.sub(lambda m: " " + m.group(1) + " " if len(m.group(1).split()) <= 3 else " , ", text[:600])
    words: list[str] = []
    cuts: set[int] = set()
    for piece_no, piece in enumerate(_CUT_MARK.split(text)):
        if piece_no and words:
            cuts.add(len(words))
        for w in _WORD.findall(piece):
            w = re.sub(r"['’]s?$", "", w)
            if w and len(words) < 40:
                words.append(w)
    return words, frozenset(cuts)


def _more(words: list[str], start: int, cuts: frozenset[int], whether: bool = False) -> list[str]:
    """What follows a verb's object, as label words: prepositional phrases, a to-infinitive, an
    adverb ("to the sales manager for approval" -> ['to', 'sales', 'manager', 'for', 'approval']), up
    to a comma or a word that starts another clause ("which", "if", "before", a form of "be"); articles,
    possessives and filler ("then", "also") left out. `whether`: a complement clause ("whether the
    invoice is approved or not"), where "is" stays and "or not" goes."""
    out: list[str] = []
    for k in range(start, min(len(words), start + 24)):
        w = words[k]
        low = w.lower()
        if k in cuts and (k > start or not whether):
            break
        nxt = words[k + 1].lower() if k + 1 < len(words) else ""
        if (low in _BOUNDARY and not (whether and low == "than")) or (low == "if" and not (whether and k == start)):
            break
        if (low in _BE or low in _MODAL_VERBS or low in ("has", "have", "had")) and not whether:
            break
        if low in ("and", "or") and (not nxt or nxt == "not" or nxt in _PRONOUN or
                                     (lemma(nxt) in VERBS and nxt not in _DETERMINER)):
            break
        if low in ("they", "he", "she", "we", "i") or (low == "you" and nxt not in _STOP):
            break  # "logs into the system they can view": another clause
        if (low in _DETERMINER and low not in _KEPT) or (low in _POSSESSIVE and low not in _KEPT) or \
                low in _FILLER or low in ("it", "them", "him", "me", "us", "you", "one"):
            continue
        out.append(w)
    return out


def _after(rest: list[str], obj: list[str]) -> int:
    """Where in `rest` (the words after the verb) the object `obj` read from them ends."""
    if not obj:
        return 0
    last = obj[-1].lower()
    return next((k + 1 for k, w in enumerate(rest[:16]) if w.lower() == last), len(rest))


def activity(clause: str, it: Sequence[str] = ()) -> str | None:
    """'The clerk checks the invoice for errors' -> 'Check invoice'; None for a clause with no
    content words. Without a verb it reads the clause as a noun phrase ("an informational meeting")."""
    text = clause.strip().strip(".,;:!?\"'()")
    for _ in range(3):
        text = _CONNECTOR.sub("", text).strip()
    text = _LEAD.sub("", text, count=1)
    text = _LEAD_BARE.sub("", text, count=1)  # "After three failed attempts the account is locked"
    for _ in range(2):
        text = _CONNECTOR.sub("", text).strip()
    start = _START.match(text)
    if start:
        text = text[start.end():]
    if _END.search(text) and len(text.split()) <= 8:
        return "End"
    text = re.sub(r"^\(?(?:[ivx]{1,4}|[a-h]|\d{1,2})\)\s*", "", text)  # "(ii) the appraisal ...", "b) ..."
    words, cuts = _tokens(text)
    if not words:
        return None
    lowered = [w.lower() for w in words]
    if re.match(r"^there\s+(?:is|are|was|were|will be|can be|may be)\b", text, re.I):
        return None
    active = _find_verb(words, lowered, known=True)
    rel = next((k for k, w in enumerate(lowered[:active]) if w in ("which", "that", "who", "whom", "where")), None) \
        if active is not None else None
    if rel is not None and _nominal(words[:rel], cuts):  # "the appraisal of the property for which ... is asked"
        return _nominal(words[:rel], cuts)
    if active is not None and active + 1 < len(words) and lowered[active + 1] not in _DETERMINER | _POSSESSIVE | _PRONOUN:
        be = next((k for k in range(active + 1, min(len(words) - 1, active + 8)) if lowered[k] in _BE), None)
        if be is None and lowered[active].endswith("ed") and active:
            be = next((k for k in range(active + 1, min(len(words) - 1, active + 10)) if lowered[k] in _BE), None)
            be = be if be is not None and not {"which", "that", "who", "and", "or"} & set(lowered[active:be]) else None
        if be is not None and (lowered[active].endswith("ed") and active or
                               all(x not in _STOP or x == "of" for x in lowered[active + 1:be])) and \
                _participle(words[be + 1]):
            # "Copy #3 of the invoice is filed ...": a passive whose subject starts like a verb; "material
            # delivered to the dock will be inspected": a participle in the subject
            active = None
    # passive: "<subject> is/are (then) <participle> ..."
    for i, w in enumerate(lowered[:14]):
        if active is not None and active < i:
            break
        if w in _BE and i + 1 < len(words):
            j = i + 1
            while j < len(words) and _ADVERB.match(words[j]):
                j += 1
            if j < len(words) and lowered[j] != "being" and _participle(words[j]) and lowered[j] not in NOT_VERBS:
                subject = _noun_phrase(words[:i], 5)
                cut_at = len(subject) - 1 if len(subject) > 1 and subject[-1].islower() and \
                    subject[-1].endswith("ed") and _participle(subject[-1]) else None
                subject = subject[:cut_at]  # "material delivered (to the dock)": the noun
                subject = [s for s in subject if s.lower() not in _PRONOUN and s.lower() not in _MODAL]
                while subject and subject[-1].lower() == "of":
                    subject.pop()
                if subject and subject[0] == words[0] and subject[0].istitle() and len(subject[0]) > 1:
                    subject[0] = subject[0].lower()  # "Submissions that fail are sent back": as a word
                verb = lemma(words[j])
                written = [lowered[j]]
                while j + 2 < len(words) and lowered[j + 1] in ("and", "or") and _participle(words[j + 2]) and \
                        lowered[j + 2] not in NOT_VERBS and (j + 2) not in cuts:
                    # "reviewed and approved by ...": one step, both verbs
                    verb, written = f"{verb} {lowered[j + 1]} {lemma(words[j + 2])}", [*written, lowered[j + 1],
                                                                                         lowered[j + 2]]
                    j += 2
                rest = words[j + 1:]
                back = ["back"] if rest and rest[0].lower() == "back" else []
                how = [a for a in words[i + 1:j] if a.lower().endswith("ly") and a.lower() not in _FILLER]
                more = _more(words, j + 1 + len(back), cuts)
                as_written = not all(_same_stem(a, b) for a, b in zip(written[::2], verb.split()[::2]))
                if subject and as_written:
                    # "the invoice is sent to ...", "the process is stopped": the participle as written
                    # ("Invoice sent to ...", "Process stopped"), its base form would lose the word
                    return _shortest(lambda subj: _compose(subj[0], subj[1:] + how + written + back, more), subject,
                                     more)
                if subject:  # "the invoice is filed numerically by the clerk" -> "File invoice numerically by clerk"
                    return _shortest(lambda subj: _compose(verb, subj + how + back, more), subject, more)
                if back:
                    return _compose(written[0] if as_written else verb, back + _tail(rest[1:]))  # "Sent back to X"
                if as_written and more:  # "sent to the buyer": "Sent to buyer" keeps the word
                    return _compose(written[0], written[1:] + how, more)
                return _compose(verb, how, more)  # "approved by a supervisor"
            if not {"that", "which", "who"} & set(lowered[:i]):
                break  # (after "material that is questionable" a passive may follow: "will be given ...")
    if not start:
        verb_at = _find_verb(words, lowered, known=True)
        if verb_at is None:
            verb_at = _find_verb(words, lowered, known=False)
        if verb_at is not None:
            i = verb_at
            verb = lemma(words[i])
            rest = words[i + 1:]
            if verb in ("go", "come", "return", "loop", "jump") and rest and rest[0].lower() == "back":
                return _compose("Back to", _noun_phrase(rest[2:] if len(rest) > 1 and rest[1].lower() in ("to", "into")
                                                     else rest[1:], 3))
            if verb in ("start", "begin", "continue", "try", "decide", "need", "want", "proceed") and rest:
                k = 1 if rest[0].lower() in ("by", "to", "with") else 0
                if k < len(rest) and (rest[k].lower().endswith("ing") or k == 1 and rest[0].lower() == "to") \
                        and lemma(rest[k]) in VERBS:
                    verb, rest = lemma(rest[k]), rest[k + 1:]
            if len(rest) > 1 and rest[0].lower() in ("and", "or") and rest[1].islower() and \
                    lemma(rest[1]) in VERBS and rest[1].lower() not in _DETERMINER:
                verb, rest = f"{verb} {rest[0].lower()} {lemma(rest[1])}", rest[2:]  # "review and approve the request"
            at = len(words) - len(rest)
            if rest and (rest[0].lower() in ("whether", "if") or rest[0].lower() == "that" and verb in _SAYING) and \
                    len(rest) > 2:
                # "decides whether the invoice is approved or not" -> "Decide whether invoice is approved"
                obj, more = [], [rest[0].lower(), *_more(words, at + 1, cuts, whether=True)]
                while more and more[-1].lower() in ("or", "not", "no"):
                    more.pop()
            elif it and rest and rest[0].lower() in ("it", "them") and \
                    (len(rest) == 1 or rest[1].lower() not in _BE | _MODAL_VERBS):
                obj, more = list(it), _more(words, at + 1, cuts)  # "... and scans it": the object before
            else:
                obj = _tail(rest)
                more = _more(words, at + _after(rest, obj), cuts)
            thing = _thing_subject(words[:i])
            if thing and words[i].lower() == lowered[i] and lowered[i] != verb:
                # a component acting ("the replay buffer stores the transition"): its name stays
                return _compose(thing[0], [*thing[1:], lowered[i], *obj], more)
            label = _compose(verb, obj, more)
            if len(obj) == 1 and (obj[0].lower() in _ROLES or obj[0].lower() in _PRONOUN) and more and \
                    more[0].lower() == "to" and not label.endswith(more[-1]):
                return _compose(verb, [], more)  # "Prompt to enter amount to withdraw": the person goes first
            return label
    if not start:
        return _nominal(words, cuts)  # a clause without a verb ("it can happen", "the bank") is no activity
    phrase = _noun_phrase(words, MAX_LABEL_WORDS)
    return " ".join(phrase)[:1].upper() + " ".join(phrase)[1:] if phrase else None


_ROLES = frozenset("""
user users customer customers client clients clerk clerks manager managers employee employees staff team teams
department departments office offices officer officers secretary supervisor administrator admin administration
applicant applicants candidate candidates student students teacher doctor nurse patient patients person people
company companies organization organisation firm bank shop store seller buyer vendor vendors supplier suppliers
recruiter reviewer approver owner owners member members person someone everyone worker workers operator
engineer engineers developer developers analyst analysts designer designers tester testers lawyer accountant
editor editors author authors writer writers porter porters guard guards nurse nurses trainee trainees assignee
courier couriers inspector inspectors auditor auditors agent agents guest guests visitor visitors tenant tenants
landlord buyer buyers requester requestor requesters approver approvers insurer tutor tutors driver drivers
baker cashier teller mechanic chef waiter lecturer professor examiner panel jury judge
assistant director head board committee unit division group hr finance sales marketing management system
application app platform process he she they we you i it who one insurant claimant publisher banker
""".split())


_PERSON = re.compile(r"(?i)(?<!l)ists?$|(?:c|r|t)ians?$")  # "the archivist", "the technician" ("checklist": no)


def _thing_subject(words: list[str]) -> list[str]:
    """The subject before a verb when it names a thing, not a person or role: ['Replay', 'buffer'] for
    "the replay buffer"; [] for "the clerk", "the marketing team", a pronoun, or a long phrase."""
    content = [w for w in words if w.lower() not in _DETERMINER and not _ADVERB.match(w)
               and w.lower() not in _MODAL]
    if not 1 <= len(content) <= 2 or any(w.lower() in _STOP or w.lower() in _ROLES or _PERSON.search(w) for w in content):
        return []
    if any(not re.fullmatch(r"[A-Za-z][\w-]*", w) for w in content):
        return []
    return content


def _find_verb(words: list[str], lowered: list[str], known: bool) -> int | None:
    """Where the clause's verb stands: the first word read as a verb after a subject or modal (or the
    first word: an imperative); `known` only those in the verb list."""
    for i, w in enumerate(words[:16]):
        prev = lowered[i - 1] if i else ""
        if lowered[i] in _MODAL or lowered[i] in _STOP or lowered[i] in _DETERMINER:
            continue
        if i and prev in _DETERMINER:
            continue
        after_subject = i > 0 and (prev in _MODAL or prev in _PRONOUN or (words[i - 1][:1].isupper() and i == 1) or
                                   (i >= 2 and prev not in _STOP))
        nxt = lowered[i + 1] if i + 1 < len(words) else ""
        if nxt in _BE or nxt in ("will", "can", "must", "should", "may", "might", "would", "could", "have", "has"):
            continue  # "job offers are sent", "reviews can be seen": a subject, not a verb
        if i == 0 and w[:1].isupper() and lowered[i] != lemma(w) and \
                not (nxt in _DETERMINER or (nxt.isalpha() and nxt not in _STOP)):
            continue  # "Reviews for a company ...": a noun; "checks the score" (after "and"): a verb
        if lowered[i].endswith("ing") and lowered[i] not in VERBS:
            continue  # "RL training loop": a gerund names a thing
        if i == 0 and w.islower() and len(w) > 3 and w.endswith("s") and not w.endswith("ss") and nxt in _DETERMINER:
            return i  # "... either acknowledges the alarm or ...": a fragment opening with its verb
        if w.isalpha() and len(w) > 2 and nxt in _DETERMINER | _POSSESSIVE and lowered[i] not in NOT_VERBS and \
                lowered[i] not in _PREPOSITIONS and not _ADVERB.match(w) and not lowered[i].endswith("ing") and \
                (i == 0 and not lowered[i].endswith("s") or
                 i > 0 and prev not in _STOP and re.search(r"[^su]s$", lowered[i]) and lowered[i] not in _BE):
            return i  # "Eject the card" (an imperative), "the department files the copy": a verb before its object
        if i >= 2 and lowered[0] in _DETERMINER and not set(lowered[1:i]) & (_STOP | _BE | _MODAL) and \
                lowered[i] == lemma(w) and (i + 1 == len(words) or nxt in _STOP) and prev.isalpha() and \
                not prev.endswith("s") and prev not in _PRONOUN | _MODAL | _STOP | _DETERMINER | _FILLER | {"to", "not"} \
                and not _ADVERB.match(prev) and lemma(prev) not in VERBS:
            continue  # "a credit history check, which ...": a noun after a noun, not a verb
        if prev in _MODAL_VERBS and w.isalpha() and w.islower() and lowered[i] not in NOT_VERBS | _BE and \
                not _ADVERB.match(w) and lowered[i] not in ("have", "has", "not", "be", "also"):
            return i  # "they can view the requests": the word after a modal is the verb
        base = lemma(w)
        if base not in VERBS and base.startswith("re") and lemma(base[2:].lstrip("-")) in VERBS:
            base = lemma(base[2:].lstrip("-"))  # "reorder", "resubmit", "re-submits"
        is_known = base in VERBS or w.lower() in _IRREGULAR
        if known and not is_known:
            continue
        if not is_known and prev in ("i", "you", "we", "they") and w.isalpha() and w.islower() and \
                lowered[i] not in NOT_VERBS and not _ADVERB.match(w):
            return i  # "you reorder individual parts": the word after a subject pronoun
        if not is_known and not _is_verb(w, after_subject):
            continue
        if prev == "to" and i >= 2 and lowered[i - 2] not in ("has", "have", "needs", "need", "wants", "want",
                                                            "start", "starts", "begin", "begins", "tries", "try",
                                                            "able", "is", "are", "going", "decides", "decide"):
            continue
        return i
    return None


def _compose(verb: str, obj: list[str], more: list[str] = ()) -> str:
    """The label: the verb, its object, then `more` (what follows the object), as many words as fit
    in LABEL_CHARS, without a stop word at the end ("Check balance before" -> "Check balance")."""
    label = verb[:1].upper() + verb[1:]
    kept: list[str] = []
    for w in [*obj, *more]:
        if len(label) + 1 + len(w) > LABEL_CHARS:
            break
        label += " " + w
        kept.append(w)
    while kept and kept[-1].lower() in _STOP | _DETERMINER | {"of", "not", "no"}:
        kept.pop()
    return " ".join([verb[:1].upper() + verb[1:], *kept])


def _own_clause(piece: str) -> bool:
    """Whether a piece after a comma is a clause of its own: a short subject, then a known verb
    ("the environment returns a reward")."""
    words = _WORD.findall(piece)[:8]
    lowered = [w.lower() for w in words]
    at = _find_verb(words, lowered, known=True)
    return at is not None and 1 <= at <= 3 and lowered[0] in _DETERMINER | _PRONOUN and \
        not any(w in _STOP for w in lowered[:at])


def _clauses(sentence: str) -> list[str]:
    """A sentence cut where a new activity starts: ', and then', ';', ', before', 'and <verb>'."""
    parts = [p for p in _CLAUSE_SPLIT.split(sentence) if p and p.strip()]
    out: list[str] = []
    for part in parts:
        pieces = re.split(r"\s*,?\s+and\s+(?=(?:\w+ly\s+)?(\w+(?:-\w+)?))", part)
        # re.split with a group returns the captured word between pieces: join back those not verbs
        current = pieces[0]
        k = 1
        while k + 1 < len(pieces):
            word, piece = pieces[k], pieces[k + 1]
            bare = re.sub(r"^re-", "", word)  # "and re-submits the report"
            if (_is_verb(bare, after_subject=False) and lemma(bare) in VERBS and word.lower() not in _DETERMINER) \
                    or _own_clause(piece) or _third_person(word, piece):
                if _ends_with_verb(current) and not _own_clause(piece):
                    current = f"{current} {_JOIN} {piece}"  # "must be reviewed and approved by X": maybe one step
                else:
                    out.append(current)
                    current = piece
            else:
                current = f"{current} and {piece}"
            k += 2
        out.append(current)
    # ", <verb> ..." after a clause ("record the petition, make an order, and contact the customer")
    final: list[str] = []
    for part in out:
        bits = re.split(r",\s+(?=(\w+)\s)", part)
        current = bits[0]
        k = 1
        while k + 1 < len(bits):
            word, piece = bits[k], bits[k + 1]
            if current.strip() and ((word.lower() in VERBS and not word[:1].isupper()) or _own_clause(piece) or
                                    _third_person(word, piece)):
                final.append(current)
                current = piece
            else:
                current = f"{current}, {piece}"
            k += 2
        final.append(current)
    return [c.strip() for c in final if c.strip()]


def _ends_with_verb(clause: str) -> bool:
    """Whether a clause ends with its verb, no object after it ("changes must be reviewed", "the
    superiors review"): the verb after "and" shares what follows ("... and approved by X")."""
    words = _WORD.findall(clause)[-12:]
    if len(words) < 2 or not words[-1].islower():
        return False
    return _find_verb(words, [w.lower() for w in words], known=True) == len(words) - 1


def _third_person(word: str, piece: str) -> bool:
    """A verb in the third person after a comma, before its object: "..., assesses the extent of the
    damage, and confirms ..." (a series of one subject's actions)."""
    nxt = _WORD.findall(piece)[1:2]
    return word.islower() and word.endswith("s") and not word.endswith("ss") and \
        (lemma(word) in VERBS or _is_verb(word, after_subject=True)) and \
        bool(nxt) and nxt[0].lower() in _DETERMINER | {"whether", "if", "that"}


_ASK = re.compile(r"^(?:Draw|Sketch|Diagram|Visuali[sz]e|Illustrate|Depict|Plot|Render|Show|Model|Make)\b")


_JOIN = "\u2060and\u2060"  # "and" between a verb without object and the next verb (`_clauses`)


def _stems(label: str) -> set[str]:
    return {lemma(w)[:4] for w in _WORD.findall(label.lower()) if w not in _STOP}


def _clause_labels(text: str, first_it: Sequence[str] = ()) -> list[tuple[str | None, str]]:
    """(label, clause) of each clause; two verbs sharing what follows ("the report is completed and
    sent to the buyer") make one label when it keeps every word of the two, else one each."""
    out: list[tuple[str | None, str]] = []
    for clause in _clauses(text):
        it = _object(out[-1][0]) if out else list(first_it)
        if _JOIN in clause:
            first, second = clause.split(_JOIN, 1)
            merged = activity(f"{first} and {second}", it)
            be = re.search(r"\b(?:is|are|was|were|be)\s+(?:\w+ly\s+)?\w+ed\s*$", first, re.I)
            # "the pack is prepared | and sent to the applicant": the second verb a passive too
            parts = [(activity(first, it), first), (activity(("is " if be else "") + second, it), second)]
            if merged and all(label for label, _ in parts) and \
                    set().union(*(_stems(label) for label, _ in parts)) <= _stems(merged):
                out.append((merged, clause))
            else:
                out.extend(parts)
        else:
            out.append((activity(clause, it), clause))
    return out


def _object(label: str | None) -> list[str]:
    """The object of a label that opens with its verb ("Collect requirements" -> ['requirements']), what
    "it" or "them" in the next clause of the sentence stands for; [] for any other label."""
    words = (label or "").split()
    done = next((k for k, w in enumerate(words[:4]) if k and w.islower() and (w in _IRREGULAR or w.endswith("ed"))),
                None)
    if done is not None and not any(w.lower() in _STOP for w in words[:done]):
        subject = words[:done]
        if subject[0][1:].islower():
            subject[0] = subject[0].lower()
        return subject  # "Thesis sent back to student": the thesis
    if len(words) < 2 or words[1].lower() in _STOP | {"and", "or"} or words[1].lower() in _IRREGULAR or \
            words[1].endswith("ed") or (words[1].islower() and words[1].endswith("s") and lemma(words[1]) in VERBS):
        return []  # "Buffer stores transition": no verb first
    obj = []
    for w in words[1:]:
        if w.lower() in _STOP or w.lower() in ("and", "or", "of"):
            break
        obj.append(w)
    return obj[:3]


_EVENT = re.compile(r"^(?:when|whenever|once|as soon as|after)\s+(?P<clause>[^,]{3,120}?)\s*,\s*$", re.I)


def _event(lead: str) -> str | None:
    """The step an opening time clause names, when it is a clause of its own with a subject, as written
    ("When a claim is received, ..." -> "Claim received"; "When the customer returns a product" ->
    "Customer returns product"); None for "After registration", "Once verified", "When done"."""
    match = _EVENT.match(lead.strip())
    if not match:
        return None
    clause = match.group("clause")
    words, _ = _tokens(clause)
    lowered = [w.lower() for w in words]
    verb = _find_verb(words, lowered, known=True)
    be = next((k for k, w in enumerate(lowered) if w in _BE or w in ("has", "have")), None)
    at = verb if verb is not None else be
    if at is None or at < 1 or not any(w not in _DETERMINER | _PRONOUN | _STOP for w in lowered[:at]):
        return None
    kept = [w for k, w in enumerate(words) if lowered[k] not in _DETERMINER | _POSSESSIVE | _BE | _MODAL_VERBS | _FILLER
            and lowered[k] not in ("has", "have", "had", "been", "first")]
    kept[0] = kept[0] if kept[0].isupper() else kept[0][:1].upper() + kept[0][1:]
    label = _compose(kept[0], kept[1:])
    return label if len(label.split()) >= 2 else None


def _acts(text: str, it: Sequence[str] = ()) -> list[str]:
    """The labels of a sentence's activities; `it`: what "it"/"them" in its first clause stands for."""
    labels = []
    body = text.strip().rstrip(".").split(": ")[-1]
    items = [i.strip() for i in re.split(r",\s*(?:and\s+)?|\s+and\s+", body)]
    if len(items) >= 3 and all(1 <= len(i.split()) <= 4 and i.split()[0].lower() not in _DETERMINER | _PRONOUN
                               for i in items):
        return [step_label(i[:1].upper() + i[1:]) for i in items]  # "sample collection, lab analysis, ..."
    lead = _LEAD.match(text.strip())
    if lead and len(lead.group().split()) <= 8:
        text = text.strip()[lead.end():]  # "When a request arrives, the clerk ...": the clerk's act
        event = _event(lead.group())
        if event:
            labels.append(step_label(event))  # "... a claim is received": the event is a step before it
    for label, clause in _clause_labels(text, it):
        if label and re.match(r"^(?:Repeat|Loop|Iterate|Redo)\b", label):
            continue  # "This is repeated until ...": the loop, no step
        if label and _ASK.match(label) and re.search(r"\b(?:you|me|us|please|diagram|chart|flow|process|"
                                                     r"workflow|pipeline)\b", clause, re.I):
            continue  # "Could you draw our approval process": the request, no step
        if label:
            labels.append(step_label(label))
    return labels


_QUESTION_CHARS = LABEL_CHARS - 4  # a decision's label is kept shorter than a step's: it is drawn in a diamond


def _question(cond: str) -> str:
    """'the amount is over $500' -> 'Amount is over $500?' (short)."""
    words = [w for w in cond.strip().rstrip(".").split() if w]
    while words and words[0].lower() in ("the", "a", "an", "this", "that"):
        words = words[1:]
    text = " ".join(words)
    if len(text) > _QUESTION_CHARS:  # "the requisition value is over ..." -> no "is?" or "the?" at its end
        text = fit_label(text, _QUESTION_CHARS, kinds=1)
    return step_label((text[:1].upper() + text[1:]).rstrip(",;:") + "?") if text else "Decision?"


_ITEM = re.compile(r"^(?:[-*•]|\d{1,2}[.)]|step[ \t]*\d{1,2}[ \t]*[:.)-])\s+", re.I)  # "- x", "2) x", "Step 2: x"


def _sentences(text: str) -> list[str]:
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not _HEADER.match(ln)]
    # wrapped lines join into one text unless a line ends a sentence or is a bullet
    joined = " ".join(_ITEM.sub("", ln) + ("." if _ITEM.match(ln) and not ln.endswith(".") else "") for ln in lines)
    return [s.strip() for s in re.split(r"(?<=[.!?;])[\"”’']?\s+(?=\S)", joined) if s.strip()]


def _stem(word: str) -> str:
    return lemma(word)[:5]


def _target(sentence: str, labels: list[str], before: int) -> int | None:
    """The earlier step a loop sentence names: 'step N', else the label sharing the most content
    words with it (verb stems count: 'building' finds 'Build website'), else None."""
    n = _STEP_N.search(sentence)
    if n and 1 <= int(n.group(1)) <= before:
        return int(n.group(1)) - 1
    named = re.search(r"\b(?:back|return\w*|go(?:es)?)\s+(?:to|into)\s+(.{1,80})", sentence, re.I)
    if named:
        sentence = named.group(1)  # "... we go back to writing": the words after "back to"
    want = {_stem(w) for w in _WORD.findall(sentence.lower()) if len(w) > 2 and w not in _STOP
            and w not in _DETERMINER and w not in NOT_VERBS and w not in ("again", "back", "step", "repeat",
                                                                          "until", "loop", "goes", "go")}
    best, best_score = None, 0
    for i in range(before):
        have = {_stem(w) for w in _WORD.findall(labels[i].lower()) if len(w) > 2}
        score = len(want & have)
        if score > best_score:
            best, best_score = i, score
    return best


def _last(ranks: list[list[str]]) -> str:
    """The last step drawn so far, an empty "Else: continue" branch aside."""
    last = [label for label in ranks[-1] if label != ELSE_CONTINUE]
    return last[-1] if last else ranks[-1][-1]


_SUBJECT_PRONOUN = frozenset("he she they we you i".split())
_ARTICLE = frozenset("the a an this his her their its our your".split())


def _bare_if(body: str) -> str:
    """'If C X' without a comma or "then" as 'If C, X': X starts at the first subject after a verb of C
    that a verb follows ("If the rating is high the request is rejected"); '' when there is none."""
    match = re.match(r"(?i)^(?:(?:but|and|so)\s+)?if\s+", body)
    if not match:
        return ""
    words = body[match.end():].split(" ")[:60]
    low = [w.lower().strip(",.()") for w in words]
    seen_verb = False
    for k in range(len(words)):
        if k >= 2 and seen_verb:
            nxt = low[k + 1: k + 5]
            if low[k] in _SUBJECT_PRONOUN and nxt and nxt[0].isalpha() and nxt[0] not in _STOP | _BE:
                return f"If {' '.join(words[:k])}, {' '.join(words[k:])}"
            if low[k] in _ARTICLE:
                for j, w in enumerate(nxt):
                    if w in _ARTICLE or w in _STOP or not w.isalpha():
                        break
                    if j and (w in _BE or w in _MODAL_VERBS or (w.endswith("s") and not w.endswith("ss") and
                                                                 lemma(w) in VERBS)):
                        return f"If {' '.join(words[:k])}, {' '.join(words[k:])}"
        if low[k] in _BE or low[k] in _MODAL_VERBS or low[k] in ("has", "have", "does", "do") or \
                (k and low[k].endswith("s") and low[k - 1] not in _DETERMINER | _ARTICLE and
                 _is_verb(low[k], after_subject=True)):
            seen_verb = True
    return ""


# the task a request sets ("Write an algorithm using pseudocode to ...", "Draw a flow chart that can be used to
# create a program which ...", "Prepare a flowchart using Lucid Chart for the following process"): not a step
_FRAME = re.compile(r"^(?:please\s+|(?:you|we)\s+(?:need|have|want|are\s+asked)\s+to\s+)?(?:write|draw|create|design|"
                    r"develop|construct|prepare|make|build|produce|use|sketch|model)\s+(?:an?\s+|the\s+|this\s+)?"
                    r"(?:[\w-]+\s+){0,3}?(?:algorithm|program|programme|flow\s?chart|flow\s+diagram|(?:activity\s+|uml\s+|"
                    r"bpmn\s+)?diagram|pseudo-?code|function|script|template|bpmn(?:\s+model)?)s?\b(?P<rest>.*)$", re.I)
# what the framed task is to do: "... to read the marks", "... which accepts two numbers"
_FRAMED = re.compile(r"\b(?:to|which|that|who)\s+(?:(?:can|could|will|should|must)\s+(?:be\s+used\s+to\s+)?)?"
                     r"(?P<act>[a-z][\w-]*\b.*)$", re.I)
# a sentence about the drawing itself: "The flow diagram represents the ordering process ...", "This UML
# activity diagram captures the flow of ..."
_ABOUT_DRAWING = re.compile(r"^(?:the|this|our|a)\s+(?:[\w-]+\s+){0,4}?(?:diagram|flow\s?chart|chart|figure)\s+"
                            r"(?:[\w-]+\s+){0,4}?(?:represents?|shows?|illustrates?|describes?|depicts?|captures?|"
                            r"outlines?|summari[sz]es|presents?)\b", re.I)


def unframe(sentence: str) -> str:
    """A sentence without the task it sets around the process ("Write a program to read the marks and compute
    the average" -> "read the marks and compute the average"; "Draw a flow chart that can be used to create a
    program which accepts two numbers" -> "accepts two numbers"); "" for a sentence that only sets the task or
    describes the drawing ("Create a flowchart for the following process", "The diagram shows the ordering
    process"); any other sentence as it is."""
    text = sentence.strip()
    if _ABOUT_DRAWING.match(text):
        return ""
    head = re.match(r"^(?:requirements?|task|question\s*\d*|exercise\s*\d*)\s*:\s*", text, re.I)
    if head and _FRAME.match(text[head.end():]):
        text = text[head.end():]  # "Requirements: Write the algorithm (10 pts)": the task after its heading
    for _ in range(3):
        frame = _FRAME.match(text)
        if not frame:
            return text
        act = _FRAMED.search(frame.group("rest"))
        verb = act.group("act").split()[0].lower() if act else ""
        if not act or lemma(verb) not in VERBS or verb in NOT_VERBS:
            return ""
        text = act.group("act")
    return text


# two verbs joined by "or" that share what follows ("can approve or reject the request", "must return or renew the
# item", "choose to APPROVE or DECLINE", "either accept or deny offers"), where a verb stands: after a modal, "to",
# "either", a subject pronoun, or at the start
_VERB_OR = re.compile(r"(?:^|[,;:]\s*|\b(?:can|may|might|could|must|should|will|shall|to|either|then|i|you|we|they|he|she)\s+)"
                      r"(?:either\s+)?(?P<a>[A-Za-z]{3,})\s+(?:(?:it|them)\s+)?or\s+(?P<b>[A-Za-z]{3,})\b(?P<rest>.{0,200})$",
                      re.I)


def verb_choice(clause: str, it: Sequence[str] = ()) -> tuple[str, str] | None:
    """The two labels of a clause that offers a choice of two acts on one thing ("He may either accept or reject
    the claim" -> ("Accept claim", "Reject claim"); "the manager can choose to approve or decline the request" ->
    ("Approve request", "Decline request"); "..., accepts it or returns it"), or None. Both words must be known
    verbs in the same form (base or third person)."""
    m = _VERB_OR.search(clause)
    if not m:
        return None
    a, b = m.group("a"), m.group("b")
    if a.lower() == b.lower() or any(lemma(w.lower()) not in VERBS or w.lower() in NOT_VERBS | _BE | _MODAL
                                     or w.lower().endswith(("ing", "ed")) for w in (a, b)) \
            or (a.lower() == lemma(a.lower())) != (b.lower() == lemma(b.lower())):
        return None  # ("... is delivered or picked up", "reviewing or editing": no choice of two acts)
    head = re.split(r"[,;:]", clause[: m.start("a")])[-1]  # "..., approve it or deny it": this clause's own
    head = re.sub(r"(?i)\b(?:either|choose|decide|elect|opt)\s+(?:to\s+)?$", "", head)
    head = re.sub(r"(?i)\beither\s+$", "", head)
    rest = m.group("rest")
    labels = [activity(f"{head}{verb}{rest}", it) for verb in (a.lower(), b.lower())]
    if not all(labels) or labels[0] == labels[1]:
        return None
    return labels[0], labels[1]


def read_clauses(text: str) -> Plan | None:
    """The activities of a process told in sentences, with decisions and loops back; None when fewer
    than two activities are found."""
    ranks: list[list[str]] = []
    seen: set[str] = set()
    loops: list[tuple[str, int | None, str]] = []  # (source label, target rank or None, sentence)
    pending: int | None = None  # rank index of an if-branch still waiting for its other branch
    last_branch: int | None = None  # rank index of the last decision's branches
    total = 0

    def add_rank(labels: list[str]) -> int | None:
        nonlocal total
        fresh = []
        for label in labels:
            if label.lower() not in seen and total + len(fresh) < MAX_PLAN_NODES and len(fresh) < MAX_LAYER_NODES:
                fresh.append(label)
        if not fresh:
            return None
        for label in fresh:
            seen.add(label.lower())
        total += len(fresh)
        ranks.append(fresh)
        return len(ranks) - 1

    for sentence in _sentences(text)[:80]:
        body = unframe(sentence.rstrip(".!?; "))  # "Write a program to read ...": what the program does
        if not body or len(body) > 600:
            continue
        loop = bool(_LOOP.search(body))
        labels_before = [label for rank in ranks for label in rank]
        other = _OTHERWISE.match(body)
        cond = _IF.match(body) or _IF.match(_bare_if(body))
        source: str | None = None  # the step a loop in this sentence leaves from (default: the last one)
        if other and pending is None and last_branch is not None and last_branch == len(ranks) - 1:
            pending = last_branch  # "If A, x. If B, y. Otherwise, z.": a third branch
        if other and pending is not None:
            acts = _acts(body[other.end():]) or [ELSE_CONTINUE]
            branch = ranks[pending]
            if ELSE_CONTINUE in branch:
                branch.remove(ELSE_CONTINUE)
                seen.discard(ELSE_CONTINUE.lower())
            if acts[0].lower() not in seen and len(branch) < MAX_LAYER_NODES and total < MAX_PLAN_NODES:
                branch.append(acts[0])
                seen.add(acts[0].lower())
                total += 1
            if acts[0] in branch:
                source = acts[0]
            for act in acts[1:]:
                add_rank([act])
            pending = None
        elif cond:
            rest = cond.group("rest")
            split = _INLINE_ELSE.split(rest, maxsplit=1)
            yes = _acts(split[0]) or ["Yes"]  # ("If the score is medium, an officer reviews it": "it" is no score)
            no = _acts(split[1]) if len(split) > 1 else []
            if pending is not None and pending == len(ranks) - 1 and not no and ELSE_CONTINUE in ranks[pending]:
                # a second "If ..." right after one: the other branch
                branch = ranks[pending]
                if yes[0].lower() not in seen:
                    branch[branch.index(ELSE_CONTINUE)] = yes[0]
                    seen.discard(ELSE_CONTINUE.lower())
                    seen.add(yes[0].lower())
                last_branch = pending if not yes[1:] else None
                pending = None
                for act in yes[1:]:
                    add_rank([act])
            else:
                add_rank([_question(cond.group("cond"))])
                first = [yes[0], no[0] if no else ELSE_CONTINUE]
                if first[0].lower() in seen and loop:
                    # "If X, we go back to Y": a loop from the decision
                    loops.append((ranks[-1][0], None, body))
                    first = [f for f in first[1:]]
                at = add_rank(first)
                if at is not None and yes[0] in ranks[at]:
                    source = yes[0]
                pending = at if at is not None and not no and ELSE_CONTINUE in ranks[at] else None
                last_branch = at if not yes[1:] and not no[1:] else None
                for act in yes[1:]:
                    add_rank([act])
                for act in no[1:]:
                    add_rank([act])
        else:
            choice = verb_choice(body, _object(labels_before[-1]) if labels_before else ())
            if choice:  # "The manager can approve or reject the request": the two acts side by side
                if not ranks:
                    add_rank([_question(" or ".join(choice))])
                add_rank(list(choice))
                pending = None
                continue
            either = _EITHER.search(body) or _OR_CLAUSE.match(body)
            if either:
                head = body[: either.start()] if either.re is _EITHER else ""
                for act in _acts(head) if head.strip() else []:
                    add_rank([act])
                a = _acts(either.group("a"))
                b = _acts(either.group("b"))
                if a and b:
                    if not ranks:
                        add_rank([_question(" or ".join((a[0], b[0])))])
                    add_rank([a[-1], b[0]])
                    for act in b[1:]:
                        add_rank([act])
                    pending = None
                    if loop:
                        loops.append((_last(ranks), None, body))
                    continue
            before = [label for label in labels_before if label != ELSE_CONTINUE and not label.endswith("?")]
            acts = _acts(body, _object(before[-1]) if before else ())  # "... sent back. The student corrects it"
            parallel = re.match(r"^(?:simultaneously|meanwhile|in the meantime|at the same time|in parallel|"
                                r"while\b)", body, re.I)
            for k, act in enumerate(acts):
                if act.lower() in seen:
                    if loop and ranks:
                        loops.append((_last(ranks), labels_before.index(act) if act in labels_before else None, body))
                        loop = False
                    continue
                if parallel and k == 0 and ranks and len(ranks[-1]) < MAX_LAYER_NODES and total < MAX_PLAN_NODES \
                        and ELSE_CONTINUE not in ranks[-1]:
                    ranks[-1].append(act)
                    seen.add(act.lower())
                    total += 1
                else:
                    add_rank([act])
            pending = None if acts else pending
        if loop and ranks:
            last = [label for label in ranks[-1] if label != ELSE_CONTINUE]
            if source or last:
                loops.append((source or last[-1], None, body))
    labels = [label for rank in ranks for label in rank]
    if len(labels) < 2 or len(labels) > MAX_PLAN_NODES:
        return None
    plan = Plan.steps(ranks)
    ids = {label: i for i, label in enumerate(plan.labels)}
    rank_of = {label: r for r, rank in enumerate(plan.ranks) for label in rank}
    back: set[tuple[int, int]] = set()
    for src, to, sentence in loops:
        frm = ids.get(step_label(src))
        if frm is None:
            continue
        if to is None:
            before = sum(len(rank) for rank in plan.ranks[: rank_of[plan.labels[frm]]])
            to = 0 if _WHOLE.search(sentence) else _target(sentence, list(plan.labels), before)
            if to is None:
                to = max(0, before - 1) if before else None
        if to is not None and to < frm and rank_of[plan.labels[to]] < rank_of[plan.labels[frm]]:
            back.add((frm, to))
    return Plan.steps(plan.ranks, tuple(sorted(back))) if back else plan


# ---- a list that is the object of one sentence ------------------------------------------------------

# a line that ends a sentence on a colon ("During triage a nurse will ask you the following:", "the Triage Nurse
# will record details of your:") and the bulleted lines right under it
_OBJECT_LIST = re.compile(r"(?m)^(?P<lead>[^\n:]{4,300}):[ \t]*\n(?:[ \t]*\n)*(?P<items>(?:[ \t]*[-*•·][ \t]+[^\n]+(?:\n|$)(?:[ \t]*\n)*){2,12})")
_ITEM_MARK = re.compile(r"^[ \t]*[-*•·][ \t]+")


def folded_lists(text: str) -> tuple[str, list[str]] | None:
    """(text, items): a process told in sentences with a bulleted list of things (no orders: "The reason for your
    visit", "medications and allergies") completing one of its sentences ("a nurse will ask you the following:")
    -> the text with that list out, the sentence closed where the colon was ("... ask you the following."), and the
    items taken out; None when the text has no such list or nothing but the list (then the list is the flow).

    The items are what one step handles, not steps: each of two to twelve short items (eight words or fewer)
    opens with a word that is no verb, and the sentence before the colon has a verb of its own."""
    text = text or ""
    if not re.search(r":[ \t]*\n", text):
        return None  # no line ends on a colon
    out, items, last = [], [], 0
    for m in _OBJECT_LIST.finditer(text):
        lead = m.group("lead").strip()
        lines = [_ITEM_MARK.sub("", ln).strip() for ln in m.group("items").splitlines() if ln.strip()]
        words = [re.findall(r"[A-Za-z][\w'’-]*", ln) for ln in lines]
        if len(lead.split()) < 4 or any(not w or len(w) > 8 or lemma(w[0].lower()) in VERBS for w in words) \
                or not any(lemma(w.lower()) in VERBS or w.lower() in _MODAL for w in re.findall(r"[A-Za-z]+", lead)):
            continue
        out.append(text[last:m.start()] + lead.rstrip(" :") + ".\n")
        items += lines
        last = m.end()
    if not items:
        return None
    out.append(text[last:])
    folded = "".join(out)
    rest = [s for s in _SENTENCES.split(folded) if len(s.split()) >= 4]
    return (folded, items) if len(rest) >= 3 else None
