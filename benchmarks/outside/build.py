"""Build the outside-written request corpora: dev.csv and blind.csv from `raw.txt`, blind2.csv from
`raw2.txt`.

Run: python -m benchmarks.outside.build   (rewrites benchmarks/outside/{dev,blind,...,blind12}.csv)

`raw.txt` is the collection log: one record per `=== kind | source | field=value | ...` header,
the request text below it exactly as written at the source (trimmed at its ends only). The split is
deterministic: a row's id is a hash of its kind and text, and the row goes to the blind part when
a second hash of that id is odd, so adding rows never moves an existing row between parts.

`raw2.txt` (same format) is release 2's collection: every one of its rows is blind (`blind2.csv`,
measured once per release, never tuned on). A row of raw2.txt that repeats a row of raw.txt (same
text after lower-casing and dropping everything but letters and digits) is refused.

`raw3-nets.txt` (dense and CNN rows) and `raw3-flows.txt` (pipelines and processes), same format, are
release 3's collection: every row is blind, split by SOURCE into `blind3.csv` and `blind4.csv` (a hash
of the source's repository or web host), so the two parts share no source. blind3 measures the reader
as it stood when they were collected; blind4 is kept for the release after the next reader change.
A release-3 row that repeats a row of an earlier log, or whose repository/host an earlier log
already used, is refused.

`raw4-nets.txt` and `raw4-flows.txt` are release 4's collection (same format), split by SOURCE into
`blind5.csv` and `blind6.csv`. Both were measured at first contact (before any release-4 reader
change); blind5 was then opened for tuning and blind6 is kept blind for the end of the release. The same refusals hold against every earlier log (raw.txt, raw2.txt,
raw3-*.txt).

`raw5-nets.txt` and `raw5-flows.txt` are release 5's collection, split by SOURCE (a third hash) into
`blind7.csv` and `blind8.csv`: both measured at first contact and both kept blind to the end of release
5 (measured once more there); since then they are VALIDATION parts: a reader change may be measured on
them (summary only, rows unread) to see whether it carries. Same refusals against every earlier log.

`raw6-nets.txt`, `raw6-flows.txt` and `raw6-flows2.txt` (two flows collectors working side by side, no
source in both) are release 6's collection, split by SOURCE (a fourth hash) into
`blind9.csv` and `blind10.csv`, both blind: measured at first contact and once at the end of release 6.
Same refusals against every earlier log (raw5-*.txt too). Measured once at the end of release 6:
spent since.

`raw7-nets.txt` and `raw7-flows.txt` are release 7's collection (made at the end of session 11 for the
next release), split by SOURCE (a fifth hash) into `blind11.csv` and `blind12.csv`, both blind: measured
at first contact with the reader as session 11 left it, and once at the end of the release that tunes
after it. Same refusals against every earlier log (raw6-*.txt too).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, fields
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw.txt"
RAW2 = HERE / "raw2.txt"
RAW3 = (HERE / "raw3-nets.txt", HERE / "raw3-flows.txt")
RAW4 = (HERE / "raw4-nets.txt", HERE / "raw4-flows.txt")
RAW5 = (HERE / "raw5-nets.txt", HERE / "raw5-flows.txt")
RAW6 = (HERE / "raw6-nets.txt", HERE / "raw6-flows.txt", HERE / "raw6-flows2.txt")  # flows2: a second flows collector
RAW7 = (HERE / "raw7-nets.txt", HERE / "raw7-flows.txt")
SPLIT_PARTS = ("dev", "blind")     # raw.txt's rows, split by hash
SOURCE_PARTS = ("blind3", "blind4")  # release 3's rows, split by source
SOURCE_PARTS4 = ("blind5", "blind6")  # release 4's rows, split by source (another hash)
SOURCE_PARTS5 = ("blind7", "blind8")  # release 5's rows, split by source (a third hash)
SOURCE_PARTS6 = ("blind9", "blind10")  # release 6's rows, split by source (a fourth hash)
SOURCE_PARTS7 = ("blind11", "blind12")  # release 7's rows, split by source (a fifth hash)
PARTS = (*SPLIT_PARTS, "blind2", *SOURCE_PARTS, *SOURCE_PARTS4, *SOURCE_PARTS5, *SOURCE_PARTS6, *SOURCE_PARTS7)   # blind2: all of raw2.txt
KINDS = ("dense", "cnn", "pipeline", "process")
COLUMNS = ("id", "kind", "request", "source", "layers", "blocks", "steps", "decision", "loop", "edges")
_HEADER = re.compile(r"^=== (?P<kind>\w+) \| (?P<source>[^|]+?)(?: \| (?P<rest>.*))?$")


@dataclass(frozen=True)
class Row:
    id: str
    kind: str
    request: str
    source: str
    layers: str = ""      # dense: sizes input first, '-'-separated; '*' = a size the text does not fix
    blocks: str = ""      # cnn: blocks in order, ' > '-separated (see README)
    steps: str = ""       # flows: named steps, '; '-separated
    decision: str = ""    # flows: '1' the text has a decision, '0' it has none
    loop: str = ""        # flows: '1' the text has a loop back, '0' it has none
    edges: str = ""       # flows: 'A>B; B>C' where the text fixes them ('chain' = the steps in order)


def row_id(kind: str, text: str) -> str:
    digest = hashlib.sha1(f"{kind}\n{text}".encode()).hexdigest()
    return f"{kind[0]}-{digest[:10]}"


def part_of(row_id_: str) -> str:
    """'dev' or 'blind', from a hash of the id alone (stable as rows are added)."""
    return SPLIT_PARTS[int(hashlib.sha256(f"split:{row_id_}".encode()).hexdigest(), 16) % 2]


def source_key(source: str) -> str:
    """What 'the same source' means: a GitHub repository (`repo:owner/name ...`) or a web host
    without `www.` (`https://www.x.com/a` -> `x.com`), lower case."""
    source = source.strip().lower()
    repo = re.match(r"repo:\s*([^\s]+)", source)
    if repo:
        return repo.group(1).rstrip("/")
    host = re.match(r"[a-z]+://([^/\s]+)", source)
    key = host.group(1) if host else source.split()[0] if source else ""
    key = key.removeprefix("www.")
    if key in ("github.com", "raw.githubusercontent.com", "gist.github.com"):
        path = re.match(r"[a-z]+://[^/]+/([^/\s]+)/([^/\s#?]+)", source)
        if path:
            return f"{path.group(1)}/{path.group(2)}"
    return key


def source_part(source: str, parts: tuple[str, str] = SOURCE_PARTS, salt: str = "source-split") -> str:
    """'blind3' or 'blind4' (release 4: `parts=SOURCE_PARTS4, salt="release4-split"`, 'blind5' or
    'blind6'), from a hash of the row's source key (a source's rows stay together)."""
    digest = hashlib.sha256(f"{salt}:{source_key(source)}".encode()).hexdigest()
    return parts[int(digest, 16) % 2]


def release4_part(source: str) -> str:
    """'blind5' or 'blind6' for a release-4 row."""
    return source_part(source, SOURCE_PARTS4, "release4-split")


def release5_part(source: str) -> str:
    """'blind7' or 'blind8': release 5's split by source."""
    return source_part(source, SOURCE_PARTS5, "release5-split")


