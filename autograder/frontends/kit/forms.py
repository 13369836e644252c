"""How the course's detectors and judges become a learner kit's data.

Most need no entry here: a misconception with a ``wrong`` implementation
ships the outputs it gives, a ``matches_any`` or ``component`` detector the
candidates it compares with, and the functions in :data:`PORTABLE` ship as
code (:mod:`.portable`).  The entries below are the detectors that call a
reference or hold an answer: each compiles, per case, into one of the kit's
data-driven forms (:mod:`autograder.exercises.compiled`): ``candidates``,
``shapes``, ``blocks``, ``rows``, ``float``, ``sealed-values``,
``vector-length``.  A detector with no way into the kit is left out of it
(:func:`autograder.frontends.kit.compile.compile_course` lists them), and the
kit names that misconception less often.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ... import references as ref
from ...exercises import cnn_layers_detect as cnn
from ...exercises import cnn_scratch_detect as scratch
from ...exercises import conv1d as c1
from ...exercises import conv2d as c2
from ...exercises import conv2d_detect as c2d
from ...exercises import image_filters_detect as img
from ...exercises import shapes_detect as shp

#: Functions (and factories of closures) read and found to be pure pattern tests or judges: they may ship as code.
PORTABLE = {
    # detectors
    c1._valid_no_swap, c2d.one_sided, cnn.pool_ceil_shape, cnn.pool_args, cnn.pair, cnn.dx_valid_shape, cnn.backward_args,
    cnn.padding_not_cropped, img.not_image_sized, img.save_unclipped, img.outside_0_255, img.wrapped,
    # judges and observers
    shp.total_is_keras, cnn._against_numeric, cnn.layer_numeric_judge, cnn.pool_numeric_judge, cnn.kernel_problem,
    cnn.learned_judge, cnn.start_judge, img.photo_judge, img.kernel_array, img.kernel_names, img.kernel_shapes,
    img.kernel_sums, img.kernel_values, img.to_uint8_dtype, img.file_judge, img.reopen, img._designed,
    img._flat_problem, img.response, img.horizontal_judge, img.diagonal_judge,
    # what a misconception's code shows (a kernel turned round, or not)
    cnn.turns_kernel, cnn.keeps_kernel,
    # 06: judges of gradients, labels, a training run and a speed, with their helpers (see KIT_JUDGES)
    scratch.gradients_judge, scratch.predict_judge, scratch.start_judge, scratch.params_problem, scratch.run_problem,
    scratch.accuracy_problem, scratch._ends, scratch.kit_accuracy_judge, scratch.kit_speed_judge, scratch.window_loops_seconds,
    scratch.slow_message, scratch.backward_args, scratch.dx_valid_shape, scratch.padding_not_cropped,
    scratch.softmax_unstable, scratch.diverges, scratch.flat, scratch._run,
}


def _shapes_around(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every shape of the same rank whose largest difference from ``shape`` is 1."""
    out = []
    for delta in np.ndindex(*([3] * len(shape))):
        candidate = tuple(s + d - 1 for s, d in zip(shape, delta))
        if max(abs(d - 1) for d in delta) == 1 and min(candidate) >= 0:
            out.append(candidate)
    return out


# --------------------------------------------------------------------------- detectors that call a reference: per case

def _conv1d_off_by_one(case, expected):
    e = ref.conv1d_mode(*case.args, **case.kwargs)
    return [[None, None, [e.size + d]] for d in (-1, 1) if e.size + d >= 0]


def _mode_valid_off_by_one(case, expected):
    x, h = case.args[0], case.args[1]
    mode = case.args[2] if len(case.args) > 2 else case.kwargs.get("mode", "full")
    if mode != "valid":
        return None
    right = max(len(x), len(h)) - min(len(x), len(h)) + 1
    return {"full": ref.conv1d(x, h), "shapes": [[right - 1], [right + 1]]}


