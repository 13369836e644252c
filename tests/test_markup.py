"""Learner text is inert wherever a person reads it.

What a learner controls besides code -- the student id (nbgrader's
``submitted/STUDENT/`` folder name, an LMS file name), ``timestamp.txt``, the
message of an exception their code raises, their own Markdown and raw cells,
the outputs of their cells -- may hold markup.  Rendered as written, it would
run in the reader's browser: the instructor's (the class report, formgrader's
feedback pages) or the learner's own.

``autograder grade`` (the command, the real sandbox) grades a class in
nbgrader's layout whose ids, timestamp and exception messages carry markup,
next to an honest student, and an LMS download whose file name does.  Its Markdown files (``feedback/STUDENT.md``,
``report/summary.md``) are rendered by two real Markdown renderers, a
CommonMark one (markdown-it-py, raw HTML on, as GitHub and JupyterLab allow
it) and Jupyter's own (nbconvert's ``markdown2html``): no element holds an
event handler, no script, no ``javascript:`` URL, no image or link of the
learner's; the learner's text is shown as they wrote it (escaped once, never
removed, never doubly escaped).  Every HTML page carries the
Content-Security-Policy.  The honest student's files are the same bytes as in
a class without the attackers.

nbgrader: a real course (``autograder release``, ``nbgrader autograde`` and
``generate_feedback`` with the derived nbgrader_config.py).  A submission's
Markdown cell holds ``<script>``, ``<img onerror>``, ``[x](javascript:...)``;
a raw cell holds a script; its outputs (written into the autograded notebook,
as nbgrader's stock ``Execute`` would have left them: the sandboxed autograde
clears them) hold HTML, Markdown, JavaScript and SVG with scripts.  The
feedback page holds no learner script, handler or ``javascript:`` URL, has
the CSP before any script, and in headless Chromium none of the payloads
runs (each would set ``document.title``); a control page with the same
payloads and no protection shows that they do run there.  The honest
student's page still shows every verdict and their own text.
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
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder.course import load_course
from autograder.frontends.grading.gradebook import md_text
from autograder.frontends.grading.store import safe_name
from autograder.frontends.nbgrader import bridge
from autograder.frontends.reports.templates import CSP

from conftest import ROOT, personal_notebook, personal_submission, solution_path

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-conv1d"
NOTEBOOK = "conv1d.ipynb"
COURSE = os.environ.get("AUTOGRADER_COURSE") or str(ROOT / "course.yml")

IMG_ID = "<img src=x onerror=alert(1)>"
LINK_ID = "[click](javascript:alert(2))"
SCRIPT_ID = "<script>alert(3)<svg onload=alert(3)>"  # no closing tag: a folder name holds no "/"
STAMP = "<img src=x onerror=alert(4)>"
LMS_ID = "<b onmouseover=alert(8)>[y](javascript:alert(9))"
MESSAGE = "<script>alert(5)</script> [x](javascript:alert(6)) ![i](javascript:alert(7)) </pre> ``` &lt;b&gt;"
RAISER = f"def conv1d(x, h):\n    raise ValueError({MESSAGE!r})\n"

NASTY = [
    IMG_ID, LINK_ID, SCRIPT_ID, STAMP, MESSAGE,
    "<a href='javascript:alert(1)'>a</a>", "\\<img src=x onerror=alert(1)>", "\\[x\\](javascript:alert(1))",
    "&lt;img src=x onerror=alert(1)&gt;", "&#60;script&#62;", "<javascript:alert(1)>", "a|b|c", "`<img src=x onerror=alert(1)>`",
    "[x]: javascript:alert(1)", "<!-- x --><svg onload=alert(1)>", "plain_student-id.42",
]


# -- what a browser would find in rendered Markdown or HTML ---------------------------------------
class Elements(HTMLParser):
    """Every start tag (with its attributes), every script's text and the page's text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    @property
    def content(self) -> list[tuple[str, dict[str, str]]]:
        """The tags, without the anchor links Jupyter's renderer adds to every heading."""
        return [(t, a) for t, a in self.tags if not (t == "a" and a.get("class") == "anchor-link" and a.get("href", "").startswith("#"))]

    @property
    def plain(self) -> str:
        return " ".join("".join(self.text).split())


def _url_scheme(value: str) -> str:
    squeezed = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
    return squeezed.split(":", 1)[0] if ":" in squeezed.split("/", 1)[0] else ""


