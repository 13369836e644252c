"""A synthetic class of 01-conv1d for the integrity report: independent work in many styles, and planted copies.

:func:`independent_class` writes each student's four answers the way different
people would: conversions, validations, widening against uint8, eleven ways
to compute the convolution (offset loops over either input, a double loop, a
loop per output with bounds, padded windows, while loops, an outer product
read along its anti-diagonals, a Toeplitz matrix, sliding windows, np.add.at,
plain lists), with or without a helper function, with their own names and
comments.  Each student draws a combination no classmate has for conv1d, so
no two independent submissions are the same code; output_length, a short
answer, is alike for many, as in a real class.  Every student works the
on-paper exercise on their own numbers (drawn from their id, as the graders
draw them) and writes their id in the notebook's NAME cell.
Some students hold a misconception: a handful slide the kernel without
flipping it (each in their own style), some forget uint8 (common), and the
planted wrong answers of tests/planted/ each go to one student (an on-paper
one with its misconception's values for that student's numbers).

:func:`plant_copies` adds the copies the report must rank first: a whole
notebook with every variable renamed, one with its functions and independent
statements reordered, one with comments and messages added, a wrong conv1d
copied from a classmate (the rest written by the copier), a conv1d copied
from the course's reference implementation, and a copy disguised all three
ways at once.  Copiers copy code: each works the on-paper exercise on their
own numbers.
"""
from __future__ import annotations

import ast
import copy
import functools
import inspect
import itertools
import json
import os
import random
import re
from pathlib import Path

from planted import all_plants
from autograder.notebook.syntax import parse as parse_python

ASSIGNMENT = "01-conv1d"
ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignments" / ASSIGNMENT / "conv1d.ipynb"

SIGNATURES = {
    "conv1d": "def conv1d({x}, {h}):",
    "conv1d_mode": 'def conv1d_mode({x}, {h}, mode="full"):',
    "output_length": 'def output_length({n}, {k}, mode="full"):',
}
DOCS = {
    "conv1d": '    """Full linear convolution of two 1-D sequences, by hand."""',
    "conv1d_mode": "    \"\"\"1-D convolution with numpy.convolve's output sizes: 'full', 'same' or 'valid'.\"\"\"",
    "output_length": '    """Length of the 1-D convolution of sequences of lengths n and k in `mode`."""',
}

NAMES = {
    "x": ["x", "signal", "a", "seq", "u", "xs", "inp", "sig", "first", "values"],
    "h": ["h", "kernel", "b", "w", "filt", "g", "taps", "second", "ker", "weights"],
    "y": ["y", "out", "result", "res", "output", "conv", "acc", "z", "answer", "ys"],
    "i": ["i", "k", "t", "idx", "pos", "p", "ii", "shift"],
    "j": ["j", "q", "l", "tap", "jj", "r", "c", "s"],
    "n": ["n", "N", "len_x", "nx", "lx", "size_x", "M1", "na"],
    "m": ["m", "K", "len_h", "nh", "lh", "size_h", "M2", "nb"],
    "pad": ["padded", "xp", "ext", "zp", "big", "buf"],
    "rev": ["flipped", "hr", "rev", "h_rev", "kr", "back"],
    "tot": ["total", "s_", "acc_", "running", "tmp", "cur"],
    "helper": ["_full", "full_conv", "_conv", "convolve_full", "_core", "do_conv", "_raw_conv"],
    "check": ["_check", "validate", "_require", "check_input", "_nonempty", "ensure_ok"],
    "dt": ["dtype", "dt", "kind", "out_type", "typ", "wide"],
}

COMMENTS = [
    "# output length is n + m - 1", "# flip the kernel", "# accumulate", "# every shift of the kernel", "# guard against empty input",
    "# widen so that uint8 does not wrap", "# sum of products", "# done", "# zero padding on both sides", "# TODO: tidy up",
    "# convolution = sliding + flipping", "# y[n] = sum_k x[k] h[n-k]",
]


def _names(rng: random.Random) -> dict[str, str]:
    names = {key: rng.choice(pool) for key, pool in NAMES.items()}
    if names["x"] == names["h"] or len({names[k] for k in ("x", "h", "y", "i", "j", "n", "m")}) < 7:
        return _names(rng)
    return names


# --------------------------------------------------------------------------- conv1d, in pieces

