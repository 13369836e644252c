"""The class at a glance: `autograder report`, the HTML feedback pages, in a real browser.

A synthetic class per assignment (01-conv1d and 02-conv2d), made the way
benchmarks/grade_speed.py makes one (its ``kinds``: the solution, the
untouched release, every planted misconception), plus a learner whose code
raises on a line of its own, is graded by ``autograder grade`` (the command's
entry point, which also writes each class report); then ``autograder report``
puts both assignments side by side.  Asserted:

- every exercise and every misconception recognised appears with the right
  count (recounted here from the JSON reports) and share of the class;
- no hidden input value appears anywhere in the pages or the summary;
- the pages hold no external URL: every image is a data URI, every link
  relative;
- feedback pages mark the failing line of the learner's own code and show a
  picture for a failed 2-D worked example, never for a hidden check;
- opened in headless Chromium (when installed), the DOM after load holds the
  tables and images, and a screenshot shows the figures drawn.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from autograder.engine import render
from autograder.engine.evaluate import prepare
from autograder.engine.seeds import student_seed
from autograder.exercises import for_assignment

from conftest import ROOT, personal_plant_source, personal_submission

pytestmark = pytest.mark.slow

sys.path.insert(0, str(ROOT / "benchmarks"))
ASSIGNMENTS = ["01-conv1d", "02-conv2d"]
COURSE = os.environ.get("AUTOGRADER_COURSE") or str(ROOT / "course.yml")
# A learner whose conv1d raises on the third line of the function: the feedback names it, the page marks it.
RAISES = "def conv1d(x, h):\n    total = len(x) + len(h)\n    return total / 0\n"


def _main(*args: str) -> int:
    from autograder.frontends.cli import main

    return main(["--course", COURSE, *args])


def build_class(course, assignment: str, root: Path) -> dict[str, str]:
    """grade_speed.py's class (solution, untouched, every plant) from the released notebook; student -> kind.
    Each answered notebook as its student hands it in: their id, their own numbers' answers, a plant's values
    for those numbers."""
    from grade_speed import kinds
    from planted import all_plants

    a = course.assignment(assignment)
    released = course.release_dir(assignment) / a.notebook
    plants = {(p.exercise, p.source): p for aid, p in all_plants() if aid == assignment}
    roster = {}
    for i, (label, plant) in enumerate(kinds(assignment, with_timeouts=False)):
        student = f"s{i:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}"
        target = root / student / assignment / a.notebook
        if plant is None:
            target.parent.mkdir(parents=True)
            shutil.copyfile(released, target)
        else:
            own = {ex: personal_plant_source(course, assignment, student, plants[ex, source]) for ex, source in plant.items()}
            personal_submission(course, assignment, student, released, target, own)
        for name, data in course.data_files(assignment).items():
            (target.parent / name).write_bytes(data)
        roster[student] = label
    if assignment == "01-conv1d":
        personal_submission(course, assignment, "raises", released, root / "raises" / assignment / a.notebook, {"conv1d": RAISES})
        roster["raises"] = "raises"
    return roster


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    base = tmp_path_factory.mktemp("report")
    out = {}
    for assignment in ASSIGNMENTS:
        roster = build_class(course, assignment, base / assignment / "submitted")
        output = base / assignment / "hardened"
        # A fixed seed: what the pages are checked against is the same in every run, not drawn anew per clone.
        assert _main("grade", str(base / assignment / "submitted"), "-a", assignment, "-o", str(output), "-j", "2", "--seed", "7031") == 0
        reports = {}
        for path in (output / "reports").glob("*.json"):
            data = json.loads(path.read_text())
            reports[data["student"]] = data
        assert sorted(reports) == sorted(roster)
        out[assignment] = {"output": output, "roster": roster, "reports": reports, "seed": int((output / "seed").read_text())}
    both = base / "both"
    assert _main("report", *(str(out[a]["output"]) for a in ASSIGNMENTS), "-o", str(both)) == 0
    return out, both


class _Page(HTMLParser):
    """Tables (rows of cell texts, by table class or id), images and links of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("class") or attrs.get("id") or "table"
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _renderings(checks) -> set[str]:
    shown = set()
    for check in checks:
        for value in list(check.case.args) + list(check.case.kwargs.values()):
            if isinstance(value, np.ndarray) and value.size >= 3:
                shown.add(render.value(value, 400))
                shown.add(", ".join(render.value(v) for v in value.ravel()[:6].tolist()))
    return {s for s in shown if len(s) >= 8}


def _visible_text(assignments) -> str:
    """Every value of every visible case, as feedback prints it."""
    shown = []
    for assignment in assignments:
        for ex in for_assignment(assignment):
            for check in prepare(ex, seed=0, hidden=False).checks:
                shown += [render.value(v, 4000) for v in list(check.case.args) + list(check.case.kwargs.values()) + [check.expected]]
    return "\n".join(shown)