def dangers(page: str, *, allowed_scripts: int = 0) -> list[str]:
    """What in ``page`` (HTML) could run script: handlers, scripts, script URLs, frames, objects."""
    found = []
    doc = Elements(page)
    scripts = [t for t in doc.tags if t[0] == "script"]
    if len(scripts) > allowed_scripts:
        found.append(f"{len(scripts)} script element(s)")
    for tag, attrs in doc.tags:
        if tag in ("iframe", "object", "embed", "frame", "svg", "math", "base", "form", "meta") and not (
                tag == "meta" and set(attrs) <= {"charset", "http-equiv", "content", "name"} and attrs.get("http-equiv", "").lower() in ("", "content-security-policy")):
            found.append(f"<{tag} {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href", "srcdoc", "data") and _url_scheme(value) in ("javascript", "vbscript", "data"):
                if not (tag == "img" and name == "src" and html.unescape(value).startswith("data:image/")):
                    found.append(f"<{tag} {name}={value[:60]!r}>")
    return found


def policy_first(page: str) -> bool:
    """The page's first element that loads or runs anything comes after our Content-Security-Policy."""
    tags = Elements(page).tags
    policy = [i for i, (t, a) in enumerate(tags) if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
    if len(policy) != 1 or tags[policy[0]][1].get("content") != CSP:
        return False
    loads = [i for i, (t, _) in enumerate(tags) if t in ("script", "style", "link", "img", "iframe", "object", "embed", "svg", "video", "audio")]
    return not loads or policy[0] < loads[0]


def renderings(markdown: str) -> dict[str, str]:
    """``markdown`` as HTML, by a CommonMark renderer with raw HTML on and by Jupyter's (nbconvert)."""
    from markdown_it import MarkdownIt
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return {"markdown-it": MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown),
            "jupyter": markdown2html_mistune(markdown)}


# -- the one escaping helper ------------------------------------------------------------------------
@pytest.mark.parametrize("text", NASTY)
def test_md_text_renders_as_the_text_itself(text):
    """Inline and in a table cell: shown exactly as written, and nothing in it becomes an element."""
    for where, markdown in (("line", f"Student: {md_text(text)}\n"),
                            ("table", f"| a | b |\n|---|---|\n| {md_text(text)} | z |\n")):
        for renderer, page in renderings(markdown).items():
            doc = Elements(page)
            assert {t for t, _ in doc.tags} <= {"p", "table", "thead", "tbody", "tr", "th", "td"}, (where, renderer, page)
            shown = doc.plain.removeprefix("Student: ") if where == "line" else doc.plain.removeprefix("a b ").removesuffix(" z")
            assert shown == " ".join(text.split()), (where, renderer, page)


@pytest.mark.parametrize("text", NASTY)
def test_md_text_block_is_shown_verbatim_in_a_pre(text):
    """A learner's message in the feedback's <pre> block: shown exactly, blank lines and all; nothing escapes it."""
    message = text + "\n\nsecond paragraph <b>\n    indented"
    markdown = "# Title\n\n<pre>\n" + md_text(message, block=True) + "\n</pre>\n\nafter [ok](https://example.org)\n"
    for renderer, page in renderings(markdown).items():
        doc = Elements(page)
        assert [t for t, _ in doc.content] == ["h1", "pre", "p", "a"], (renderer, page)
        inside = page.split("<pre>", 1)[1].split("</pre>", 1)[0]
        assert html.unescape(inside).strip("\n") == message, (renderer, page)


