"""Read the steps of a pipeline written in a structured format (`diagram.reader.read_request` calls
it before the other step readers): Mermaid or plain edge lists with one edge a line
(`A[Label] --> B[Label]`, joins and branches kept), steps joined by vertical arrows (a line of
`↓` between them), Markdown tables (the first cell of each row), numbered or bulleted items of
the form "Name: what it does" / "Name = what it does" / "Name - what it does" (the name), inline
numbered items ("1) ingest documents, 2) embed them, ..."), emoji-headed lines, and the lines
under a line ending in ':' when each reads as a step.

    >>> read_lists("flowchart LR\\nA[Events] --> B[Kafka]\\nC[CDC] --> B\\nB --> D[Flink]").line()
    '# steps: Events, CDC > Kafka > Flink'
    >>> read_lists("1. Code: Developers write code.\\n2. Build: Code is compiled.\\n3. Test: Tests run.").line()
    '# steps: Code > Build > Test'

Every pattern is anchored to one line or bounded; graphs are layered by longest path after
dropping back edges (kept as loops). Pure functions, linear in the text.
"""

from __future__ import annotations

import re
import unicodedata

from diagram.grammar import LABEL_MAX_CHARS
from diagram.plan import MAX_LAYER_NODES, MAX_PLAN_NODES, Plan, compact_label, step_label
from diagram.reader_clauses import VERBS, ELSE_CONTINUE, lemma
from diagram.reader_layouts import read_tree
from diagram.reader_prose import name_key, as_question, is_verb, mentions
from diagram.reader_steps import tidy_step, drawn_chain, read_chain
from diagram.reader_text import layered

_NOT_SUBJECTS = frozenset("it this that these those there he she they we you i one each which who user users".split())

MAX_ITEM_WORDS = 6
_EDGE = re.compile(r"^\s*(?P<a>[^\s\-=>|]{1,60}(?:\s*[\[({][^\]\)}\n]{0,120}[\]\)}]{1,2})?)\s*"
                   r"(?:-{2,3}>|={2,3}>|-\.+->|--\s*[^-\n>]{1,40}\s*-->|-->\|[^|\n]{0,40}\||->)\s*"
                   r"(?P<b>[^\s\-=>|]{1,60}(?:\s*[\[({][^\]\)}\n]{0,120}[\]\)}]{1,2})?)\s*;?\s*$")
_DECLARED = re.compile(r"^\s*(?P<id>[A-Za-z_][\w-]{0,59})\s*[\[({]{1,2}(?:\"(?P<q>[^\"\n]{1,120})\"|(?P<label>[^\]\)}\n]{1,120}))"
                       r"[\]\)}]{1,2}\s*;?\s*$")
_NODE = re.compile(r"^(?P<id>[^\s\[({]{1,60})\s*(?:[\[({]+(?P<label>[^\]\)}]{0,120})[\]\)}]+)?$")
_VERTICAL = re.compile(r"^\s*(?:↓|⬇|⇓|⬇️|\||v|V)(?:[ \t]+(?:↓|⬇|⇓|⬇️|\||v|V)){0,7}\s*$|"
                       r"^\s*(?:\||↓)[ \t]+\([^()\n]{1,40}\)\s*$")  # "|  |  |" (a fan-out), "|  (binlog)" (an edge's words)
_COLUMNS = re.compile(r"\S+(?: \S+)*")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_NUMBER = re.compile(r"^\s*(?:(?:step|stage|phase)\s*)?\d{1,2}\s*[.):\-–—]?\s+", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•·+]|\d{1,2}[.)]|(?:step|stage|phase)\s+\d{1,2}\s*[:.)\-–—]?)\s*(?=\S)", re.I)
_NAME_SEP = re.compile(r"\s*(?::\s|\s=\s*|\t+|\s[-–—]\s|\s{2,}=?\s*)")
_INLINE_NUMBERED = re.compile(r"(?:^|[\s,;:(])\d{1,2}\)\s+")
_CUT = re.compile(r"\s+(?:with|for|against|using|via|by|within|in order to|so that|which|that|from|on)\s+|"
                  r"\s*[,;]\s*|\s+[-–—+]\s+", re.I)
_STEP_MARK = re.compile(r"^(?:steps?|stages?|phases?|start)[ \t]*\d[\d., ]*(?:(?:and|&|to)[ \t]+\d[\d.]*)?[ \t]*$", re.I)
_HEADER_NAME = re.compile(r"^(?:stage|step|name|component|service|tool|phase|layer|task)s?$", re.I)


def _short(item: str) -> str:
    """An item as written, cut to its first phrase: 'Trained the model with tracked experiments' ->
    'Trained the model'; '' when still over MAX_ITEM_WORDS words."""
    item = item.strip().strip("*_`#").strip()
    item = re.sub(r"\*\*|__|`", "", item).strip().rstrip(".:;,")
    item = re.sub(r"\s*\((?:[^()\s]+\s+){2,}[^()]*\)", "", item)  # long asides; "(Dev)" stays
    words = item.split()
    if len(words) > 4 and (len(words) > MAX_ITEM_WORDS or len(item) > LABEL_MAX_CHARS):  # (a few words that fit
        # a label are the step as named: "Log Processed by Ingest Pipeline")
        parts = _CUT.split(item, maxsplit=1)
        if parts and len(parts[0].split()) >= 2:
            item = parts[0]
    item = item.strip().rstrip(".:;,")
    return item if item and len(item.split()) <= MAX_ITEM_WORDS and len(item) <= 48 else ""


