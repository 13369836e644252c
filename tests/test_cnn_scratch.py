"""06-cnn-from-scratch: the digits that ship with it, the training run and the speed check, graded in the sandbox.

- digits.npz is the UCI digits with the stratified split that course.yml's split_seed draws, the
  same bytes for the learners, the release and the grader, with its licence and citation;
- the solution's network, trained in the sandbox by the real grader pipeline, reads at least 95 % of
  the test digits, twice with the same weights to the last bit, and whatever the number of BLAS threads;
- course.yml's settings of the run and its time limit are the ones the graders use: a train that runs
  out of time says so, keeps nothing for train, and costs the other exercises nothing;
- conv_forward's speed check passes the solution and fails four nested loops, with the ratio in the message.

The planted trains that diverge or stay flat are named in tests/test_misconceptions.py, with the other
misconceptions of 06.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, replace

import numpy as np
import pytest
import yaml

from autograder.course import load_course
from autograder.engine.outcome import Call
from autograder.engine.spec import Setting
from autograder.exercises import cnn_scratch
from autograder.exercises.cnn_scratch_detect import speed_ratio
from autograder.frontends.nbgrader import bridge
from autograder.frontends.verdict import NOTEBOOK_CHARS, SHORTENED_NOTE, shortened, text
from autograder.notebook.load import load_program
from autograder.pipeline import check_notebook, seal_for
from autograder.references import scratch as nn
from autograder.sandbox.session import Limits, Session

from conftest import planted_notebook, release_path, solution_path
from test_nbgrader_sync import copy_course

ASSIGNMENT = "06-cnn-from-scratch"

#: conv_forward written as four nested loops, one output value at a time
LOOP_CONV = '''
def conv_forward(X, W, b, stride=1, padding=0):
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    n, c, h, w = X.shape
    f, c_w, kh, kw = W.shape
    if c_w != c:
        raise ValueError("X and W have different numbers of channels")
    if b.shape != (f,):
        raise ValueError("one bias per filter")
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(n):
        for k in range(f):
            for r in range(oh):
                for q in range(ow):
                    out[i, k, r, q] = np.sum(Xp[i, :, r * stride:r * stride + kh, q * stride:q * stride + kw] * W[k]) + b[k]
    return out
'''
#: train that takes its time: correct, but asleep before it starts
SLOW_TRAIN_HEAD = "import time\n\n"


def _yaml(course) -> dict:
    return yaml.safe_load(course.path.read_text(encoding="utf-8"))


def _settings(course) -> dict:
    return Limits.from_settings(course.grading).settings_for("train")


def _without_training(prepared: dict) -> dict:
    """The prepared checks without train's training run (the case that takes course.yml's settings)."""
    train = prepared["train"]
    kept = [c for c in train.checks if not any(isinstance(a, Setting) for a in c.case.args)]
    return {**prepared, "train": replace(train, checks=kept)}


# --------------------------------------------------------------------------- the data

def test_the_digits_ship_with_their_split_licence_and_citation(course):
    files = course.data_files(ASSIGNMENT)
    assert set(files) == {"digits.npz", "DIGITS-LICENSE.md"}
    data = files["digits.npz"]
    assert nn.DIGITS_FILE.read_bytes() == data, "the grader's copy differs from the learners'"
    assert (release_path(course, ASSIGNMENT).parent / "digits.npz").read_bytes() == data
    digits = nn.load_digits()
    images, labels = digits["images"], digits["labels"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 16 and images.min() == 0
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # the UCI test set's counts
    seed = next(a for a in _yaml(course)["assignments"] if a["id"] == ASSIGNMENT)["split_seed"]
    train, test = nn.stratified_split(labels, 360, seed)
    assert np.array_equal(train, digits["train"]) and np.array_equal(test, digits["test"])
    assert (len(train), len(test)) == (1437, 360) and not set(train) & set(test)
    assert all(35 <= n <= 37 for n in np.bincount(labels[test]))  # each digit keeps its share
    licence = files["DIGITS-LICENSE.md"].decode("utf-8")
    for fact in ("CC BY 4.0", "Alpaydin", "Kaynak", "1998", "10.24432/C50P49", "UCI Machine Learning Repository"):
        assert fact in licence, fact


# --------------------------------------------------------------------------- training, graded

def _train_in_sandbox(course, program, settings) -> tuple[dict, list, float]:
    """train(X_train, y_train, **course.yml's settings) in the sandbox of train (sealed as it is graded)."""
    X_train, y_train, _, _ = nn.digits_split()
    limits = Limits.from_settings(course.grading)
    with Session(program, limits, course.data_files(ASSIGNMENT), seal_for(cnn_scratch.train)) as session:
        started = time.perf_counter()
        [outcome] = session.call("train", [Call((X_train, y_train, settings["epochs"], settings["lr"], settings["seed"]))],
                                 timeout=limits.timeout_for("train"), forbidden=cnn_scratch.train.forbidden)
        seconds = time.perf_counter() - started
    assert outcome.raised is None and not outcome.timed_out and not outcome.crashed, outcome
    params, losses = outcome.value
    return params, list(losses), seconds


def test_the_solution_reads_95_percent_of_the_test_digits_twice_the_same(course, prepared):
    solution = solution_path(course, ASSIGNMENT)
    reports = [check_notebook(solution, course=course, prepared=prepared(ASSIGNMENT)) for _ in range(2)]
    for report in reports:
        assert report.score == report.max_score == 25, [(e.id, e.status, e.feedback[:300]) for e in report.exercises]
    assert [asdict(e) for e in reports[0].exercises] == [asdict(e) for e in reports[1].exercises]
    # The run itself, in the same sandbox: the weights, the losses and the accuracy, twice.
    settings = _settings(course)
    program = load_program(solution)
    runs = [_train_in_sandbox(course, program, settings) for _ in range(2)]
    (params, losses, seconds), (again, losses_again, seconds_again) = runs
    assert set(params) == set(nn.PARAM_SHAPES) and all(params[k].shape == s for k, s in nn.PARAM_SHAPES.items())
    assert all(np.array_equal(params[k], again[k]) for k in params) and losses == losses_again
    _, _, X_test, y_test = nn.digits_split()
    accuracy = float(np.mean(nn.predict(params, X_test) == y_test))
    assert accuracy >= 0.95
    assert len(losses) == settings["epochs"] * 45 and losses[-1] < losses[0] / 10
    assert max(seconds, seconds_again) < Limits.from_settings(course.grading).timeout_for("train") / 4
    print(f"06 train in the sandbox: {settings}, {seconds:.2f} s and {seconds_again:.2f} s, test accuracy {accuracy:.2%}")


def test_the_training_does_not_depend_on_the_number_of_blas_threads(course, tmp_path):
    """One process with one BLAS thread, one with two: the same weights to the last bit."""
    answers = bridge.solution_answers(solution_path(course, ASSIGNMENT))
    code = "\n\n".join(answers[k] for k in ("im2col", "conv_forward", "conv_backward", "relu", "maxpool", "softmax_loss", "train"))
    script = tmp_path / "run.py"
    script.write_text("import hashlib, json, sys\nimport numpy as np\nfrom autograder.references import scratch as nn\n" + code + '''
X, y, _, _ = nn.digits_split()
params, losses = train(X, y, **json.loads(sys.argv[1]))
print(hashlib.sha256(b"".join(params[k].tobytes() for k in sorted(params))).hexdigest())
''', encoding="utf-8")
    digests = set()
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        done = subprocess.run([sys.executable, str(script), json.dumps(_settings(course))], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_course_yml_sets_the_run_and_its_time_limit(course, tmp_path):
    """epochs from course.yml reach every grader; a train over its time limit says so and costs nothing else."""

    def no_epochs(data):
        data["grading"]["exercise_settings"] = {"train": {**data["grading"]["exercise_settings"]["train"], "epochs": 0}}

    copy = load_course(copy_course(course, tmp_path / "no-epochs", no_epochs))
    report = check_notebook(solution_path(copy, ASSIGNMENT), course=copy)
    entry = {e.id: e for e in report.exercises}["train"]
    assert entry.status == "failed" and "test digits right; at least 95% is asked" in entry.feedback, entry.feedback
    assert 0 < entry.score < entry.max_score  # predict's checks still count
    assert report.score == report.max_score - entry.max_score + entry.score

    def short_limit(data):
        data["grading"]["exercise_timeouts"] = {"train": 2}

    copy = load_course(copy_course(course, tmp_path / "short-limit", short_limit))
    solution = solution_path(copy, ASSIGNMENT)
    answers = bridge.solution_answers(solution)
    slow = answers["train"].replace("def train(X_train, y_train, epochs, lr, seed):", "def train(X_train, y_train, epochs, lr, seed):\n    time.sleep(30)", 1)
    notebook = planted_notebook(solution, tmp_path / "slow" / ASSIGNMENT / copy.assignment(ASSIGNMENT).notebook,
                                {"train": SLOW_TRAIN_HEAD + slow})
    started = time.monotonic()
    report = check_notebook(notebook, course=copy, assignment=ASSIGNMENT)
    assert time.monotonic() - started < 25, "a train over its time limit held up the grading"
    by_id = {e.id: e for e in report.exercises}
    assert by_id["train"].status == "timeout" and by_id["train"].score == 0
    assert "[timeout]" in by_id["train"].feedback and "time limit" in by_id["train"].feedback and "vectorise" in by_id["train"].feedback
    assert all(e.status == "passed" for e in report.exercises if e.id != "train"), [(e.id, e.status) for e in report.exercises]


# --------------------------------------------------------------------------- the speed check

def _timed_call(session, X, W, b):
    [outcome] = session.call("conv_forward", [Call((X, W, b), {"padding": 1})], timeout=30,
                             forbidden=cnn_scratch.conv_forward.forbidden, timed=True)
    assert outcome.raised is None, outcome.raised
    return outcome


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_speed_check_passes_the_solution_and_fails_four_loops(course, prepared, tmp_path):
    X, W, b = cnn_scratch.SPEED_X, cnn_scratch.SPEED_W, cnn_scratch.SPEED_B
    # The solution, as the grader times it: one call, by the processor time of its sandboxed process.
    program = load_program(solution_path(course, ASSIGNMENT))
    limits = Limits.from_settings(course.grading)
    with Session(program, limits, course.data_files(ASSIGNMENT), seal_for(cnn_scratch.conv_forward)) as session:
        outcome = _timed_call(session, X, W, b)
    assert outcome.processor and 0 < outcome.seconds < 1, outcome
    own, loops, ratio = speed_ratio(X, W, b, 1, outcome.seconds, processor=True)
    print(f"06 conv_forward speed: the solution {own * 1000:.0f} ms of processor time (call {outcome.seconds * 1000:.0f} ms), "
          f"loops {loops * 1000:.0f} ms: {ratio:.0f}x")
    assert ratio >= cnn_scratch.SPEED_FACTOR
    # Four nested loops: right values, too slow, and the message says by how much.
    notebook = planted_notebook(solution_path(course, ASSIGNMENT), tmp_path / "loops.ipynb", {"conv_forward": LOOP_CONV})
    report = check_notebook(notebook, course=course, assignment=ASSIGNMENT, prepared=_without_training(prepared(ASSIGNMENT)))
    entry = {e.id: e for e in report.exercises}["conv_forward"]
    assert entry.status == "failed" and entry.breakdown["hidden"]["passed"] == entry.breakdown["hidden"]["total"], entry.feedback
    found = re.search(r"yours is ([\d.]+) times as fast as four nested loops", entry.feedback)
    assert found and float(found.group(1)) < cnn_scratch.SPEED_FACTOR, entry.feedback
    print(f"06 conv_forward speed: four nested loops {found.group(1)}x")
    # In the notebook the message is cut to about 600 characters, the ratio kept; the JSON keeps it whole.
    shown = shortened(text(entry))
    assert len(shown) <= NOTEBOOK_CHARS + 20 and shown.endswith(SHORTENED_NOTE) and "times as fast" in shown
    assert len(entry.feedback) > len(shown)


def test_the_speed_check_gives_the_solution_the_same_verdict_on_a_busy_machine(course):
    """The grader's other threads hold the GIL and every core is busy: the wall-clock time of the call
    grows several times over, its processor time does not, and the verdict stays."""
    import multiprocessing
    import threading

    X, W, b = cnn_scratch.SPEED_X, cnn_scratch.SPEED_W, cnn_scratch.SPEED_B
    judge = cnn_scratch.conv_forward.visible[-1].judge
    program = load_program(solution_path(course, ASSIGNMENT))
    limits = Limits.from_settings(course.grading)
    with Session(program, limits, course.data_files(ASSIGNMENT), seal_for(cnn_scratch.conv_forward)) as session:
        quiet = _timed_call(session, X, W, b)
        busy = [multiprocessing.get_context("fork").Process(target=_spin, args=(20,)) for _ in range(3)]
        threads = [threading.Thread(target=_spin, args=(20,), daemon=True) for _ in range(2)]
        for worker in busy + threads:
            worker.start()
        try:
            time.sleep(0.2)
            started = time.perf_counter()
            loaded = _timed_call(session, X, W, b)
            wall = time.perf_counter() - started
        finally:
            for process in busy:
                process.kill()
                process.join()
    assert quiet.processor and loaded.processor
    print(f"06 conv_forward on a busy machine: {loaded.seconds * 1000:.0f} ms of processor time (quiet: "
          f"{quiet.seconds * 1000:.0f} ms), {wall * 1000:.0f} ms of wall-clock time")
    assert judge(loaded.value, seconds=loaded.seconds, processor=True) is None
    assert loaded.seconds < 3 * quiet.seconds + 0.05


#: What the attacks that run the loops in another process share: the loops' result passed back
#: through a pipe, as bytes.
PIPE = '''
import os as _os

def _send(r, w, X, W, b, stride, padding):
    _os.close(r)
    with _os.fdopen(w, "wb") as f:
        f.write(_loops(X, W, b, stride, padding).tobytes())

def _receive(r, w, X, W, stride, padding):
    _os.close(w)
    with _os.fdopen(r, "rb") as f:
        data = f.read()
    X, W = np.asarray(X), np.asarray(W)
    shape = (len(X), len(W), (X.shape[2] + 2 * padding - W.shape[2]) // stride + 1, (X.shape[3] + 2 * padding - W.shape[3]) // stride + 1)
    return np.frombuffer(data).reshape(shape)
'''
#: Attacks on the processor clock: the loops' work done where the learner's process's clock does not
#: count it. Each must be timed by the wall clock instead, and fail.
OFFLOADED = {
    "a forked process": PIPE + '''
def conv_forward(X, W, b, stride=1, padding=0):
    r, w = _os.pipe()
    pid = _os.fork()
    if pid == 0:
        _send(r, w, X, W, b, stride, padding)
        _os._exit(0)
    out = _receive(r, w, X, W, stride, padding)
    _os.waitpid(pid, 0)
    return out
''',
    "an orphan that has ended": PIPE + '''
def conv_forward(X, W, b, stride=1, padding=0):
    r, w = _os.pipe()
    pid = _os.fork()
    if pid == 0:
        if _os.fork() == 0:
            _send(r, w, X, W, b, stride, padding)
        _os._exit(0)
    _os.waitpid(pid, 0)
    return _receive(r, w, X, W, stride, padding)
''',
    "a thread": '''
import threading as _threading

def conv_forward(X, W, b, stride=1, padding=0):
    box = []
    worker = _threading.Thread(target=lambda: box.append(_loops(X, W, b, stride, padding)))
    worker.start()
    worker.join()
    return box[0]
''',
}


#: Attacks on "the fastest call counts": the loops' work done once, and later calls answered from a memo.
MEMOS = {
    "a memo of the batch": '''
_memo = {}

def conv_forward(X, W, b, stride=1, padding=0):
    key = (np.asarray(X).tobytes(), np.asarray(W).tobytes(), np.asarray(b).tobytes(), stride, padding)
    if key not in _memo:
        _memo[key] = _loops(X, W, b, stride, padding)
    return _memo[key].copy()
''',
    "a memo of the filters": '''
_memo = {}

def conv_forward(X, W, b, stride=1, padding=0):
    key = (np.asarray(X).shape, np.asarray(W).tobytes(), stride, padding)
    if key not in _memo:
        _memo[key] = _loops(X, W, b, stride, padding)
    return _memo[key].copy()
''',
}


@pytest.mark.parametrize("attack", sorted(MEMOS))
def test_the_speed_check_is_not_answered_from_a_memo(attack, course, prepared, tmp_path):
    """The speed check's calls after the first take the batch in other orders: a memo of the first call
    either misses (and the loops are timed) or answers wrongly (and is told so)."""
    source = LOOP_CONV.replace("def conv_forward(", "def _loops(") + MEMOS[attack]
    notebook = planted_notebook(solution_path(course, ASSIGNMENT), tmp_path / "memo.ipynb", {"conv_forward": source})
    forward = prepared(ASSIGNMENT)["conv_forward"]
    speed = replace(forward, checks=[c for c in forward.checks if c.case.timed])
    report = check_notebook(notebook, course=course, assignment=ASSIGNMENT, prepared={"conv_forward": speed})
    entry = {e.id: e for e in report.exercises}["conv_forward"]
    assert entry.status == "failed", entry.feedback
    if attack == "a memo of the batch":
        found = re.search(r"yours is ([\d.]+) times as fast as four nested loops", entry.feedback)
        assert found and float(found.group(1)) < cnn_scratch.SPEED_FACTOR, entry.feedback
    else:
        assert "wrong on the same images in another order" in entry.feedback, entry.feedback


@pytest.mark.parametrize("attack", sorted(OFFLOADED))
def test_the_speed_check_counts_work_done_elsewhere(attack, course, prepared, tmp_path):
    """Four nested loops run by another process (or a thread) of the learner's: the right values, and
    the speed check still fails, with the ratio in the message."""
    source = LOOP_CONV.replace("def conv_forward(", "def _loops(") + OFFLOADED[attack]
    notebook = planted_notebook(solution_path(course, ASSIGNMENT), tmp_path / "offloaded.ipynb", {"conv_forward": source})
    forward = prepared(ASSIGNMENT)["conv_forward"]
    speed = replace(forward, checks=[c for c in forward.checks if c.case.timed])
    started = time.perf_counter()
    report = check_notebook(notebook, course=course, assignment=ASSIGNMENT, prepared={"conv_forward": speed})
    entry = {e.id: e for e in report.exercises}["conv_forward"]
    found = re.search(r"yours is ([\d.]+) times as fast as four nested loops", entry.feedback)
    assert entry.status == "failed" and found and float(found.group(1)) < cnn_scratch.SPEED_FACTOR, entry.feedback
    # a thread's work is on the process's own clock; another process's is not, and the wall clock times it
    assert ("of processor time" in entry.feedback) == (attack == "a thread"), entry.feedback
    print(f"06 conv_forward's loops in {attack}: {found.group(1)}x, graded in {time.perf_counter() - started:.1f} s")