# -- autograder grade ------------------------------------------------------------------------------
def _grade(submissions: Path, output: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "autograder", "--course", COURSE, "grade", str(submissions), "-a", ASSIGNMENT,
           "-o", str(output), "-j", "2", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=submissions.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    root = tmp_path_factory.mktemp("markup")

    def put(submitted: Path, student: str, answers: dict[str, str] | None = None, stamp: str | None = None) -> None:
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        personal_notebook(course, ASSIGNMENT, student, folder / NOTEBOOK, replacements=answers)
        if stamp is not None:
            (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")

    both = root / "class" / "submitted"
    alone = root / "alone" / "submitted"
    for submitted in (both, alone):
        put(submitted, "honest", stamp="2027-01-14 10:00:00.000000 UTC\n")
    put(both, IMG_ID)
    put(both, LINK_ID)
    put(both, SCRIPT_ID)
    put(both, "stamp", stamp=STAMP + "\n")
    put(both, "raiser", {"conv1d": RAISER})
    _grade(both, root / "class" / "out")
    _grade(alone, root / "alone" / "out")
    return root / "class" / "out", root / "alone" / "out"


@pytest.fixture(scope="module")
def lms(tmp_path_factory, course):
    """An LMS download: the student id is the file name."""
    download = tmp_path_factory.mktemp("markup-lms") / "download"
    download.mkdir()
    personal_notebook(course, ASSIGNMENT, LMS_ID, download / f"{LMS_ID}.ipynb")
    _grade(download, download.parent / "out")
    return download.parent / "out"


def _feedback(output: Path, student: str) -> Path:
    return output / "feedback" / f"{safe_name(student)}.md"


def test_the_attacks_reach_the_markdown(graded):
    """The ids, the timestamp and the message are really in the files: the test covers them."""
    output, _ = graded
    reports = {json.loads(p.read_text())["student"] for p in (output / "reports").glob("*.json")}
    assert reports == {"honest", IMG_ID, LINK_ID, SCRIPT_ID, "stamp", "raiser"}
    raiser = json.loads((output / "reports" / "raiser.json").read_text())
    assert any("alert(5)" in e["feedback"] for e in raiser["exercises"]), raiser


@pytest.mark.parametrize("student", [IMG_ID, LINK_ID, SCRIPT_ID, "stamp", "raiser"])
def test_feedback_markdown_is_inert_and_shows_the_text(graded, student):
    output, _ = graded
    markdown = _feedback(output, student).read_text(encoding="utf-8")
    for renderer, page in renderings(markdown).items():
        assert dangers(page) == [], (renderer, page)
        doc = Elements(page)
        assert not [t for t, _ in doc.content if t in ("img", "a", "script")], (renderer, page)
        shown = "".join(doc.text)
        if student in (IMG_ID, LINK_ID, SCRIPT_ID):
            assert f"Student: {student}" in shown, (renderer, shown)  # escaped once: shown as written
        if student == "stamp":
            assert "does not hold a date" in shown and "alert(4)" in shown
        if student == "raiser":
            assert "<script>alert(5)</script> [x](javascript:alert(6))" in shown, (renderer, shown)
            assert "&lt;b&gt;" in shown  # the learner's own entity text, not decoded into a tag


def test_an_lms_file_name_is_inert(lms):
    markdown = _feedback(lms, LMS_ID).read_text(encoding="utf-8")
    summary = (lms / "report" / "summary.md").read_text(encoding="utf-8")
    for renderer, page in renderings(markdown).items():
        assert dangers(page) == [], (renderer, page)
        assert not [t for t, _ in Elements(page).content if t in ("a", "b", "img")], (renderer, page)
        assert f"Student: {LMS_ID}" in "".join(Elements(page).text)
    for renderer, page in renderings(summary).items():
        assert dangers(page) == [], (renderer, page)
    for page in [*(lms / "feedback").glob("*.html"), lms / "report" / "index.html"]:
        assert dangers(page.read_text(encoding="utf-8")) == [] and policy_first(page.read_text(encoding="utf-8")), page


def test_summary_markdown_is_inert(graded):
    output, _ = graded
    markdown = (output / "report" / "summary.md").read_text(encoding="utf-8")
    for renderer, page in renderings(markdown).items():
        assert dangers(page) == [], (renderer, page)
        doc = Elements(page)
        images = {a.get("src") for t, a in doc.tags if t == "img"}
        assert images <= {"histogram.png", "passrate.png", "misconceptions.png"}, images
        links = [a.get("href") for t, a in doc.content if t == "a"]
        assert links and all(h.startswith("../feedback/") and h.endswith(".html") for h in links), links
        shown = "".join(doc.text)
        assert "alert(4)" in shown  # the bad timestamp is listed, as text


def test_every_html_page_is_inert_and_has_the_policy(graded):
    output, _ = graded
    pages = [*sorted((output / "feedback").glob("*.html")), output / "report" / "index.html"]
    assert len(pages) == 7
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert dangers(text) == [], page
        assert policy_first(text), page
    assert "default-src 'none'" in CSP and "img-src data:" in CSP and "script" not in CSP


def test_the_honest_student_reads_the_same_files(graded):
    output, alone = graded
    for name in ("honest.md", "honest.html"):
        assert (output / "feedback" / name).read_bytes() == (alone / "feedback" / name).read_bytes(), name
    markdown = (output / "feedback" / "honest.md").read_text(encoding="utf-8")
    assert "Student: honest" in markdown and "| conv1d | passed | 4 / 4 |" in markdown


# -- nbgrader's feedback pages -------------------------------------------------------------------------
TITLE = "feedback-not-run"
PAYLOADS = {
    "markdown": (
        "My notes.\n\n<script>document.title='pwned-md-script'</script>\n\n"
        "<img src=x onerror=\"document.title='pwned-md-img'\">\n\n"
        "[click me](javascript:document.title='pwned-md-link') and ![pic](javascript:document.title='pwned-md-pic')\n\n"
        "<a href=\"javascript:document.title='pwned-md-a'\">a</a> <svg onload=\"document.title='pwned-md-svg'\"></svg>\n"
    ),
    "raw": "<script>document.title='pwned-raw'</script><img src=x onerror=\"document.title='pwned-raw-img'\">",
}
OUTPUTS = [
    {"output_type": "display_data", "metadata": {}, "data": {
        "text/html": "<b>table</b><script>document.title='pwned-html'</script><img src=x onerror=\"document.title='pwned-html-img'\">",
        "text/plain": "<table>"}},
    {"output_type": "display_data", "metadata": {"text/html": {"isolated": True}}, "data": {
        "text/html": "<script>document.title='pwned-isolated'</script>"}},
    {"output_type": "display_data", "metadata": {}, "data": {
        "text/markdown": "[md](javascript:document.title='pwned-out-md') <script>document.title='pwned-out-md-script'</script>"}},
    {"output_type": "display_data", "metadata": {}, "data": {"application/javascript": "document.title='pwned-js'"}},
    {"output_type": "display_data", "metadata": {}, "data": {
        "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\"document.title='pwned-svg'\"><script>document.title='pwned-svg-script'</script></svg>"}},
    {"output_type": "display_data", "metadata": {}, "data": {
        "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2, "version_minor": 0}, "text/plain": "widget"}},
]
HONEST_TEXT = "I flipped **h** first, because a < b & c > d; see [NumPy](https://numpy.org/doc/)."


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd[2:])}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


def _with_cells(source: Path, target: Path, *cells) -> None:
    nb = nbformat.read(source, as_version=4)
    nb.cells.extend(cells)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def feedback(tmp_path_factory, course):
    """A real nbgrader course with one assignment, an honest and a hostile student: their feedback pages."""
    root = tmp_path_factory.mktemp("markup-nbgrader") / "course"
    a = course.assignment(ASSIGNMENT)
    (root / bridge.SOURCE_DIRECTORY / a.id).mkdir(parents=True)
    shutil.copyfile(solution_path(course, a.id), root / bridge.SOURCE_DIRECTORY / a.id / a.notebook)
    for name, data in course.data_files(a.id).items():
        (root / bridge.SOURCE_DIRECTORY / a.id / name).write_bytes(data)
    shutil.copyfile(course.path, root / "course.yml")
    (root / bridge.CONFIG_NAME).write_text(bridge.config_text(load_course(root / "course.yml")), encoding="utf-8")
    _run([sys.executable, "-m", "autograder", "--course", str(root / "course.yml"), "release", a.id], root)
    released = root / bridge.RELEASE_DIRECTORY / a.id / a.notebook
    for student in ("honest", "hostile"):  # each with the answers of their own numbers
        personal_submission(course, a.id, student, released, root / "submitted" / student / a.id / a.notebook)
    new = nbformat.v4
    _with_cells(root / "submitted" / "honest" / a.id / a.notebook, root / "submitted" / "honest" / a.id / a.notebook,
                new.new_markdown_cell(HONEST_TEXT))
    code = new.new_code_cell("print('hi')")
    code.outputs = [nbformat.from_dict(o) for o in OUTPUTS]
    _with_cells(root / "submitted" / "hostile" / a.id / a.notebook, root / "submitted" / "hostile" / a.id / a.notebook,
                new.new_markdown_cell(PAYLOADS["markdown"]),
                new.new_raw_cell(PAYLOADS["raw"], metadata={"raw_mimetype": "text/html"}), code)
    _run([sys.executable, "-m", "nbgrader", "autograde", a.id, "--force"], root)
    # nbgrader's stock Execute would have left the learner's outputs; the sandboxed autograde clears them
    autograded = root / "autograded" / "hostile" / a.id / a.notebook
    nb = nbformat.read(autograded, as_version=4)
    target = next(c for c in nb.cells if c.cell_type == "code" and c.source == "print('hi')")
    target.outputs = [nbformat.from_dict(o) for o in OUTPUTS]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0,
                                                                          "x": "</script><script>document.title='pwned-widgets'</script>"}}
    nbformat.write(nb, autograded)
    _run([sys.executable, "-m", "nbgrader", "generate_feedback", a.id, "--force"], root)
    return {s: root / "feedback" / s / a.id / (Path(a.notebook).stem + ".html") for s in ("honest", "hostile")}