def _plan(ranks: list[list[str]], loops: tuple[tuple[int, int], ...] = (), repeats: bool = False) -> Plan | None:
    """The ranks as a plan; None when a label repeats, unless `repeats` (a diagram that draws a
    component twice: "Lambda", "Lambda 2")."""
    ranks = [r for r in ranks if r]
    n = sum(len(r) for r in ranks)
    if n < 2 or n > MAX_PLAN_NODES or max(len(r) for r in ranks) > MAX_LAYER_NODES:
        return None
    seen: dict[str, int] = {}
    out: list[list[str]] = []
    for r in ranks:  # a component drawn twice in a chain ("Lambda" ... "Lambda"): "Lambda", "Lambda 2"
        row = []
        for x in r:
            label = step_label(x[:1].upper() + x[1:])
            seen[label.lower()] = seen.get(label.lower(), 0) + 1
            if seen[label.lower()] > 1 and not repeats:
                return None
            row.append(label if seen[label.lower()] == 1 else step_label(f"{label[:36]} {seen[label.lower()]}"))
        out.append(row)
    labels = [x.lower() for r in out for x in r]
    if len(set(labels)) != len(labels):
        return None
    return Plan.steps(out, loops)


def _graph(lines: list[str]) -> Plan | None:
    """An edge list, one edge a line: nodes layered by longest path, back edges kept as loops."""
    edges: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    seconds: dict[str, str] = {}
    order: list[str] = []
    for line in lines:
        m = _EDGE.match(line)
        if not m:
            continue
        ends = []
        for part in (m.group("a"), m.group("b")):
            node = _NODE.match(part.strip())
            if not node:
                break
            nid = node.group("id")
            shown = (node.group("label") or "").replace("\\n", "\n").replace("<br>", "\n").split("\n")
            label = shown[0].strip(" \"'()")
            if len(shown) > 1:
                seconds[nid] = shown[1].strip(" \"'()")
            if label or nid not in names:
                names[nid] = label or names.get(nid) or nid
            if nid not in order:
                order.append(nid)
            ends.append(nid)
        if len(ends) == 2 and ends[0] != ends[1]:
            edges.append((ends[0], ends[1]))
    if len(edges) < 2 or len(order) > MAX_PLAN_NODES:
        return None
    for line in lines:  # 'ArgoCD["Argo CD\n(GitOps Controller)"]' on a line of its own: the label its edges use
        node = _DECLARED.match(line)
        if node and node.group("id") in names and names[node.group("id")] == node.group("id"):
            shown = (node.group("q") or node.group("label")).replace("\\n", "\n").replace("<br>", "\n").replace("<br/>", "\n").split("\n")
            label = shown[0].strip(" \"'()")
            if label:
                names[node.group("id")] = label
                if len(shown) > 1:
                    seconds[node.group("id")] = shown[1].strip(" \"'()")
    firsts = [names[nid].lower() for nid in order]
    for nid in order:  # "B[(Kafka\npayment_transactions)]", "E[(Kafka\nfraud_scored)]": the second line tells them apart
        if firsts.count(names[nid].lower()) > 1 and seconds.get(nid):
            names[nid] = f"{names[nid]} {seconds[nid]}"
    out: dict[str, list[str]] = {nid: [] for nid in order}
    for a, b in edges:
        out[a].append(b)
    node_ranks, _, back = layered(order, out)  # walked in order of first mention
    ranks = [[names[nid] for nid in rank] for rank in node_ranks]
    plan = _plan(ranks)
    if plan is None:
        return None
    ids = {label: i for i, label in enumerate(plan.labels)}
    loops = []
    for a, b in back:
        la, lb = (step_label(names[x][:1].upper() + names[x][1:]) for x in (a, b))
        if la in ids and lb in ids and ids[lb] < ids[la]:
            loops.append((ids[la], ids[lb]))
    return Plan.steps(plan.ranks, tuple(sorted(loops))) if loops else plan


def _table(lines: list[str]) -> list[str]:
    rows = [ln for ln in lines if ln.strip().startswith("|") and ln.strip().count("|") >= 2]
    if len(rows) < 3 or not any(_TABLE_RULE.match(r) for r in rows[:3]):
        return []
    body = [r for r in rows if not _TABLE_RULE.match(r)][1:]  # the header row aside
    items = []
    for row in body:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        cell = next((c for c in cells if c and not re.fullmatch(r"\d{1,2}[.)]?", c)), "")
        items.append(_NUMBER.sub("", cell))
    return items