CONVERT = {
    "asarray": ["{x} = np.asarray({x})", "{h} = np.asarray({h})"],
    "array": ["{x} = np.array({x})", "{h} = np.array({h})"],
    "tuple": ["{x}, {h} = np.asarray({x}), np.asarray({h})"],
    "atleast": ["{x} = np.atleast_1d(np.asarray({x}))", "{h} = np.atleast_1d(np.asarray({h}))"],
}
VALIDATE = {
    "or": ['if {x}.size == 0 or {h}.size == 0:', '    raise ValueError("both inputs need at least one value")'],
    "two": ['if len({x}) == 0:', '    raise ValueError("x is empty")', 'if len({h}) == 0:', '    raise ValueError("h is empty")'],
    "not": ['if not len({x}) or not len({h}):', '    raise ValueError("empty input")'],
    "min": ['if min(len({x}), len({h})) == 0:', '    raise ValueError("cannot convolve an empty sequence")'],
    "loop": ['for name, v in (("x", {x}), ("h", {h})):', '    if v.ndim != 1:', '        raise ValueError(f"{{name}} must be 1-D")',
             '    if v.size == 0:', '        raise ValueError(f"{{name}} is empty")'],
    "helper": ["{check}({x})", "{check}({h})"],
}
CHECK_HELPER = ['def {check}(v):', '    if np.ndim(v) != 1 or np.size(v) == 0:', '        raise ValueError("need a non-empty 1-D sequence")']
WIDEN = {
    "none": [],
    "float": ["{x} = {x}.astype(float)", "{h} = {h}.astype(float)"],
    "kind": ['{dt} = np.int64 if {x}.dtype.kind in "biu" and {h}.dtype.kind in "biu" else np.float64',
             "{x} = {x}.astype({dt})", "{h} = {h}.astype({dt})"],
    "result": ["{dt} = np.result_type({x}, {h}, np.int64)", "{x}, {h} = {x}.astype({dt}), {h}.astype({dt})"],
    "ifint": ['if {x}.dtype.kind in "biu":', "    {x} = {x}.astype(np.int64)", 'if {h}.dtype.kind in "biu":', "    {h} = {h}.astype(np.int64)"],
}
LENGTHS = {
    "len": ["{n} = len({x})", "{m} = len({h})"],
    "size": ["{n}, {m} = {x}.size, {h}.size"],
    "shape": ["{n} = {x}.shape[0]", "{m} = {h}.shape[0]"],
}
#: each core computes {y} from {x} (length {n}) and {h} (length {m}); flip=False slides without flipping
CORES = {
    "offset_x": ["{y} = np.zeros({n} + {m} - 1, dtype=np.result_type({x}, {h}))", "for {i} in range({n}):",
                 "    {y}[{i}:{i} + {m}] += {x}[{i}] * {h}"],
    "offset_h": ["{y} = np.zeros({n} + {m} - 1, dtype=np.result_type({x}, {h}))", "for {j} in range({m}):",
                 "    {y}[{j}:{j} + {n}] = {y}[{j}:{j} + {n}] + {h}[{j}] * {x}"],
    "double": ["{y} = np.zeros({n} + {m} - 1, dtype=np.result_type({x}, {h}))", "for {i} in range({n}):", "    for {j} in range({m}):",
               "        {y}[{i} + {j}] += {x}[{i}] * {h}[{j}]"],
    "bounds_if": ["{y} = np.zeros({n} + {m} - 1, dtype=np.result_type({x}, {h}))", "for {i} in range({n} + {m} - 1):", "    {tot} = 0",
                  "    for {j} in range({n}):", "        if 0 <= {i} - {j} < {m}:", "            {tot} = {tot} + {x}[{j}] * {h}[{i} - {j}]",
                  "    {y}[{i}] = {tot}"],
    "bounds_range": ["{y} = np.zeros({n} + {m} - 1, dtype=np.result_type({x}, {h}))", "for {i} in range(len({y})):",
                     "    lo, hi = max(0, {i} - {m} + 1), min({i}, {n} - 1)",
                     "    {y}[{i}] = sum({x}[{j}] * {h}[{i} - {j}] for {j} in range(lo, hi + 1))"],
    "padded_dot": ["{pad} = np.concatenate([np.zeros({m} - 1, dtype={x}.dtype), {x}, np.zeros({m} - 1, dtype={x}.dtype)])",
                   "{rev} = {h}[::-1]", "{y} = np.array([np.dot({pad}[{i}:{i} + {m}], {rev}) for {i} in range({n} + {m} - 1)])"],
    "padded_loop": ["{pad} = np.pad({x}, ({m} - 1, {m} - 1))", "{rev} = np.flip({h})", "{y} = np.zeros({n} + {m} - 1, dtype={pad}.dtype)",
                    "for {i} in range(len({y})):", "    {y}[{i}] = np.sum({pad}[{i}:{i} + {m}] * {rev})"],
    "while": ["{y} = np.zeros({n} + {m} - 1, dtype=np.result_type({x}, {h}))", "{i} = 0", "while {i} < {n}:", "    {j} = 0",
              "    while {j} < {m}:", "        {y}[{i} + {j}] += {x}[{i}] * {h}[{j}]", "        {j} += 1", "    {i} += 1"],
    "outer": ["{pad} = np.fliplr(np.outer({x}, {h}))",
              "{y} = np.array([np.trace({pad}, offset={m} - 1 - {i}) for {i} in range({n} + {m} - 1)])"],
    "toeplitz": ["{pad} = np.zeros(({n} + {m} - 1, {m}), dtype={x}.dtype)", "for {j} in range({m}):", "    {pad}[{j}:{j} + {n}, {j}] = {x}",
                 "{y} = {pad} @ {h}"],
    "sliding": ["from numpy.lib.stride_tricks import sliding_window_view",
                "{pad} = np.pad({x}, ({m} - 1, {m} - 1))", "{y} = sliding_window_view({pad}, {m}) @ {h}[::-1]"],
    "add_at": ["{y} = np.zeros({n} + {m} - 1, dtype=np.result_type({x}, {h}))",
               "np.add.at({y}, np.add.outer(np.arange({n}), np.arange({m})), np.outer({x}, {h}))"],
    "lists": ["{y} = []", "for {i} in range({n} + {m} - 1):", "    {tot} = 0", "    for {j} in range({m}):",
              "        if 0 <= {i} - {j} < {n}:", "            {tot} += {x}[{i} - {j}] * {h}[{j}]", "    {y}.append({tot})",
              "{y} = np.array({y})"],
}
#: the no-flip versions of the cores where sliding without flipping is the natural slip
NO_FLIP = {
    "padded_dot": lambda lines: [line.replace("{h}[::-1]", "{h}") for line in lines],
    "padded_loop": lambda lines: [line.replace("np.flip({h})", "{h}") for line in lines],
    "sliding": lambda lines: [line.replace("{h}[::-1]", "{h}") for line in lines],
    "bounds_range": lambda lines: [line.replace("{h}[{i} - {j}]", "{h}[{m} - 1 - ({i} - {j})]") for line in lines],
}
RETURNS = {"plain": ["return {y}"], "asarray": ["return np.asarray({y})"]}