def _length_valid_off_by_one(case, expected):
    if case.args[2] != "valid":
        return None
    e = ref.output_length(*case.args)
    return [[None, e - 1], [None, e + 1]]


def _length_valid_no_swap(case, expected):
    n, k, mode = case.args[:3]
    return [[None, n - k + 1]] if mode == "valid" and k > n else None


def _conv2d_valid_off_by_one(case, expected):
    if c2d.mode_of(case.args, case.kwargs) != "valid":
        return None
    (h, w), (kh, kw) = np.shape(case.args[0]), np.shape(case.args[1])
    right = (abs(h - kh) + 1, abs(w - kw) + 1)
    return {"full": ref.conv2d(case.args[0], case.args[1], "full"), "shapes": [list(s) for s in _shapes_around(right)]}


def _conv2d_same_larger(case, expected):
    if c2d.mode_of(case.args, case.kwargs) != "same":
        return None
    (h, w), (kh, kw) = np.shape(case.args[0]), np.shape(case.args[1])
    larger = (max(h, kh), max(w, kw))
    if larger == (h, w):
        return None
    return {"full": ref.conv2d(case.args[0], case.args[1], "full"), "shapes": [list(larger)]}


def _corr_off_by_one(case, expected):
    e = ref.corr2d(*case.args).shape
    return [[None, None, list(s)] for s in _shapes_around(e)]


def _params_rows(which: int):
    def compile_case(case, expected):
        input_shape, layers = case.args[0], case.args[1]
        rows = ref.model_summary(input_shape, layers)
        walked = shp.walk(input_shape, layers)
        wrong = [e[2] - w[3] if which == 3 else w[4] for e, w in zip(rows, walked)]
        return {"expected": [[r[0], list(r[1]), int(r[2])] for r in rows], "wrong": [int(v) for v in wrong]}
    return compile_case


def _filter_wrapped(case, expected):
    if not img.has_uint8(case):
        return None
    return [[None, w] for w in img.wrapped(np.asarray(expected, dtype=float))]


def _backward_stride_ignored(case, expected):
    parts = cnn.backward_stride_ignored(*case.args, **case.kwargs)
    return [[i, parts[i]] for i in range(2)] if parts else None


def _dx_only(case, expected):
    """dX one of the turned-kernel results, dW and db right."""
    right = ref.conv2d_layer_backward(*case.args, **case.kwargs)
    return {"length": 3, "groups": [[0, cnn.dx_not_flipped(*case.args, **case.kwargs)], [1, [right[1]]], [2, [right[2]]]]}


def _batch_stride_ignored(case, expected):
    parts = scratch.backward_stride_ignored(*case.args, **case.kwargs)
    return [[i, parts[i]] for i in range(2)] if parts else None


def _batch_dx_only(case, expected):
    """06's batches: dX one of the turned-kernel results, dW and db right."""
    right = ref.scratch.conv_backward(*case.args, **case.kwargs)
    return {"length": 3, "groups": [[0, scratch.dx_turned(*case.args, **case.kwargs)], [1, [right[1]]], [2, [right[2]]]]}


def _uint8_pixels(case, expected):
    return {"expected": ref.filter_image(*img.filter_args(case))}


