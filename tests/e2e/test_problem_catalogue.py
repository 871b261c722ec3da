"""The problem catalogue (src/util/problem_kinds.h) is the one list of error
kinds: well formed, one spelling, documented in assets/openapi.json, the
only source of kinds in the code, and what the server answers with."""
import collections
import json
import re

import requests

from harness import ROOT, problem, problem_catalogue

CATALOGUE_FILE = "src/util/problem_kinds.h"
ENTRY = re.compile(r'^X\((\w+), (\d+), "([^"]*)", "([^"]*)"\)$', re.M)
SPELLING = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def entries():
    text = (ROOT / CATALOGUE_FILE).read_text()
    xs = [l for l in text.splitlines() if l.startswith("X(")]
    found = ENTRY.findall(text)
    assert len(found) == len(xs), "an X( line the test cannot read"
    return [(ident, int(st), kind, title) for ident, st, kind, title in found]


def sources():
    for p in sorted((ROOT / "src").rglob("*.[ch]")):
        yield p.relative_to(ROOT).as_posix(), p.read_text(errors="replace")


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def test_catalogue_is_well_formed():
    es = entries()
    assert len(es) > 100
    idents = [e[0] for e in es]
    assert len(set(idents)) == len(idents), "an ident twice"
    pairs = [(e[2], e[1]) for e in es]
    assert len(set(pairs)) == len(pairs), "a kind twice with one status"
    kinds = [e[2] for e in es]
    assert kinds == sorted(kinds), "keep the catalogue sorted by kind"
    titles = collections.defaultdict(set)
    for ident, st, kind, title in es:
        assert SPELLING.fullmatch(kind), f"{kind}: one spelling, words joined by '-'"
        assert ident.startswith("PK_") and ident.startswith(
            "PK_" + kind.upper().replace("-", "_")), ident
        assert 400 <= st < 600, (ident, st)
        assert title and title[0].isupper(), (ident, title)
        titles[kind].add(title)
    # RFC 9457: a type has one title, whatever the status
    assert {k: t for k, t in titles.items() if len(t) > 1} == {}


def test_openapi_documents_every_kind_and_only_those():
    doc = json.loads((ROOT / "assets/openapi.json").read_text())
    pk = doc["components"]["schemas"]["ProblemKind"]
    status = collections.defaultdict(list)
    title = {}
    for _, st, kind, t in entries():
        status[kind].append(st)
        title[kind] = t
    assert sorted(pk["enum"]) == sorted(status), \
        (set(pk["enum"]) ^ set(status))
    assert pk["x-status"] == {k: sorted(v) for k, v in status.items()}
    assert pk["x-title"] == title
    # every problem type the document shows anywhere is a kind
    text = json.dumps(doc)
    for kind in re.findall(r"urn:troth:problem:([A-Za-z0-9_-]+)", text):
        assert kind in status, kind


def second_arg(text, start):
    """The second argument of the call whose '(' is at text[start - 1]."""
    depth, args, cur = 0, [], []
    for ch in text[start:]:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            if len(args) == 2:
                return args[1]
            continue
        cur.append(ch)
    return None


def test_no_kind_outside_the_catalogue():
    """reply_problem, reply_problem_with, problem_set and pki_ossl_problem
    take an enum problem_kind: no string kind, no status of its own,
    anywhere in src/; the urn is built in one place."""
    bad = []
    for rel, text in sources():
        for m in re.finditer(r"\b(?:reply_problem|reply_problem_with|problem_set|pki_ossl_problem)\(",
                             text):
            arg = second_arg(text, m.end())
            if arg in ("enum problem_kind kind", "enum problem_kind k"):
                continue  # its declaration and definition
            # a kind, a choice between kinds, or an enum problem_kind variable
            if not re.fullmatch(r"(?:[^\"?]*\?\s*)?PK_\w+(?:\s*:\s*PK_\w+)?|[a-z_][\w.>-]*",
                                arg or "", re.S):
                bad.append(f"{rel}:{line_of(text, m.start())}: {arg}")
        if re.search(r'"urn:troth:problem:[^<]', text) and rel != "src/http/problem.c":
            bad.append(f"{rel}: builds a problem type itself")
    assert bad == []


