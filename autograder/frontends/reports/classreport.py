"""The class at a glance: ``autograder report GRADES_DIR...`` (also written by every ``autograder grade``).

Reads the output folders of ``autograder grade`` (``reports/*.json`` and
``submissions.json``) and writes, into the report folder (default
``GRADES_DIR/report`` for one folder, ``COMMON_PARENT/class-report`` for
several):

``index.html``
    one self-contained page (figures embedded as PNG data URIs, inline CSS,
    no script, no external URL at all; it opens from disk): per assignment
    the score distribution, mean, median, full marks, zero, errors,
    timeouts, forbidden calls, unreadable notebooks and late submissions;
    per exercise the pass rate, mean score, the misconceptions recognised
    (students and share of the class) and the hidden checks failed most
    often (their labels only); the students who need attention, linked to
    their feedback; with several folders, every exercise's pass rate side
    by side across assignments.
``summary.md`` and ``*.png``
    the same tables and figures, for a repository or an e-mail.

When ``autograder integrity`` has written ``GRADES_DIR/integrity/``, both
end with an "Integrity" section: pairs of students worth a second look,
linked to the integrity page (:mod:`autograder.frontends.integrity.section`).

Figures are drawn with matplotlib's Agg backend, without the PNG metadata
that would name matplotlib's web site.  A student "needs attention" when an
exercise crashed (error), timed out or made a forbidden call, when the
notebook could not be read, when the grader failed, or when discovery
reported something (an odd file name, a timestamp that is not a date).
"""
from __future__ import annotations

import base64
import json
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..grading.gradebook import md_code, md_text
from ..grading.store import MANIFEST, REPORTS, safe_name
from .templates import render

UNREADABLE = "the notebook could not be read"
ATTENTION_STATUSES = ("error", "timeout", "forbidden")
_HIDDEN_LABEL = re.compile(r"\(hidden check(?:: (?P<label>[^\n]*?))?\)(?=[:.;,]?(?:\s|$))")


class ReportError(ValueError):
    """A grades folder cannot be read."""


# --------------------------------------------------------------------------- reading

@dataclass
class Grades:
    """One output folder of ``autograder grade``."""

    root: Path
    assignment: str
    reports: dict[str, dict]
    manifest: dict[str, dict] = field(default_factory=dict)
    title: str = ""
    policy: str = ""

    def entry(self, student: str) -> dict:
        return self.manifest.get(student, {})

    def penalty(self, student: str) -> float:
        return float(self.entry(student).get("late_penalty") or 0.0)

    def final_score(self, student: str) -> float:
        return max(0.0, float(self.reports[student]["score"]) - self.penalty(student))

    def file(self, student: str) -> str:
        return self.entry(student).get("file") or safe_name(student)


def load_grades(root: str | Path, course=None) -> Grades:
    """The reports and manifest of one output folder of ``autograder grade``."""
    root = Path(root)
    folder = root / REPORTS
    if not folder.is_dir():
        raise ReportError(f"no grades at {root}: expected the output folder of autograder grade (with reports/)")
    reports: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(data, dict) and isinstance(data.get("student"), str) and isinstance(data.get("exercises"), list) and "assignment" in data:
            reports[data["student"]] = data
    if not reports:
        raise ReportError(f"no reports in {folder}")
    assignments = {r["assignment"] for r in reports.values()}
    if len(assignments) > 1:
        raise ReportError(f"{folder} holds reports of several assignments ({', '.join(sorted(assignments))})")
    assignment = assignments.pop()
    manifest = {}
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("students"), dict):
            manifest = data["students"]
    except (OSError, ValueError):
        pass
    title, policy = assignment, ""
    if course is not None:
        try:
            info = course.assignment(assignment)
            title = f"{info.title} ({assignment})" if info.title != assignment else assignment
            from ..grading.late import policy_for

            found = policy_for(course, assignment)
            policy = found.described if found else ""
        except Exception:  # an assignment the course no longer lists: report it by id
            pass
    return Grades(root, assignment, dict(sorted(reports.items())), manifest, title, policy)