def test_nbgrader_feedback_holds_no_learner_script(feedback):
    page = feedback["hostile"].read_text(encoding="utf-8")
    doc = Elements(page)
    for (tag, attrs), text in zip([t for t in doc.tags if t[0] == "script"], doc.scripts):
        # nbgrader's template loads MathJax (the policy blocks it); nothing else may be a script
        assert attrs.get("src", "").startswith("https://cdnjs.cloudflare.com/ajax/libs/mathjax/") or "MathJax" in text, (attrs, text)
        assert "pwned" not in text
    problems = [d for d in dangers(page, allowed_scripts=len(doc.scripts)) if "script element" not in d]
    assert problems == [], problems
    assert not [a for t, a in doc.tags if t == "iframe"]
    shown = doc.plain
    # the learner's text is kept (the link's text without its target), the outputs shown inert
    assert "My notes." in shown and "click me and" in shown and "table" in shown and "md" in shown
    assert "An output of type application/javascript is not shown here" in shown
    assert [a for t, a in doc.tags if t == "a" and "href" not in a and a.get("rel")]  # the javascript: links, disarmed
    assert "pwned" not in page.replace(next(a["src"] for t, a in doc.tags if t == "img" and a.get("src", "").startswith("data:image/svg")), "")


def test_nbgrader_feedback_has_the_policy_before_any_script(feedback):
    for page in feedback.values():
        assert policy_first(page.read_text(encoding="utf-8")), page