def _named_items(lines: list[str]) -> list[str]:
    """Bulleted or numbered 'Name: description' lines -> the names (when most lines have one)."""
    bullets = [_BULLET.sub("", ln) for ln in lines if _BULLET.match(ln)]
    if len(bullets) < 3:
        return []
    names = []
    for b in bullets:
        parts = _NAME_SEP.split(b.strip(), maxsplit=1)
        if len(parts) == 2 and 1 <= len(parts[0].split()) <= MAX_ITEM_WORDS and not _HEADER_NAME.match(parts[0]) \
                and not _STEP_MARK.match(parts[0]):  # "Step 1 : If n = 0, ...": a number, not a name
            names.append(parts[0])
    if len(names) < max(3, (2 * len(bullets) + 2) // 3):
        return []
    keys = {n.lower() for n in names}
    told = {m.lower() for b in bullets  # examples ("such as HDInsight, Spark") are no components of this flow
            for m in mentions(re.sub(r"(?i)\b(?:such as|like|e\.g\.|for example|including)\b[^.;\n]{0,300}", "", b))} - keys
    if len(told) > len(names) and 2 * sum(bool(mentions(n)) for n in names) < len(names):
        return []  # "- CDC: Debezium captured changes ... to Kafka": the components the items name say more
    return names


# "Ingest receives the upload", "The Transcode workers produce ...", "Store writes outputs": an item
# whose subject (a capitalised name of up to three words) acts; the subject names the stage
_SUBJECT = re.compile(r"^(?:the[ \t]+)?(?P<name>[A-Z][\w.+/-]*(?:[ \t]+[A-Za-z][\w.+/-]*){0,2}?)[ \t]+"
                      r"(?:(?:will|can|then|also|must|should)[ \t]+)?(?P<verb>[a-z]{3,}s)\b(?![ \t]*(?:of|to|in|for)\b)")


def _subject_items(lines: list[str]) -> list[str]:
    """The subjects of bulleted or numbered items that each say what a named stage does, when at
    least 3 items and two thirds of them are of that shape ("Queue holds jobs", "Store writes outputs")."""
    bullets = [_BULLET.sub("", ln).strip() for ln in lines if _BULLET.match(ln)]
    if len(bullets) < 3:
        return []
    names: list[str] = []
    for b in bullets:
        m = _SUBJECT.match(re.sub(r"\*\*|__|`", "", b))
        if m and lemma(m.group("verb")) != m.group("verb") and m.group("name").lower() not in _NOT_SUBJECTS:
            name = m.group("name")
            after = b[m.end():].split()[:1]
            if after and after[0] in VERBS and len(name.split()) < 3:  # "Transcode workers produce ...": a plural
                name = f"{name} {m.group('verb')}"  # subject before a verb in its plain form
            if name.lower() not in (n.lower() for n in names):
                names.append(name)
    if len(names) < max(3, (2 * len(bullets) + 2) // 3):
        return []
    subjects = {n.lower() for n in names}
    others = {m.lower() for b in bullets for m in mentions(b)} - subjects
    return names if len(others) < 2 else []  # "X sends it to the **Y**": the prose reader reads both ends


def _short_lines(lines: list[str]) -> list[str]:
    """The run of 3-15 consecutive short lines (a stage a line, no sentence punctuation, each starting
    with a capital) that opens a text, under at most a title line, when a sentence follows it:
    "Code Commit / Pipeline Triggered / Run Tests" (not "such as:" examples further down)."""
    best: list[str] = []
    run: list[str] = []
    for ln in lines[:17] + [""]:
        s = ln.strip()
        if s and len(s.split()) <= 5 and s[0].isupper() and not re.search(r"[.:;!?,]$|^#|[|=]", s) \
                and not _BULLET.match(ln):
            run.append(s)
            continue
        if len(run) > len(best):
            best = run
        if best or len(run) > 1:
            break
        run = []
    opens = lines.index(best[0]) if best else 99
    # prose after the run (a sentence of 6+ words) says the run is a list of stages, not code or a title page
    told = any(len(ln.split()) >= 6 for ln in lines[opens + len(best):]) if best else False
    return best if 3 <= len(best) <= 15 and len(best) < len(lines) and opens <= 1 and told else []


def _only_short_lines(lines: list[str]) -> list[str]:
    """3-15 lines that are all short names of stages ("Quality Control / Alignment / Deduplication / ..."):
    each at most 5 words, opening with a capital, with no sentence punctuation, bullet or markup; else []."""
    if not 3 <= len(lines) <= 15:
        return []
    ok = all(len(ln.split()) <= 5 and ln.strip()[:1].isupper() and not re.search(r"[.:;!?,]$|^#|[|=<>→]", ln.strip())
             and not _BULLET.match(ln) for ln in lines)
    return [ln.strip() for ln in lines] if ok else []


def _emoji_heads(lines: list[str]) -> list[str]:
    heads = []
    for ln in lines:
        s = ln.strip()
        if s and unicodedata.category(s[0]) == "So" and len(s.split()) <= MAX_ITEM_WORDS + 1:
            heads.append(s[1:].strip(" \ufe0f"))
    return heads if len(heads) >= 3 else []


def _under_colon(lines: list[str]) -> list[str]:
    """The 3-15 short lines under the first line that ends with ':' (linear: one look)."""
    for i, ln in enumerate(lines[:-2]):
        if ln.rstrip().endswith(":"):
            items = [x for x in lines[i + 1: i + 17] if x.strip()]
            if 3 <= len(items) <= 15 and all(len(x.split()) <= 12 and not x.rstrip().endswith(":")
                                             and not _BULLET.match(x) for x in items):
                return items
            return []
    return []


_INLINE_NODE = re.compile(r"-{2,3}>|[A-Za-z_]\w{0,30}(?:\[[^\[\]\n]{0,80}\]|\([^()\n]{0,80}\))?")


_MERMAID_HEAD = re.compile(r"^\s*(?:flowchart|graph)\s+(?:TD|TB|LR|RL|BT)\b;?")


def _one_edge_a_line(lines: list[str]) -> list[str]:
    """A Mermaid graph written on one line ("flowchart TD A[Apps] --> B[Beats] B --> C[Logstash]") as
    one edge a line; other lines as they are."""
    out = []
    for line in lines:
        head = _MERMAID_HEAD.match(line)
        if line.count("-->") < 2 or not head:
            out.append(line)
            continue
        body = line[head.end():]
        tokens = [m.group() for m in _INLINE_NODE.finditer(body)]
        edges = [f"{a} --> {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:])
                 if b.endswith(">") and not a.endswith(">") and not c.endswith(">")]
        out.extend(edges if len(edges) >= 2 else [line])
    return out


def _box(line: str) -> list[str]:
    """The component(s) on one line of a vertical diagram: "Rekognition + DynamoDB" is two side by side,
    "Payment  Inventory  Notification" (columns 2+ blanks apart) three; a short aside that names
    something stays ("Kafka Topic (CDC events)"), a lower-case or long one goes."""
    s = line.strip().strip("[]")
    cols = [c.strip() for c in re.split(r"\s{2,}", s) if c.strip()]  # (clean() leaves one blank)
    both = [c.strip() for c in re.split(r"\s[+&]\s", s)]
    if len(cols) == 1 and len(both) > 1 and all(len(c.split()) == 1 for c in both):  # "Rekognition + DynamoDB"
        cols = both
    # an aside that names something ("(CDC events)", "(Kafka Connect)") stays; a description ("(time series)") goes
    cols = [re.sub(r"\s*\((?![A-Z0-9])[^()]{0,80}\)", "", c) if not c.startswith("(") else c for c in cols]
    return [_short(c) or _short(re.sub(r"\s*\([^()]{0,80}\)", "", c)) for c in cols]


def _vertical(lines: list[str]) -> Plan | None:
    """Steps drawn one under another with a line of arrows between them ("↓", "|" then "v", one
    arrow per column where the flow fans out); a box over two lines of columns ("Payment  Inventory" /
    "Service  Service") reads column by column."""
    if sum(bool(_VERTICAL.match(ln)) for ln in lines) < 2:
        return None
    groups: list[list[str]] = []
    arrows: list[str] = []  # the last arrow line before each group after the first
    current: list[str] = []
    for ln in lines:
        if _VERTICAL.match(ln):
            if current or not arrows:
                arrows.append(ln)
            else:
                arrows[-1] = ln
            if current:
                groups.append(current[-1:] if not groups else current)  # a heading above the first step is none
            current = []
        else:
            current.append(ln)
    if current:
        groups.append(current[:2])
    ranks: list[list[str]] = []
    for k, group in enumerate(groups):
        fan = len(arrows[k - 1].split()) if 0 < k <= len(arrows) else 1
        boxes = [_box(g) for g in group]
        if fan >= 2 and all(len(g.split()) == fan for g in group):  # "v v v" over "Payment Inventory Notification"
            boxes = [[_short(w) for w in g.split()] for g in group]
        if len(boxes) == 1 or len(boxes[0]) < 2 or len(boxes[0]) != len(boxes[1]):
            ranks.append(boxes[0])
        else:  # two lines of columns ("Payment Inventory" / "Service Service"): one component a column
            ranks.append([f"{a} {b}" for a, b in zip(boxes[0], boxes[1])])
    if not all(all(r) for r in ranks) or sum(len(r) for r in ranks) < 3:
        return None
    return _plan(ranks, repeats=True)


# Jenkins `stage('Build')` (declarative) and `stage 'Build'` (scripted)
_JENKINS_STAGE = re.compile(r"\bstage[ \t]*(?:\([ \t]*)?['\"](?P<name>[^'\"\n]{1,60})['\"]")
_WHEN = re.compile(r"\bwhen[ \t]*\{[ \t]*\n?(?P<c>[^{}\n]{1,80})")  # a stage run only under a condition
_ASSIGNED_CALL = re.compile(r"(?m)^[ \t]*(?P<var>[A-Za-z_]\w{0,40})[ \t]*=[ \t]*[A-Za-z_][\w.]{0,60}\(")
_TASK_ID = re.compile(r"\btask_id[ \t]*=[ \t]*['\"](?P<name>[^'\"\n]{1,60})['\"]")
_TASK_DEF = re.compile(r"(?m)^[ \t]*@(?:\w+\.)?task\b[^\n]{0,80}\n(?:[ \t]*@[^\n]{0,80}\n){0,2}[ \t]*(?:async[ \t]+)?def[ \t]+(?P<var>\w{1,40})\(")
_DEPENDS = re.compile(r"(?m)^[^\n#]{0,300}?(?:>>|<<)[^\n]{0,300}$")
_SET_STREAM = re.compile(r"\b(?P<a>\w{1,40})\.set_(?P<dir>down|up)stream\([ \t]*\[?(?P<b>[\w, \t]{1,200})\]?[ \t]*\)")
_NEEDS_BLOCK = re.compile(r"(?m)^(?:action|job|task)[ \t]+\"(?P<name>[^\"\n]{1,60})\"[ \t]*\{")
_NEEDS = re.compile(r"\bneeds[ \t]*[=:][ \t]*\[?(?P<list>[^\]\n]{1,200})\]?")
_YAML_JOBS = re.compile(r"(?m)^jobs:[ \t]*$")
_YAML_JOB = re.compile(r"(?m)^(?P<indent>[ \t]{1,8})(?P<name>[\w.-]{1,60}):[ \t]*$")


def _edge_lines(names: dict[str, str], edges: list[tuple[str, str]]) -> list[str]:
    ids = {key: f"n{i}" for i, key in enumerate(names)}
    return [f"{ids[a]}[{names[a]}] --> {ids[b]}[{names[b]}]" for a, b in edges if a in ids and b in ids]


def _airflow(text: str) -> Plan | None:
    """An Airflow DAG: its tasks by task_id (`t1 = PythonOperator(task_id='extract', ...)`, `@task`
    functions) and the order `>>`/`<<` (lists as fan-out/fan-in) or `set_downstream` gives them."""
    calls = list(_ASSIGNED_CALL.finditer(text))
    names: dict[str, str] = {}
    for k, m in enumerate(calls):
        end = calls[k + 1].start() if k + 1 < len(calls) else min(len(text), m.end() + 600)
        tid = _TASK_ID.search(text, m.end(), end)
        if tid:
            names[m.group("var")] = tid.group("name")
    for m in _TASK_DEF.finditer(text):
        names.setdefault(m.group("var"), m.group("var"))
    if len(names) < 2:  # `A = echo(name="A", ...)` and `A >> [B, C] >> D` (Hera, Prefect, ...): the tasks the order names
        ordered = {w for line in _DEPENDS.finditer(text) for w in re.findall(r"[A-Za-z_]\w*", line.group().split("#")[0])}
        for k, m in enumerate(calls):
            end = calls[k + 1].start() if k + 1 < len(calls) else min(len(text), m.end() + 600)
            if m.group("var") in ordered:
                named = re.search(r"\bname[ \t]*=[ \t]*['\"](?P<n>[^'\"\n]{1,60})['\"]", text[m.end():end])
                names[m.group("var")] = named.group("n") if named else m.group("var")
    if len(names) < 2:
        return None
    edges: list[tuple[str, str]] = []
    for line in _DEPENDS.finditer(text):
        body = line.group().split("#")[0]
        parts = re.split(r"(>>|<<)", body)
        groups = [[w for w in re.findall(r"[A-Za-z_]\w*", part) if w in names] for part in parts[::2]]
        for k, op in enumerate(parts[1::2]):
            left, right = groups[k], groups[k + 1]
            edges.extend((a, b) if op == ">>" else (b, a) for a in left for b in right)
    for m in _SET_STREAM.finditer(text):
        for b in re.findall(r"\w+", m.group("b")):
            edges.append((m.group("a"), b) if m.group("dir") == "down" else (b, m.group("a")))
    if not edges:  # tasks with no order stated: as written
        keys = list(names)
        edges = list(zip(keys, keys[1:]))
    return _graph(_edge_lines(names, edges))


def _needs(text: str) -> Plan | None:
    """CI jobs that name the jobs they wait for (`action "test" { needs = ["build"] }`, a GitHub
    Actions `jobs:` map with `needs: [build]`): one node a job, an edge per need."""
    blocks = [(m.group("name"), m.end()) for m in _NEEDS_BLOCK.finditer(text)]
    jobs = _YAML_JOBS.search(text)
    if len(blocks) < 2 and jobs:
        heads = list(_YAML_JOB.finditer(text, jobs.end()))
        indent = heads[0].group("indent") if heads else ""
        blocks = [(m.group("name"), m.end()) for m in heads if m.group("indent") == indent]
    if len(blocks) < 2:
        return None
    names = {name: name for name, _ in blocks}
    edges: list[tuple[str, str]] = []
    for k, (name, start) in enumerate(blocks):
        end = blocks[k + 1][1] if k + 1 < len(blocks) else len(text)
        need = _NEEDS.search(text, start, end)
        if need:
            edges.extend((w, name) for w in re.findall(r"[\w.-]+(?: [\w.-]+)*", need.group("list")) if w in names)
    if not edges:
        keys = list(names)
        edges = list(zip(keys, keys[1:]))  # jobs with no needs stated: in the order written
    return _graph(_edge_lines(names, edges))


def _guarded(ranks: list[list[str]], at: int | None, cond: str) -> list[list[str]]:
    """The ranks with a "<cond>?" decision before the step at `at` and "Else: continue" beside it."""
    if at is None:
        return ranks
    return ranks[:at] + [[step_label(as_question(cond))], [ranks[at][0], ELSE_CONTINUE]] + ranks[at + 1:]


def _jenkins(text: str) -> Plan | None:
    """Jenkins stages in order (`stage('Build')`, scripted `stage 'Build'`); the first stage with a
    `when { branch 'main' }` gets a "Branch main?" decision before it."""
    found = list(_JENKINS_STAGE.finditer(text))
    if len(found) < 2:
        return None
    ranks = [[m.group("name")] for m in found]
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(text)
        when = _WHEN.search(text, m.end(), end)
        cond = " ".join(re.findall(r"[\w.-]+", when.group("c"))) if when else ""
        if cond:
            return _plan(_guarded(ranks, k, cond))
    return _plan(ranks)


_CI_STAGES = re.compile(r"(?m)^stages:[ \t]*\n(?P<list>(?:-[ \t]*['\"]?[\w.-]{1,40}['\"]?[ \t]*(?:\n|$)){2,20})")
_CI_JOB = re.compile(r"(?m)^(?P<name>[\w.-]{1,60}):[ \t]*$")
_CI_STAGE = re.compile(r"(?m)^stage:[ \t]*['\"]?(?P<s>[\w.-]{1,40})")


def _ci_stages(text: str) -> Plan | None:
    """A CI file that lists its `stages:` and gives each job a `stage:` (GitLab CI): the jobs, a rank
    per stage in the order listed (two deploy jobs side by side); the stages alone when no job names one."""
    head = _CI_STAGES.search(text)
    if head is None:
        return None
    stages = [w.strip("'\"") for w in re.findall(r"-[ \t]*(\S+)", head.group("list"))]
    jobs = [m for m in _CI_JOB.finditer(text, head.end()) if m.group("name") not in ("stages", "variables", "default",
                                                                                      "include", "workflow")]
    ranks: dict[str, list[str]] = {stage: [] for stage in stages}
    for k, m in enumerate(jobs):
        end = jobs[k + 1].start() if k + 1 < len(jobs) else len(text)
        stage = _CI_STAGE.search(text, m.end(), end)
        if stage and stage.group("s") in ranks:
            ranks[stage.group("s")].append(m.group("name"))
    if not any(ranks.values()):
        return _plan([[stage] for stage in stages])
    return _plan([jobs_ for jobs_ in ranks.values() if jobs_])


_CALL_LINE = re.compile(r"^(?:[\w.\[\], ]{1,80}=[ \t]*)?(?:await[ \t]+)?(?P<f>[A-Za-z_][\w.]{0,60})[ \t]*\((?P<args>.{0,200})\)[ \t]*;?$")
_CONSTRUCTED = re.compile(r"(?m)^(?:self\.|this\.)?(?P<var>[A-Za-z_]\w{0,40})[ \t]*=[ \t]*(?:new[ \t]+)?(?P<cls>[A-Z]\w{0,40})\(")
_NOT_STEPS = frozenset("print println printf log info debug warning warn error exception sleep len str int float range "
                       "open super format append assert echo exit".split())


def _call_steps(text: str) -> Plan | None:
    """A driver function that calls a pipeline's stages in turn (`text = record()`, `out = translate(text)`,
    `speak(out)`; `plan = self.planner.plan(goal)`): the functions it calls, in order, after the last
    `def`/`function` line; a method called on an object the code built (`self.planner = PlannerAgent()`)
    is that object's class, one called on a step's result (`t.after(p)`) no step; an `if x:` before a call is a decision ("X?") before it. Only when 3+ calls
    (no print or log) make at least half of those lines."""
    heads = list(re.finditer(r"(?m)^(?:async[ \t]+)?(?:def|function|func|fn)[ \t]+\w+[ \t]*\(.{0,200}$", text))
    if not heads:
        return None
    built = {m.group("var"): m.group("cls") for m in _CONSTRUCTED.finditer(text)}
    lines = [ln.strip() for ln in text[heads[-1].end():].split("\n") if ln.strip() and not ln.strip().startswith(("#", "//"))]
    ranks: list[list[str]] = []
    results: set[str] = set()
    cond, guard = "", None
    for line in lines:
        line = re.sub(r"^return[ \t]+", "", line)
        check = re.match(r"^if[ \t]*\(?[ \t]*(?P<c>[^:{()]{1,60}?)[ \t]*\)?[ \t]*[:{]?$", line)
        if check and not cond:
            cond = check.group("c")
            continue
        call = _CALL_LINE.match(line)
        if call is None:
            continue
        parts = call.group("f").split(".")
        if parts[-1].lower() in _NOT_STEPS or parts[0] in ("console", "logger", "logging", "print", "time") \
                or parts[0] in results:  # `t.after(p)`: a call on a step's result orders steps, is none
            continue
        results.update(re.findall(r"[A-Za-z_]\w*", line[: call.start("f")].split("=")[0]) if "=" in line[: call.start("f")] else ())
        owner = next((p for p in reversed(parts[:-1]) if p not in ("self", "this")), None)
        name = built.get(owner, parts[-1]) if owner else parts[-1]
        if [name] not in ranks:
            if cond and guard is None:
                guard = len(ranks)
            ranks.append([name])
    if len(ranks) < 3 or 2 * len(ranks) < len([ln for ln in lines if not re.match(r"^(?:else|end|pass|\}|return\b)", ln)]):
        return None
    return _plan(_guarded(ranks, guard, cond))


def _pipeline_code(text: str) -> Plan | None:
    """A CI or orchestration file: Jenkins stages in order (a `when` as a decision), an Airflow or other
    Python DAG's tasks ordered by `>>`, CI jobs with `needs`, a CI file's `stages:` and jobs, a driver
    function that calls the stages in turn."""
    jenkins = _jenkins(text)
    if jenkins is not None:
        return jenkins
    if "task_id" in text or "@task" in text or ">>" in text:
        dag = _airflow(text)
        if dag is not None:
            return dag
    if "needs" in text:
        return _needs(text)
    return _ci_stages(text) or _call_steps(text)


_HEAD = re.compile(r"^(?:#{1,6}[ \t]*)?(?:\*\*)?(?:(?:step|stage|phase)[ \t]*)?(?P<n>\d{1,2})[.)][ \t]*(?:\*\*)?(?P<t>[^\n]{2,80})$", re.I)
_DECIDES = re.compile(r"\b(?:if|else|otherwise|go[ \t]*to|repeat|while|until|loop)\b", re.I)


def _staffed(heads: list[str], lines: list[str]) -> Plan | None:
    """Stages whose text names the components that do them ("1. Ingestion / - Kafka captures events",
    "3. Storage / - MongoDB stores raw data / - Cassandra hosts aggregates"): each stage as the components
    its text names, side by side, "Kafka (Ingestion)"; None unless two thirds of the stages name one and
    the headings are no components themselves."""
    at = [next((i for i, ln in enumerate(lines) if _HEAD.match(ln.strip()) and head in ln), None) for head in heads]
    if None in at or sum(bool(mentions(h)) for h in heads):
        return None
    ranks: list[list[str]] = []
    seen: set[str] = set()
    for k, head in enumerate(heads):
        end = at[k + 1] if k + 1 < len(at) else len(lines)
        body = " ".join(lines[at[k] + 1: end])  # type: ignore[operator]
        body = re.sub(r"(?i)\b(?:such as|like|e\.g\.|for example|including)\b[^.;\n]{0,300}", "", body)
        names = [n for n in dict.fromkeys(mentions(body)) if name_key(n) not in seen][:MAX_LAYER_NODES]
        seen.update(name_key(n) for n in names)
        stage = " ".join("".join(c for c in head if unicodedata.category(c)[0] != "S" and c not in "\ufe0f\u200d")
                         .split()) or head  # "Storage 💾"
        ranks.append([f"{n} ({stage})" if len(n) + len(stage) + 3 <= 40 else n for n in names] or [head])
    if 3 * sum(rank != [head] for rank, head in zip(ranks, heads)) < 2 * len(heads):
        return None
    return _plan(ranks)


def _numbered_heads(lines: list[str]) -> list[str]:
    """Numbered headings each followed by what the stage does (sub-bullets, "Tasks: ...", a
    paragraph): "1. Source Stage / Triggered when ... / 2. Build Stage / ...": the headings, as
    written (asides kept: "Data Collection (Filebeat)"), when there are 3+, numbered in order, at
    least all but one with a body under them, none a decision or a loop (an algorithm's steps)."""
    heads: list[tuple[int, str]] = []
    bodies = 0
    body = False
    for ln in lines:
        m = _HEAD.match(ln.strip())
        title = m.group("t").strip().strip("*_`#").strip().rstrip(":").strip() if m else ""
        if m and len(title.split()) <= 8 and not title.endswith((".", "?", "!")) and not _DECIDES.search(title):
            if heads and body:
                bodies += 1
            heads.append((int(m.group("n")), title))
            body = False
        elif m:
            return []
        elif heads:
            if _DECIDES.match(_BULLET.sub("", ln.strip())):
                return []
            body = True
    bodies += body
    numbers = [n for n, _ in heads]
    if len(heads) < 3 or bodies < len(heads) - 1 or numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        return []
    return [title if len(title) <= 40 else _short(title) for _, title in heads]


def _over_weak(text: str) -> Plan | None:
    """An arrow chain of 4+ steps the text writes ("DNS → TCP → TLS → HTTP"), which says the flow
    better than the weak cues (emoji-headed lines, a run of short lines, lines under a colon)."""
    chain = read_chain(text)
    return chain if chain is not None and chain.n_nodes >= 4 and not chain.loops else None


def _chain_over(text: str, plan: Plan | None) -> Plan | None:
    """An arrow chain the text also writes on a line of its own ("Data Flow: Producer → Topic → Spark →
    DB → Dashboard") over a list of the same parts: the writer's own flow, when it names at least as
    many steps as the list (the list describes the components, the chain says how data goes)."""
    if plan is None or plan.loops or len(plan.ranks) != plan.n_nodes:
        return plan
    chain = read_chain(text)
    if chain is None or chain.loops or chain.n_nodes < max(3, plan.n_nodes) or len(chain.ranks) != chain.n_nodes:
        return plan
    if chain.n_nodes > plan.n_nodes:
        return chain
    # as many: the chain wins when it says something the list does not ("Kafka Topic" for "Kafka & Zookeeper"),
    # not when it only shortens the list's names ("Bronze" for "Bronze Layer (Raw)")
    said = [set(re.findall(r"\w+", label.lower())) for label in plan.labels]
    return chain if any(set(re.findall(r"\w+", label.lower())) - words for label, words in zip(chain.labels, said)) else plan


def _does(line: str) -> bool:
    """A line that says what a component does: an -s verb first ("Builds the image", "Auto-syncs
    updates"), 2+ words."""
    words = line.split()
    return len(words) >= 2 and is_verb(words[0].split("-")[-1]) and words[0][:1].isupper()


def _verb_cut(text: str) -> str:
    """A verb line cut to 40 characters: its asides, then at a preposition, else at a word."""
    text = re.sub(r"\*\*|__|`", "", text).strip().rstrip(".:;,")
    if len(text) <= 40:
        return text
    text = re.sub(r"\s*\([^()]{0,80}\)", "", text)  # asides first
    if len(text) <= 40:
        return text
    head = re.split(r"\s+[—–]\s+", text, maxsplit=1)[0]  # "Lets you ask questions — answers come from ...": a remark
    if len(head) < len(text) and len(head.split()) >= 2:
        text = head
        if len(text) <= 40:
            return text
    text = " ".join(re.sub(r"(?i)(?<=\s)(?:the|a|an)(?=\s)", "", text).split())  # articles before a cut
    if len(text) <= 40:
        return text
    if compact_label(text, 40, cut=False):  # "Evaluates with accuracy + confusion matrix": its function words go
        return compact_label(text, 40)
    cuts = [m.start() for m in re.finditer(r"\s+(?:with|for|using|via|by|within|so that|which|that|from|on|into|to|in)\s+", text)
            if m.start() <= 40 and len(text[:m.start()].split()) >= 2]
    cut = text[:cuts[-1]] if cuts else text[:41].rsplit(" ", 1)[0]  # the most that fits, up to a preposition
    named = [n for n in mentions(text) if n.lower() not in cut.lower()]
    if named and len(named[0]) <= 24:  # "Processes data in real-time using Apache Spark": the component stays
        room = 40 - len(named[0]) - 3
        short = cut if len(cut) <= room else cut[: room + 1].rsplit(" ", 1)[0]
        return f"{short} ({named[0]})" if len(short.split()) >= 2 else cut
    return cut


_GENERIC_HEADING = re.compile(r"(?i)^(?:what (?:it|this|we) (?:does|do)|features?|overview|summary|how it works|usage|"
                              r"about|description|highlights|capabilities)\W*$")


def _verb_items(lines: list[str]) -> list[str]:
    """Lines that each say what is done ("Receives the raw line", "Parses the log to extract:") under
    at most two opening lines, with the component each group belongs to on a short line of its own
    above it ("GitHub Actions" / "Builds the image" / "Pushes it"): those lines in order, the sub-items
    under a line ending in ':' aside; 3+ of them, and no other lines."""
    items = [_BULLET.sub("", ln).strip().lstrip("#").strip() for ln in lines]
    out: list[str] = []
    under_colon = False
    start = next((k for k, x in enumerate(items) if _does(x)), None)
    if start is None:
        return []
    k0 = start - 1 if start >= 1 and len(items[start - 1].split()) <= 3 and not re.search(r"[.:;!?]$", items[start - 1]) \
        else start
    if k0 < start and not mentions(items[k0]) and (_GENERIC_HEADING.match(items[k0]) or
                                                   any(unicodedata.category(c) == "So" for c in lines[k0])):
        k0 = start  # "## What It Does", "🚀 Features": a heading over the items, no component
    if k0 > 3:
        return []
    for k in range(k0, len(items)):
        x = items[k]
        if _does(x):
            out.append(x.rstrip(":"))
            under_colon = x.endswith(":")
        elif not under_colon and len(x.split()) <= 3 and not re.search(r"[.:;!?]$", x) and k + 1 < len(items) \
                and _does(items[k + 1]):
            out.append(x)
            under_colon = False
        elif not under_colon:
            return []
    verbs = sum(_does(x) for x in out)
    return out if verbs >= 3 else []


def read_lists(text: str) -> Plan | None:
    """The steps of a structured pipeline text (see the module docstring), or None."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("```")]
    if not lines:
        return None
    code = _pipeline_code(text)
    if code is not None:
        return code
    graph = _graph(_one_edge_a_line(lines))
    if graph is not None:
        return graph
    tree = read_tree(text)  # ├ └ trees, one hung from a chain line or drawn down the page with │ ▼ (`reader_layouts`)
    if tree is not None:
        return tree
    vertical = _vertical(lines)
    if vertical is not None:
        return vertical
    drawn = drawn_chain(text)  # "[Camera] -> [Capture] -> Queue -> [API]" on a line of its own: the writer's diagram
    if drawn is not None:
        return drawn
    heads = _numbered_heads(lines)
    if heads and all(heads):
        return _chain_over(text, _staffed(heads, lines) or _plan([[x] for x in heads]))
    done = [_verb_cut(x) for x in _verb_items(lines)]
    if done and all(done):
        return _chain_over(text, _plan([[x] for x in done]))
    for k, items in enumerate((_table(lines), _named_items(lines), _subject_items(lines), _only_short_lines(lines),
                               _emoji_heads(lines), _short_lines(lines))):
        items = [_short(x) for x in items]
        if len(items) >= 3 and all(items):
            return _over_weak(text) or _plan([[x] for x in items]) if k >= 4 else _chain_over(text, _plan([[x] for x in items]))
    flat = " ".join(ln.strip() for ln in lines)
    marks = list(_INLINE_NUMBERED.finditer(flat))
    if len(marks) >= 3:
        pieces = [flat[m.end(): marks[k + 1].start() if k + 1 < len(marks) else len(flat)] for k, m in enumerate(marks)]
        items = [_short(p.strip().rstrip(",;.")) for p in pieces]
        if all(items):
            return _plan([[x] for x in items])
    under = [_short(x) for x in _under_colon(lines)]
    if len(under) >= 3 and all(under):
        return _over_weak(text) or _plan([[x] for x in under])
    return None


# "If tests pass, deployment continues; if tests fail, the pipeline stops": two outcomes told after a list
_OUTCOMES = re.compile(r"\bif\s+(?P<c>[^,;.\n]{3,60}),\s*(?P<a>[^;.\n]{3,80})[;,.]\s*(?:(?:and\s+|but\s+)?if\s+[^,;.\n]{3,60},\s*|"
                       r"otherwise,?\s*|else,?\s*)(?P<b>[^;.\n]{3,80})", re.I)
_WEAK = frozenset("this that then with from into when will have been they their there these those".split())


def _stems(text: str) -> set[str]:
    return {w[:4] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _WEAK}


def with_outcomes(plan: Plan | None, text: str) -> Plan | None:
    """A chain of stages whose text says "if C, X; if not C, Y" (or "otherwise Y") where X and Y are two
    consecutive stages: those two side by side after the stage before them (a decision, both branches)."""
    if plan is None or plan.kind != "steps" or plan.loops or any(len(rank) != 1 for rank in plan.ranks):
        return plan
    said = _OUTCOMES.search(text)
    labels = [rank[0] for rank in plan.ranks]
    if said is None or len(labels) < 3:
        return plan

    def best(phrase: str, near: int | None = None) -> int | None:
        want = _stems(phrase)
        scored = [(len(want & _stems(label)), -abs(i - near) if near is not None else 0, i)
                  for i, label in enumerate(labels)]
        top = max(scored)
        return top[2] if top[0] else None

    a = best(said.group("a"))
    b = best(said.group("b"), a) if a is not None else None
    if a is None or b is None or abs(a - b) != 1 or min(a, b) == 0:
        return plan
    lo, hi = min(a, b), max(a, b)
    ranks = [[x] for x in labels[:lo]] + [[labels[lo], labels[hi]]] + [[x] for x in labels[hi + 1:]]
    return Plan.steps(ranks)


# ---- a check written inside one step: "Tests fail? Stop.", "if all pass → promote" ------------------------

_ASKED_THEN = re.compile(r"(?P<c>[^?]{3,80})\?[ \t]+(?P<a>[^?]{2,60}?)[ .!]*")  # "New data fails checks? Stop."
_IF_ARROW = re.compile(r"(?i:if[ \t]+)?(?P<c>[^?]{3,80}?)[ \t]*(?:-+>|→|=>)[ \t]*(?P<a>[^?]{2,60}?)\?")  # "All pass → promote?"


_ASKED_WHAT = re.compile(r"(?i)\s*(?:what|why|how|who|whom|whose|which|where|when)\b")


def with_inline_checks(plan: Plan | None) -> Plan | None:
    """A step that holds a check and what it leads to ("Canary shows regression? Rollback", "All pass →
    promote to full?") as a decision: the question, then the outcome beside the way on ("Else:
    continue"). Plans with loops or lanes are left as they are (their edges name nodes by place)."""
    if plan is None or plan.kind != "steps" or plan.loops or plan.lanes:
        return plan
    ranks = [list(rank) for rank in plan.ranks]
    out: list[list[str]] = []
    changed = False
    i = 0
    while i < len(ranks):
        rank = ranks[i]
        m = (_ASKED_THEN.fullmatch(rank[0]) or _IF_ARROW.fullmatch(rank[0])) if len(rank) == 1 else None
        if m is not None and _ASKED_WHAT.match(m.group("c")):
            m = None  # "Why Kafka? Because ...": a question the text answers, no check
        if m is None:
            out.append(rank)
            i += 1
            continue
        changed = True
        out.append([m.group("c").strip()[:1].upper() + m.group("c").strip()[1:] + "?"])
        action = m.group("a").strip()
        out.append([action[:1].upper() + action[1:], ELSE_CONTINUE])
        i += 2 if i + 1 < len(ranks) and ranks[i + 1] == [ELSE_CONTINUE] else 1  # (the way on, already written)
    if not changed or sum(len(r) for r in out) > MAX_PLAN_NODES:
        return plan
    return Plan.steps(out)
