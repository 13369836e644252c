"""Jinja2 templates of the HTML pages (kept in Python so that they ship with the package).

Every page is self-contained: inline CSS, images as data URIs, no script, no
font or stylesheet from anywhere, and a Content-Security-Policy that lets
the browser load nothing but the page's own inline images and styles.
Autoescaping is on: learner text (ids, messages, code) is always escaped.
"""
from __future__ import annotations

import functools

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1.5em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: .2em; } h3 { margin-bottom: .3em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .6em 0 1.2em; } th, td { border: 1px solid #d0d0d0; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
.card { border: 1px solid #d0d0d0; border-radius: 6px; padding: .5em .9em; min-width: 7em; background: #fafafa; }
.card b { display: block; font-size: 1.5em; }
.passed { color: #1a7f37; } .failed, .error, .timeout, .forbidden, .missing { color: #b42318; } .not-implemented { color: #8a6100; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 4px; padding: .6em .8em; overflow-x: auto; white-space: pre-wrap; }
pre.code { white-space: pre; padding: .4em 0; }
pre.code span.line { display: block; padding: 0 .8em; } pre.code span.mark { background: #ffe3e3; border-left: 4px solid #d1242f; padding-left: calc(.8em - 4px); }
pre.code span.no { color: #888; display: inline-block; width: 3em; user-select: none; }
img { max-width: 100%; } figure { margin: 1em 0; } figcaption { color: #555; font-size: .9em; }
.note { background: #fff8e1; border: 1px solid #f0d98a; border-radius: 4px; padding: .4em .8em; margin: .4em 0; }
.late { background: #fdecea; border: 1px solid #f1b5b0; border-radius: 4px; padding: .4em .8em; margin: .4em 0; }
.exercise { border: 1px solid #e1e4e8; border-radius: 6px; padding: .2em 1em .8em; margin: 1em 0; }
.bar { display: inline-block; height: .8em; background: #4c78a8; vertical-align: middle; }
"""

FEEDBACK = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feedback: {{ heading }} ({{ student }})</title>
<style>{{ style }}</style>
</head>
<body>
<h1>Feedback: {{ heading }}</h1>
<p class="sub">Student: <b id="student">{{ student }}</b></p>
<table id="total">
<tr><th>Score</th><td class="num"><b>{{ score }}</b> / {{ max_score }} points</td></tr>
{% if penalty %}<tr><th>Earned</th><td class="num">{{ raw_score }}</td></tr>
<tr><th>Late penalty</th><td class="num">&minus;{{ penalty }}</td></tr>{% endif %}
</table>
{% if late %}<p class="late" id="late">Late: {{ late }}</p>{% endif %}
{% for note in notes %}<p class="note">Note: {{ note }}</p>
{% endfor %}
<table id="exercises">
<tr><th>Exercise</th><th>Status</th><th class="num">Points</th></tr>
{% for e in exercises %}<tr><td><a href="#ex-{{ loop.index }}">{{ e.id }}</a></td><td class="{{ e.status }}">{{ e.status }}</td><td class="num">{{ e.points }}</td></tr>
{% endfor %}</table>
{% for e in exercises %}
<div class="exercise" id="ex-{{ loop.index }}">
<h2 class="{{ e.status }}">{{ e.id }}: {{ e.status }} ({{ e.points }})</h2>
{% if e.feedback %}<pre class="message">{{ e.feedback }}</pre>{% endif %}
{% if e.misconception and e.status != 'passed' %}<p>Likely misconception: <code>{{ e.misconception }}</code></p>{% endif %}
{% if e.picture %}<figure><img src="{{ e.picture }}" alt="expected, got and their difference for the worked example above"><figcaption>The worked example above: expected, what your code returned, and the difference (red: too high, blue: too low).</figcaption></figure>{% endif %}
{% for x in e.code %}<h3>Your code (cell {{ x.cell }}){% if x.why %}: {{ x.why }} is marked{% endif %}</h3>
<pre class="code">{% for n, line in x.lines %}<span class="line{% if n in x.marked %} mark{% endif %}"><span class="no">{{ n }}</span>{{ line }}</span>{% endfor %}</pre>
{% endfor %}
</div>
{% endfor %}
</body>
</html>
"""

CLASS = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style }}</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="sub">{{ subtitle }}</p>
{% if across %}
<h2 id="across">Across assignments</h2>
<table id="across-table">
<tr><th>Assignment</th><th class="num">Submissions</th><th class="num">Mean</th><th class="num">Median</th><th class="num">Full marks</th><th class="num">Needs attention</th></tr>
{% for a in assignments %}<tr><td><a href="#a-{{ loop.index }}">{{ a.id }}</a></td><td class="num">{{ a.n }}</td><td class="num">{{ a.mean }} / {{ a.max_score }}</td><td class="num">{{ a.median }}</td><td class="num">{{ a.full }}</td><td class="num">{{ a.attention|length }}</td></tr>
{% endfor %}</table>
<table id="across-exercises">
<tr><th>Assignment</th><th>Exercise</th><th class="num">Pass rate</th><th></th></tr>
{% for a in assignments %}{% for e in a.exercises %}<tr><td>{{ a.id }}</td><td>{{ e.id }}</td><td class="num">{{ e.pass_pct }}</td><td><span class="bar" style="width: {{ e.bar }}em"></span></td></tr>
{% endfor %}{% endfor %}</table>
<figure><img src="{{ across.uri }}" alt="pass rate of every exercise, assignments side by side"><figcaption>Pass rate of every exercise, assignments side by side.</figcaption></figure>
{% endif %}
{% for a in assignments %}
<section id="a-{{ loop.index }}">
<h2>{{ a.title }}</h2>
<div class="cards">
<div class="card">Submissions<b>{{ a.n }}</b></div>
<div class="card">Mean<b>{{ a.mean }}</b>of {{ a.max_score }}</div>
<div class="card">Median<b>{{ a.median }}</b>of {{ a.max_score }}</div>
<div class="card">Full marks<b>{{ a.full }}</b></div>
<div class="card">Zero<b>{{ a.zero }}</b></div>
<div class="card">With errors<b>{{ a.errors }}</b></div>
<div class="card">Timeouts<b>{{ a.timeouts }}</b></div>
<div class="card">Forbidden calls<b>{{ a.forbidden }}</b></div>
<div class="card">Unreadable<b>{{ a.unreadable }}</b></div>
<div class="card">Late<b>{{ a.late }}</b></div>
</div>
{% if a.policy %}<p>Late penalty: {{ a.policy }}.</p>{% endif %}
<figure><img src="{{ a.histogram.uri }}" alt="distribution of the scores of {{ a.id }}"><figcaption>Scores (after late penalties) of the {{ a.n }} submissions.</figcaption></figure>
<h3>Exercises</h3>
<table class="exercises">
<tr><th>Exercise</th><th class="num">Points</th><th class="num">Pass rate</th><th class="num">Mean score</th>{% if a.has_breakdown %}<th class="num">Hidden checks passed</th>{% endif %}<th>Statuses</th><th>Top misconception</th></tr>
{% for e in a.exercises %}<tr><td>{{ e.id }}</td><td class="num">{{ e.max_score }}</td><td class="num">{{ e.pass_pct }}</td><td class="num">{{ e.mean }}</td>{% if a.has_breakdown %}<td class="num">{{ e.hidden_pct }}</td>{% endif %}<td>{{ e.statuses }}</td><td>{{ e.top }}</td></tr>
{% endfor %}</table>
<figure><img src="{{ a.passrate.uri }}" alt="pass rate per exercise of {{ a.id }}"><figcaption>Pass rate per exercise.</figcaption></figure>
<h3>Misconceptions recognised</h3>
{% if a.misconceptions %}
<table class="misconceptions">
<tr><th>Exercise</th><th>Misconception</th><th class="num">Students</th><th class="num">Share of the class</th></tr>
{% for m in a.misconceptions %}<tr><td>{{ m.exercise }}</td><td><code>{{ m.name }}</code></td><td class="num">{{ m.count }}</td><td class="num">{{ m.share }}</td></tr>
{% endfor %}</table>
<figure><img src="{{ a.misconception_chart.uri }}" alt="misconceptions recognised in {{ a.id }}"><figcaption>Students per misconception.</figcaption></figure>
{% else %}<p>None.</p>{% endif %}
<h3>Hidden checks failed most often</h3>
{% if a.hidden %}
<table class="hidden">
<tr><th>Exercise</th><th>Hidden check (label only)</th><th class="num">Students</th></tr>
{% for h in a.hidden %}<tr><td>{{ h.exercise }}</td><td>{{ h.label }}</td><td class="num">{{ h.count }}</td></tr>
{% endfor %}</table>
{% else %}<p>None failed.</p>{% endif %}
<h3>Students who need attention</h3>
{% if a.attention %}
<table class="attention">
<tr><th>Student</th><th>Why</th><th class="num">Score</th><th>Feedback</th></tr>
{% for s in a.attention %}<tr><td>{{ s.student }}</td><td>{{ s.why }}</td><td class="num">{{ s.score }}</td><td>{% if s.link %}<a href="{{ s.link }}">feedback</a>{% endif %}{% if s.md_link %} &middot; <a href="{{ s.md_link }}">markdown</a>{% endif %}</td></tr>
{% endfor %}</table>
{% else %}<p>Nobody: no crash, timeout, forbidden call or unreadable notebook.</p>{% endif %}
<details><summary>All students ({{ a.n }})</summary>
<table class="students">
<tr><th>Student</th><th class="num">Score</th><th class="num">Late penalty</th>{% for e in a.exercises %}<th>{{ e.id }}</th>{% endfor %}</tr>
{% for s in a.students %}<tr><td>{% if s.link %}<a href="{{ s.link }}">{{ s.student }}</a>{% else %}{{ s.student }}{% endif %}</td><td class="num">{{ s.score }}</td><td class="num">{{ s.penalty }}</td>{% for st in s.statuses %}<td class="{{ st }}">{{ st }}</td>{% endfor %}</tr>
{% endfor %}</table>
</details>
</section>
{% endfor %}
</body>
</html>
"""


@functools.lru_cache(maxsize=None)
def environment():
    import jinja2

    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)


@functools.lru_cache(maxsize=None)
def template(name: str):
    return environment().from_string({"feedback": FEEDBACK, "class": CLASS}[name])


def render(name: str, **context) -> str:
    return template(name).render(csp=CSP, style=STYLE, **context)
