"""An exercise's checks, ready to run: its cases for one seed with their right answers computed once
(:func:`prepare`), course.yml's settings put in (:func:`with_settings`), and the order in which a
notebook's exercises are graded (:func:`evaluation_order`).  Trusted code: the references run here."""
from __future__ import annotations

import contextlib
import re
import tempfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from .codec import roundtrip
from .compare import compare
from .outcome import WorkPath, mentions_workpath
from .spec import UNSET, Case, CreditWeights, ErrorCase, Exercise, InputFile, Setting, resolve_weights


@dataclass
class Check:
    """A case ready to run: its kind (visible, error or hidden) and right answer."""

    case: Case | ErrorCase
    kind: str
    expected: Any = None

    @property
    def hidden(self) -> bool:
        return self.kind == "hidden"


@dataclass
class Prepared:
    """An exercise's checks for one seed, with the right answers computed once.

    Batch grading prepares each exercise once and evaluates every submission
    against it; wrong-implementation outputs are cached here as they are needed.
    ``weights`` splits the exercise's points over kinds of check.
    ``graded``: the hidden checks are the graded ones (the instructor's
    secret seed), so feedback on them shows no value of theirs: neither the
    expected one nor the learner's own result (a function that returns its
    input would hand the input back), nor the learner's exception message.
    """

    exercise: Exercise
    checks: list[Check]
    seed: int
    weights: dict[str, float] = field(default_factory=dict)
    graded: bool = False
    _wrong: dict[tuple[int, str], Any] = field(default_factory=dict)
    _bad_input_only: dict[str, bool] = field(default_factory=dict)
    #: the learner's functions' code, for misconceptions told apart by how they were written (Misconception.code)
    code: str = ""

    def wrong_output(self, index: int, misconception, variant: int = 0) -> Any:
        """What ``misconception``'s wrong implementation gives on check ``index`` (UNSET where it does not
        apply); ``variant``: which of its ways (see :func:`wrong_variants`), the first by default."""
        key = (index, misconception.id) if variant == 0 else (index, f"{misconception.id}#{variant}")
        if key not in self._wrong:
            case = self.checks[index].case
            try:
                implementation = wrong_variants(misconception)[variant]
                with materialize(case.files, case.args, case.kwargs) as folder:
                    self._wrong[key] = implementation(*resolve(case.args, folder), **resolve(case.kwargs, folder))
            except Exception:  # the wrong implementation does not apply to this input
                self._wrong[key] = UNSET
        return self._wrong[key]

    def about_bad_input(self, misconception) -> bool:
        """Is ``misconception`` a mistake about bad input only?

        True when its wrong implementation gives the right answer on every
        valid input of these checks: then what it gets wrong can only show on
        bad input (int() of a negative quotient turns "no window fits" into 1).
        Only such a misconception may be named on a bad-input check.
        """
        if misconception.id not in self._bad_input_only:
            verdict = misconception.wrong is not None
            seen = 0
            for index, check in enumerate(self.checks):
                if not verdict:
                    break
                if check.kind == "error" or check.case.judge is not None:
                    continue
                wrong = self.wrong_output(index, misconception)
                try:
                    verdict = wrong is not UNSET and compare(check.expected, wrong, returns="any", tol=self.exercise.tolerance) is None
                except TypeError:
                    verdict = False
                seen += 1
            self._bad_input_only[misconception.id] = verdict and seen > 0
        return self._bad_input_only[misconception.id]


def wrong_variants(misconception) -> tuple:
    """The wrong implementations of ``misconception``: its ``wrong``, then the other whole ways of holding
    it listed as ``wrong.variants`` (ignoring ``mode`` may mean always the maximum, or always the mean).
    A learner's code holds one of them: each is judged against the checks it passed on its own."""
    if misconception.wrong is None:
        return ()
    return (misconception.wrong, *getattr(misconception.wrong, "variants", ()))


def case_rng(seed: int, exercise_id: str) -> np.random.Generator:
    """The generator of an exercise's hidden cases: one stream per (seed, exercise)."""
    return np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(exercise_id.encode())])