def release6_part(source: str) -> str:
    """'blind9' or 'blind10': release 6's split by source."""
    return source_part(source, SOURCE_PARTS6, "release6-split")


def release7_part(source: str) -> str:
    """'blind11' or 'blind12': release 7's split by source."""
    return source_part(source, SOURCE_PARTS7, "release7-split")


def parse_raw(text: str) -> list[Row]:
    rows: list[Row] = []
    header: re.Match[str] | None = None
    body: list[str] = []

    def flush() -> None:
        if header is None:
            return
        request = "\n".join(body).strip()
        kind = header["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} in {header.group(0)!r}")
        if not request:
            raise ValueError(f"empty request under {header.group(0)!r}")
        extra: dict[str, str] = {}
        for item in (header["rest"] or "").split(" | "):
            if item.strip():
                key, _, value = item.partition("=")
                extra[key.strip()] = value.strip()
        unknown = set(extra) - {f.name for f in fields(Row)}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)} in {header.group(0)!r}")
        if extra.get("edges") == "chain":
            steps = [s.strip() for s in extra.get("steps", "").split(";") if s.strip()]
            extra["edges"] = "; ".join(f"{a}>{b}" for a, b in zip(steps, steps[1:]))
        rows.append(Row(id=row_id(kind, request), kind=kind, request=request,
                        source=header["source"].strip(), **extra))

    for line in text.splitlines():
        if line.startswith("#") and header is None:
            continue
        match = _HEADER.match(line)
        if match:
            flush()
            header, body = match, []
        elif line.startswith("=== "):
            raise ValueError(f"bad header: {line!r}")
        else:
            body.append(line)
    flush()
    seen: set[str] = set()
    for row in rows:
        if row.id in seen:
            raise ValueError(f"duplicate request {row.id}: {row.request[:60]!r}")
        seen.add(row.id)
    return rows


def to_csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: getattr(row, c) for c in COLUMNS})
    return buffer.getvalue()


def split(rows: list[Row]) -> dict[str, list[Row]]:
    return {part: [r for r in rows if part_of(r.id) == part] for part in SPLIT_PARTS}


