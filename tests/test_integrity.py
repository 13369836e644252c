"""`autograder integrity`: pairs worth a second look, ranked with their evidence, never a penalty.

The class (tests/integrity_class.py) is 70 submissions of 01-conv1d written
independently in many styles (with misconceptions, some common, some planted
from tests/planted/) plus six planted copies: renamed variables, reordered
functions and statements, added comments, a copied wrong conv1d, a conv1d
copied from the course's reference implementation, and all three disguises at
once.  It is analysed once, through nbgrader's submitted/ layout, with every
submission run in the sandbox on the probe inputs.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.exercises import for_assignment
from autograder.frontends.integrity import evidence, fingerprint as fp, page, probe
from autograder.frontends.integrity.analyse import analyse
from autograder.frontends.integrity.collect import OTHER, released_code

import integrity_class as ic

ASSIGNMENT = ic.ASSIGNMENT
SEED = 20261202
INDEPENDENT = 70


@pytest.fixture(scope="module")
def klass(tmp_path_factory, course):
    students = ic.independent_class(INDEPENDENT)
    planted = ic.plant_copies(students)
    root = tmp_path_factory.mktemp("integrity-class")
    submitted = ic.write_class(students, root, layout="nbgrader")
    started = time.perf_counter()
    analysis = analyse(submitted, ASSIGNMENT, course=course, seed=SEED, workers=2)
    seconds = time.perf_counter() - started
    return {"students": students, "planted": planted, "analysis": analysis, "seconds": seconds, "root": root, "submitted": submitted}


def _key(pair: evidence.Pair) -> tuple[str, str]:
    return (pair.a, "reference") if pair.reference else tuple(sorted((pair.a, pair.b)))


def _planted_keys(planted) -> dict[str, tuple[str, str]]:
    return {kind: (a, b) if b == "reference" else tuple(sorted((a, b))) for kind, (a, b) in planted.items()}


# --------------------------------------------------------------------------- the class


def test_every_planted_pair_ranks_above_every_independent_pair_and_no_independent_pair_is_flagged(klass):
    analysis = klass["analysis"]
    assert sum(1 for s in analysis.students if s.startswith("s")) >= 60
    assert not analysis.not_compared and not analysis.probe_failures
    planted = _planted_keys(klass["planted"])
    found = {}
    for pair in analysis.pairs:
        key = _key(pair)
        if key in planted.values() and key not in found:
            found[key] = pair
    assert set(found) == set(planted.values()), f"planted pairs without evidence: {set(planted.values()) - set(found)}"
    independent = [p for p in analysis.pairs if _key(p) not in planted.values()]
    worst_planted = max(p.rank for p in found.values())
    best_independent = min(p.rank for p in independent)
    assert worst_planted < best_independent, [(p.rank, p.a, p.b, round(p.score, 2)) for p in analysis.pairs[:12]]
    assert all(p.flagged for p in found.values()), {k: round(p.score, 2) for k, p in found.items()}
    assert not [p for p in independent if p.flagged]
    # each planted pair is found by the evidence that fits what was done
    kinds = {kind: set(found[key].kinds()) for kind, key in planted.items()}
    for kind in ("renamed", "reordered", "commented", "disguised"):
        assert "code" in kinds[kind], (kind, kinds[kind])
    assert {"code", "outputs"} <= kinds["copied-wrong"]
    reference = found[planted["copied-reference"]]
    assert reference.reference and reference.b.startswith("autograder.references.conv1d") and "reference" in kinds["copied-reference"]
    # the copied wrong answer is recognised as wrong answers nobody else gave, on probe inputs nobody saw
    outputs = next(e for e in found[planted["copied-wrong"]].evidence if e.kind == "outputs")
    assert outputs.exercise == "conv1d" and "nobody else" in outputs.text and outputs.points == pytest.approx(1.0)


def test_the_class_is_analysed_quickly(klass):
    # 76 submissions, each run in the sandbox on the probes (benchmarks/integrity_speed.py: 200 in well under a minute)
    assert klass["seconds"] < 120, klass["analysis"].seconds


def test_short_answers_that_everybody_writes_alike_are_no_evidence(klass):
    analysis = klass["analysis"]
    stats = analysis.code_stats
    # many pairs write the three-line output_length identically: too uniform to tell
    assert stats["output_length"].uniform
    # The on-paper list was as uniform while everybody worked the lesson's numbers; each student now works their own
    # (variants), and two lists of small numbers alike say nothing about code: not compared as code at all (a list
    # right for a classmate's numbers is the variant evidence), and the page says so
    assert "by_hand_full" not in stats and analysis.own_numbers == ["by_hand_full"]
    assert not any(e.exercise in ("by_hand_full", "output_length") and e.kind == "code" for p in analysis.pairs for e in p.evidence)
    # conv1d tells: few pairs come close, so identical code there weighs much
    assert not stats["conv1d"].uniform and stats["conv1d"].weight > 0.7
    assert stats["conv1d"].usual < 0.8


def test_right_answers_are_never_evidence_and_a_common_misconception_weighs_little(klass):
    analysis = klass["analysis"]
    students = klass["students"]
    for pair in analysis.pairs:
        for item in pair.evidence:
            if item.kind == "outputs":
                assert "wrong" in item.text
    # s000..s004 slide the kernel without flipping it, each in their own way: the same wrong numbers, a named mistake
    no_flip = [p for p in analysis.pairs if p.a in {"s000", "s001", "s002", "s003", "s004"} and p.b in {"s000", "s001", "s002", "s003", "s004"}]
    assert no_flip, "the five no-flip students share wrong answers"
    for pair in no_flip:
        assert not pair.flagged
        outputs = [e for e in pair.evidence if e.kind == "outputs"]
        assert outputs and all(e.points <= evidence.SPECIFIC["named"] / 4 + 1e-9 for e in outputs), outputs
    assert "no-flip" in " ".join(e.text for p in no_flip for e in p.evidence)
    assert all("def conv1d" in students[s]["conv1d"] for s in ("s000", "s001"))


def test_works_through_an_lms_download_too(klass, course, tmp_path):
    # the same class as a flat folder of STUDENT.ipynb (no probes: code evidence alone ranks the copies of code first)
    flat = ic.write_class(klass["students"], tmp_path, layout="flat")
    analysis = analyse(flat, ASSIGNMENT, course=course, seed=SEED, run=False)
    assert sorted(analysis.students) == sorted(klass["analysis"].students)
    planted = _planted_keys(klass["planted"])
    top = {_key(p) for p in analysis.pairs[:5]}
    assert {planted[k] for k in ("renamed", "reordered", "commented", "disguised", "copied-reference")} == top


# --------------------------------------------------------------------------- pieces


BASE = '''
def conv1d(x, h):
    """Full convolution."""
    x = np.asarray(x)
    h = np.asarray(h)
    if x.size == 0 or h.size == 0:
        raise ValueError("empty input")
    y = np.zeros(x.size + h.size - 1)
    for k in range(x.size):
        y[k:k + h.size] += x[k] * h
    return y


def helper(a):
    return np.asarray(a, dtype=float) * 2
'''


def test_fingerprints_see_through_names_comments_layout_and_order():
    disguised = '''
def helper(values):
    # doubles
    return np.asarray(values, dtype=float) * 2

def conv1d(signal, kernel):
    kernel = np.asarray(kernel)      # the kernel first
    signal = np.asarray(signal)
    if signal.size == 0 or kernel.size == 0:
        raise ValueError('nothing to convolve, sorry')

    out = np.zeros(
        signal.size + kernel.size - 1
    )
    for shift in range(signal.size):
        out[shift:shift + kernel.size] += signal[shift] * kernel
    return out
'''
    other = '''
def conv1d(x, h):
    x, h = list(x), list(h)
    if not x or not h:
        raise ValueError("empty")
    return np.array([sum(x[j] * h[i - j] for j in range(len(x)) if 0 <= i - j < len(h)) for i in range(len(x) + len(h) - 1)])
'''
    a, b, c = fp.fingerprint(BASE), fp.fingerprint(disguised), fp.fingerprint(other)
    assert a.size > 20 and a.hashes == b.hashes
    assert fp.similarity(a, b) == 1.0 and fp.similarity(a, c) < 0.3
    lines_a, lines_b = fp.matched_lines(a, b)
    assert {9, 10} <= lines_a and 15 in lines_b and 3 not in lines_b  # the loop, matched where each wrote it; comments are not
    # deterministic: the same fingerprints in another process (copydetect's own hash() is salted per process)
    code = "import sys; from autograder.frontends.integrity import fingerprint as fp; print(sorted(fp.fingerprint(sys.stdin.read()).hashes)[:5])"
    runs = {subprocess.run([sys.executable, "-c", code], input=BASE, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert runs == {str(sorted(a.hashes)[:5]) + "\n"}


def test_what_the_released_notebook_held_is_not_compared(course):
    ids = [ex.id for ex in for_assignment(ASSIGNMENT)]
    released = released_code(course, ASSIGNMENT, ids)
    assert released.boilerplate["conv1d"] and released.boilerplate[OTHER]
    stub = 'def conv1d(x, h):\n    """Full linear convolution of two 1-D sequences, by hand."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'
    assert fp.fingerprint(stub, released.boilerplate["conv1d"]).size == 0
    assert fp.fingerprint(BASE, released.boilerplate["conv1d"]).size > 15