# --------------------------------------------------------------------------- statistics

def unreadable(report: dict) -> bool:
    return bool(report["exercises"]) and all(e["status"] == "error" and UNREADABLE in (e.get("feedback") or "") for e in report["exercises"])


def hidden_labels(feedback: str) -> list[str]:
    """The labels of the failed hidden checks a message names, each once (labels only: never values)."""
    found = []
    for line in (feedback or "").splitlines():
        if line[:1].isspace():
            continue  # detail lines (expected / got) belong to the call above
        for match in _HIDDEN_LABEL.finditer(line):
            label = match.group("label") or "(unlabelled hidden check)"
            if label not in found:
                found.append(label)
    return found


def attention_reasons(report: dict, entry: dict) -> list[str]:
    reasons = []
    if report.get("grader_error"):
        reasons.append(f"the grader failed ({report['grader_error']})")
    if unreadable(report):
        first = report["exercises"][0].get("feedback") or ""
        reasons.append("unreadable notebook: " + first.split(UNREADABLE, 1)[-1].lstrip(": ").strip()[:200])
    else:
        for status in ATTENTION_STATUSES:
            ids = [e["id"] for e in report["exercises"] if e["status"] == status]
            if ids:
                word = {"error": "crashed", "timeout": "timed out", "forbidden": "forbidden call"}[status]
                reasons.append(f"{word}: {', '.join(ids)}")
    if entry.get("problem"):
        reasons.append(entry["problem"])
    reasons += [n for n in entry.get("notes", []) if isinstance(n, str)]
    return reasons


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x)}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def summarize(grades: Grades) -> dict:
    """Everything the page and the Markdown show about one assignment (plain data)."""
    reports = grades.reports
    n = len(reports)
    students = list(reports)
    scores = [grades.final_score(s) for s in students]
    max_score = max(float(r["max_score"]) for r in reports.values())
    exercise_ids: list[str] = []
    for r in reports.values():
        for e in r["exercises"]:
            if e["id"] not in exercise_ids:
                exercise_ids.append(e["id"])
    exercises, misconceptions, hidden = [], [], []
    for ex in exercise_ids:
        entries = [e for r in reports.values() for e in r["exercises"] if e["id"] == ex]
        passed = sum(e["status"] == "passed" for e in entries)
        statuses = Counter(e["status"] for e in entries)
        found = Counter(e["misconception"] for e in entries if e.get("misconception") and e["status"] != "passed")
        # HOOK (engine): a report entry that lists its failed hidden checks' labels ("failed_hidden": [...])
        # is counted whole; otherwise only the hidden checks the message names are known.
        labels = Counter(label for e in entries if e["status"] != "passed"
                         for label in (e.get("failed_hidden") if isinstance(e.get("failed_hidden"), list) else hidden_labels(e.get("feedback") or "")))
        hidden_total = sum(int((e.get("breakdown") or {}).get("hidden", {}).get("total", 0) or 0) for e in entries)
        hidden_passed = sum(int((e.get("breakdown") or {}).get("hidden", {}).get("passed", 0) or 0) for e in entries)
        rate = passed / len(entries) if entries else 0.0
        # the top misconception is a mistake, not a stub left untouched (counted in the table all the same)
        top = [kv for kv in found.most_common() if kv[0] != "not-implemented"][:1] or found.most_common(1)
        exercises.append({
            "id": ex, "max_score": _fmt(max(float(e["max_score"]) for e in entries)), "pass_rate": rate, "pass_pct": _pct(rate),
            "mean": _fmt(statistics.fmean(float(e["score"]) for e in entries)), "bar": round(8 * rate, 2),
            "statuses": ", ".join(f"{k} {v}" for k, v in sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))),
            "top": f"{top[0][0]} ({top[0][1]})" if top else "",
            "top_name": top[0][0] if top else "", "top_count": top[0][1] if top else 0,
            "hidden_pct": _pct(hidden_passed / hidden_total) if hidden_total else "",
        })
        for name, count in sorted(found.items(), key=lambda kv: (-kv[1], kv[0])):
            misconceptions.append({"exercise": ex, "name": name, "count": count, "share": _pct(count / n), "fraction": count / n})
        for label, count in labels.most_common(5):
            hidden.append({"exercise": ex, "label": label, "count": count})
    rows, attention = [], []
    for s in students:
        r = reports[s]
        entry = grades.entry(s)
        row = {
            "student": s, "file": grades.file(s), "score": _fmt(grades.final_score(s)), "raw": float(r["score"]),
            "penalty": _fmt(grades.penalty(s)) if grades.penalty(s) else "",
            "statuses": [next((e["status"] for e in r["exercises"] if e["id"] == ex), "") for ex in exercise_ids],
        }
        rows.append(row)
        why = attention_reasons(r, entry)
        if why:
            attention.append({**row, "why": "; ".join(why)})
    def has(status):
        return sum(any(e["status"] == status for e in r["exercises"]) for r in reports.values() if not unreadable(r))
    return {
        "id": grades.assignment, "title": grades.title or grades.assignment, "n": n, "max_score": _fmt(max_score), "max": max_score,
        "scores": scores, "mean": _fmt(statistics.fmean(scores)), "median": _fmt(statistics.median(scores)),
        "full": sum(abs(x - max_score) < 1e-9 for x in scores), "zero": sum(x == 0 for x in scores),
        "errors": has("error"), "timeouts": has("timeout"), "forbidden": has("forbidden"),
        "unreadable": sum(unreadable(r) for r in reports.values()),
        "late": sum(1 for s in students if grades.entry(s).get("seconds_late") or grades.entry(s).get("lms_late")),
        "policy": grades.policy, "exercises": exercises, "misconceptions": misconceptions, "hidden": hidden,
        "has_breakdown": any(e["hidden_pct"] for e in exercises),
        "students": rows, "attention": attention,
    }