def _fill(lines: list[str], names: dict[str, str], indent: str = "    ") -> list[str]:
    return [indent + line.format(**names) if line else "" for line in lines]


def conv1d_source(names: dict[str, str], combo: tuple, *, flip: bool = True, rng: random.Random) -> str:
    convert, validate, widen, lengths, core, helper, ret = combo
    core_lines = CORES[core] if flip else NO_FLIP[core](CORES[core])
    body: list[str] = []
    body += CONVERT[convert] + VALIDATE[validate] + WIDEN[widen] + LENGTHS[lengths]
    before: list[str] = []
    if validate == "helper":
        before += CHECK_HELPER + [""]
    if helper:
        before += ["def {helper}({x}, {h}, {n}, {m}):"] + ["    " + line for line in core_lines] + ["    " + RETURNS[ret][0], ""]
        body += ["return {helper}({x}, {h}, {n}, {m})"]
    else:
        body += core_lines + RETURNS[ret]
    main = [SIGNATURES["conv1d"].format(**names)]
    if rng.random() < 0.5:
        main.append(DOCS["conv1d"])
    main += _sprinkle(_fill(body, names), rng)
    helpers = _fill(before, names, "")
    # helpers before the function that calls them, or after it
    lines = helpers + main if rng.random() < 0.5 else main + [""] + helpers
    return "\n".join(lines).rstrip("\n") + "\n"