def test_outputs_are_digested_by_value_not_by_type():
    import numpy as np

    assert probe.digest(np.array([1, 2, 3])) == probe.digest([1.0, 2.0, 3.0000000001]) == probe.digest(np.array([1, 2, 3], dtype=np.uint8))
    assert probe.digest(np.array([1, 2, 3])) != probe.digest(np.array([[1, 2, 3]]))
    assert probe.digest(-0.0) == probe.digest(0.0) and probe.digest(float("nan")) == probe.digest(np.float32("nan"))
    assert probe.probe_seed(1) != probe.probe_seed(2) and probe.probe_seed(1) == probe.probe_seed(1)


def test_an_on_paper_answer_right_for_a_classmates_numbers_is_evidence():
    """The variant hook: silent without per-student answers, evidence as soon as a course has them."""
    exercise = next(ex for ex in for_assignment(ASSIGNMENT) if ex.id == "by_hand_full")
    answers = {"ann": [1, 2, 3], "bob": [1, 2, 3], "cat": [4, 5, 6], "dan": [7, 7, 7]}
    behaviours = {s: {"by_hand_full": probe.Behaviour("failed", values={"y_by_hand": v})} for s, v in answers.items()}
    own = {"ann": [9, 9, 9], "bob": [1, 2, 3], "cat": [4, 5, 6], "dan": [3, 3, 3]}

    def variants(ex, student):
        return {"y_by_hand": own[student]} if ex.id == "by_hand_full" else None

    assert evidence.variant_evidence(behaviours, [exercise], None) == {}
    found = evidence.variant_evidence(behaviours, [exercise], variants)
    assert list(found) == [("ann", "bob")]  # bob and cat answered their own numbers; dan is wrong for everybody
    item = found[("ann", "bob")][0]
    assert item.points == evidence.VARIANT_POINTS and "wrong for ann's own numbers and exactly right for bob's" in item.text
    pairs = evidence.combine([exercise], found)
    assert pairs[0].flagged and pairs[0].kinds() == ["variant"]