def _hidden_renderings(assignment: str, seed: int, students) -> set[str]:
    """How each graded hidden input (array of 3+ values) of ``students`` would look if printed, as feedback renders values."""
    hidden = set()
    for ex in for_assignment(assignment):
        for student in students:
            hidden |= _renderings(prepare(ex, seed=student_seed(seed, student), visible=False).checks)
    return hidden


def _pages(out: dict, both: Path) -> dict[str, str]:
    pages = {}
    for assignment, info in out.items():
        output = info["output"]
        for path in [output / "report" / "index.html", output / "report" / "summary.md", *sorted((output / "feedback").glob("*.html"))]:
            pages[str(path)] = html.unescape(path.read_text(encoding="utf-8"))
    for path in (both / "index.html", both / "summary.md"):
        pages[str(path)] = html.unescape(path.read_text(encoding="utf-8"))
    return pages


# -- what the report says --------------------------------------------------------------
def test_every_exercise_and_misconception_with_its_count(graded, course):
    out, _ = graded
    for assignment, info in out.items():
        reports = info["reports"]
        n = len(reports)
        page = parse(info["output"] / "report" / "index.html")
        exercises = {row[0]: row for row in page.tables["exercises"][1:]}
        assert list(exercises) == list(course.assignment(assignment).points)
        for ex in exercises:
            passed = sum(e["status"] == "passed" for r in reports.values() for e in r["exercises"] if e["id"] == ex)
            assert exercises[ex][2] == f"{100 * passed / n:.0f}%", (assignment, ex)
        want = Counter((e["id"], e["misconception"]) for r in reports.values() for e in r["exercises"]
                       if e.get("misconception") and e["status"] != "passed")
        rows = page.tables["misconceptions"][1:]
        got = {(row[0], row[1]): (int(row[2]), row[3]) for row in rows}
        assert got == {key: (count, f"{100 * count / n:.0f}%") for key, count in want.items()}
        planted = {label for label in info["roster"].values() if "[" in label}
        for label in planted:  # every planted misconception is recognised and listed
            exercise, name = label.rstrip("]").split("[")
            assert (exercise, name) in got, (assignment, label)
        summary = (info["output"] / "report" / "summary.md").read_text()
        for (exercise, name), count in want.items():
            assert f"| {exercise} | `{name}` | {count} |" in summary


def test_cards_and_attention(graded):
    out, _ = graded
    info = out["01-conv1d"]
    page = parse(info["output"] / "report" / "index.html")
    text = " ".join(page.text)
    n = len(info["reports"])
    assert f"Submissions {n}" in re.sub(r"\s+", " ", text)
    attention = {row[0]: row for row in page.tables["attention"][1:]}
    assert "raises" in attention and "crashed: conv1d" in attention["raises"][1]
    report_dir = info["output"] / "report"
    for student in attention:
        assert (report_dir / f"../feedback/{student}.html").resolve().is_file()
        assert f"../feedback/{student}.html" in page.links
    solution = next(s for s, label in info["roster"].items() if label == "solution")
    assert solution not in attention


def test_assignments_side_by_side(graded):
    out, both = graded
    page = parse(both / "index.html")
    rows = page.tables["across-exercises"][1:]
    assert [(r[0], r[1]) for r in rows] == [(a, e["id"]) for a in ASSIGNMENTS for e in out[a]["reports"][next(iter(out[a]["reports"]))]["exercises"]]
    assert (both / "across.png").is_file() and all((both / f"{a}-histogram.png").is_file() for a in ASSIGNMENTS)
    for link in page.links:  # links to each assignment's feedback, relative to the report folder
        if not link.startswith("#"):
            assert (both / link).is_file(), link


def test_no_hidden_input_value_anywhere(graded):
    out, both = graded
    pages = _pages(out, both)
    # A visible `[1, 1, 1]`, or what the learners wrote themselves (a docstring's `[[1, 2, 3], ...]`),
    # is no leak of a hidden input, even when a random draw makes one just like it.
    visible = _visible_text(out)
    written = "\n".join(p.read_text(encoding="utf-8") for info in out.values() for p in info["output"].parent.rglob("submitted/**/*.ipynb"))
    for assignment, info in out.items():
        hidden = {r for r in _hidden_renderings(assignment, info["seed"], info["reports"]) if r not in visible and r not in written}
        assert len(hidden) > 10
        for name, text in pages.items():
            for rendering in hidden:
                assert rendering not in text, f"{name} shows the hidden input {rendering}"


def test_no_external_url(graded):
    out, both = graded
    for name, text in _pages(out, both).items():
        assert "://" not in text, name
        if name.endswith(".html"):
            page = _Page()
            page.feed(text)
            assert all(img["src"].startswith("data:image/png;base64,") for img in page.images), name
            assert all(not re.match(r"^[a-z][a-z0-9+.-]*:", link) for link in page.links), name
            assert "<script" not in text.lower() and "default-src 'none'" in text
    for path in both.glob("*.png"):
        assert b"matplotlib.org" not in path.read_bytes()