def _sprinkle(lines: list[str], rng: random.Random, rate: float = 0.2) -> list[str]:
    """Some comments and blank lines, as people leave them."""
    out = []
    for line in lines:
        if rng.random() < rate and line.strip():
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + rng.choice(COMMENTS))
        out.append(line)
        if rng.random() < 0.08:
            out.append("")
    return out


# --------------------------------------------------------------------------- conv1d_mode and output_length

MODE_CHECK = {
    "first": ['if mode not in ("full", "same", "valid"):', '    raise ValueError(f"unknown mode {{mode!r}}")'],
    "set": ['if mode not in {{"full", "same", "valid"}}:', '    raise ValueError("mode must be full, same or valid")'],
    "last": [],
}
MODE_SIZES = {
    "minmax": ["{n}, {m} = len({x}), len({h})", "short, long_ = min({n}, {m}), max({n}, {m})"],
    "direct": ["short = min(len({x}), len({h}))", "long_ = max(len({x}), len({h}))"],
    "sorted": ["short, long_ = sorted((np.size({x}), np.size({h})))"],
}
MODE_FULL = {"call": ["{y} = conv1d({x}, {h})"], "arrays": ["{y} = conv1d(np.asarray({x}), np.asarray({h}))"]}
MODE_BODY = {
    "chain": ['if mode == "full":', "    return {y}", 'if mode == "same":', "    {i} = (short - 1) // 2", "    return {y}[{i}:{i} + long_]",
              "{valid}"],
    "elif": ['if mode == "full":', "    return {y}", 'elif mode == "same":', "    return {y}[(short - 1) // 2:(short - 1) // 2 + long_]",
             'elif mode == "valid":', "    {valid_stmt}", "else:", '    raise ValueError("unknown mode")'],
    "bounds": ['if mode == "full":', "    {i}, {j} = 0, len({y})", 'elif mode == "same":', "    {i} = (len({y}) - long_) // 2", "    {j} = {i} + long_",
               "else:", "    {i}, {j} = short - 1, long_", "return {y}[{i}:{j}]"],
    "dict": ["starts = {{'full': 0, 'same': (short - 1) // 2, 'valid': short - 1}}",
             "sizes = {{'full': len({y}), 'same': long_, 'valid': long_ - short + 1}}",
             "{i} = starts[mode]", "return {y}[{i}:{i} + sizes[mode]]"],
}
VALID = {
    "slice": "return {y}[short - 1:long_]",
    "symmetric": "return {y}[short - 1:len({y}) - short + 1]",
    "count": "return {y}[short - 1:short - 1 + long_ - short + 1]",
}


def mode_source(names: dict[str, str], combo: tuple, rng: random.Random) -> str:
    check, sizes, full, body, valid = combo
    if body in ("elif",):
        check = "first" if check == "last" else check
    lines = MODE_CHECK[check] + MODE_SIZES[sizes] + MODE_FULL[full]
    body_lines = [line.replace("{valid}", VALID[valid]).replace("{valid_stmt}", VALID[valid]) for line in MODE_BODY[body]]
    if body == "chain" and check == "last":
        body_lines = body_lines[:-1] + ['if mode == "valid":', "    " + VALID[valid], 'raise ValueError("unknown mode")']
    if body in ("bounds", "dict") and check == "last":
        lines = MODE_CHECK["first"] + lines
    out = [SIGNATURES["conv1d_mode"].format(**names)]
    if rng.random() < 0.4:
        out.append(DOCS["conv1d_mode"])
    return "\n".join(out + _sprinkle(_fill(lines + body_lines, names), rng, 0.15)) + "\n"


