"""The learner kit's exercises: compiled data instead of declarations.

``autograder build-kit`` (:mod:`autograder.frontends.kit`) compiles every
exercise of course.yml, for the course's public (practice) seed, into one
data file per assignment under ``compiled/``: the visible, bad-input and
practice hidden cases with their expected outputs, the output each
misconception's wrong implementation gives on each case, the candidates its
detector compares with, the on-paper answers sealed (:mod:`.sealed`), and
the judges that grade answers without one right value, as small functions
copied into ``portable/`` with their data.  No reference, no hidden-case
generator and no wrong implementation ships: this module turns that data
back into :class:`~autograder.engine.spec.Exercise` objects that the engine
evaluates exactly as it evaluates the instructor's declarations.

In the instructor's install there is no ``compiled/`` folder and nothing
here is used.
"""
from __future__ import annotations

import base64
import gzip
import importlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..engine.compare import compare
from ..engine.outcome import WorkPath
from ..engine.probes import ScalarFunction
from ..engine.spec import UNSET, Case, ErrorCase, Exercise, InputFile, Misconception, Numbers, OutputFile, Setting, Tolerance
from .sealed import Sealed, numbers_key

#: Where a kit keeps its compiled exercises (absent from the instructor's install).
DATA = Path(__file__).resolve().parent / "compiled"
INDEX = "index.json"
FORMAT = 1
#: The answers every learner shares; each rostered student's own (variants) sit beside them, under a salted hash
#: of their numbers (:func:`autograder.exercises.sealed.numbers_key`).
VARIANT = "*"


class KitError(ValueError):
    """The kit cannot do what was asked (another seed, a missing assignment); the message says why."""


# --------------------------------------------------------------------------- the data format

def encode(value: Any) -> Any:
    """Plain JSON for the values cases hold (arrays bit for bit, tuples, dicts, files)."""
    if value is UNSET:
        return {"$unset": 1}
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return value if abs(value) < 2**53 else {"$int": str(value)}
    if type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(np.ndarray.view(value, np.ndarray))
        if data.dtype.kind not in "biufc":
            raise TypeError(f"cannot compile an array of dtype {data.dtype}")
        cents = _cents(data)
        if cents is not None:  # floats of two decimals (the course's fixed draws): as hundredths, a quarter of the size
            negative_zeros = np.flatnonzero((data == 0) & np.signbit(data))
            return {"$cents": list(data.shape), "data": base64.b64encode(cents.tobytes()).decode("ascii"),
                    "-0": [int(i) for i in negative_zeros]}
        return {"$nd": data.dtype.str, "shape": list(data.shape), "data": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, np.generic):
        scalar = np.asarray(value)
        return {"$np": scalar.dtype.str, "data": base64.b64encode(scalar.tobytes()).decode("ascii")}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, WorkPath):
        return {"$workpath": value.name}
    if isinstance(value, InputFile):
        return {"$file": [value.name, base64.b64encode(value.data).decode("ascii")]}
    if isinstance(value, Setting):
        return {"$setting": value.name}
    if isinstance(value, ScalarFunction):  # a probe of grad_check: its coefficients (the kit's engine rebuilds it)
        return {"$probe": [list(value.shape), *(encode(getattr(value, k)) for k in ("cubic", "quadratic", "linear", "wave")), value.label]}
    if type(value) is tuple:
        return {"$tuple": [encode(v) for v in value]}
    if type(value) is list:
        return [encode(v) for v in value]
    if type(value) is dict:
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot compile a {type(value).__name__}: {value!r}"[:200])


def _cents(data: np.ndarray) -> np.ndarray | None:
    """``data`` as int16 hundredths when ``hundredths / 100`` gives back exactly its float64 values."""
    if data.dtype != np.float64 or data.size < 64 or not np.all(np.isfinite(data)):
        return None
    with np.errstate(all="ignore"):
        hundredths = np.rint(data * 100)
    if np.max(np.abs(hundredths), initial=0) > 32767:
        return None
    cents = hundredths.astype("<i2")
    back = cents.astype(np.float64) / 100
    return cents if np.array_equal(back, data) and np.array_equal(np.signbit(back) | (data == 0), np.signbit(data) | (data == 0)) else None


