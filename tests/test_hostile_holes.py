"""The grader's remaining holes, each attacked the way a learner's notebook would.

1. Root-side file races: a learner thread renames the call folders and puts
   symbolic links to a folder outside in their place, while every exercise
   with input or output files is graded, many times, confined and not.
2. "By hand" that learner code cannot switch off: every route to a library
   convolution, correlation, polynomial product or FFT (public or private
   module, compiled function, computed name, importlib, sys.modules, eval,
   ctypes, a program started anew, the heap, frames, closures, __wrapped__)
   earns nothing on a by-hand exercise, while the same notebook's honest
   exercises keep their points.
3. Secrets: nothing in the learner's process holds the grader's seed, and the
   grader never sends it an expected value.
4. Quotas: many files under the per-file limit cannot fill the disk; answers
   that are cheap to make and expensive to decode cannot make the grader
   hold gigabytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.engine import codec
from autograder.engine.evaluate import prepare
from autograder.pipeline import check_notebook
from autograder.sandbox import session as sandbox_session
from autograder.sandbox.session import Limits

from conftest import ROOT, personal_notebook, planted_notebook, solution_path

FAST = Limits(exercise_timeout=5, submission_timeout=60, memory_mb=768, max_file_mb=8, max_processes=32, disk_mb=32)
UNCONFINED = Limits(exercise_timeout=5, submission_timeout=60, memory_mb=768, max_file_mb=8, max_processes=32, disk_mb=32, confine=False)
root_only = pytest.mark.skipif(os.getuid() != 0, reason="the grader runs learner code as another user only when it runs as root")


def with_cells(source: Path, target: Path, *, before: str | None = None, answers: dict[str, str] | None = None) -> Path:
    """``source`` with a code cell inserted after its setup cell and answer cells replaced."""
    nb = nbformat.read(source, as_version=4)
    if answers:
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = answers[grade_id]
    if before:
        at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(before))
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def scores(report) -> dict[str, tuple[str, float, str]]:
    return {e.id: (e.status, e.score, e.feedback) for e in report.exercises}


# --------------------------------------------------------------------------- 1. races

RACER = textwrap.dedent("""
    import os, threading, time
    TARGET = {target!r}
    def _race():
        while True:
            for base in {{os.getcwd(), os.path.dirname(os.getcwd()), "/tmp", "/tmp/work"}}:
                try:
                    names = os.listdir(base)
                except OSError:
                    continue
                for name in names:
                    if name.startswith("call-") or name in ("stdout.txt", "stderr.txt"):
                        path = os.path.join(base, name)
                        try:
                            if not os.path.islink(path):
                                os.rename(path, path + ".moved")
                            os.symlink(TARGET, path)
                        except OSError:
                            pass
            time.sleep(0.0005)
    for _ in range(2):
        threading.Thread(target=_race, daemon=True).start()