def test_the_honest_nbgrader_feedback_keeps_verdicts_and_text(feedback):
    page = feedback["honest"].read_text(encoding="utf-8")
    doc = Elements(page)
    shown = doc.plain
    for exercise in ("by_hand_full", "conv1d", "conv1d_mode", "output_length"):
        assert f'check("{exercise}")' in shown and f"\u2713 {exercise}: " in shown  # the check cell and its verdict
    assert "Score: 10.0 / 10.0" in shown or "(Score: 10.0 / 10.0)" in shown, shown[:500]
    assert "I flipped h first, because a < b & c > d; see NumPy." in shown
    assert [a.get("href") for t, a in doc.tags if t == "a" and "numpy.org" in a.get("href", "")] == ["https://numpy.org/doc/"]
    assert any(t == "strong" for t, _ in doc.tags)


def test_the_course_notebooks_read_the_same_after_sanitizing(course):
    """Every Markdown cell of every released notebook keeps its elements and its text (only links gain rel)."""
    from autograder.frontends.nbgrader.feedback import sanitize_html
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    count = 0
    for a in course.assignments:
        nb = nbformat.read(course.release_dir(a.id) / a.notebook, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            rendered = markdown2html_mistune(cell.source)
            before, after = Elements(rendered), Elements(sanitize_html(rendered))
            strip = lambda tags: [(t, {k: v for k, v in a.items() if k != "rel"}) for t, a in tags]  # noqa: E731
            assert strip(after.tags) == strip(before.tags), cell.source[:200]
            assert after.plain == before.plain
            count += 1
    assert count > 20


# -- in a real browser ------------------------------------------------------------------------------
def _browser() -> str | None:
    for name in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or "", shutil.which("chromium-browser") or "",
                 shutil.which("google-chrome") or ""):
        if name and os.path.exists(name):
            return name
    return None


def _dump_dom(page: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="autograder-chromium-") as profile:
        done = subprocess.run(
            [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", "--virtual-time-budget=3000",
             "--dump-dom", page.resolve().as_uri()],
            capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.decode("utf-8")


def _title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.S)
    return html.unescape(match.group(1)) if match else ""


needs_browser = pytest.mark.skipif(_browser() is None, reason="no Chromium found; install it with `apt-get install chromium`")


@needs_browser
def test_the_payloads_run_in_an_unprotected_page(tmp_path):
    """Control: the same payloads in a page without sanitizing or policy do run, and the check sees it."""
    page = tmp_path / "control.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body>"
                    "<img src=x onerror=\"document.title='pwned-control'\"></body></html>", encoding="utf-8")
    assert _title(_dump_dom(page)) == "pwned-control"


@needs_browser
def test_no_payload_runs_in_chromium(feedback, tmp_path):
    for student, page in feedback.items():
        dom = _dump_dom(page)
        assert "pwned" not in _title(dom), (student, _title(dom))
        assert _title(dom) == Path(page).stem, (student, _title(dom))
    dom = _dump_dom(feedback["honest"])
    assert "I flipped" in dom and "Score: 10.0 / 10.0" in dom  # the honest page is whole in the browser