def test_lower_layers_carry_kinds_in_one_spelling():
    """pki/, ca/ and signer/ fail with a struct problem of a catalogue kind:
    no pki_err with its own HTTP status and string code, no kind spelled
    with '_' anywhere in src/, no status in src/pki/."""
    kinds = {k for k, _ in problem_catalogue()}
    underscored = {k.replace("-", "_") for k in kinds if "-" in k}
    bad = []
    for rel, text in sources():
        for m in re.finditer(r"\bpki_err(?:_set|_ossl)?\b|\bca_err_field\b", text):
            bad.append(f"{rel}:{line_of(text, m.start())}: {m.group(0)}")
        for m in re.finditer(r'"([a-z0-9_]+)"', text):
            if m.group(1) in underscored:
                bad.append(f"{rel}:{line_of(text, m.start())}: \"{m.group(1)}\"")
        if rel.startswith("src/pki/") and re.search(r"\bstatus\b", text.split("*/", 1)[-1]):
            bad.append(f"{rel}: a status in the PKI library")
    assert bad == []


def test_every_kind_is_used():
    """No dead entry: each ident of the catalogue appears in src/."""
    text = "".join(t for rel, t in sources() if rel != CATALOGUE_FILE)
    assert [e[0] for e in entries() if not re.search(rf"\b{e[0]}\b", text)] == []


def test_tests_and_clients_use_catalogue_spellings():
    """Every kind the tests and the web UI expect is a kind, spelled the
    catalogue's way."""
    kinds = {k for k, _ in problem_catalogue()}
    bad = []
    files = sorted((ROOT / "tests/e2e").glob("*.py")) + \
        sorted((ROOT / "assets/app").glob("*.js")) + [ROOT / "README.md"]
    underscored = {k.replace("-", "_") for k in kinds if "-" in k}
    for p in [ROOT / "tests/README.md"] + sorted((ROOT / "src").rglob("*.md")) + [ROOT / "README.md"]:
        # the documents name kinds the catalogue's way
        for k in re.findall(r"`([a-z0-9_]+)`", p.read_text()):
            if k in underscored:
                bad.append(f"{p.relative_to(ROOT)}: `{k}`")
    for p in files:
        text = p.read_text()
        used = re.findall(r"urn:troth:problem:([A-Za-z0-9_-]+)", text)
        used += re.findall(r"err\.type\s*[!=]==?\s*'([a-z0-9_-]+)'", text)
        for k in used:
            if k not in kinds:
                bad.append(f"{p.relative_to(ROOT)}: {k}")
        # problem(resp, 404, "kind") and the like: a word with '-' is a
        # kind, a kind is never spelled with '_' (a field may be)
        for k in re.findall(r"\b\d{3},\s*\"([a-z0-9]+[_-][a-z0-9_-]*)\"\)", text):
            if k not in kinds and ("-" in k or k.replace("_", "-") in kinds):
                bad.append(f"{p.relative_to(ROOT)}: {k}")
    assert bad == []


def test_answers_carry_the_catalogue_status_and_title(server, admin):
    """What the server says matches the table: status and title come from
    the kind (harness.problem checks this on every problem the suite sees)."""
    cat = problem_catalogue()
    r = requests.get(server.public + "/api/v1/no-such-route")
    body = problem(r, 404, "not-found")
    assert body["title"] == cat[("not-found", 404)][1] == "Not found"
    r = admin.post("/api/v1/members", json={"name": 5})
    body = problem(r, 400, "invalid-field")
    assert body["title"] == "Invalid field" and body["field"] == "name"