def decode(data: Any) -> Any:
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v) for v in data]
    if "$nd" in data:
        dtype = np.dtype(data["$nd"])
        return np.frombuffer(base64.b64decode(data["data"]), dtype=dtype).reshape(data["shape"]).copy()
    if "$cents" in data:
        values = np.frombuffer(base64.b64decode(data["data"]), dtype="<i2").astype(np.float64) / 100
        values[np.asarray(data.get("-0", []), dtype=np.int64)] = -0.0
        return values.reshape(data["$cents"])
    if "$np" in data:
        return np.frombuffer(base64.b64decode(data["data"]), dtype=np.dtype(data["$np"]))[0]
    if "$tuple" in data:
        return tuple(decode(v) for v in data["$tuple"])
    if "$dict" in data:
        return {decode(k): decode(v) for k, v in data["$dict"]}
    if "$unset" in data:
        return UNSET
    if "$float" in data:
        return float(data["$float"])
    if "$int" in data:
        return int(data["$int"])
    if "$bytes" in data:
        return base64.b64decode(data["$bytes"])
    if "$workpath" in data:
        return WorkPath(data["$workpath"])
    if "$setting" in data:
        return Setting(data["$setting"])
    if "$probe" in data:
        shape, cubic, quadratic, linear, wave, label = data["$probe"]
        return ScalarFunction(shape, cubic=decode(cubic), quadratic=decode(quadratic), linear=decode(linear), wave=decode(wave), label=label)
    if "$file" in data:
        return InputFile(data["$file"][0], base64.b64decode(data["$file"][1]))
    raise ValueError(f"unknown compiled value {sorted(data)[:3]}")


def dump(value: Any, path: Path) -> None:
    path.write_bytes(gzip.compress(json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8"), mtime=0))


def load(path: Path) -> Any:
    return json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))


# --------------------------------------------------------------------------- the kit's index

def available() -> bool:
    """Is this install a learner kit (compiled exercises, no declarations)?"""
    return (DATA / INDEX).is_file()


@lru_cache(maxsize=1)
def index() -> dict:
    return json.loads((DATA / INDEX).read_text(encoding="utf-8"))


def seed() -> int:
    """The practice seed the kit was compiled for (course.yml's public seed)."""
    return int(index()["seed"])


def assignment_of(exercise_id: str) -> str | None:
    for assignment, entry in index()["assignments"].items():
        if exercise_id in entry["exercises"]:
            return assignment
    return None


def seed_problem(wanted: int | None) -> str | None:
    """Why the kit cannot check with seed ``wanted`` (None when it can)."""
    if wanted is None or int(wanted) == seed():
        return None
    return (f"this learner kit holds the practice checks of seed {seed()}, not {wanted}: "
            "check without choosing a seed, or ask your instructor for a kit built with that one.")


# --------------------------------------------------------------------------- cases carrying their data

@dataclass
class CompiledCase(Case):
    """A case of the kit: its expected output and, per misconception, what the detector compares with."""

    detections: dict = field(default_factory=dict)


@dataclass
class CompiledExercise(Exercise):
    """An exercise rebuilt from the kit's data; its wrong outputs come compiled too."""

    wrong_outputs: dict = field(default_factory=dict)
    compiled_seed: int = 0

    def precomputed_wrong(self, seed: int, count: int) -> dict:
        """What :class:`~autograder.engine.prepare.Prepared` caches of the wrong implementations, for ``seed``."""
        return dict(self.wrong_outputs) if seed == self.compiled_seed else {}


def _case(data: dict) -> CompiledCase:
    case = CompiledCase(
        args=decode(data["args"]), kwargs=decode(data["kwargs"]), expected=decode(data["expected"]),
        label=data["label"], files=tuple(decode(data["files"])),
        detections={k: decode(v) for k, v in data.get("detect", {}).items()},
        function=data.get("function", ""), timed=bool(data.get("timed")), cap=data.get("cap"),
        then=decode(data.get("then")),
    )
    if data.get("judge") is not None:
        case.judge = judge(data["judge"])
    return case


def _error_case(data: dict) -> ErrorCase:
    return ErrorCase(args=decode(data["args"]), kwargs=decode(data["kwargs"]), raises=tuple(data["raises"]),
                     label=data["label"], files=tuple(decode(data["files"])), own=data["own"], function=data.get("function", ""))


# --------------------------------------------------------------------------- code that ships: pure functions

def portable(ref: str, cells: dict | None = None) -> Callable:
    """A function copied into the kit by the builder (``module:name``), made with its data (``cells``)."""
    module, name = ref.split(":")
    function = getattr(importlib.import_module(f"{__package__}.portable.{module}"), name)
    return function(**{k: decode(v) for k, v in cells.items()}) if cells is not None else function


@lru_cache(maxsize=None)
def constants(module: str) -> dict:
    """The module-level data of a portable module (the photo's checksum, the blog's kernels...)."""
    return {k: decode(v) for k, v in load(DATA / f"portable-{module}.json.gz").items()}


