"""The class report's "Integrity" section, from each grades folder's ``integrity/integrity.json``.

Written by :func:`autograder.frontends.reports.classreport.write_report` when
``autograder integrity`` has been run for an assignment: per assignment, how
many submissions were compared, how many pairs are flagged, the first flagged
pairs with their kinds of evidence, and a link to the integrity page.  Only
what ``integrity.json`` holds is shown (student ids are escaped: HTML by
autoescaping, Markdown through :func:`md_text`).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..grading.gradebook import md_text
from ..reports.templates import environment
from .page import JSON_NAME

#: flagged pairs listed per assignment in the class report (the integrity page has them all)
TOP = 10

SECTION = """
<section id="integrity">
<h2>Integrity</h2>
<p>Pairs of students worth a second look, from <code>autograder integrity</code>. A flag is a reason to read two submissions side by side, never a finding, and it changed no grade.</p>
{% for x in items %}
<h3>{{ x.title }}</h3>
<p>{{ x.compared }} submissions compared; <b>{{ x.flagged }}</b> pair(s) flagged{% if x.probed %}; outputs on probe inputs nobody saw compared{% else %}; probes not run{% endif %}.{% if x.link %} <a href="{{ x.link }}">The integrity report</a> shows each pair side by side{% if x.csv %} (<a href="{{ x.csv }}">every pair as CSV</a>){% endif %}.{% endif %}</p>
{% if x.pairs %}<table class="integrity">
<tr><th class="num">Rank</th><th>Student</th><th>With</th><th class="num">Score</th><th>Evidence</th></tr>
{% for p in x.pairs %}<tr><td class="num">{{ p.rank }}</td><td>{{ p.a }}</td><td>{% if p.reference %}course code: {{ p.b }}{% else %}{{ p.b }}{% endif %}</td><td class="num">{{ p.score }}</td><td>{{ p.kinds }}</td></tr>
{% endfor %}</table>
{% if x.more %}<p>and {{ x.more }} more flagged pair(s) on the integrity page.</p>{% endif %}
{% else %}<p>No pair flagged.</p>{% endif %}
{% endfor %}
</section>
"""


def integrity_items(grades, out: Path) -> list[dict]:
    """What the section shows for each grades folder that has an integrity report (links relative to ``out``)."""
    items = []
    for g in grades:
        folder = Path(g.root) / "integrity"
        try:
            data = json.loads((folder / JSON_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("pairs"), list):
            continue
        flagged = [p for p in data["pairs"] if isinstance(p, dict) and p.get("flagged")]
        page, table = folder / "index.html", folder / "pairs.csv"
        items.append({
            "title": g.title or g.assignment, "compared": int(data.get("compared") or 0), "flagged": int(data.get("flagged") or len(flagged)),
            "probed": bool(data.get("probed")),
            "link": os.path.relpath(page, out) if page.is_file() else "", "csv": os.path.relpath(table, out) if table.is_file() else "",
            "pairs": [{"rank": p.get("rank"), "a": str(p.get("a")), "b": str(p.get("b")), "reference": bool(p.get("reference")),
                       "score": f"{float(p.get('score') or 0):.2f}",
                       "kinds": ", ".join(sorted({str(e.get("kind")) for e in p.get("evidence", []) if isinstance(e, dict)}))} for p in flagged[:TOP]],
            "more": max(0, int(data.get("flagged") or len(flagged)) - TOP),
        })
    return items


def section_html(items: list[dict]) -> str:
    return environment().from_string(SECTION).render(items=items) if items else ""


def section_markdown(items: list[dict]) -> str:
    if not items:
        return ""
    md = md_text
    lines = ["## Integrity", "", "Pairs of students worth a second look (`autograder integrity`). A flag is a reason to read two "
             "submissions side by side, never a finding, and it changed no grade.", ""]
    for x in items:
        lines += [f"### {md(x['title'])}", "", f"{x['compared']} submissions compared; {x['flagged']} pair(s) flagged."
                  + (f" Integrity report: {md(x['link'])}" if x["link"] else ""), ""]
        if x["pairs"]:
            lines += ["| Rank | Student | With | Score | Evidence |", "|---:|---|---|---:|---|"]
            for p in x["pairs"]:
                other = ("course code: " if p["reference"] else "") + p["b"]
                lines.append(f"| {p['rank']} | {md(p['a'])} | {md(other)} | {p['score']} | {md(p['kinds'])} |")
            lines.append("")
    return "\n".join(lines)
