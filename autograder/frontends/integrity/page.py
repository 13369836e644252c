"""The integrity report's files: ``index.html`` (one self-contained page), ``pairs.csv`` and ``integrity.json``.

The page has the class report's style and rules (:mod:`..reports.templates`):
inline CSS, no script, no image, no font or stylesheet from anywhere, a
Content-Security-Policy that lets the browser load nothing, and autoescaping
(learner code, ids and messages are always escaped).  ``integrity.json`` is
what the class report's "Integrity" section reads; ``pairs.csv`` lists every
pair with any evidence for a spreadsheet (cells that a spreadsheet would take
for a formula are quoted, as in the gradebook).
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from ..grading.gradebook import csv_safe
from ..reports.templates import CSP, STYLE, environment
from . import fingerprint as fp
from .analyse import Analysis
from .evidence import FLAG, Pair

#: pairs shown side by side on the page, at most (the CSV has every pair)
SHOWN = 60
#: rows of the ranked table on the page, at most
LISTED = 30
#: lines of one cell shown, at most
MAX_LINES = 400
JSON_NAME = "integrity.json"

EXTRA_STYLE = """
.side { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; align-items: start; }
.side > div { min-width: 0; } .side h4 { margin: .4em 0 .2em; font-size: .95em; }
.side pre.code { font-size: .82em; max-height: 40em; overflow: auto; }
.pair { border: 1px solid #e1e4e8; border-radius: 6px; padding: .2em 1em .8em; margin: 1.2em 0; }
.flag { color: #b42318; font-weight: bold; } .evidence li { margin: .2em 0; }
.claim { background: #f3f6fb; border: 1px solid #c9d6ea; border-radius: 4px; padding: .4em .9em; }
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Integrity: {{ title }}</title>
<style>{{ style }}</style>
</head>
<body>
<h1>Integrity: {{ title }}</h1>
<p class="sub">{{ compared }} submissions compared, {{ pair_count }} pairs with some evidence, <b id="flagged-count">{{ flagged|length }}</b> flagged (score {{ flag }} or more).
Outputs on probe inputs nobody saw: {{ probes }}. Grade reports: {{ reports }}. Per-student variants: {{ variants }}.</p>
<p class="claim" id="what">These are pairs worth a second look, ranked by how much evidence they share, each with the evidence.
A flag is a reason to read two submissions side by side, not a finding of misconduct: students may have worked together as allowed,
used the same textbook idea, or written the one short answer there is. Nothing here changes a grade.</p>
<div class="cards">
<div class="card">Compared<b>{{ compared }}</b></div>
<div class="card">Flagged pairs<b>{{ flagged|length }}</b></div>
<div class="card">Not compared<b>{{ not_compared|length }}</b></div>
</div>
<h2 id="ranked">Pairs, ranked</h2>
{% if rows %}
<table id="pairs">
<tr><th class="num">Rank</th><th>Student</th><th>With</th><th class="num">Score</th><th>Flagged</th><th>Evidence</th></tr>
{% for p in rows %}<tr class="{{ 'flagged' if p.flagged else '' }}"><td class="num">{{ p.rank }}</td><td>{{ p.a }}</td><td>{% if p.reference %}course code: {{ p.b }}{% else %}{{ p.b }}{% endif %}</td><td class="num">{{ p.score }}</td><td>{% if p.flagged %}<span class="flag">flagged</span>{% endif %}</td><td>{% if p.anchor %}<a href="#{{ p.anchor }}">{{ p.kinds }}</a>{% else %}{{ p.kinds }}{% endif %}</td></tr>
{% endfor %}</table>
{% if more %}<p>{{ more }} more pairs, each with less evidence, are in pairs.csv.</p>{% endif %}
{% else %}<p>No pair shares anything beyond what is usual in this class.</p>{% endif %}
<h2 id="side-by-side">Side by side</h2>
{% if shown %}<p>Each flagged pair{% if extra_shown %} (and the next {{ extra_shown }} by rank){% endif %}, with the evidence; lines holding the code the two have in common are marked.</p>
{% else %}<p>No pair is flagged.</p>{% endif %}
{% for p in shown %}
<section class="pair" id="{{ p.anchor }}">
<h3>#{{ p.rank }}: {{ p.a }} and {% if p.reference %}course code: {{ p.b }}{% else %}{{ p.b }}{% endif %} &middot; score {{ p.score }}{% if p.flagged %} &middot; <span class="flag">flagged</span>{% endif %}</h3>
<ul class="evidence">{% for e in p.evidence %}<li><b>{{ e.kind }}</b> ({{ e.points }}): {{ e.text }}</li>{% endfor %}</ul>
{% for x in p.sides %}
<div class="side">
{% for s in x.sides %}<div><h4>{{ s.who }}: {{ x.exercise }}{% if s.where %} ({{ s.where }}){% endif %}{% if s.marked %}, {{ s.marked }} line(s) in common marked{% endif %}</h4>
{% if s.lines %}<pre class="code">{% for n, line, mark in s.lines %}<span class="line{% if mark %} mark{% endif %}"><span class="no">{{ n }}</span>{{ line }}</span>{% endfor %}</pre>{% else %}<p>(no code for this exercise)</p>{% endif %}
{% if s.cut %}<p>(only the first {{ s.cut }} lines are shown)</p>{% endif %}</div>
{% endfor %}</div>
{% endfor %}
</section>
{% endfor %}
<h2 id="class">How alike this class's answers are</h2>
<p>Code is compared after what the released notebook held is removed and names, comments, layout and statement order are set aside.
A pair earns code points only above what 1 pair in 20 reaches in this class, and less when many pairs are nearly identical:
short correct answers look alike, and an exercise where everybody writes the same lines tells nothing.</p>
<table id="stats">
<tr><th>Exercise</th><th class="num">Pairs compared</th><th class="num">Median</th><th class="num">1 pair in 20 reaches</th><th class="num">Nearly identical pairs</th><th class="num">Weight</th><th>Note</th></tr>
{% for s in stats %}<tr><td>{{ s.exercise }}</td><td class="num">{{ s.compared }}</td><td class="num">{{ s.median }}</td><td class="num">{{ s.usual }}</td><td class="num">{{ s.near }}</td><td class="num">{{ s.weight }}</td><td>{{ s.note }}</td></tr>
{% endfor %}</table>
{% if not_compared %}
<h2 id="not-compared">Not compared</h2>
<table id="not-compared-table"><tr><th>Student</th><th>Why</th></tr>
{% for s, why in not_compared %}<tr><td>{{ s }}</td><td>{{ why }}</td></tr>
{% endfor %}</table>
{% endif %}
<h2 id="not-claimed">What this does not claim</h2>
<ul>
<li>It does not say who copied from whom, nor that anyone did: two students can share evidence because one copied, both copied a third source, or they worked together.</li>
<li>It does not find everything: code rewritten by hand or by a tool, work split across students, or answers taken from a source outside the class and the course's own code leave no trace here.</li>
<li>Scores are a ranking, not probabilities: they are read against this class alone, and the same two submissions can score differently in another class.</li>
<li>No evidence is not innocence, and a flag is not guilt: read the two submissions, and talk to the students, before deciding anything.</li>
</ul>
</body>
</html>
"""


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _lines(code: str, marked: set[int]) -> tuple[list[tuple[int, str, bool]], int]:
    lines = code.splitlines() or [""]
    cut = len(lines) > MAX_LINES
    shown = lines[:MAX_LINES]
    return [(n, line, n in marked) for n, line in enumerate(shown, 1)], (MAX_LINES if cut else 0)


def _side(who: str, code: str | None, where: str, marked: set[int]) -> dict:
    if code is None:
        return {"who": who, "where": where, "lines": [], "marked": 0, "cut": 0}
    lines, cut = _lines(code, marked)
    return {"who": who, "where": where, "lines": lines, "marked": sum(1 for _, _, m in lines if m), "cut": cut}


def _pair_sides(analysis: Analysis, pair: Pair) -> list[dict]:
    """Per exercise with evidence: both answers, with the lines they share marked."""
    exercises = list(dict.fromkeys(e.exercise for e in pair.evidence))
    out = []
    for exercise in exercises:
        a_code = analysis.code.get(pair.a, {}).get(exercise)
        a_print = analysis.prints.get(pair.a, {}).get(exercise)
        where_a = analysis.where.get(pair.a, {}).get(exercise, "")
        if pair.reference:
            ref = next((p for name, p in analysis.references.get(exercise, []) if name == pair.b), None)
            b_code, b_print, where_b = analysis.reference_code.get(pair.b), ref, ""
        else:
            b_code = analysis.code.get(pair.b, {}).get(exercise)
            b_print = analysis.prints.get(pair.b, {}).get(exercise)
            where_b = analysis.where.get(pair.b, {}).get(exercise, "")
        marks_a, marks_b = fp.matched_lines(a_print, b_print) if a_print is not None and b_print is not None else (set(), set())
        out.append({"exercise": exercise, "sides": [_side(pair.a, a_code, where_a, marks_a),
                                                     _side(pair.b if not pair.reference else "course code", b_code, where_b, marks_b)]})
    return out


def _stats_rows(analysis: Analysis) -> list[dict]:
    rows = []
    for exercise, s in analysis.code_stats.items():
        if not s.compared:
            continue
        note = "too uniform to tell: no code points" if s.uniform else ""
        rows.append({"exercise": exercise, "compared": s.compared, "median": f"{100 * s.median:.0f}%", "usual": f"{100 * s.usual:.0f}%",
                     "near": s.near, "weight": _fmt(s.weight), "note": note})
    for exercise in analysis.own_numbers:
        rows.append({"exercise": exercise, "compared": 0, "median": "", "usual": "", "near": "", "weight": "",
                     "note": "each student's own numbers: not compared as code (an answer right for a classmate's numbers is variant evidence)"})
    for exercise, s in analysis.reference_stats.items():
        if not s.compared:
            continue
        rows.append({"exercise": f"{exercise} (share in the course's own code; students)", "compared": s.compared, "median": f"{100 * s.median:.0f}%",
                     "usual": f"{100 * s.usual:.0f}%", "near": s.near, "weight": _fmt(s.weight),
                     "note": "too uniform to tell: no points" if s.uniform else ""})
    return rows


def render_page(analysis: Analysis) -> str:
    flagged = analysis.flagged
    shown_pairs = flagged[:SHOWN]
    extra = 0
    if len(shown_pairs) < 5:  # a few unflagged ones too, so that the page shows what "not flagged" looks like
        more = [p for p in analysis.pairs if not p.flagged][: 5 - len(shown_pairs)]
        extra = len(more)
        shown_pairs = shown_pairs + more
    anchors = {id(p): f"pair-{p.rank}" for p in shown_pairs}
    rows = [{"rank": p.rank, "a": p.a, "b": p.b, "reference": p.reference, "score": _fmt(p.score), "flagged": p.flagged,
             "kinds": ", ".join(p.kinds()), "anchor": anchors.get(id(p), "")} for p in analysis.pairs[:LISTED]]
    shown = [{"rank": p.rank, "a": p.a, "b": p.b, "reference": p.reference, "score": _fmt(p.score), "flagged": p.flagged, "anchor": anchors[id(p)],
              "evidence": [{"kind": e.kind, "points": _fmt(e.points), "text": e.text} for e in p.evidence],
              "sides": _pair_sides(analysis, p)} for p in shown_pairs]
    probes = ("run" + (f" (not for {len(analysis.probe_failures)} submission(s) the sandbox could not run)" if analysis.probe_failures else "")
              if analysis.probed else "not run")
    reports = f"misconceptions read for {analysis.reports_used} students" if analysis.reports_used else "not given"
    template = environment().from_string(PAGE)
    return template.render(
        csp=CSP, style=STYLE + EXTRA_STYLE, title=analysis.title, compared=len(analysis.students), pair_count=len(analysis.pairs),
        flagged=flagged, flag=_fmt(FLAG), probes=probes, reports=reports, variants="used" if analysis.variants_used else "none in this course",
        rows=rows, more=max(0, len(analysis.pairs) - LISTED), shown=shown, extra_shown=extra, stats=_stats_rows(analysis),
        not_compared=sorted(analysis.not_compared.items()),
    )


def pairs_csv(analysis: Analysis) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    kinds = ["code", "reference", "outputs", "misconception", "variant"]
    writer.writerow(["rank", "student_a", "student_b", "b_is_course_code", "score", "flagged"] + [f"{k}_points" for k in kinds] + ["exercises", "evidence"])
    for p in analysis.pairs:
        points = {k: sum(e.points for e in p.evidence if e.kind == k) for k in kinds}
        exercises = ", ".join(dict.fromkeys(e.exercise for e in p.evidence))
        text = " | ".join(e.text for e in p.evidence)
        writer.writerow([p.rank, csv_safe(p.a), csv_safe(p.b), "yes" if p.reference else "no", _fmt(p.score), "yes" if p.flagged else "no"]
                        + [_fmt(points[k]) for k in kinds] + [csv_safe(exercises), csv_safe(text)])
    return out.getvalue()


def summary(analysis: Analysis, *, top: int = 200) -> dict:
    return {
        "assignment": analysis.assignment, "title": analysis.title, "compared": len(analysis.students),
        "not_compared": analysis.not_compared, "flag": FLAG, "flagged": len(analysis.flagged), "pair_count": len(analysis.pairs),
        "probed": analysis.probed, "probe_failures": analysis.probe_failures, "reports_used": analysis.reports_used,
        "variants_used": analysis.variants_used, "page": "index.html", "csv": "pairs.csv",
        "pairs": [p.to_dict() for p in analysis.pairs[:top]],
        "code_stats": [s.to_dict() for s in analysis.code_stats.values()],
        "reference_stats": [s.to_dict() for s in analysis.reference_stats.values()],
        "seconds": {k: round(v, 3) for k, v in analysis.seconds.items()},
    }


def write(analysis: Analysis, output: str | Path) -> Path:
    """Write index.html, pairs.csv and integrity.json into ``output`` (private: learners' code is in them); the page's path."""
    output = Path(output)
    new = not output.exists()
    output.mkdir(parents=True, exist_ok=True)
    if new:
        os.chmod(output, 0o700)
    (output / "index.html").write_text(render_page(analysis), encoding="utf-8")
    (output / "pairs.csv").write_text(pairs_csv(analysis), encoding="utf-8", newline="")
    (output / JSON_NAME).write_text(json.dumps(summary(analysis), indent=1, ensure_ascii=False), encoding="utf-8")
    return output / "index.html"
