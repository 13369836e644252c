"""``nbgrader generate_feedback`` with the learner's markup made inert.

nbgrader's feedback page (``feedback/STUDENT/ASSIGNMENT/NOTEBOOK.html``, what
the learner reads and what the instructor opens from formgrader) shows the
submitted notebook as nbconvert renders it: a Markdown cell's raw HTML, a
``javascript:`` link, a raw cell, an HTML, Markdown or JavaScript output all
reach the page as the learner wrote them, and run in the reader's browser.

The nbgrader_config.py that ``autograder nbgrader-config`` derives from
course.yml (:mod:`.bridge`) adds two things to ``GenerateFeedback``:

:class:`SanitizeFeedback` (last of ``GenerateFeedback.preprocessors``)
    raw cells and ``text/html`` outputs pass through :func:`sanitize_html`;
    ``text/markdown`` outputs are rendered as nbconvert renders them, then
    sanitized; SVG outputs stay images (``<img>`` with a data URI: an image
    runs no script); every other kind of output that a browser could run
    (JavaScript, widgets, anything unknown) is left out, with a line saying
    so when nothing else of the output is shown; an isolated HTML output is
    not put in a frame; the notebook's widget state is dropped; the names the
    template writes unescaped (the notebook's name, grade ids) are escaped.
:class:`FeedbackExporter` (``GenerateFeedback.exporter_class``)
    nbconvert's HTML exporter whose Markdown rendering (Markdown cells,
    Markdown outputs, the instructor's comments) is sanitized after it is
    rendered, so that the Markdown itself (``[x](javascript:...)``) and the
    raw HTML in it are both covered; it writes the same Content-Security-Policy
    as autograder's own pages (:data:`autograder.frontends.reports.templates.CSP`:
    nothing loads but inline styles and data-URI images, no script runs) as
    the first element of the page's head; and it runs :class:`SanitizeFeedback`
    even when a configuration forgot to list it.

Sanitizing is nh3's (the Rust ammonia sanitizer): an allow-list of tags and
attributes; ``<script>`` and ``<style>`` are dropped with their content,
other unknown tags are dropped and their text kept, event-handler attributes
and ``javascript:`` (or any non-web) URLs never survive, ``data:`` URLs only
as images.  Ordinary Markdown -- emphasis, lists, tables, code, links to the
web, images, headings -- reads as before.  With the policy, nbgrader's
MathJax cannot load: formulas are shown in their LaTeX source.
"""
from __future__ import annotations

import copy
import html
import re

import nh3
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from ..reports.templates import CSP

try:  # the decorator nbconvert's own markdown2html filter carries
    from jinja2 import pass_context
except ImportError:  # pragma: no cover - jinja2 < 3
    from jinja2 import contextfilter as pass_context  # type: ignore[no-redef]

#: the meta element that carries the policy
POLICY_META = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(CSP, quote=True)}">'

TAGS = set(nh3.ALLOWED_TAGS) | {"tfoot"}
ATTRIBUTES = {tag: set(names) for tag, names in copy.deepcopy(nh3.ALLOWED_ATTRIBUTES).items()}
ATTRIBUTES["*"] = {"class", "id", "title", "lang", "dir"}
ATTRIBUTES["img"] = ATTRIBUTES.get("img", set()) | {"title"}
#: tags dropped together with what they hold
DROPPED_WITH_CONTENT = {"script", "style"}
URL_SCHEMES = {"http", "https", "mailto", "data"}
_URL_ATTRIBUTES = {"href", "src", "cite", "longdesc", "action", "formaction", "poster", "background"}
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp|bmp|svg\+xml)[;,]", re.I)

#: outputs the template shows escaped (text) or as an image data URI (no markup of the learner's)
SHOWN_AS_IS = {"text/plain", "text/latex", "image/png", "image/jpeg", "image/svg+xml"}
_NBGRADER_ID = re.compile(r"[A-Za-z0-9_.-]+")


