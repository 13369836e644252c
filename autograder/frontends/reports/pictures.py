"""Small pictures of expected, got and their difference, for a failed 2-D worked example.

Only a VISIBLE case qualifies: the engine's feedback prints ``expected:`` and
``got:`` values (indented, under the call they belong to) for worked examples
only (hidden checks are described by dtype and shape, never by value), and
a pair is used only when its call line is not a hidden check.  The values are read back from that text, so nothing is
shown that the learner's Markdown feedback does not already show.

HOOK (engine): if the JSON report one day carries the arrays of the first
failed visible case (for example ``exercise["visible_failure"] = {"expected":
[[...]], "got": [[...]]}``), :func:`arrays_from_report` should take them from
there instead of parsing the text; it already looks for that key.

Pictures are drawn with Pillow (a few milliseconds each, so that grading a
class stays fast): one panel per array, one square per value, a shared grey
scale for expected and got, a blue-white-red scale for the difference.
"""
from __future__ import annotations

import ast
import base64
import io
import re

import numpy as np

MAX_VALUES = 4096
_LINE = re.compile(r"^\s*(expected|got)\s*:\s*(.+)$")
_ARRAY = re.compile(r"^array\((?P<body>.*?)(?:,\s*dtype=[A-Za-z0-9_.]+)?\)$", re.S)


def _parse(text: str):
    text = text.strip()
    match = _ARRAY.match(text)
    if match:
        text = match["body"]
    if "..." in text or len(text) > 20000:
        return None  # shortened: not the whole value
    try:
        value = ast.literal_eval(text.replace("nan", "None").replace("inf", "1e999"))
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    try:
        array = np.array(value, dtype=float)
    except (ValueError, TypeError):
        return None
    if array.ndim != 2 or array.size == 0 or array.size > MAX_VALUES:
        return None
    return array


def arrays_from_report(exercise: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """(expected, got) of the failed visible 2-D case this exercise's feedback shows, or None."""
    structured = exercise.get("visible_failure")
    if isinstance(structured, dict):  # the engine hook (see the module docstring)
        try:
            pair = np.array(structured["expected"], dtype=float), np.array(structured["got"], dtype=float)
        except (KeyError, ValueError, TypeError):
            pair = None
        if pair is not None and pair[0].ndim == 2 and pair[1].ndim == 2:
            return pair
    lines = (exercise.get("feedback") or "").splitlines()
    for n, line in enumerate(lines):
        match = _LINE.match(line)
        if not match or match[1] != "expected" or not line[:1].isspace():
            continue
        # The call the values belong to is the nearest line above that is not indented.
        call = next((lines[k] for k in range(n - 1, -1, -1) if lines[k][:1] and not lines[k][:1].isspace()), "")
        if "(hidden check" in call or "hidden check:" in call:
            continue  # never a hidden case (its feedback shows no values anyway)
        following = _LINE.match(lines[n + 1]) if n + 1 < len(lines) else None
        if following is None or following[1] != "got":
            continue
        expected, got = _parse(match[2]), _parse(following[2])
        if expected is not None and got is not None:
            return expected, got
        return None  # the first worked example shown is not a whole 2-D pair
    return None


def _panel(array: np.ndarray, lo: float, hi: float, cell: int, diverging: bool):
    from PIL import Image

    finite = np.where(np.isfinite(array), array, np.nan)
    if diverging:
        span = max(abs(lo), abs(hi)) or 1.0
        t = np.clip(np.nan_to_num(finite / span, nan=0.0), -1, 1)
        red = np.where(t > 0, 255, 255 * (1 + t))
        blue = np.where(t < 0, 255, 255 * (1 - t))
        green = 255 * (1 - np.abs(t))
        rgb = np.stack([red, green, blue], axis=-1)
    else:
        span = (hi - lo) or 1.0
        t = np.clip(np.nan_to_num((finite - lo) / span, nan=0.0), 0, 1)
        grey = 30 + 210 * t
        rgb = np.stack([grey, grey, grey], axis=-1)
    image = Image.fromarray(rgb.astype(np.uint8), "RGB")
    return image.resize((array.shape[1] * cell, array.shape[0] * cell), Image.NEAREST)


def picture(expected: np.ndarray, got: np.ndarray) -> bytes:
    """A PNG: expected | got | got - expected (the last only when the shapes agree)."""
    from PIL import Image, ImageDraw

    rows = max(expected.shape[0], got.shape[0])
    cols = max(expected.shape[1], got.shape[1])
    cell = int(max(4, min(32, 160 // max(rows, cols))))
    both = np.concatenate([expected[np.isfinite(expected)], got[np.isfinite(got)]])
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    panels = [("expected", _panel(expected, lo, hi, cell, False)), ("got", _panel(got, lo, hi, cell, False))]
    if expected.shape == got.shape:
        diff = got - expected
        finite = diff[np.isfinite(diff)]
        d = float(np.abs(finite).max()) if finite.size else 1.0
        panels.append(("got - expected", _panel(diff, -d, d, cell, True)))
    pad, title = 10, 16
    width = sum(p.width for _, p in panels) + pad * (len(panels) + 1)
    height = max(p.height for _, p in panels) + title + 2 * pad
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    x = pad
    for name, panel in panels:
        draw.text((x, pad // 2), name, fill=(20, 20, 20))
        canvas.paste(panel, (x, pad + title))
        draw.rectangle([x - 1, pad + title - 1, x + panel.width, pad + title + panel.height], outline=(120, 120, 120))
        x += panel.width + pad
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