#: (exercise id, misconception id) -> (kind of the kit's detector, what it compares with for one case).
DETECTORS: dict[tuple[str, str], tuple[str, Callable[[Any, Any], Any]]] = {
    ("conv1d", "length-off-by-one"): ("shapes", _conv1d_off_by_one),
    ("conv1d_mode", "valid-off-by-one"): ("blocks", _mode_valid_off_by_one),
    ("output_length", "valid-off-by-one"): ("candidates", _length_valid_off_by_one),
    ("output_length", "valid-no-swap"): ("candidates", _length_valid_no_swap),
    ("conv2d", "valid-off-by-one"): ("blocks", _conv2d_valid_off_by_one),
    ("conv2d", "same-first-input-size"): ("blocks", _conv2d_same_larger),
    ("corr2d", "length-off-by-one"): ("shapes", _corr_off_by_one),
    ("model_summary", "no-bias"): ("rows", _params_rows(3)),
    ("model_summary", "channels-not-summed"): ("rows", _params_rows(4)),
    ("filter_image", "uint8-wraparound"): ("candidates", _filter_wrapped),
    ("conv2d_layer_backward", "stride-ignored"): ("candidates", _backward_stride_ignored),
    ("conv2d_layer_backward", "dx-not-flipped"): ("all", _dx_only),
    ("conv2d_layer_backward", "dx-flipped-twice"): ("all", _dx_only),
    ("filter_image", "uint8-output"): ("uint8-pixels", _uint8_pixels),
    ("conv_backward", "stride-ignored"): ("candidates", _batch_stride_ignored),
    ("conv_backward", "dx-not-flipped"): ("all", _batch_dx_only),
    ("conv_backward", "dx-flipped-twice"): ("all", _batch_dx_only),
}

#: Detectors that need no data: (exercise id, misconception id) -> the kit's detector.
PATTERNS = {
    ("conv_output_size", "no-floor"): {"kind": "float"},
    ("pool_output_size", "no-floor"): {"kind": "float"},
}


# --------------------------------------------------------------------------- value exercises: answers held by detectors

def _correlations_y() -> dict:
    return {"y_by_hand": [[int(v) for v in c] for c in c1._correlations(c1.LESSON_X, c1.LESSON_H)]}


#: (exercise id, misconception id) -> the values this misconception gives, by name (sealed in the kit).
VALUE_CANDIDATES: dict[tuple[str, str], Callable[[], dict[str, list]]] = {
    ("by_hand_full", "no-flip"): _correlations_y,
    ("neighbourhood", "no-flip"): lambda: {"pixel_true_convolution": [c2._PLAIN], "pixel_as_in_notes": [c2._TURNED]},
    ("neighbourhood", "flip-one-axis"): lambda: {"pixel_true_convolution": list(c2._ONE_AXIS)},
}

#: Value detectors that test the form of an answer, not its value.
VALUE_PATTERNS = {
    ("by_hand_full", "length-off-by-one"): {"kind": "vector-length", "name": "y_by_hand", "lengths": [4, 6]},
}


# --------------------------------------------------------------------------- judges that hold an answer

#: The factories of judges whose data is an answer: their kit form is sealed (see compile.py).
SEALED_JUDGES = {cnn.max_lr_judge: "max-lr"}


def _cells(judge) -> dict[str, Any]:
    return dict(zip(judge.__code__.co_freevars, (c.cell_contents for c in judge.__closure__ or ())))


def _gradients(judge):
    """The numeric gradients computed now: the kit holds them, not the reference that computes them."""
    cells = _cells(judge)
    numeric = cells["numeric"]() if callable(cells["numeric"]) else cells["numeric"]
    return scratch.gradients_judge([np.asarray(n) for n in numeric], cells["names"], cells["wrts"]), None


def _speed(judge):
    """The output's shape and its first two images; the loops timed by a stand-in that holds no convolution."""
    cells = _cells(judge)
    X, W, expected = cells["X"], cells["W"], cells["expected"]
    return scratch.kit_speed_judge(expected[:2], expected.shape, X.shape, W.shape, cells["padding"], cells["factor"]), None


def _accuracy(judge):
    """The test digits' labels, and the learner's own predict to read them with (the kit holds no forward pass)."""
    cells = _cells(judge)
    return scratch.kit_accuracy_judge(cells["y_test"], cells["threshold"]), ("predict", 0, (cells["X_test"],))


#: Judges that call a reference: the factory of each -> (the kit's judge, the case's ``then`` call or None).
KIT_JUDGES: dict[Callable, Callable] = {
    scratch.gradients_judge: _gradients,
    scratch.speed_judge: _speed,
    scratch.accuracy_judge: _accuracy,
}