# --------------------------------------------------------------------------- the command, the page, the class report


def _autograder(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


HOSTILE = '=HYPERLINK("x")<img src=x onerror=alert(1)>'
PAT_CONV1D = """def conv1d(x, h):
    x = np.asarray(x)
    h = np.asarray(h)
    if x.size == 0 or h.size == 0:
        raise ValueError("both must be non-empty")
    wide = np.result_type(x, h, np.int64)
    out = np.zeros(x.size + h.size - 1, dtype=wide)
    for j in range(h.size):
        out[j:j + x.size] += h[j] * x.astype(wide)
    return out
"""
PAT_LENGTH = """def output_length(n, k, mode="full"):
    lengths = dict(full=n + k - 1, same=max(n, k), valid=max(n, k) - min(n, k) + 1)
    try:
        return lengths[mode]
    except KeyError:
        raise ValueError(f"mode {mode!r} is not one of {sorted(lengths)}") from None
"""
OTHER_CONV1D = """def conv1d(a, b):
    a, b = np.asarray(a).tolist(), np.asarray(b).tolist()
    if len(a) == 0 or len(b) == 0:
        raise ValueError("empty input")
    res = []
    for n in range(len(a) + len(b) - 1):
        res.append(sum(a[k] * b[n - k] for k in range(len(a)) if 0 <= n - k < len(b)))
    return np.array(res)
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory, course):
    """A flat LMS download of 8 students graded by `autograder grade`, then `autograder integrity --grades`."""
    students = ic.independent_class(6, seed=31, no_flip=0, plants=False)
    plant = next(p for p in ic.all_plants() if p[0] == ASSIGNMENT and p[1].misconception == "valid-off-by-one" and p[1].exercise == "conv1d_mode")[1]
    mine = ic.independent_class(2, seed=77, no_flip=0, plants=False)
    # two right conv1d of their own; a wrong conv1d_mode (a planted misconception) and an output_length, copied and disguised
    # (each works the on-paper exercise on their own numbers, not those of the id their other answers were written for)
    students["pat"] = dict(mine["s000"], by_hand_full=ic.by_hand_answer("pat"), conv1d=PAT_CONV1D, conv1d_mode=plant.source.strip("\n") + "\n", output_length=PAT_LENGTH)
    students[HOSTILE] = dict(mine["s001"], by_hand_full=ic.by_hand_answer(HOSTILE), conv1d=OTHER_CONV1D, conv1d_mode=ic.commented(ic.renamed(plant.source, "q"), random.Random(3))
                             + "# </pre><script>alert('code')</script>\n", output_length=ic.renamed(PAT_LENGTH, "r"))
    root = tmp_path_factory.mktemp("integrity-small")
    downloads = ic.write_class(students, root, layout="flat")
    grades = root / "grades"
    done = _autograder("--course", str(course.path), "grade", str(downloads), "-a", ASSIGNMENT, "-o", str(grades), "--seed", "5", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    done = _autograder("--course", str(course.path), "integrity", str(downloads), "-a", ASSIGNMENT, "--grades", str(grades), "--workers", "2")
    return {"students": students, "grades": grades, "done": done, "downloads": downloads}


def test_the_command_through_grade_reports_writes_page_csv_and_class_report_section(small):
    done, grades = small["done"], small["grades"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "nothing was changed in any grade" in done.stdout and "integrity report:" in done.stdout
    out = grades / "integrity"
    data = json.loads((out / "integrity.json").read_text())
    assert data["compared"] == 8 and data["probed"] and data["reports_used"] == 8
    pair = next(p for p in data["pairs"] if {p["a"], p["b"]} == {"pat", HOSTILE})
    assert pair["flagged"] and {"code", "outputs", "misconception"} <= {e["kind"] for e in pair["evidence"]}, pair
    misconception = next(e for e in pair["evidence"] if e["kind"] == "misconception")
    assert "valid-off-by-one" in misconception["text"] and misconception["exercise"] == "conv1d_mode"
    assert not [p for p in data["pairs"] if p["flagged"] and {p["a"], p["b"]} != {"pat", HOSTILE}]
    rows = list(csv.reader(io.StringIO((out / "pairs.csv").read_text())))
    assert rows[0][:6] == ["rank", "student_a", "student_b", "b_is_course_code", "score", "flagged"]
    hostile_cells = [cell for row in rows[1:] for cell in row[1:3] if "HYPERLINK" in cell]
    assert hostile_cells and all(cell.startswith("'=") for cell in hostile_cells)  # no spreadsheet formula
    html = (out / "index.html").read_text()
    assert "<img src=x" not in html and "<script>alert" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Content-Security-Policy" in html and "http://" not in html.replace("http://www.w3.org", "") and "<script" not in html
    # the class report, written again, ends with the Integrity section and links to the page
    report = (grades / "report" / "index.html").read_text()
    assert 'id="integrity"' in report and 'href="../integrity/index.html"' in report and "<img src=x" not in report
    summary = (grades / "report" / "summary.md").read_text()
    assert "## Integrity" in summary and "1 pair(s) flagged" in summary


def _browser() -> str | None:
    for name in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        if name and os.path.exists(name):
            return name
    return None


@pytest.mark.skipif(_browser() is None, reason="no Chromium found; install it with `apt-get install chromium`")
def test_the_page_in_a_browser_shows_the_pairs_side_by_side(klass, tmp_path):
    analysis = klass["analysis"]
    written = page.write(analysis, tmp_path / "integrity")
    with tempfile.TemporaryDirectory(prefix="autograder-chromium-") as profile:
        done = subprocess.run(
            [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", "--dump-dom", written.resolve().as_uri()],
            capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout.decode("utf-8")
    flagged = analysis.flagged
    assert f'<b id="flagged-count">{len(flagged)}</b>' in dom
    assert dom.count('<section class="pair"') == len(flagged)
    for pair in flagged:
        assert f'id="pair-{pair.rank}"' in dom and pair.a in dom and pair.b in dom
    assert dom.count('class="line mark"') > 100  # matched lines marked on both sides
    assert "What this does not claim" in dom