""")


def _snapshot(folder: Path) -> dict:
    out = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = os.lstat(path)
        out[str(path)] = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), path.read_bytes() if path.is_file() else None)
    return out


@pytest.mark.parametrize("limits", [FAST, UNCONFINED], ids=["confined", "unconfined"])
def test_a_racing_thread_cannot_redirect_the_graders_file_operations(limits, course, prepared, tmp_path):
    target = tmp_path / "outside"
    target.mkdir(mode=0o755)
    (target / "keep.txt").write_text("the grader must not touch this\n")
    os.chmod(target / "keep.txt", 0o644)
    before = _snapshot(target)
    notebook = with_cells(solution_path(course, "05-image-filters"), tmp_path / "racer.ipynb", before=RACER.format(target=str(target)))
    graded = prepared("05-image-filters")
    with_files = {e: p for e, p in graded.items() if p.exercise.output_files or any(getattr(c.case, "files", ()) for c in p.checks)}
    assert {"load_grayscale", "save_png"} <= set(with_files)
    # Only the exercises with files are checked (the others with no cases), to race many times.
    only = {e: p if e in with_files else prepare(p.exercise, seed=0, visible=False, hidden=False) for e, p in graded.items()}
    for _ in range(4):
        report = check_notebook(notebook, course=course, assignment="05-image-filters", prepared=only, limits=limits)
        got = scores(report)
        # The racer may well break its own grading (it moves the folders the child uses);
        # what must not happen is the grader writing, chowning or chmodding outside.
        assert set(with_files) <= set(got)
        assert _snapshot(target) == before, f"the grader changed a folder outside the sandbox: {got}"


def test_the_slot_folder_is_never_followed_through_a_link(tmp_path, monkeypatch):
    from autograder.sandbox import identity

    if os.getuid() != 0:
        pytest.skip("slots are used only when the grader runs as root")
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o755)
    link = tmp_path / "slots"
    link.symlink_to(victim)
    monkeypatch.setattr(identity, "_SLOT_DIR", link)
    with pytest.raises(OSError):
        identity.claim()
    assert stat.S_IMODE(victim.stat().st_mode) == 0o755 and not list(victim.iterdir())


# --------------------------------------------------------------------------- 2. by hand

#: (name, top-level cell, body of conv1d): each tries to get a library convolution past the rule.
BY_HAND_ROUTES = [
    ("public-name", "", "return np.convolve(x, h)"),
    ("private-compiled", "", "import numpy._core._multiarray_umath as m\nreturn m.correlate2(x, np.asarray(h)[::-1], 2)"),
    ("scipy-private-engine", "", "from scipy.signal import _sigtools\nreturn _sigtools._convolve2d(np.atleast_2d(x), np.atleast_2d(h), 1, 0, 0, 0)[0]"),
    ("fft", "", "n = len(x) + len(h) - 1\nreturn np.rint(np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(h, n), n)).astype(int)"),
    ("polynomial-product", "", "return np.polymul(x, h)"),
    ("computed-name", "NAME = 'con' + 'volve'", "return getattr(np, NAME)(x, h)"),
    ("importlib", "import importlib\nSIG = importlib.import_module('scipy.' + 'signal')", "return SIG.convolve(x, h)"),
    ("sys-modules", "import sys\nMODS = sys.modules", "return MODS['numpy'].__dict__['con' + 'volve'](x, h)"),
    ("eval", "F = eval('np.con' + 'volve')", "return F(x, h)"),
    ("stash-before", "REAL = np.convolve", "return REAL(x, h)"),
    ("wrapped", "REAL = getattr(np.convolve, '__wrapped__', np.convolve)", "return REAL(x, h)"),
    ("closure", "cells = np.convolve.__closure__ or ()\nREAL = next((c.cell_contents for c in cells if callable(c.cell_contents)), np.convolve)", "return REAL(x, h)"),
    ("gc", "import gc\nREAL = [o for o in gc.get_objects() if getattr(o, '__name__', '') == 'correlate2'][0]",
     "return REAL(x, np.asarray(h)[::-1], 2)"),
    ("frames", textwrap.dedent("""
        import sys
        FOUND = []
        frame = sys._getframe()
        while frame is not None:
            for value in list(frame.f_globals.values()) + list(frame.f_locals.values()):
                for attr in ("uninstall", "disarm", "armed", "HITS"):
                    if hasattr(value, attr):
                        FOUND.append(value)
            frame = frame.f_back
        for thing in FOUND:
            for attr in ("uninstall", "disarm"):
                try:
                    getattr(thing, attr)()
                except BaseException:
                    pass
        """), "return np.convolve(x, h)"),
    ("reload-extension", textwrap.dedent("""
        import importlib.util, sys
        path = sys.modules['scipy.signal._sigtools'].__file__
        spec = importlib.util.spec_from_file_location('fresh._sigtools', path)
        FRESH = importlib.util.module_from_spec(spec)
        """), "return FRESH._convolve2d(np.atleast_2d(x), np.atleast_2d(h), 1, 0, 0, 0)[0]"),
    ("ctypes", textwrap.dedent("""
        import ctypes
        LIB = ctypes.CDLL(None)
        """), "return np.convolve(x, h) if LIB else None"),
    ("subprocess", "", textwrap.dedent("""
        import subprocess, sys, json
        out = subprocess.run([sys.executable, '-c', f'import numpy, json; print(json.dumps(numpy.convolve({list(map(int, x))}, {list(map(int, h))}).tolist()))'],
                             capture_output=True, text=True).stdout
        return np.array(json.loads(out))""")),
    ("pickle", "import pickle\nREAL = pickle.loads(b'cnumpy\\nconvolve\\n.')", "return REAL(x, h)"),
    ("swallow-and-retry", "", "try:\n    return np.convolve(x, h)\nexcept BaseException:\n    return np.convolve(x, h)"),
]


def _conv1d(body: str) -> str:
    inner = textwrap.indent(body.strip("\n"), "    ")
    return f"def conv1d(x, h):\n    x = np.asarray(x)\n    h = np.asarray(h)\n    if x.size == 0 or h.size == 0:\n        raise ValueError('empty input')\n{inner}\n"


@pytest.fixture(scope="module")
def by_hand_reports(course, prepared, tmp_path_factory):
    folder = tmp_path_factory.mktemp("by-hand")
    out = {}
    for name, top, body in BY_HAND_ROUTES:
        notebook = with_cells(solution_path(course, "01-conv1d"), folder / f"{name}.ipynb", before=top or None, answers={"conv1d": _conv1d(body)})
        out[name] = check_notebook(notebook, course=course, assignment="01-conv1d", prepared=prepared("01-conv1d"), limits=FAST)
    return out


@pytest.mark.parametrize("route", [r[0] for r in BY_HAND_ROUTES])
def test_no_route_to_a_library_convolution_earns_points(route, by_hand_reports):
    got = scores(by_hand_reports[route])
    status, score, feedback = got["conv1d"]
    assert score == 0, f"{route}: conv1d earned {score}: {feedback}"
    assert re.search(r"\[forbidden-call\]|not allowed|not available|done by hand|hides from the grader", feedback), f"{route}: {feedback}"
    # The honest exercises of the same notebook are graded as usual.
    assert got["output_length"][0] == "passed" and got["by_hand_full"][0] == "passed", got


def test_honest_by_hand_code_with_slicing_dot_and_pad_stays_allowed(course, prepared, tmp_path):
    body = ("x = x.astype(np.result_type(x, h, np.int64))\nn = len(x) + len(h) - 1\npadded = np.pad(x, (len(h) - 1, len(h) - 1))\nflipped = h[::-1]\n"
            "return np.array([np.dot(padded[i:i + len(h)], flipped) for i in range(n)])")
    notebook = with_cells(solution_path(course, "01-conv1d"), tmp_path / "honest.ipynb", answers={"conv1d": _conv1d(body)})
    got = scores(check_notebook(notebook, course=course, assignment="01-conv1d", prepared=prepared("01-conv1d"), limits=FAST))
    assert got["conv1d"][0] == "passed", got["conv1d"]


def test_a_sealed_server_leaves_no_way_back_to_an_engine():
    """Inside a sealed fork server nothing in the heap still refers to a library convolution."""
    script = textwrap.dedent("""
        import ctypes, gc, json, sys
        import autograder.sandbox.preload
        import numpy, scipy.signal, scipy.ndimage, scipy.fft
        # Kept alive but referred to by no Python object (only their addresses are kept, as
        # plain ints), so that afterwards we can ask who else still refers to them.
        addresses = []
        for engine in (numpy._core._multiarray_umath.correlate2, scipy.signal._sigtools._convolve2d,
                       numpy.fft._pocketfft_umath.fft, scipy.ndimage._nd_image.correlate1d, scipy.fft._pocketfft.pypocketfft.c2c):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(engine))
            addresses.append(id(engine))
        del engine
        from autograder.sandbox import seal
        from autograder.engine.spec import BY_HAND_FORBIDDEN
        stats = seal.seal(BY_HAND_FORBIDDEN)
        engines = [ctypes.cast(a, ctypes.py_object).value for a in addresses]
        left = []
        for holder in gc.get_referrers(*engines):
            if holder is engines or isinstance(holder, type(sys._getframe())):
                continue
            left.append(type(holder).__name__ + (" " + str(holder.get("__name__")) if isinstance(holder, dict) else ""))
        stubbed = numpy._core._multiarray_umath.correlate2 is not engines[0] and scipy.signal._sigtools._convolve2d is not engines[1]
        print(json.dumps({"left": left, "stubbed": stubbed, "stats": {k: v for k, v in stats.items() if k != "leftovers"}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert data["stubbed"] and data["left"] == [], data
    assert data["stats"]["engines"] > 10


# --------------------------------------------------------------------------- 3. secrets

SEARCH = textwrap.dedent("""
    import os, sys, gc, re, hashlib
    WANTED = {digest!r}  # the learner does not know the seed: it looks for any number whose hash matches
    SOURCES = []
    def _scan(label, data):
        SOURCES.append(label)
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        return any(hashlib.sha256(run).hexdigest() == WANTED for run in re.findall(rb"\\d{{10,20}}", data))
    FOUND = []
    if _scan("argv", " ".join(sys.argv)):
        FOUND.append("argv")
    if _scan("environ", repr(dict(os.environ))):
        FOUND.append("environ")
    try:
        PIDS = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        PIDS = []
    for path in ["/proc/self/cmdline", "/proc/self/environ", f"/proc/{{os.getppid()}}/cmdline", f"/proc/{{os.getppid()}}/environ"] + \\
            [f"/proc/{{p}}/{{f}}" for p in PIDS for f in ("cmdline", "environ")]:
        try:
            with open(path, "rb") as handle:
                if _scan(path, handle.read(1 << 20)):
                    FOUND.append(path)
        except OSError:
            pass
    for fd in range(3, 256):
        try:
            if _scan(f"fd {{fd}}", os.pread(fd, 1 << 20, 0)):
                FOUND.append(f"fd {{fd}}")
        except OSError:
            pass
    try:
        import multiprocessing
        if _scan("authkey", bytes(multiprocessing.current_process().authkey)):
            FOUND.append("authkey")
    except Exception:
        pass
    try:
        texts = [o for o in gc.get_objects() if isinstance(o, (str, bytes, int))]
        SOURCES.append("gc")
        if any(_scan("gc", str(o)) for o in texts):
            FOUND.append("gc")
    except BaseException:
        pass
    def walk():
        frame = sys._getframe()
        while frame is not None:
            if _scan("frame", repr(frame.f_locals)):
                FOUND.append("frame")
            frame = frame.f_back
    walk()
""")


def test_nothing_secret_reaches_the_learners_process(course, tmp_path):
    """`autograder grade --seed` with a distinctive seed: the learner's process finds it nowhere."""
    secret = "7340591126133"
    digest = hashlib.sha256(secret.encode()).hexdigest()
    # graded as spy: the solution as spy hands it in (their id, their own numbers' answers)
    notebook = with_cells(personal_notebook(course, "04-shapes", "spy", tmp_path / "spy-own.ipynb"), tmp_path / "submitted" / "spy.ipynb",
                          before=SEARCH.format(digest=digest),
                          answers={"conv_params": "def conv_params(kh, kw, c_in, c_out, bias=True):\n"
                                                  "    return -1000 - len(SOURCES) if not FOUND else 10**6 + len(FOUND)\n"})
    shutil_copy = [sys.executable, "-m", "autograder.frontends.cli", "grade", str(notebook.parent), "-a", "04-shapes",
                   "--output", str(tmp_path / "out"), "--seed", secret, "--no-progress", "--workers", "1"]
    done = subprocess.run(shutil_copy, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "reports" / "spy.json").read_text())
    feedback = next(e for e in report["exercises"] if e["id"] == "conv_params")["feedback"]
    got = int(re.search(r"conv_params\(.*?\) .*? is (-?\d+);", feedback).group(1))
    assert got <= -1000 - 6, f"the learner found the seed (or searched nothing): {feedback}"
    assert secret not in json.dumps(report)


def test_the_grader_sends_the_child_inputs_and_never_an_expected_value(course, prepared, monkeypatch):
    graded = prepared("01-conv1d")
    sent: list[bytes] = []
    real = sandbox_session.Session._send

    def spy(self, message):
        sent.append(codec.dumps(message))
        return real(self, message)

    monkeypatch.setattr(sandbox_session.Session, "_send", spy)
    report = check_notebook(solution_path(course, "01-conv1d"), course=course, assignment="01-conv1d", prepared=graded, limits=FAST)
    assert report.score == report.max_score
    traffic = b"".join(sent)
    checked = 0
    for prep in graded.values():
        for check in prep.checks:
            expected = check.expected
            if not isinstance(expected, np.ndarray) or expected.size < 4:
                continue
            inputs = [a for a in check.case.args if isinstance(a, np.ndarray)]
            if any(np.array_equal(expected, a) for a in inputs):
                continue
            encoded = json.dumps(codec.to_plain(np.asarray(expected))["data"]).encode()
            assert encoded not in traffic, f"{prep.exercise.id}: an expected value was sent to the child"
            checked += 1
    assert checked > 10


# --------------------------------------------------------------------------- 4. quotas

FILL = textwrap.dedent("""
    import os
    WROTE = 0
    for i in range(200):
        try:
            with open(f"fill-{i}.bin", "wb") as handle:
                handle.write(b"x" * (4 * 1024 * 1024))
            WROTE += 4
        except OSError:
            break
    with open("/dev/null") as _:
        pass
""")


@pytest.mark.parametrize("limits", [FAST, UNCONFINED], ids=["tmpfs", "watched"])
def test_many_small_files_cannot_fill_the_disk(limits, course, prepared, tmp_path):
    before = os.statvfs("/tmp").f_bavail * os.statvfs("/tmp").f_frsize
    notebook = with_cells(solution_path(course, "04-shapes"), tmp_path / "fill.ipynb", before=FILL,
                          answers={"conv_params": "def conv_params(kh, kw, c_in, c_out, bias=True):\n    return -WROTE\n"})
    report = check_notebook(notebook, course=course, assignment="04-shapes", prepared=prepared("04-shapes"), limits=limits)
    got = scores(report)
    after = os.statvfs("/tmp").f_bavail * os.statvfs("/tmp").f_frsize
    assert before - after < 64 * 1024 * 1024, "the sandbox left files behind on the grader's disk"
    status, score, feedback = got["conv_params"]
    assert score == 0
    if limits.confine:
        written = -int(re.search(r"is (-?\d+);", feedback).group(1))
        assert written <= limits.disk_mb, f"wrote {written} MB with a {limits.disk_mb} MB quota"
    else:
        assert f"more than the {limits.disk_mb} MB" in feedback, feedback
    assert got["conv_output_size"][0] == "passed" or limits.confine is False


AMPLIFY = {
    "forged-huge-reply": textwrap.dedent("""
        def conv_params(kh, kw, c_in, c_out, bias=True):
            import sys
            frame = sys._getframe()
            while frame is not None and 'channel' not in frame.f_locals:
                frame = frame.f_back
            channel = frame.f_locals['channel']
            channel.replies.send_bytes(b'{"t":"result","i":0,"value":[' + b'0,' * (60 * 1024 * 1024) + b'0]}')
            return 0
        """),
    "shared-string": textwrap.dedent("""
        def conv_params(kh, kw, c_in, c_out, bias=True):
            s = 'x' * 1_000_000
            return [s] * 100_000
        """),
    "nested-lists": textwrap.dedent("""
        def conv_params(kh, kw, c_in, c_out, bias=True):
            row = [0] * 2_000_000
            return [row] * 1000
        """),
}

PEAK = textwrap.dedent("""
    import json, sys, resource
    from autograder.pipeline import check_notebook
    from autograder.sandbox.session import Limits
    limits = Limits(exercise_timeout=20, submission_timeout=120, memory_mb=2048, max_file_mb=8, max_processes=32, disk_mb=32)
    report = check_notebook(sys.argv[1], assignment="04-shapes", limits=limits)
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
    print(json.dumps({"peak_mb": peak, "conv_params": next(e.score for e in report.exercises if e.id == "conv_params")}))
""")


def _peak(notebook: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PEAK, str(notebook)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_answers_expensive_to_decode_cannot_make_the_grader_hold_gigabytes(course, tmp_path):
    honest = _peak(solution_path(course, "04-shapes"))
    print(f"grader peak memory, honest submission: {honest['peak_mb']} MB")
    for name, source in AMPLIFY.items():
        notebook = with_cells(solution_path(course, "04-shapes"), tmp_path / f"{name}.ipynb", answers={"conv_params": source})
        attacked = _peak(notebook)
        print(f"grader peak memory, {name}: {attacked['peak_mb']} MB")
        assert attacked["conv_params"] == 0
        assert attacked["peak_mb"] - honest["peak_mb"] < 300, f"{name}: {attacked['peak_mb']} MB against {honest['peak_mb']} MB"