LENGTH_STYLES = {
    "chain": ['if mode == "full":', "    return {n} + {k} - 1", 'if mode == "same":', "    return max({n}, {k})", 'if mode == "valid":',
              "    return {valid}", 'raise ValueError("unknown mode")'],
    "elif": ['if mode == "full":', "    return {n} + {k} - 1", 'elif mode == "same":', "    return max({n}, {k})", 'elif mode == "valid":',
             "    return {valid}", "else:", '    raise ValueError(f"bad mode {{mode}}")'],
    "dict": ['sizes = {{"full": {n} + {k} - 1, "same": max({n}, {k}), "valid": {valid}}}', "if mode not in sizes:",
             '    raise ValueError("mode must be full, same or valid")', "return sizes[mode]"],
    "first": ['if mode not in ("full", "same", "valid"):', '    raise ValueError("unknown mode")', 'if mode == "full":',
              "    return {n} + {k} - 1", 'return max({n}, {k}) if mode == "same" else {valid}'],
    "match": ["match mode:", '    case "full":', "        return {n} + {k} - 1", '    case "same":', "        return max({n}, {k})",
              '    case "valid":', "        return {valid}", "    case _:", '        raise ValueError("unknown mode")'],
    "try": ["try:", '    return {{"full": {n} + {k} - 1, "same": max({n}, {k}), "valid": {valid}}}[mode]', "except KeyError:",
            '    raise ValueError("unknown mode") from None'],
}
LENGTH_VALID = ["max({n}, {k}) - min({n}, {k}) + 1", "abs({n} - {k}) + 1", "max({n} - {k}, {k} - {n}) + 1"]


def length_source(names: dict[str, str], combo: tuple, rng: random.Random) -> str:
    style, valid = combo
    local = dict(names, n=names["n"], k=names["m"])
    lines = [line.replace("{valid}", LENGTH_VALID[valid]) for line in LENGTH_STYLES[style]]
    out = [SIGNATURES["output_length"].format(n=local["n"], k=local["k"])]
    if rng.random() < 0.5:
        out.append(DOCS["output_length"])
    return "\n".join(out + _sprinkle(_fill(lines, local), rng, 0.1)) + "\n"


#: ways to write the on-paper answer, filled with a student's own numbers (x, h) and answer (y)
BY_HAND = [
    "y_by_hand = {y}",
    "# y[0] = {x[0]}*{h[0]} = {y[0]}, y[1] = {x[0]}*{h[1]} + {x[1]}*{h[0]} = {y[1]}\ny_by_hand = {y}",
    "y_by_hand = np.array({y})",
    "y_by_hand = {y_tuple}",
    "y_by_hand = {y}  # worked out on paper",
]


@functools.lru_cache(maxsize=None)
def _course():
    from autograder.course import load_course

    return load_course(os.environ.get("AUTOGRADER_COURSE") or ROOT / "course.yml")


def own_numbers(student: str) -> tuple[list[int], list[int], list[int]]:
    """``student``'s x and h of the on-paper exercise and its right answer, as the graders draw them
    (the lesson's when the course turns variants off)."""
    from autograder.engine.numbers import draw_for
    from autograder.exercises import get

    course, ex = _course(), get("by_hand_full")
    if ex.numbers is None:
        return [3, 4, 5], [2, 1, 0], [int(v) for v in ex.values["y_by_hand"]]
    numbers = draw_for(ex, student if course.assignment(ASSIGNMENT).variants else None, course.variant_seed)
    answer = ex.numbers.answers(numbers)["y_by_hand"]
    return [int(v) for v in numbers["x"]], [int(v) for v in numbers["h"]], [int(v) for v in answer]


def by_hand_answer(student: str, style: str | None = None) -> str:
    """``student``'s on-paper answer cell, written in ``style`` (one of BY_HAND; default: one the id picks)."""
    x, h, y = own_numbers(student)
    style = style if style is not None else random.Random(f"by-hand {student}").choice(BY_HAND)
    return style.format(x=x, h=h, y=y, y_tuple=tuple(y))


def own_plant(student: str, plant) -> str:
    """``plant``'s answer cell as ``student`` writes it (an on-paper one: its values for their numbers)."""
    from conftest import personal_plant_source

    return personal_plant_source(_course(), ASSIGNMENT, student, plant)


# --------------------------------------------------------------------------- the class


def _combos(rng: random.Random) -> list[tuple]:
    combos = list(itertools.product(CONVERT, VALIDATE, WIDEN, LENGTHS, CORES, (False, True), RETURNS))
    rng.shuffle(combos)
    return combos


def _apart(a: tuple, b: tuple, at_least: int = 3) -> bool:
    return sum(x != y for x, y in zip(a, b)) >= at_least