def prepare(ex: Exercise, *, seed: int, visible: bool = True, hidden: bool = True, weights: CreditWeights | Mapping[str, float] | None = None,
            graded: bool = False) -> Prepared:
    """Collect the checks of ``ex`` and compute their right answers.

    ``graded``: the hidden checks are graded ones, whose values feedback keeps to itself (see :class:`Prepared`).

    ``weights``: course.yml's :class:`~autograder.engine.spec.CreditWeights`
    (or the resolved weights of this exercise); the engine's defaults and the
    exercise's declaration when None.
    """
    checks: list[Check] = []
    if visible:
        checks += [Check(c, "visible") for c in ex.visible]
        checks += [Check(c, "error") for c in ex.errors]
    if hidden and ex.hidden_cases is not None:
        for case in ex.hidden_cases(case_rng(seed, ex.id)):
            case.hidden = True
            checks.append(Check(case, "hidden"))
    for check in checks:
        if isinstance(check.case, Case) and check.case.judge is None and ex.kind == "function":
            with materialize(check.case.files, check.case.args, check.case.kwargs) as folder:
                if check.case.expected is not UNSET:
                    check.expected = check.case.expected
                else:
                    check.expected = ex.reference(*resolve(check.case.args, folder), **resolve(check.case.kwargs, folder))
                if ex.observe is not None and check.case.expected is UNSET:
                    check.expected = roundtrip(check.expected)
    if isinstance(weights, CreditWeights) or weights is None:
        resolved = resolve_weights(ex, weights)
    else:
        resolved = dict(weights)
    prepared = Prepared(ex, checks, seed, resolved, graded=graded)
    precomputed = getattr(ex, "precomputed_wrong", None)
    if precomputed is not None:  # a learner kit's exercise: no wrong implementation, their outputs compiled
        prepared._wrong.update(precomputed(seed, len(checks)))
    return prepared


def with_settings(prepared: Prepared, settings: Mapping[str, Any] | None) -> Prepared:
    """``prepared`` with the :class:`~autograder.engine.spec.Setting` arguments of its cases replaced by
    course.yml's ``grading.exercise_settings`` for the exercise (``settings``), else by the declared defaults.

    Only judged cases take settings (their right answer is not computed beforehand).  A copy: prepared
    checks are shared by every submission of a batch, which may be graded under other settings.
    """
    ex = prepared.exercise
    if not ex.settings:
        return prepared
    chosen = {**ex.settings, **{k: v for k, v in (settings or {}).items() if k in ex.settings}}

    def value(v):
        return chosen[v.name] if isinstance(v, Setting) else v

    checks = []
    for check in prepared.checks:
        case = check.case
        if any(isinstance(v, Setting) for v in (*case.args, *case.kwargs.values())):
            case = replace(case, args=tuple(value(v) for v in case.args), kwargs={k: value(v) for k, v in case.kwargs.items()})
            check = replace(check, case=case)
        checks.append(check)
    return replace(prepared, checks=checks)


def evaluation_order(prepared: Mapping[str, Prepared]) -> list[str]:
    """The exercise ids of ``prepared`` with every exercise after those it uses (stable otherwise)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(exercise_id: str) -> None:
        if exercise_id in order or exercise_id in visiting:
            return
        visiting.add(exercise_id)
        for used in prepared[exercise_id].exercise.uses:
            if used in prepared:
                visit(used)
        order.append(exercise_id)

    for exercise_id in prepared:
        visit(exercise_id)
    return order


@contextlib.contextmanager
def materialize(files: Sequence[InputFile], *arguments: Any) -> Iterator[Path | None]:
    """A temporary folder holding ``files``, removed afterwards.

    None when there are no files and no :class:`WorkPath` among ``arguments``
    (most cases), so that preparing a check costs no folder.
    """
    if not files and not mentions_workpath(arguments):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="autograder-ref-") as tmp:
        for f in files:
            (Path(tmp) / f.name).write_bytes(f.data)
        yield Path(tmp)


def resolve(obj: Any, folder: Path | None) -> Any:
    """Replace :class:`WorkPath` placeholders by paths inside ``folder`` (see :func:`materialize`)."""
    if isinstance(obj, WorkPath):
        if folder is None:
            raise ValueError(f"{obj} needs a folder: resolve it inside materialize(files, args, kwargs)")
        return str(folder / obj.name)
    if type(obj) is tuple:
        return tuple(resolve(v, folder) for v in obj)
    if type(obj) is dict:
        return {k: resolve(v, folder) for k, v in obj.items()}
    return obj


def arg_names(ex: Exercise, function: str = "") -> tuple[str, ...]:
    """The argument names of ``function`` (default: the exercise's first) in the signature;
    an exercise of several functions writes them one after the other: ``f(x); g(dout, x)``."""
    match = re.search(rf"(?<![\w.]){re.escape(function)}\(([^)]*)\)", ex.signature) if function and function != ex.function_name else None
    match = match or re.search(r"\((.*)\)", ex.signature.split(";")[0])
    if not match:
        return ()
    return tuple(part.split("=")[0].strip() for part in match.group(1).split(",") if part.strip())