def test_feedback_marks_the_failing_line_and_pictures_visible_2d_cases(graded):
    out, _ = graded
    conv1d = out["01-conv1d"]["output"] / "feedback"
    page = (conv1d / "raises.html").read_text()
    marked = re.findall(r'<span class="line mark"><span class="no">(\d+)</span>([^<]*)</span>', page)
    assert set(marked) == {("3", "    return total / 0")}, marked  # conv1d, and conv1d_mode which calls it
    info = out["02-conv2d"]
    pictured = 0
    for student, report in info["reports"].items():
        text = (info["output"] / "feedback" / f"{student}.html").read_text()
        images = text.count('<img src="data:image/png;base64,')
        expected = sum(1 for e in report["exercises"] if e["status"] == "failed" and "\n    expected: [[" in e["feedback"]
                       and "hidden check" not in e["feedback"].split("\n    expected:")[0].rsplit("\n", 1)[-1])
        assert images == expected, (student, images, expected)
        pictured += images
    assert pictured >= 3


def test_the_blamed_line_is_found_in_every_form_the_engine_names_it(tmp_path, course):
    from autograder.frontends.nbgrader.bridge import answered_notebook, solution_answers
    from autograder.frontends.reports.code import excerpts, locate

    a = course.assignment("01-conv1d")
    notebook = answered_notebook(course.release_dir(a.id) / a.notebook, tmp_path / "nb.ipynb",
                                 {**solution_answers(course.source_dir(a.id) / a.notebook),
                                  "conv1d": "def conv1d(x, h):\n    total = 0\n    return [v / total for v in x]\n"})
    forms = {
        "line 3 of conv1d: return [v / total for v in x]": 3,  # counted from the def line
        "raised ZeroDivisionError (line 1 of <listcomp>: return [v / total for v in x]).": 3,  # a comprehension's frame
        "conv1d uses numpy.convolve (cell {cell}, line 2: total = 0).": 2,  # a forbidden call: notebook cell and line
    }
    cell = next(x.cell for x in excerpts(notebook, ("conv1d",), "conv1d", ""))
    for message, line in forms.items():
        message = message.format(cell=cell)
        assert locate(message) is not None, message
        shown = excerpts(notebook, ("conv1d",), "conv1d", message)
        assert [x.marked for x in shown if x.cell == cell] == [{line}], (message, shown)
    assert excerpts(tmp_path / "missing.ipynb", ("conv1d",), "conv1d", "line 1 of conv1d") == []


# -- in a real browser ----------------------------------------------------------------------
def _browser() -> str | None:
    for name in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or "", shutil.which("chromium-browser") or "",
                 shutil.which("google-chrome") or ""):
        if name and os.path.exists(name):
            return name
    return None


def _chromium(page: Path, *mode: str) -> subprocess.CompletedProcess:
    browser = _browser()
    with tempfile.TemporaryDirectory(prefix="autograder-chromium-") as profile:
        return subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", *mode, page.resolve().as_uri()],
            capture_output=True, timeout=120)


needs_browser = pytest.mark.skipif(_browser() is None, reason="no Chromium found (/usr/bin/chromium or chromium-browser); install it with `apt-get install chromium`")


@needs_browser
def test_the_report_in_a_browser(graded, tmp_path):
    _, both = graded
    done = _chromium(both / "index.html", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _Page()
    dom.feed(done.stdout.decode("utf-8"))
    source = parse(both / "index.html")
    assert len(dom.images) == len(source.images) >= 7
    for key in ("misconceptions", "exercises", "attention", "across-exercises"):
        assert dom.tables[key] == source.tables[key]
    shot = tmp_path / "report.png"
    done = _chromium(both / "index.html", f"--screenshot={shot}", "--window-size=1280,2600", "--hide-scrollbars")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # text, tables and charts, not a blank page
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    bars = np.sum(np.all(np.abs(pixels - [76, 120, 168]) < 12, axis=1))  # the charts' blue: only there if the PNGs decoded
    assert bars > 2000, bars


@needs_browser
def test_a_feedback_page_in_a_browser(graded, tmp_path):
    out, _ = graded
    info = out["02-conv2d"]
    student = next(s for s, r in info["reports"].items()
                   if any(e["status"] == "failed" and "\n    expected: [[" in e["feedback"] for e in r["exercises"]))
    page = info["output"] / "feedback" / f"{student}.html"
    shot = tmp_path / "feedback.png"
    done = _chromium(page, f"--screenshot={shot}", "--window-size=1100,1800", "--hide-scrollbars")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    red = np.sum((pixels[:, 0] > 200) & (pixels[:, 1] < 80) & (pixels[:, 2] < 80))
    blue = np.sum((pixels[:, 2] > 200) & (pixels[:, 0] < 80) & (pixels[:, 1] < 80))
    assert red + blue > 100, (red, blue)  # the difference panel: drawn only if the data URI decoded