def normalised(text: str) -> str:
    """Lower case, letters and digits only (any script), single spaces: what 'the same request' means."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def build_parts(raw: str, raw2: str, raw3: str | tuple[str, ...] = (),
                raw4: tuple[str, ...] = (), raw5: tuple[str, ...] = (),
                raw6: tuple[str, ...] = (), raw7: tuple[str, ...] = ()) -> dict[str, list[Row]]:
    """Every part's rows: dev/blind split from raw.txt's text, blind2 = all of raw2.txt's text,
    blind3/blind4 = release 3's rows (each raw3 log parsed on its own, rows joined) split by source,
    blind5/blind6 = release 4's rows split by source (another hash), blind7/blind8 = release 5's
    (a third hash), blind9/blind10 = release 6's (a fourth), blind11/blind12 = release 7's (a fifth). A row that repeats an earlier log's row, or (from release 3 on)
    whose repository/host an earlier log used, is refused."""
    texts3 = (raw3,) if isinstance(raw3, str) else raw3
    rows, rows2 = parse_raw(raw), parse_raw(raw2)
    rows3 = [row for text in texts3 for row in parse_raw(text)]
    rows4 = [row for text in raw4 for row in parse_raw(text)]
    rows5 = [row for text in raw5 for row in parse_raw(text)]
    rows6 = [row for text in raw6 for row in parse_raw(text)]
    rows7 = [row for text in raw7 for row in parse_raw(text)]
    releases = (("3", rows3), ("4", rows4), ("5", rows5), ("6", rows6), ("7", rows7))
    for release, new in releases:
        if len({r.id for r in new}) != len(new):
            raise ValueError(f"a release-{release} request appears twice across the raw{release} logs")
    old = {normalised(r.request): r.id for r in rows}
    for row in rows2:
        if normalised(row.request) in old:
            raise ValueError(f"raw2 row {row.id} repeats raw.txt row {old[normalised(row.request)]}: "
                             f"{row.request[:60]!r}")
    old.update({normalised(r.request): r.id for r in rows2})
    used = {source_key(r.source): r.id for r in (*rows, *rows2)}
    for release, new in releases:
        for row in new:
            if normalised(row.request) in old:
                raise ValueError(f"release-{release} row {row.id} repeats row {old[normalised(row.request)]}: "
                                 f"{row.request[:60]!r}")
            if source_key(row.source) in used:
                raise ValueError(f"release-{release} row {row.id}: source {source_key(row.source)!r} was "
                                 f"already used by row {used[source_key(row.source)]} of an earlier log")
        old.update({normalised(r.request): r.id for r in new})
        used.update({source_key(r.source): r.id for r in new})
    return {**split(rows), "blind2": rows2,
            **{part: [r for r in rows3 if source_part(r.source) == part] for part in SOURCE_PARTS},
            **{part: [r for r in rows4 if release4_part(r.source) == part] for part in SOURCE_PARTS4},
            **{part: [r for r in rows5 if release5_part(r.source) == part] for part in SOURCE_PARTS5},
            **{part: [r for r in rows6 if release6_part(r.source) == part] for part in SOURCE_PARTS6},
            **{part: [r for r in rows7 if release7_part(r.source) == part] for part in SOURCE_PARTS7}}


def read_raw3() -> tuple[str, ...]:
    """The text of each release-3 log (a missing one is left out)."""
    return tuple(p.read_text(encoding="utf-8") for p in RAW3 if p.exists())


def read_raw4() -> tuple[str, ...]:
    """The text of each release-4 log (a missing one is left out)."""
    return tuple(p.read_text(encoding="utf-8") for p in RAW4 if p.exists())


def read_raw5() -> tuple[str, ...]:
    """The text of each release-5 log (a missing one is left out)."""
    return tuple(p.read_text(encoding="utf-8") for p in RAW5 if p.exists())


def read_raw6() -> tuple[str, ...]:
    """The text of each release-6 log (a missing one is left out)."""
    return tuple(p.read_text(encoding="utf-8") for p in RAW6 if p.exists())


def read_raw7() -> tuple[str, ...]:
    """The text of each release-7 log (a missing one is left out)."""
    return tuple(p.read_text(encoding="utf-8") for p in RAW7 if p.exists())


def load(part: str, directory: Path = HERE) -> list[dict[str, str]]:
    """The rows of one part's CSV as dicts (columns: COLUMNS)."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}")
    with open(directory / f"{part}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parts = build_parts(RAW.read_text(encoding="utf-8"), RAW2.read_text(encoding="utf-8"), read_raw3(),
                        read_raw4(), read_raw5(), read_raw6(), read_raw7())
    for part, part_rows in parts.items():
        target = HERE / f"{part}.csv"
        tmp = target.with_suffix(".csv.tmp")
        tmp.write_text(to_csv(part_rows), encoding="utf-8")
        tmp.replace(target)
        counts = {k: sum(r.kind == k for r in part_rows) for k in KINDS}
        print(f"{part}: {len(part_rows)} rows {counts}")


if __name__ == "__main__":
    main()