def independent_class(count: int, seed: int = 7, *, no_flip: int = 5, plants: bool = True) -> dict[str, dict[str, str]]:
    """``count`` students' answers ({student: {exercise id: cell source}}), each written on their own."""
    rng = random.Random(seed)
    combos = _combos(rng)
    flipless = [c for c in combos if c[4] in NO_FLIP]
    students: dict[str, dict[str, str]] = {}
    mode_combos = list(itertools.product(MODE_CHECK, MODE_SIZES, MODE_FULL, MODE_BODY, VALID))
    length_combos = list(itertools.product(LENGTH_STYLES, range(len(LENGTH_VALID))))
    plant_list = [p for a, p in all_plants() if a == ASSIGNMENT and p.status not in ("timeout", "not-implemented")] if plants else []
    used: set[tuple] = set()
    for n in range(count):
        student = f"s{n:03d}"
        names = _names(rng)
        flip = n >= no_flip
        pool = combos if flip else [c for c in flipless if c[4] == list(NO_FLIP)[n % len(NO_FLIP)]] or flipless
        # nobody's conv1d is a classmate's with one or two choices changed: independent people differ in more
        combo = next((c for c in pool if all(_apart(c, u) for u in used)), None) or next(c for c in pool if c not in used)
        used.add(combo)
        answers = {
            "by_hand_full": by_hand_answer(student, rng.choice(BY_HAND)),
            "conv1d": conv1d_source(names, combo, flip=flip, rng=rng),
            "conv1d_mode": mode_source(names, rng.choice(mode_combos), rng),
            "output_length": length_source(names, rng.choice(length_combos), rng),
        }
        if rng.random() < 0.06:
            answers["output_length"] = 'def output_length(n, k, mode="full"):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'
        students[student] = answers
    # each planted wrong answer of tests/planted/ goes to one student (after the no-flip ones)
    for offset, plant in enumerate(plant_list):
        student = f"s{no_flip + 3 * offset + 1:03d}"
        if student in students:
            students[student][plant.exercise] = own_plant(student, plant).strip("\n") + "\n"
    return students


# --------------------------------------------------------------------------- planted copies


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def visit_Name(self, node):
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node):
        if node.name.startswith("_") or node.name not in ("conv1d", "conv1d_mode", "output_length"):
            node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node


def renamed(source: str, salt: str) -> str:
    """``source`` with every variable, parameter and helper renamed (exercise functions keep their names), reprinted."""
    tree = parse_python(source)
    taken = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            taken.add(node.id)
        elif isinstance(node, ast.arg):
            taken.add(node.arg)
        elif isinstance(node, ast.FunctionDef) and node.name not in ("conv1d", "conv1d_mode", "output_length"):
            taken.add(node.name)
    taken.discard("mode")  # a keyword the callers use
    mapping = {name: f"{salt}_{i}_{name[:2].strip('_') or 'v'}" for i, name in enumerate(sorted(taken))}
    return ast.unparse(_Rename(mapping).visit(tree)) + "\n"