def judge(form: dict) -> Callable:
    if form["kind"] == "code":
        return portable(form["ref"], form.get("cells"))
    if form["kind"] == "max-lr":
        return _max_lr_judge(form)
    raise ValueError(f"unknown judge {form['kind']!r}")


def _salt(form: dict) -> bytes:
    return bytes.fromhex(form["salt"])


def _max_lr_judge(form: dict) -> Callable:
    """max_stable_lr within 5 % of the limit (the notes' stripe's, or a rostered student's own), it and the limit of the
    stripe one column narrower sealed; its messages never say which side."""
    from ..engine import render
    from .sealed import window_accepts

    shape, rounds, salt = form.get("shape"), int(form["rounds"]), _salt(form)
    stripe, book_message = form["stripe"], form["book_message"]  # the image asked about (the notes', or a student's own)

    def judge(got, max_stable_lr=None, **_values) -> str | None:
        if isinstance(got, dict):  # a value exercise: the learner's values by name
            value = got.get("max_stable_lr")
        else:  # learn_kernel's check, with max_stable_lr beside the learned kernel
            if shape is not None and got is not None and isinstance(got, np.ndarray) and got.shape != tuple(shape):
                return portable("cnn_layers_detect:kernel_problem")(got, tuple(shape))
            value = max_stable_lr
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            return (f"max_stable_lr should be a number, the largest learning rate for which gradient descent converges "
                    f"on {stripe}; it is {render.value(value, 60)}.")
        value = float(value)
        if not math.isfinite(value) or value <= 0:
            return f"max_stable_lr is {value:g}; a learning rate is a positive number."
        if window_accepts(form["limit"], value, salt, "limit", rounds):
            return None
        if window_accepts(form["book"], value, salt, "book", rounds):
            return book_message
        return form["message"].replace("{value}", f"{value:.4g}")

    return judge


# --------------------------------------------------------------------------- misconceptions by matching

def _part(got: Any, part: int | None) -> tuple[bool, Any]:
    if part is None:
        return True, got
    if not isinstance(got, (tuple, list)) or len(got) <= part:
        return False, None
    return True, got[part]


def _candidates(mid: str) -> Callable:
    """The learner's output (or a part of it) equals one of the outputs compiled for this case."""
    def detect(case, got) -> bool:
        for part, value in getattr(case, "detections", {}).get(mid) or ():
            ok, item = _part(got, part)
            if ok and value is not None and compare(value, item) is None:
                return True
        return False
    return detect


def _shapes(mid: str) -> Callable:
    """The learner's array (or a part of it, or its last axes) has one of the shapes compiled for this case."""
    def detect(case, got) -> bool:
        for part, tail, shape in getattr(case, "detections", {}).get(mid) or ():
            ok, item = _part(got, part)
            if ok and isinstance(item, np.ndarray) and tuple(item.shape[-tail:] if tail else item.shape) == tuple(shape):
                return True
        return False
    return detect


def _blocks(mid: str) -> Callable:
    """A contiguous block of a result compiled for this case, of one of the shapes listed (np.allclose)."""
    def detect(case, got) -> bool:
        data = getattr(case, "detections", {}).get(mid)
        if not data or not isinstance(got, np.ndarray):
            return False
        full, shapes = data["full"], [tuple(s) for s in data["shapes"]]
        if got.ndim != full.ndim or got.shape not in shapes or any(g > f for g, f in zip(got.shape, full.shape)):
            return False
        ranges = [range(f - g + 1) for g, f in zip(got.shape, full.shape)]
        for start in np.ndindex(*[len(r) for r in ranges]):
            window = tuple(slice(s, s + g) for s, g in zip(start, got.shape))
            if np.allclose(full[window], got):
                return True
        return False
    return detect


def _rows(mid: str) -> Callable:
    """A model summary whose names and shapes are right and whose parameter counts are right or this misconception's."""
    def detect(case, got) -> bool:
        data = getattr(case, "detections", {}).get(mid)
        if not data:
            return False
        expected, wrong = data["expected"], data["wrong"]
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return False
        seen = False
        try:
            for g, e, w in zip(got, expected, wrong):
                if not isinstance(g, (list, tuple)) or len(g) != 3 or g[0] != e[0]:
                    return False
                if tuple(int(v) for v in g[1]) != tuple(e[1]):
                    return False
                if int(g[2]) == e[2]:
                    continue
                if int(g[2]) != w:
                    return False
                seen = True
        except (TypeError, ValueError):
            return False
        return seen
    return detect


