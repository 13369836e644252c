"""Hostile submissions: one notebook per attack on the grader, built from the solution.

Each :class:`Attack` replaces answer cells of ``solutions/01-conv1d/conv1d.ipynb``
(by grade_id) and may insert extra code cells before or after answer cells.
Sources may use ``{placeholders}`` filled in by :func:`build` (paths the test
owns: the output folder of the class grader, another student's notebook, a
marker name), so that an attack can aim at a real target "by guessing".

tests/test_hostile.py grades every attack: the attacked exercises score 0 with
a clear message, the honest ones still pass, nothing hangs and the grader
survives.  The same notebooks form the hostile class graded by
``autograder.frontends.grading.grade_class``.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ASSIGNMENT = "01-conv1d"
EXERCISES = ("by_hand_full", "conv1d", "conv1d_mode", "output_length")
#: conv1d_mode's solution calls conv1d: an attack on conv1d may take it down too.
DEPENDENTS = {"conv1d": {"conv1d_mode"}}

# A wrong but well-behaved output_length, used after an attack that must not win.
WRONG_LENGTH = '''
def output_length(n, k, mode="full"):
    return 0
'''


@dataclass(frozen=True)
class Attack:
    name: str
    #: answer cells replaced, by grade_id
    answers: dict[str, str] = field(default_factory=dict)
    #: extra code cells inserted before / after the answer cell with this grade_id
    before: dict[str, tuple[str, ...]] = field(default_factory=dict)
    after: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: exercise id -> statuses accepted for it (it must score 0 with one of them)
    attacked: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: a regular expression the attacked exercises' feedback must match
    message: str = ""
    #: feedback must not contain these (e.g. a leaked secret); filled by build()
    never: tuple[str, ...] = ()
    #: exercises the attack may take down as well (it broke its own process's machinery)
    collateral: tuple[str, ...] = ()
    #: slow attacks use up a timeout
    slow: bool = False
    #: without root, only kernel confinement (Landlock 6+, PID namespace) stops this attack
    needs_confinement: bool = False
    #: the share of the points an attacked exercise may keep: partial credit for the cases
    #: its (crippled) function happens to get right, e.g. a constant 4 that is right once
    max_credit: float = 0.0

    @property
    def honest(self) -> set[str]:
        hit = set(self.attacked) | set(self.collateral)
        for ex in list(hit):
            hit |= DEPENDENTS.get(ex, set())
        return set(EXERCISES) - hit


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)


def build(attack: Attack, source: Path, target: Path, values: dict[str, str] | None = None) -> Path:
    """Write ``attack`` as a notebook at ``target`` (placeholders ``{{NAME}}`` filled)."""
    values = values or {}
    nb = copy.deepcopy(nbformat.read(source, as_version=4))
    cells = []
    seen = set()
    for cell in nb.cells:
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        for extra in attack.before.get(grade_id, ()):
            cells.append(nbformat.v4.new_code_cell(_fill(extra, values)))
        if grade_id in attack.answers:
            cell.source = _fill(attack.answers[grade_id], values)
            seen.add(grade_id)
        cells.append(cell)
        for extra in attack.after.get(grade_id, ()):
            cells.append(nbformat.v4.new_code_cell(_fill(extra, values)))
    missing = set(attack.answers) - seen
    if missing:
        raise KeyError(f"{source} has no answer cell {sorted(missing)}")
    nb.cells = cells
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def _length(body: str, prelude: str = "") -> str:
    """An output_length answer cell: ``prelude`` at top level, then a def with ``body``."""
    indented = "\n".join("    " + line if line else line for line in body.strip("\n").splitlines())
    return f"{prelude.strip()}\n\ndef output_length(n, k, mode=\"full\"):\n{indented}\n"


_TIMEOUT = ("timeout",)
_ERROR = ("error",)
_BROKEN = ("error", "timeout")
_WRONG = ("failed",)

ATTACKS: list[Attack] = [
    # -- stalling ------------------------------------------------------------
    Attack("loop-top-level", {"output_length": _length("return 0", "while True:\n    pass")},
           attacked={"output_length": _TIMEOUT}, message=r"did not finish within", slow=True),
    Attack("loop-in-function", {"output_length": _length("while True:\n    pass")},
           attacked={"output_length": _TIMEOUT}, message=r"\[timeout\].*did not finish in time", slow=True),
    Attack("loop-ignoring-signals", {"output_length": _length(
        "import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    try:\n        time.sleep(0.01)\n    except BaseException:\n        pass")},
           attacked={"output_length": _TIMEOUT}, message=r"did not finish in time", slow=True),
    # -- resources -------------------------------------------------------------
    Attack("memory-bomb-top-level", {"output_length": _length("return 0", "hog = bytearray(64 * 1024**3)")},
           attacked={"output_length": _ERROR}, message=r"MemoryError"),
    Attack("memory-bomb-in-function", {"output_length": _length("blocks = []\nwhile True:\n    blocks.append(np.ones(10**7))")},
           attacked={"output_length": _BROKEN}, message=r"(MemoryError|did not finish in time)"),
    Attack("fork-bomb-top-level", {"output_length": _length("return 0", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")},
           attacked={"output_length": _BROKEN}, message=r"the cell that starts with", slow=True),
    Attack("fork-bomb-in-function", {"output_length": _length("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")},
           attacked={"output_length": _BROKEN}, message=r"output_length", slow=True),
    Attack("fork-bomb-exiting", {"output_length": _length("import os\nwhile True:\n    os.fork()")},
           attacked={"output_length": _BROKEN}, message=r"output_length"),
    Attack("deep-recursion", {"output_length": _length("return output_length(n, k, mode) + 1")},
           attacked={"output_length": _ERROR}, message=r"RecursionError"),
    Attack("deep-recursion-raised-limit", {"output_length": _length(
        "import sys\nsys.setrecursionlimit(10**8)\ndef down(i):\n    return down(i + 1) + 1\nreturn down(0)")},
           attacked={"output_length": _BROKEN}, message=r"(crashed|SIGSEGV|RecursionError|MemoryError|stopped the process|did not finish)", slow=True),
    Attack("output-flood-top-level", {"output_length": _length("return 0", "import sys\nwhile True:\n    sys.stdout.write('x' * 10**6)")},
           attacked={"output_length": _ERROR}, message=r"(File too large|OSError)"),
    Attack("output-flood-in-function", {"output_length": _length(
        "import os\nfor fd in (1, 2):\n    try:\n        while True:\n            os.write(fd, b'y' * 10**6)\n    except OSError:\n        pass\nreturn 0")},
           attacked={"output_length": _WRONG}, message=r"is 0; expected"),
    Attack("huge-return-value", {"output_length": _length("row = [0] * 1_000_000\nreturn [row] * 60")},
           attacked={"output_length": _WRONG}, message=r"should be an int; it is a list"),
    Attack("huge-flat-return-value", {"output_length": _length("return [0] * 5_000_000")},
           attacked={"output_length": _WRONG}, message=r"should be an int; it is a list object \(a list too large to grade"),
    # -- ending the process ----------------------------------------------------
    Attack("sys-exit-top-level", {"output_length": _length("return 0", "import sys\nsys.exit(0)")},
           attacked={"output_length": _ERROR}, message=r"SystemExit"),
    Attack("os-exit-top-level", {"output_length": _length("return 0", "import os\nos._exit(0)")},
           attacked={"output_length": _ERROR}, message=r"exited with status 0"),
    Attack("sys-exit-in-function", {"output_length": _length("import sys\nsys.exit(0)")},
           attacked={"output_length": _ERROR}, message=r"SystemExit"),
    Attack("os-exit-in-function", {"output_length": _length("import os\nos._exit(0)")},
           attacked={"output_length": _ERROR}, message=r"exited with status 0"),
    Attack("self-kill-in-function", {"output_length": _length("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\nreturn 4")},
           attacked={"output_length": _ERROR + _WRONG}, max_credit=0.25, message=r"(SIGKILL|output_length)"),
    # -- killing the grader ----------------------------------------------------
    Attack("kill-parent-top-level", {"output_length": _length("return 0", "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass")},
           attacked={"output_length": _WRONG + _ERROR}, message=r"(is 0; expected|ended the process)", needs_confinement=True),
    Attack("kill-parent-in-function", {"output_length": _length(
        "import os, signal\nfor target in (os.getppid(), 1):\n    try:\n        os.kill(target, signal.SIGKILL)\n    except OSError:\n        pass\nreturn 0")},
           attacked={"output_length": _WRONG}, message=r"is 0; expected", needs_confinement=True),
    Attack("killpg-parent", {"output_length": _length(
        "import os, signal\ntry:\n    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)\nexcept OSError:\n    pass\nreturn 0")},
           attacked={"output_length": _WRONG}, message=r"is 0; expected", needs_confinement=True),
    Attack("kill-everything", {"output_length": _length(
        "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n"
        "try:\n    import subprocess\n    subprocess.run(['kill', '-9', '-1'], timeout=2)\nexcept Exception:\n    pass\nreturn 0")},
           attacked={"output_length": _ERROR + _WRONG}, message=r"(is 0; expected|SIGKILL)", needs_confinement=True),
    Attack("kill-by-scanning-proc", {"output_length": _length(
        "import os, signal\nfor entry in os.listdir('/proc'):\n    if entry.isdigit() and int(entry) != os.getpid():\n"
        "        try:\n            os.kill(int(entry), signal.SIGKILL)\n        except OSError:\n            pass\nreturn 0")},
           attacked={"output_length": _ERROR + _WRONG}, message=r"(is 0; expected|output_length)", needs_confinement=True),
    # -- tampering with comparisons -------------------------------------------
    Attack("monkeypatch-numpy", {"output_length": WRONG_LENGTH, "conv1d": "def conv1d(x, h):\n    return np.zeros(3)\n"}, before={"conv1d": (
        "import numpy, numpy.testing\n"
        "numpy.array_equal = lambda *a, **k: True\nnumpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(b), bool)\nnumpy.all = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\nnumpy.testing.assert_array_equal = lambda *a, **k: None\n"
        "numpy.ndarray.__eq__ = lambda self, other: True\n",)},
           attacked={"output_length": _WRONG, "conv1d": _WRONG + _ERROR}, message=r"(expected|wrong shape|raised)"),
    Attack("monkeypatch-builtins", {"output_length": WRONG_LENGTH}, after={"output_length": (
        "import builtins\n_real_isinstance = builtins.isinstance\n"
        "builtins.isinstance = lambda obj, cls: True\nbuiltins.len = lambda obj: 4\n"
        "builtins.int = lambda *a, **k: 4\nbuiltins.abs = lambda x: 0\nbuiltins.print = lambda *a, **k: None\n",)},
           attacked={"output_length": _WRONG + _ERROR}, message=r"output_length"),
    Attack("monkeypatch-autograder", {"output_length": WRONG_LENGTH}, before={"setup": (
        "import sys, types\n"
        "fake = types.ModuleType('autograder')\nfake.check = lambda *a, **k: True\n"
        "fake.__path__ = []\nsys.modules['autograder'] = fake\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if 'Blocker' not in type(f).__name__ and 'Wire' not in type(f).__name__]\n"
        "for path in ('{{REPO}}',):\n    sys.path.insert(0, path)\n"
        "try:\n    del sys.modules['autograder']\n    import autograder.engine.compare as cmp\n"
        "    cmp.compare = lambda *a, **k: None\nexcept Exception as exc:\n    print('blocked', exc)\n",)},
           attacked={"output_length": _WRONG}, message=r"is 0; expected"),
    Attack("tamper-with-the-child-through-frames", {"output_length": WRONG_LENGTH}, after={"output_length": (
        "import sys, gc\n"
        "frame = sys._getframe()\n"
        "while frame is not None:\n"
        "    g = frame.f_globals\n"
        "    if 'codec' in g:\n"
        "        g['codec'].to_plain = lambda v, *a, _real=g['codec'].to_plain, **k: _real(4 if type(v) is int and v == 0 else v, *a, **k)\n"
        "        break\n"
        "    frame = frame.f_back\n",)},
           attacked={"output_length": _WRONG + _ERROR}, max_credit=0.25, message=r"output_length", collateral=("conv1d", "by_hand_full")),
    # -- lying values ------------------------------------------------------------
    Attack("ndarray-subclass-that-lies", {"conv1d": (
        "class Liar(np.ndarray):\n"
        "    def __eq__(self, other):\n        return np.ones(np.shape(other), dtype=bool)\n"
        "    __ne__ = lambda self, other: np.zeros(np.shape(other), dtype=bool)\n"
        "    def __array__(self, dtype=None, copy=None):\n        return np.asarray([6, 14, 34, 34, 8])\n"
        "    def __len__(self):\n        return 5\n"
        "def conv1d(x, h):\n    return np.zeros(7).view(Liar)\n")},
           attacked={"conv1d": _WRONG}, message=r"(plain numpy\.ndarray|Liar)"),
    Attack("object-that-lies", {"output_length": (
        "class Anything(int):\n"
        "    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n"
        "    def __float__(self):\n        return 4.0\n    def __index__(self):\n        return 4\n"
        "    def __len__(self):\n        return 4\n    def __array__(self, dtype=None, copy=None):\n        return np.asarray(4)\n"
        "def output_length(n, k, mode='full'):\n    return Anything(0)\n"), "by_hand_full": (
        "class Same:\n    def __eq__(self, other):\n        return True\n    def __array__(self, dtype=None, copy=None):\n"
        "        return np.asarray([6, 11, 14, 5, 0])\n    def __len__(self):\n        return 5\n"
        "    def __iter__(self):\n        return iter([6, 11, 14, 5, 0])\n"
        "y_by_hand = Same()\n")},
           attacked={"output_length": _WRONG, "by_hand_full": _WRONG + ("forbidden",)}, message=r"(object|should be|worked out by hand)"),
    Attack("nan-and-inf", {"conv1d": "def conv1d(x, h):\n    return np.full(len(x) + len(h) - 1, np.nan)\n",
                           "output_length": "def output_length(n, k, mode='full'):\n    return float('inf')\n"},
           attacked={"conv1d": _WRONG, "output_length": _WRONG}, message=r"(NaN|inf|should be an int)"),
    Attack("list-instead-of-array", {"conv1d": (
        "def conv1d(x, h):\n    y = [0] * (len(x) + len(h) - 1)\n    for i, a in enumerate(x):\n"
        "        for j, b in enumerate(h):\n            y[i + j] += a * b\n"
        "    if len(x) == 0 or len(h) == 0:\n        raise ValueError('empty')\n    return y\n")},
           attacked={"conv1d": _WRONG}, max_credit=0.85, message=r"should return a NumPy array"),
    # -- secrets -----------------------------------------------------------------
    Attack("reads-the-grader-package", {"conv1d": (
        "import sys, os\n"
        "for finder in list(sys.meta_path):\n    if 'Blocker' in type(finder).__name__:\n        sys.meta_path.remove(finder)\n"
        "for root in ['{{REPO}}'] + [p for p in sys.path if 'site-packages' in p]:\n    sys.path.insert(0, root)\n"
        "try:\n    from autograder.references.conv1d import conv1d as _ref\nexcept BaseException:\n    _ref = None\n"
        "_sources = {}\n"
        "for top in ['{{REPO}}/autograder', '{{REPO}}/solutions'] + [os.path.join(p, 'autograder') for p in sys.path if 'site-packages' in p]:\n"
        "    for folder, _, names in os.walk(top):\n        for name in names:\n"
        "            try:\n                with open(os.path.join(folder, name), 'rb') as f:\n                    _sources[name] = f.read()\n"
        "            except OSError:\n                pass\n"
        "def conv1d(x, h):\n"
        "    if _ref is not None:\n        return _ref(x, h)\n"
        "    if _sources:\n        raise ValueError(f'read {len(_sources)} grader files')\n"
        "    return None\n")},
           attacked={"conv1d": _WRONG + ("forbidden",)}, message=r"(is None|\[forbidden-call\] conv1d uses autograder)", needs_confinement=True),
    Attack("reads-the-seed", {"output_length": (
        "import os, re\n"
        "_paths = ['{{OUTPUT}}/seed', '{{REPO}}/course.yml', '{{COURSE}}']\n"
        "try:\n    _paths += [f'/proc/{p}/{f}' for p in os.listdir('/proc') if p.isdigit() for f in ('cmdline', 'environ')]\nexcept OSError:\n    pass\n"
        "_found = []\nfor path in _paths:\n    try:\n        with open(path, 'rb') as f:\n            _found.append(f.read(1 << 16))\n    except OSError:\n        pass\n"
        "_secret = [int(t) for blob in _found for t in re.findall(rb'\\d{5,12}', blob)]\n"
        "def output_length(n, k, mode='full'):\n    return sum(_secret) % 7919 + 10**6 if _secret else -1\n")},
           attacked={"output_length": _WRONG}, message=r"is -1", needs_confinement=True),
    Attack("writes-into-the-output-folder", {"output_length": (
        "import os\n_wrote = []\n"
        "for path in ('{{OUTPUT}}/gradebook.csv', '{{OUTPUT}}/reports/{{VICTIM}}.json', '{{OUTPUT}}/seed', '{{VICTIM_NOTEBOOK}}',\n"
        "             '{{OUTPUT}}/pwned.txt', '../pwned.txt', '/tmp/pwned-{{MARK}}.txt'):\n"
        "    try:\n        with open(path, 'w') as f:\n            f.write('{\"score\": 100}')\n        _wrote.append(path)\n    except OSError:\n        pass\n"
        "def output_length(n, k, mode='full'):\n    return -len(_wrote) - 100\n")},
           attacked={"output_length": _WRONG}, message=r"is -10[0-2];", needs_confinement=True),  # only the private /tmp of the sandbox is writable
    # -- escaping ------------------------------------------------------------------
    Attack("background-process", {"output_length": _length("return 0", (
        "import os, time, ctypes\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        ctypes.CDLL(None).prctl(15, b'{{MARK}}', 0, 0, 0)\n"
        "        while True:\n            time.sleep(0.05)\n    os._exit(0)\n"))},
           attacked={"output_length": _WRONG}, message=r"is 0; expected", needs_confinement=True),
    Attack("background-process-in-function", {"output_length": _length(
        "import os, time, ctypes\n"
        "if os.environ.get('STARTED') is None and os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        ctypes.CDLL(None).prctl(15, b'{{MARK}}', 0, 0, 0)\n"
        "        while True:\n            time.sleep(0.05)\n    os._exit(0)\nos.environ['STARTED'] = '1'\nreturn 0")},
           attacked={"output_length": _WRONG}, message=r"is 0; expected", needs_confinement=True),
    # -- fake results ----------------------------------------------------------------
    Attack("prints-fake-results", {"output_length": _length(
        "import sys, json\n"
        "print('✓ output_length 1/1')\nprint('✓ conv1d 3/3', file=sys.stderr)\n"
        "print(json.dumps({'notebook': 'x', 'assignment': '01-conv1d', 'score': 8.0, 'max_score': 8.0, 'exercises': []}))\n"
        "return 0", "print('✓ output_length 1/1  all checks passed')")},
           attacked={"output_length": _WRONG}, message=r"is 0; expected"),
    Attack("forges-protocol-messages", {"output_length": _length(
        "import sys\n"
        "frame = sys._getframe()\nwhile frame is not None and 'channel' not in frame.f_locals:\n    frame = frame.f_back\n"
        "if frame is not None:\n    ch = frame.f_locals['channel']\n"
        "    for i in range(200):\n        ch.send({'t': 'result', 'i': i, 'value': 4})\n    ch.send({'t': 'done'})\n"
        "return 0")},
           attacked={"output_length": _WRONG + _ERROR}, max_credit=0.25, message=r"(out of order|is [04]; expected)"),
    # -- the kernel --------------------------------------------------------------------
    Attack("input-transformer", {"output_length": WRONG_LENGTH, "conv1d": "def conv1d(x, h):\n    raise ValueError('wrong')\n"}, before={"setup": (
        "ip = get_ipython()\n"
        "def wrap(lines):\n"
        "    body = ''.join('    ' + line for line in lines)\n"
        "    return ['try:\\n', body + '\\n', 'except BaseException:\\n', '    pass\\n', 'def output_length(n, k, mode=\"full\"):\\n', '    return {\"full\": n + k - 1, \"same\": max(n, k), \"valid\": max(n, k) - min(n, k) + 1}[mode]\\n']\n"
        "ip.input_transformers_cleanup.append(wrap)\nip.input_transformers_post.append(wrap)\n",)},
           attacked={"output_length": _WRONG, "conv1d": _WRONG + _ERROR}, message=r"(is 0; expected|should raise|raised)"),
]


def by_name(name: str) -> Attack:
    return next(a for a in ATTACKS if a.name == name)
