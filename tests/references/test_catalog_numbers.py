"""The catalog's numbers, recomputed: every literal a check expects agrees with the references,
and the second round's derived values come out of NumPy and SciPy the way the notebooks say.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from autograder import references as ref
from autograder.engine.compare import compare
from autograder.engine.spec import UNSET
from autograder.exercises import registry
from autograder.exercises import image_filters_detect as designed

EDGE_6x9 = np.ones((6, 9))
EDGE_6x9[:, 2:6] = 0
KERAS = [("conv", 64, (3, 3)), ("pool", (2, 2)), ("conv", 64, (3, 3)), ("pool", (2, 2)), ("flatten",)]


def _literal_cases():
    for ex in registry().values():
        if ex.kind != "function" or ex.assignment == "05-image-filters":  # 05's files need the grader's folder
            continue
        for case in ex.visible:
            if case.expected is not UNSET and case.judge is None:
                yield pytest.param(ex, case, id=f"{ex.id}: {case.label}")


@pytest.mark.parametrize("ex, case", list(_literal_cases()))
def test_every_literal_expected_value_is_the_references(ex, case):
    assert compare(case.expected, ex.reference(*case.args, **case.kwargs), returns="any") is None


def test_second_round_derived_values():
    # 03: the backward pass of the lesson's example and pooling's.
    dX, dW, db = ref.conv2d_layer_backward(np.ones((1, 2, 2), dtype=int), np.arange(9).reshape(1, 3, 3), [[[[0, 1], [2, 3]]]], [0])
    assert (dX.tolist(), dW.tolist(), db.tolist()) == ([[[0, 1, 1], [2, 6, 4], [2, 5, 3]]], [[[[8, 12], [20, 24]]]], [4])
    assert signal.convolve2d(np.ones((2, 2)), [[0, 1], [2, 3]], "full").tolist() == dX[0].tolist()
    # The worked example of the notebook: dout = [[1, 2], [3, 4]] gives 10 at the centre, 20 without the turn.
    assert signal.convolve2d([[1, 2], [3, 4]], [[0, 1], [2, 3]], "full")[1, 1] == 10
    assert signal.correlate2d([[1, 2], [3, 4]], [[0, 1], [2, 3]], "full")[1, 1] == 20
    grad = ref.pool2d_backward([[1, 2], [3, 4]], np.arange(16).reshape(4, 4), (2, 2), stride=2)
    assert {tuple(int(i) for i in ix): int(grad[tuple(ix)]) for ix in np.argwhere(grad)} == {(1, 1): 1, (1, 3): 2, (3, 1): 3, (3, 3): 4}
    # 03: the layer worked by hand, two channels, padding 1, stride 2.
    X = [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    W = [[[[0, 1], [2, 3]], [[1, 2], [3, 4]]]]
    assert ref.conv2d_layer(X, W, [1], 2, 1).tolist() == [[[5, 27], [58, 121]]]
    # 04: receptive fields, the 32x32 model, LeNet's C3, the dense layer.
    assert ref.receptive_field([(3, 1), (2, 2), (3, 1), (2, 2)]) == [3, 4, 8, 10]
    assert ref.model_summary((32, 32, 1), KERAS)[-1][1] == (2304,)
    assert ref.conv_params(5, 5, 6, 16) == 2416
    units = 26 * 26 * 64
    assert 28 * 28 * units + units == 33962240 and ref.conv_params(3, 3, 1, 64) == 640
    # 02: the Keras notes' pixel, on paper in the notebook.
    N = np.array([[0, 64, 128], [48, 192, 144], [142, 226, 168]])
    F = np.array([[-1, 0, -2], [0.5, 4.5, -1.5], [1.5, 2, -3]])
    assert (ref.corr2d(N, F)[0, 0], ref.conv2d(N, F, "valid")[0, 0]) == (577.0, 732.0)


def test_the_largest_stable_learning_rate_is_one_over_42():
    A = np.stack([EDGE_6x9[:, :-1].ravel(), EDGE_6x9[:, 1:].ravel()], axis=1)
    assert np.allclose(np.linalg.eigvalsh(A.T @ A), [6, 42])
    target = ref.corr2d(EDGE_6x9, [[1, -1]])
    below = ref.learn_kernel_losses(EDGE_6x9, target, (1, 2), lr=0.95 / 42, epochs=600)[1]
    above = ref.learn_kernel_losses(EDGE_6x9, target, (1, 2), lr=1.05 / 42, epochs=600)[1]
    assert below[-1] < 1e-12 and above[-1] > above[0]
    assert registry()["max_stable_lr"].visible[0].judge({"max_stable_lr": 1 / 42}) is None


def test_symm_makes_the_ramp_border_dim_not_dark():
    ramp = np.array([[0, 40, 80, 120, 160]] * 4, dtype=float)
    symm = ref.edge_map(ramp)
    fill = np.abs(signal.convolve2d(ramp, designed.LAPLACIAN, "same", boundary="fill"))
    assert symm[:, [0, -1]].min() == symm.max() == 40 and not symm[:, 1:-1].any()
    assert fill.max() == 360


@pytest.mark.parametrize("name, kernel", [
    ("horizontal_edge", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),  # Sobel
    ("horizontal_edge", [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]),  # Prewitt, the other sign
    ("horizontal_edge", [[0, 0, 0], [0, -1, 0], [0, 1, 0]]),  # one pixel minus the one above
    ("diagonal_edge", [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]]),
    ("diagonal_edge", [[2, 1, 0], [1, 0, -1], [0, -1, -2]]),  # the other diagonal
    ("diagonal_edge", [[1, 0, 0], [0, -1, 0], [0, 0, 0]]),
])
def test_designed_edge_kernels_that_work_pass(name, kernel):
    judge = designed.horizontal_judge if name == "horizontal_edge" else designed.diagonal_judge
    assert judge({name: kernel}) is None


@pytest.mark.parametrize("name, kernel, says", [
    ("horizontal_edge", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "barely answers a horizontal edge"),  # vertical Sobel
    ("horizontal_edge", [[0, 1, 0], [1, -4, 1], [0, 1, 0]], "vertical edge"),  # the Laplacian sees every orientation
    ("horizontal_edge", [[1, 2, 1], [0, 0, 0], [1, 2, 1]], "flat grey area"),
    ("horizontal_edge", np.zeros((3, 3)), "all zeros"),
    ("horizontal_edge", [[1, -1]], "3x3"),
    ("diagonal_edge", [[1, 0, -1], [0, 0, 0], [-1, 0, 1]], "both diagonals"),  # the blog's edge1
    ("diagonal_edge", [[-1, -1, -1], [0, 0, 0], [1, 1, 1]], "both diagonals"),
])
def test_designed_edge_kernels_that_do_not_work_are_explained(name, kernel, says):
    judge = designed.horizontal_judge if name == "horizontal_edge" else designed.diagonal_judge
    problem = judge({name: kernel})
    assert problem is not None and says in problem


SIZED = {
    "conv1d": 1, "conv1d_mode": 1,
    "conv2d": 2, "pad2d": 2, "conv2d_same": 2, "corr2d": 2, "corr2d_multi_in": 2, "corr2d_multi_in_out": 2,
    "conv2d_layer": 2, "pool2d": 2, "conv2d_layer_backward": 2, "pool2d_backward": 2, "equivariance": 2,
    "filter_image": 2, "edge_map": 2,
}


@pytest.mark.parametrize("exercise_id, ndim", SIZED.items())
def test_hidden_cases_reach_beyond_the_worked_sizes(exercise_id, ndim):
    """Signals longer than 64 and images larger than 32x32, in int64 and in uint8, for every seed."""
    from autograder.engine.evaluate import case_rng

    ex = registry()[exercise_id]
    for seed in (20261123, 1, 99):
        large = set()
        for case in ex.hidden_cases(case_rng(seed, exercise_id)):
            for arg in case.args:
                if not isinstance(arg, np.ndarray) or arg.ndim < ndim:
                    continue
                sides = arg.shape[-ndim:]
                if (ndim == 1 and sides[0] > 64) or (ndim == 2 and min(sides) > 32):
                    large.add(arg.dtype.name)
        assert {"int64", "uint8"} <= large, (exercise_id, seed, large)