def _all_parts(mid: str) -> Callable:
    """Each listed part of the learner's tuple equals one of its candidates (dX turned, dW and db right)."""
    def detect(case, got) -> bool:
        data = getattr(case, "detections", {}).get(mid)
        if not data or not isinstance(got, (tuple, list)) or len(got) != data["length"]:
            return False
        return all(any(c is not None and compare(c, got[part], returns="any") is None for c in values) for part, values in data["groups"])
    return detect


def _uint8_pixels(mid: str) -> Callable:
    """A uint8 result within 1 of the right numbers clipped to 0..255, or of the right numbers modulo 256."""
    def detect(case, got) -> bool:
        data = getattr(case, "detections", {}).get(mid)
        if not data or not isinstance(got, np.ndarray) or got.dtype != np.uint8:
            return False
        expected = np.asarray(data["expected"])
        if got.shape != expected.shape:
            return False
        values = got.astype(float)
        if np.all(np.abs(values - np.clip(expected, 0, 255)) <= 1):
            return True
        return bool(np.all(np.isin(np.mod(values - np.trunc(expected), 256), (0, 1, 255))))
    return detect


def _is_float(case, got) -> bool:
    return isinstance(got, (float, np.floating))


def _sealed_values(candidates: dict, salt: bytes, rounds: int) -> Callable:
    """Value exercises: one of the learner's values equals a (sealed) value this misconception gives."""
    sealed = {name: [Sealed(s, salt + name.encode(), rounds) for s in items] for name, items in candidates.items()}

    def detect(_case, got) -> bool:
        return any(name in got and s.compare_answer(got[name], reveal="none", what=name) is None
                   for name, items in sealed.items() for s in items)
    return detect


def _vector_length(name: str, lengths: list[int]) -> Callable:
    def detect(_case, got) -> bool:
        value = got.get(name)
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return False
        return array.ndim == 1 and len(value) in lengths
    return detect


def _detector(mid: str, form: dict, salt: bytes, rounds: int) -> Callable:
    kind = form["kind"]
    if kind == "candidates":
        return _candidates(mid)
    if kind == "shapes":
        return _shapes(mid)
    if kind == "blocks":
        return _blocks(mid)
    if kind == "rows":
        return _rows(mid)
    if kind == "float":
        return _is_float
    if kind == "all":
        return _all_parts(mid)
    if kind == "uint8-pixels":
        return _uint8_pixels(mid)
    if kind == "code":
        return portable(form["ref"], form.get("cells"))
    if kind == "sealed-values":
        return _sealed_values(form["values"], salt, rounds)
    if kind == "vector-length":
        return _vector_length(form["name"], form["lengths"])
    raise ValueError(f"unknown detector {kind!r}")


# --------------------------------------------------------------------------- each student's own numbers

def _numbers(data: dict, salt: bytes, rounds: int, visible: tuple = ()) -> Numbers | None:
    """The exercise's :class:`~autograder.engine.spec.Numbers` as the kit holds them: ``draw``, ``describe``
    and ``title`` copied as code, the lesson's numbers, and answers and misconceptions' values looked up,
    sealed, under the key of the numbers asked about; None for numbers whose answers the kit does not hold
    (a learner not on the roster it was built with).  ``cases`` too when the exercise's checks depend on the
    numbers (max_stable_lr's sealed judge), looked up the same way (``visible``, the exercise's own checks, for
    numbers the kit holds nothing of)."""
    form = data.get("numbers")
    if form is None:
        return None
    by_key = {k: v for k, v in data.get("answers", {}).items() if k != VARIANT}

    def sealed(key: str, values: dict) -> dict:
        own = salt + key.encode()
        return {name: Sealed(s, own + name.encode(), rounds) for name, s in values.items()}

    def answers(numbers: dict) -> dict | None:
        key = numbers_key(numbers, salt, rounds)
        return sealed(key, by_key[key]) if key in by_key else None

    def wrong_values(alternatives: dict) -> Callable:
        def wrong(numbers: dict) -> list[dict]:
            key = numbers_key(numbers, salt, rounds)
            return [sealed(key, values) for values in alternatives.get(key, ())]
        return wrong

    by_key_cases = form.get("cases")

    def cases(numbers: dict) -> tuple:
        """The checks for these numbers (a judge holding their answer, sealed); the exercise's own for numbers
        the kit holds no answers of (answers() says so first)."""
        key = numbers_key(numbers, salt, rounds)
        return tuple(_case(c) for c in by_key_cases[key]) if key in by_key_cases else visible

    return Numbers(
        draw=portable(form["draw"]), lesson=decode(form["lesson"]), answers=answers, describe=portable(form["describe"]),
        wrong={m["id"]: wrong_values(m["alternatives"]) for m in data["misconceptions"] if m.get("alternatives") is not None},
        title=portable(form["title"]) if form.get("title") else None, cases=cases if by_key_cases is not None else None,
    )