def _attribute(tag: str, name: str, value: str) -> str | None:
    """nh3's attribute filter: ``data:`` URLs only as an image's source."""
    if name in _URL_ATTRIBUTES and re.sub(r"[\x00-\x20]", "", value).lower().startswith("data:"):
        return value if tag == "img" and name == "src" and _IMAGE_DATA.match(value.strip()) else None
    return value


def sanitize_html(text) -> str:
    """``text`` (HTML from a learner) with everything that could run or load removed (see the module docstring)."""
    if isinstance(text, list):  # nbformat allows a mime bundle's text as a list of lines
        text = "".join(str(x) for x in text)
    return nh3.clean(
        str(text), tags=TAGS, clean_content_tags=DROPPED_WITH_CONTENT, attributes=ATTRIBUTES,
        attribute_filter=_attribute, url_schemes=URL_SCHEMES, strip_comments=True, link_rel="noopener noreferrer",
    )


def with_policy(page: str) -> str:
    """``page`` with :data:`POLICY_META` as the first element of its head (before anything that loads)."""
    head = re.search(r"<head(?:\s[^>]*)?>", page, re.I)
    if head is None:  # a meta before <html> still lands in the head the parser makes
        return POLICY_META + page
    return page[: head.end()] + "\n" + POLICY_META + page[head.end():]


def _text(value) -> str:
    return "".join(str(x) for x in value) if isinstance(value, list) else str(value)


class SanitizeFeedback(Preprocessor):
    """Make every cell and output of a learner's notebook inert for nbgrader's feedback page."""

    enabled = Bool(True, help="Sanitize the learner's raw cells and outputs in feedback pages").tag(config=True)

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)  # widget state: the template puts it in a <script> element
        info = resources.get("nbgrader")
        if isinstance(info, dict) and isinstance(info.get("notebook"), str):
            info["notebook"] = html.escape(info["notebook"])  # written unescaped in the page's title and heading
        resources["should_not_encode_svg"] = False  # SVG as an image, never inline markup
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and "grade_id" in meta and not _NBGRADER_ID.fullmatch(str(meta["grade_id"])):
            meta["grade_id"] = html.escape(str(meta["grade_id"]))
        if cell.cell_type == "raw":
            cell.source = sanitize_html(cell.source)
        elif cell.cell_type == "code":
            cell.outputs = [self._output(output) for output in cell.get("outputs", [])]
        # Markdown cells are sanitized as they are rendered (FeedbackExporter.markdown2html)
        return cell, resources

    def _output(self, output):
        output.pop("svg_filename", None)
        metadata = output.get("metadata")
        if isinstance(metadata, dict):
            metadata.pop("filenames", None)  # would become an image's path
            for value in metadata.values():
                if isinstance(value, dict):
                    value.pop("isolated", None)  # would put the HTML in a frame of its own
        if output.get("output_type") not in ("display_data", "execute_result") or not isinstance(output.get("data"), dict):
            return output  # streams and errors: the template escapes their text
        kept, left_out = {}, []
        for mime, value in output.data.items():
            if mime in SHOWN_AS_IS:
                kept[mime] = value
            elif mime == "text/html":
                kept[mime] = sanitize_html(value)
            elif mime == "text/markdown" and "text/html" not in output.data:
                kept["text/html"] = sanitize_html(markdown2html_mistune(_text(value)))
            elif mime != "text/markdown":
                left_out.append(mime)
        if left_out:
            self.log.info("feedback: left out output(s) of type %s", ", ".join(left_out))
            if not kept:
                kept["text/plain"] = (f"(An output of type {', '.join(left_out)} is not shown here: "
                                      "it could run code in the reader's browser.)")
        output.data = kept
        return output


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter for feedback pages: sanitized Markdown, the policy in the head."""

    @pass_context
    def markdown2html(self, context, source):
        return sanitize_html(super().markdown2html(context, source))

    def from_notebook_node(self, nb, resources=None, **kw):
        if not any(isinstance(p, SanitizeFeedback) for p in self._preprocessors):
            self.register_preprocessor(SanitizeFeedback(parent=self), enabled=True)
        page, resources = super().from_notebook_node(nb, resources, **kw)
        return with_policy(page), resources