def reordered(source: str) -> str:
    """``source`` with its top-level functions in the opposite order and neighbouring independent assignments swapped."""
    tree = parse_python(source)
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    others = [n for n in tree.body if not isinstance(n, ast.FunctionDef)]
    tree.body = others + defs[::-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            body = node.body
            for k in range(len(body) - 1):
                a, b = body[k], body[k + 1]
                if isinstance(a, ast.Assign) and isinstance(b, ast.Assign) and len(a.targets) == len(b.targets) == 1:
                    wa = {n.id for n in ast.walk(a.targets[0]) if isinstance(n, ast.Name)}
                    rb = {n.id for n in ast.walk(b.value) if isinstance(n, ast.Name)}
                    wb = {n.id for n in ast.walk(b.targets[0]) if isinstance(n, ast.Name)}
                    ra = {n.id for n in ast.walk(a.value) if isinstance(n, ast.Name)}
                    if not (wa & rb) and not (wb & ra) and not (wa & wb):
                        body[k], body[k + 1] = b, a
                        break
    return ast.unparse(tree) + "\n"


def commented(source: str, rng: random.Random) -> str:
    """``source`` with comments on many lines, blank lines, and its error messages reworded."""
    out = []
    for line in source.splitlines():
        if line.strip() and rng.random() < 0.6:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# {rng.choice(['step', 'note', 'here we go', 'important', 'from the lecture', 'careful'])}: {rng.choice(COMMENTS)[2:]}")
        out.append(line)
        if rng.random() < 0.3:
            out.append("")
    text = "\n".join(out) + "\n"
    return re.sub(r'ValueError\((f?)"[^"]*"\)', r'ValueError(\1"that input cannot be used, sorry")', text)


WRONG_CONV1D = '''
def conv1d(x, h):
    x = np.asarray(x, dtype=float)
    h = np.asarray(h, dtype=float)
    if x.size == 0 or h.size == 0:
        raise ValueError("empty")
    padded = np.concatenate([np.zeros(h.size - 1), x, np.zeros(h.size - 1)])
    back = h[::-1]
    out = np.zeros(x.size + h.size - 1)
    for i in range(1, out.size):  # the first output is left at 0
        out[i] = padded[i:i + h.size] @ back
    return out
'''


def reference_conv1d() -> str:
    """conv1d as the course's reference package writes it, with the helpers it calls, as a learner would paste it."""
    import importlib

    from autograder.references import _validate

    ref = importlib.import_module("autograder.references.conv1d")

    helpers = (_validate.as_array, _validate.as_ndim, _validate.as_1d, _validate.promote, ref._full, ref._inputs, ref.conv1d)
    parts = [inspect.getsource(f) for f in helpers]
    return "from numpy.lib.stride_tricks import sliding_window_view\n_OFFSET_LOOP_MAX = 32\n\n" + "\n\n".join(parts)


PLANTED = ("renamed", "reordered", "commented", "copied-wrong", "copied-reference", "disguised")


def plant_copies(students: dict[str, dict[str, str]], seed: int = 11) -> dict[str, tuple[str, str]]:
    """Add the planted copies to ``students``; return {kind: (student, source)} where source is a student or 'reference'."""
    rng = random.Random(seed)
    ids = sorted(students)
    pick = iter(rng.sample(ids[10:], 6))
    planted: dict[str, tuple[str, str]] = {}

    def copy_of(source_student: str, transform) -> dict[str, str]:
        return {ex: transform(code) if ex != "by_hand_full" else code for ex, code in students[source_student].items()}

    def own_paper(copier: str) -> None:
        """The copier works the on-paper exercise on their own numbers: the code is what was copied."""
        students[copier]["by_hand_full"] = by_hand_answer(copier)

    a = next(pick)
    students["c-renamed"] = copy_of(a, lambda code: renamed(code, "v"))
    planted["renamed"] = ("c-renamed", a)
    b = next(pick)
    students["c-reordered"] = copy_of(b, reordered)
    planted["reordered"] = ("c-reordered", b)
    c = next(pick)
    students["c-commented"] = copy_of(c, lambda code: commented(code, rng))
    planted["commented"] = ("c-commented", c)
    d = next(pick)
    students[d] = dict(students[d], conv1d=WRONG_CONV1D.lstrip("\n"))
    writer = independent_class(1, seed=999, no_flip=0, plants=False)["s000"]
    students["c-copied-wrong"] = dict(writer, conv1d=commented(renamed(WRONG_CONV1D, "w"), rng))
    planted["copied-wrong"] = ("c-copied-wrong", d)
    writer = independent_class(1, seed=1001, no_flip=0, plants=False)["s000"]
    students["c-copied-reference"] = dict(writer, conv1d=reference_conv1d())
    planted["copied-reference"] = ("c-copied-reference", "reference")
    e = next(pick)
    students["c-disguised"] = copy_of(e, lambda code: commented(reordered(renamed(code, "z")), rng))
    planted["disguised"] = ("c-disguised", e)
    for copier, _ in planted.values():
        own_paper(copier)
    return planted


# --------------------------------------------------------------------------- notebooks on disk


def notebook_with(answers: dict[str, str], release: Path = RELEASE, student: str | None = None) -> dict:
    """The release with ``answers`` by grade_id, and ``student``'s id in the NAME cell when given."""
    nb = json.loads(release.read_text(encoding="utf-8"))
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if student is not None and cell["cell_type"] == "code" and source.startswith("NAME = "):
            cell["source"] = f"NAME = {student!r}"
    return nb


def write_class(students: dict[str, dict[str, str]], root: Path, *, layout: str = "nbgrader") -> Path:
    """Write every student's notebook: nbgrader's submitted/STUDENT/01-conv1d/conv1d.ipynb, or a flat folder."""
    folder = root / ("submitted" if layout == "nbgrader" else "downloads")
    for student, answers in students.items():
        nb = notebook_with(answers, student=student)
        if layout == "nbgrader":
            path = folder / student / ASSIGNMENT / "conv1d.ipynb"
        else:
            path = folder / f"{student}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return folder