# --------------------------------------------------------------------------- exercises

def _exercise(data: dict, salt: bytes, rounds: int, compiled_seed: int) -> CompiledExercise:
    ex_salt = salt + data["id"].encode()
    tol = Tolerance(*decode(data["tolerance"]))
    misconceptions = []
    for m in data["misconceptions"]:
        wrong = None
        if m.get("wrong_values") is not None:  # value exercises: the wrong values, sealed
            sealed = {name: Sealed(s, ex_salt + name.encode(), rounds) for name, s in m["wrong_values"][VARIANT].items()}
            wrong = (lambda values: (lambda: values))(sealed)
        elif m.get("wrong"):
            wrong = _compiled(int(m.get("variants", 1)))
        detect = _detector(m["id"], m["detect"], ex_salt, rounds) if m.get("detect") else None
        extra = {"code": portable(m["code"])} if m.get("code") else {}
        misconceptions.append(Misconception(m["id"], m["hint"], wrong=wrong, detect=detect, **extra))
    hidden = [_case(c) for c in data["hidden"]]
    visible = tuple(_case(c) for c in data["visible"])
    wrong_outputs = {}
    for key, value in data["wrong"].items():
        index, mid = key.split("|", 1)
        wrong_outputs[(int(index), mid)] = decode(value)
    observe = portable(data["observe"]) if data.get("observe") else None
    return CompiledExercise(
        id=data["id"], assignment=data["assignment"], kind=data["kind"], names=tuple(data["names"]), title=data["title"],
        reference=None, visible=visible, hidden_cases=_hidden_cases(data["id"], data["hidden"], compiled_seed) if data["hidden"] else None,
        errors=tuple(_error_case(c) for c in data["errors"]),
        values={name: Sealed(s, ex_salt + name.encode(), rounds) for name, s in data.get("answers", {}).get(VARIANT, {}).items()},
        returns=data["returns"], tolerance=tol, misconceptions=tuple(misconceptions), forbidden=tuple(data["forbidden"]),
        check_modifies_input=data["check_modifies_input"], output_files=tuple(OutputFile(n) for n in data["output_files"]),
        observe=observe, signature=data["signature"], on_paper=data["on_paper"], uses=tuple(data["uses"]),
        weights=dict(data["weights"]), forbidden_hint=data["forbidden_hint"],
        settings=decode(data.get("settings", {"$dict": []})), timeout_hint=data.get("timeout_hint", ""),
        numbers=_numbers(data, ex_salt, rounds, visible), wrong_outputs=wrong_outputs, compiled_seed=compiled_seed,
    )


def _compiled_only(*args, **kwargs):
    raise KitError("a learner kit has no wrong implementations: their outputs are compiled")


def _compiled(variants: int) -> Callable:
    """Stands for a misconception's wrong implementation and its other ways (``wrong.variants``): outputs compiled."""
    def wrong(*args, **kwargs):
        raise KitError("a learner kit has no wrong implementations: their outputs are compiled")
    wrong.variants = tuple(_compiled_only for _ in range(variants - 1))
    return wrong


def _hidden_cases(exercise_id: str, cases: list[dict], compiled_seed: int) -> Callable:
    def hidden_cases(rng: np.random.Generator) -> list[Case]:
        from ..engine.prepare import case_rng

        if rng.bit_generator.state != case_rng(compiled_seed, exercise_id).bit_generator.state:
            raise KitError(f"this learner kit holds the practice checks of seed {compiled_seed} only")
        return [_case(c) for c in cases]  # fresh objects: prepare marks them hidden
    return hidden_cases


@lru_cache(maxsize=None)
def exercises_of(assignment_id: str) -> tuple[CompiledExercise, ...]:
    entry = index()["assignments"].get(assignment_id)
    if entry is None:
        return ()
    data = load(DATA / entry["file"])
    salt, rounds = bytes.fromhex(index()["salt"]), int(index()["rounds"])
    return tuple(_exercise(e, salt, rounds, seed()) for e in data["exercises"])


def all_exercises() -> dict[str, CompiledExercise]:
    return {ex.id: ex for assignment in index()["assignments"] for ex in exercises_of(assignment)}