# --------------------------------------------------------------------------- figures

def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    import io

    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return out.getvalue()


def histogram(a: dict) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    top = a["max"] or 1.0
    bins = min(20, max(5, int(round(top)) + 1)) if top <= 20 else 20
    ax.hist(a["scores"], bins=bins, range=(0, top), color="#4c78a8", edgecolor="white")
    ax.axvline(float(a["mean"]), color="#d62728", linestyle="--", label=f"mean {a['mean']}")
    ax.axvline(float(a["median"]), color="#2ca02c", linestyle=":", label=f"median {a['median']}")
    ax.set_xlabel(f"score (of {a['max_score']})")
    ax.set_ylabel("students")
    ax.set_title(f"{a['id']}: scores of {a['n']} submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False)
    return _png(fig)


def pass_rates(a: dict) -> bytes:
    plt = _pyplot()
    exercises = a["exercises"]
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(exercises) + 1.0))
    names = [e["id"] for e in exercises][::-1]
    rates = [100 * e["pass_rate"] for e in exercises][::-1]
    ax.barh(names, rates, color="#4c78a8")
    for y, rate in enumerate(rates):
        ax.text(min(rate + 1, 92), y, f"{rate:.0f}%", va="center", fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    ax.set_title(f"{a['id']}: pass rate per exercise")
    return _png(fig)


def misconception_chart(a: dict) -> bytes:
    plt = _pyplot()
    items = a["misconceptions"][:25]
    fig, ax = plt.subplots(figsize=(6.4, 0.4 * len(items) + 1.0))
    labels = [f"{m['exercise']}: {m['name']}" for m in items][::-1]
    counts = [m["count"] for m in items][::-1]
    ax.barh(labels, counts, color="#e45756")
    for y, (count, m) in enumerate(zip(counts, items[::-1])):
        ax.text(count + 0.05, y, f"{count} ({m['share']})", va="center", fontsize=9)
    ax.set_xlabel("students")
    ax.set_xlim(0, max(counts) * 1.3 + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{a['id']}: misconceptions recognised")
    return _png(fig)


def across_chart(assignments: list[dict]) -> bytes:
    plt = _pyplot()
    count = sum(len(a["exercises"]) for a in assignments)
    fig, ax = plt.subplots(figsize=(max(6.4, 0.45 * count + 2), 3.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    x, ticks, names = 0.0, [], []
    for i, a in enumerate(assignments):
        xs = [x + k for k in range(len(a["exercises"]))]
        ax.bar(xs, [100 * e["pass_rate"] for e in a["exercises"]], color=colors[i % len(colors)], label=a["id"])
        ticks += xs
        names += [e["id"] for e in a["exercises"]]
        x = xs[-1] + 2 if xs else x + 2
    ax.set_xticks(ticks, names, rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("pass rate (%)")
    ax.set_title("pass rate per exercise, assignments side by side")
    ax.legend(frameon=False, fontsize=8, ncols=min(len(assignments), 5))
    return _png(fig)


# --------------------------------------------------------------------------- writing

def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def default_output(dirs: list[Path]) -> Path:
    if len(dirs) == 1:
        return Path(dirs[0]) / "report"
    return Path(os.path.commonpath([str(Path(d).resolve()) for d in dirs])) / "class-report"


def _figure_name(a: dict, kind: str, several: bool) -> str:
    return f"{a['id']}-{kind}.png" if several else f"{kind}.png"


def write_report(dirs: list[str | Path], output: str | Path | None = None, *, course=None, title: str | None = None) -> Path:
    """Write index.html, summary.md and the PNG figures; return the HTML page's path."""
    dirs = [Path(d) for d in dirs]
    grades = [load_grades(d, course) for d in dirs]
    out = Path(output) if output else default_output(dirs)
    out.mkdir(parents=True, exist_ok=True)
    several = len(grades) > 1
    assignments = []
    files: dict[str, bytes] = {}
    for g in grades:
        a = summarize(g)
        feedback = g.root / "feedback"
        for row in a["students"] + a["attention"]:
            html_page = feedback / f"{row['file']}.html"
            md_page = feedback / f"{row['file']}.md"
            row["link"] = os.path.relpath(html_page, out) if html_page.exists() else ""
            row["md_link"] = os.path.relpath(md_page, out) if md_page.exists() else ""
        for kind, draw in (("histogram", histogram), ("passrate", pass_rates), ("misconceptions", misconception_chart)):
            if kind == "misconceptions" and not a["misconceptions"]:
                a["misconception_chart"] = None
                continue
            png = draw(a)
            name = _figure_name(a, kind, several)
            files[name] = png
            a["misconception_chart" if kind == "misconceptions" else kind] = {"uri": _uri(png), "file": name}
        assignments.append(a)
    across = None
    if several:
        png = across_chart(assignments)
        files["across.png"] = png
        across = {"uri": _uri(png), "file": "across.png"}
    course_title = title or (getattr(course, "title", None) if course is not None else None) or "Class report"
    subtitle = ", ".join(f"{a['id']}: {a['n']} submissions" for a in assignments)
    page = render("class", title=course_title, subtitle=subtitle, assignments=assignments, across=across)
    # The Integrity section: pairs worth a second look, where `autograder integrity` wrote GRADES/integrity/.
    from ..integrity.section import integrity_items, section_html, section_markdown

    integrity = integrity_items(grades, out)
    page = page.replace("</body>", section_html(integrity) + "</body>", 1)
    for name, png in files.items():
        (out / name).write_bytes(png)
    (out / "index.html").write_text(page, encoding="utf-8")
    (out / "summary.md").write_text(markdown_summary(course_title, assignments, across) + section_markdown(integrity), encoding="utf-8")
    return out / "index.html"


def markdown_summary(title: str, assignments: list[dict], across: dict | None) -> str:
    """summary.md: every string that is not our own number goes through :func:`md_text`
    (student ids, notes and hidden-check labels are learner-controlled)."""
    md = md_text
    lines = [f"# {md(title)}", ""]
    if across:
        lines += ["## Across assignments", "", "| Assignment | Exercise | Pass rate |", "|---|---|---:|"]
        lines += [f"| {md(a['id'])} | {md(e['id'])} | {e['pass_pct']} |" for a in assignments for e in a["exercises"]]
        lines += ["", f"![pass rate per exercise across assignments]({across['file']})", ""]
    for a in assignments:
        lines += [
            f"## {md(a['title'])}", "",
            f"{a['n']} submissions; mean {a['mean']}, median {a['median']} of {a['max_score']}; "
            f"{a['full']} with full marks, {a['zero']} with zero; {a['errors']} with errors, {a['timeouts']} timed out, "
            f"{a['forbidden']} with forbidden calls, {a['unreadable']} unreadable, {a['late']} late.", "",
        ]
        if a["policy"]:
            lines += [f"Late penalty: {md(a['policy'])}.", ""]
        lines += [f"![score distribution]({a['histogram']['file']})", "",
                  "| Exercise | Points | Pass rate | Mean score | Top misconception |", "|---|---:|---:|---:|---|"]
        lines += [f"| {md(e['id'])} | {e['max_score']} | {e['pass_pct']} | {e['mean']} | {md(e['top'])} |" for e in a["exercises"]]
        lines += ["", f"![pass rate per exercise]({a['passrate']['file']})", "", "### Misconceptions recognised", ""]
        if a["misconceptions"]:
            lines += ["| Exercise | Misconception | Students | Share of the class |", "|---|---|---:|---:|"]
            lines += [f"| {md(m['exercise'])} | {md_code(m['name'])} | {m['count']} | {m['share']} |" for m in a["misconceptions"]]
            lines += ["", f"![misconceptions]({a['misconception_chart']['file']})"]
        else:
            lines.append("None.")
        lines += ["", "### Hidden checks failed most often", ""]
        if a["hidden"]:
            lines += ["| Exercise | Hidden check (label only) | Students |", "|---|---|---:|"]
            lines += [f"| {md(h['exercise'])} | {md(h['label'])} | {h['count']} |" for h in a["hidden"]]
        else:
            lines.append("None failed.")
        lines += ["", "### Students who need attention", ""]
        if a["attention"]:
            lines += ["| Student | Why | Score | Feedback |", "|---|---|---:|---|"]
            for s in a["attention"]:
                link = f"[feedback]({_md_url(s['link'])})" if s["link"] else ""
                lines.append(f"| {md(s['student'])} | {md(s['why'])} | {s['score']} | {link} |")
        else:
            lines.append("Nobody.")
        lines.append("")
    return "\n".join(lines)


def _md_url(path: str) -> str:
    """A relative link's destination in Markdown: our own file names, with the characters that
    would end or break a destination percent-encoded."""
    from urllib.parse import quote

    return quote(path.replace(os.sep, "/"), safe="/._-@+~")


def terminal_table(grades_dir: str | Path, course=None) -> str:
    """The short table printed at the end of ``autograder grade``: per exercise, pass rate and top misconception."""
    a = summarize(load_grades(grades_dir, course))
    width = max([len("exercise")] + [len(e["id"]) for e in a["exercises"]])
    lines = [f"{'exercise':<{width}}  {'passed':>7}  top misconception"]
    for e in a["exercises"]:
        top = f"{e['top_name']} ({e['top_count']} of {a['n']})" if e["top_name"] else "-"
        lines.append(f"{e['id']:<{width}}  {e['pass_pct']:>7}  {top}")
    lines.append(f"mean {a['mean']}, median {a['median']} of {a['max_score']}; {a['full']} full marks, {a['zero']} zero, "
                 f"{len(a['attention'])} need attention")
    return "\n".join(lines)
