"""Make library shortcuts unreachable in the process that runs a "by hand" exercise.

A tripwire that wraps ``numpy.convolve`` still holds the real function, and
learner code can reach anything the process holds (``__wrapped__``,
``__closure__``, frames, ``gc``).  So for by-hand exercises the sandbox
removes the real functions instead, *before any learner code runs*:

1. :func:`seal`, run in a fork server of its own (one per set of forbidden
   names; see :mod:`autograder.sandbox.session`): every callable defined
   under a forbidden module (``scipy.signal``, ``numpy.fft``, their compiled
   engines such as ``scipy.signal._sigtools``) or named exactly
   (``numpy.convolve``, ``numpy._core._multiarray_umath.correlate2``) is
   replaced by a stub that raises :class:`ForbiddenCall` and records the
   call, in every container that refers to it (module and class
   dictionaries, lists, sets, closures, ``functools.partial`` objects,
   default arguments, and holders rebuilt around them).  The originals are
   then released: no Python object leads to them any more.
2. :func:`install_guard`, run in each child right before the learner's
   cells: an audit hook (which Python code cannot remove) that refuses what
   could bring an original back or run one elsewhere: searching the heap
   (``gc.get_objects``/``get_referrers``/``get_referents``), ``ctypes``,
   starting programs (``subprocess``, ``os.exec*``, ``os.system``,
   ``posix_spawn``), importing a forbidden module afresh or loading its
   compiled file under another name, and opening ``/proc/*/mem``.

What a stub records reaches the grader as the exercise's forbidden calls;
whatever learner code does with that record, the library does not compute.
"""
from __future__ import annotations

import functools
import gc
import sys
import types

from ..engine.forbidden import ForbiddenCall, expand

#: names of stubs called since the last :func:`take_hits`
HITS: list[str] = []
_SEALED: tuple[str, ...] = ()

_MODULE_TYPE = types.ModuleType


def sealed() -> tuple[str, ...]:
    """The prefixes this process was sealed against (empty when not sealed)."""
    return _SEALED


def take_hits() -> list[str]:
    hits = list(dict.fromkeys(HITS))
    del HITS[:]
    return hits


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    for prefix in prefixes:
        if name == prefix or name.startswith(prefix + "."):
            return True
    return False


def _home(value) -> str | None:
    """The module a callable was defined in, as far as it says."""
    if isinstance(value, functools.partial):
        return _home(value.func)
    owner = getattr(value, "__self__", None)
    if isinstance(owner, _MODULE_TYPE):
        return owner.__name__
    try:
        module = getattr(value, "__module__", None)
    except Exception:
        return None
    return module if isinstance(module, str) else None


def _stub(name: str):
    """A function that records its name and raises; it holds nothing but that name."""

    def forbidden(*args, **kwargs):
        HITS.append(name)
        raise ForbiddenCall(f"{name} is not available in this exercise: it is to be done by hand")

    module, _, short = name.rpartition(".")
    forbidden.__name__ = short or name
    forbidden.__qualname__ = short or name
    forbidden.__module__ = module
    forbidden.__doc__ = f"{name} is not available in this exercise: it is to be done by hand."
    return forbidden


class _StandIn(types.ModuleType):
    """A forbidden module that was never loaded: every attribute is a stub, nothing is computed."""

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        stub = _stub(f"{self.__name__}.{attr}")
        setattr(self, attr, stub)
        return stub


def stand_in(prefixes, wanted) -> list[str]:
    """Put stand-ins in ``sys.modules`` for the forbidden modules among ``wanted`` that are not
    loaded, so that importing them (``from scipy.signal import convolve2d``) costs nothing
    and gives stubs; their parent packages are loaded for real.  Returns the stand-ins made."""
    import importlib

    prefixes = expand(tuple(prefixes))
    made = []
    for name in sorted(set(wanted), key=len):
        forbidden = next((p for p in prefixes if name == p or name.startswith(p + ".")), None)
        if forbidden is None or forbidden in sys.modules or "." not in forbidden:
            continue
        if forbidden not in sys.modules:
            parent, _, child = forbidden.rpartition(".")
            try:
                package = importlib.import_module(parent)
            except ImportError:
                continue
            module = _StandIn(forbidden)
            module.__file__ = None
            module.__path__ = []  # a package: its submodules resolve to stand-ins too
            sys.modules[forbidden] = module
            setattr(package, child, module)
            made.append(forbidden)
        if name != forbidden and name not in sys.modules:
            sub = _StandIn(name)
            sub.__path__ = []
            sys.modules[name] = sub
            made.append(name)
    return made


def targets(prefixes) -> dict[int, tuple[str, object]]:
    """Every callable to remove: ``id -> (shown name, object)``."""
    prefixes = expand(tuple(prefixes))
    modules = {n: m for n, m in list(sys.modules.items()) if isinstance(m, _MODULE_TYPE)}
    found: dict[int, tuple[str, object]] = {}
    numpy = modules.get("numpy")
    for module_name, module in modules.items():
        in_scope = _under(module_name, prefixes)
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in items:
            if isinstance(value, _MODULE_TYPE) or not callable(value):
                continue
            qualified = f"{module_name}.{attr}"
            exact = qualified in prefixes
            if not exact and not in_scope:
                continue
            if not exact:
                home = _home(value)
                if home is None:
                    # Objects that do not say where they come from (NumPy's ufuncs): ours
                    # when they are not NumPy's own top-level ones.
                    if type(value).__name__ != "ufunc" or (numpy is not None and getattr(numpy, getattr(value, "__name__", ""), None) is value):
                        continue
                elif not _under(home, prefixes):
                    continue  # imported into a forbidden module from elsewhere (numbers.Number, warnings.warn)
            shown = found.get(id(value), (None,))[0]
            if shown is None or _better(qualified, shown):
                found[id(value)] = (qualified, value)
    # Exact names that are attributes of classes (PIL.Image.Image.filter).
    for name in prefixes:
        owner_path, _, attr = name.rpartition(".")
        owner = _resolve(owner_path, modules)
        if isinstance(owner, type) and attr in vars(owner):
            value = vars(owner)[attr]
            found.setdefault(id(value), (name, value))
    return found


def _better(name: str, than: str) -> bool:
    """A name the learner recognises: public modules before private ones, then the shortest."""
    return (name.count("._"), len(name)) < (than.count("._"), len(than))


def _resolve(path: str, modules: dict):
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in modules:
            value = modules[head]
            for part in parts[cut:]:
                value = getattr(value, part, None)
                if value is None:
                    return None
            return value
    return None


_PYTHON_LEVEL = (types.FunctionType, type, functools.partial)


def seal(prefixes) -> dict:
    """Replace every forbidden callable (see the module docstring); return statistics.

    Python-level targets (functions, classes) are replaced in every module's
    namespace: whatever survives elsewhere (in an annotation, a default
    argument) computes through compiled *engines* looked up in module
    namespaces.  The engines themselves (builtin, ufunc, pybind11 and Cython
    functions) are replaced in every container that refers to them, and
    every holder that cannot be rewritten in place (a bound method, a tuple
    of defaults, an lru_cache wrapper) is replaced in turn, until nothing
    leads to an engine.
    """
    global _SEALED
    found = targets(prefixes)
    replacement: dict[int, object] = {key: _stub(name) for key, (name, _) in found.items()}
    for module in [m for m in list(sys.modules.values()) if isinstance(m, _MODULE_TYPE)]:
        try:
            namespace = vars(module)
        except TypeError:
            continue
        for attr, value in list(namespace.items()):
            if id(value) in replacement:
                namespace[attr] = replacement[id(value)]
    pending = {key: value for key, (_, value) in found.items() if not isinstance(value, _PYTHON_LEVEL)}
    engines = len(pending)
    leftovers: list[str] = []
    rounds = 0
    while pending and rounds < 8:
        rounds += 1
        holders = gc.get_referrers(*pending.values())
        ours = {id(found), id(pending), id(replacement), id(holders), id(leftovers)}
        holders = [h for h in holders if id(h) not in ours and id(h) not in replacement]
        class_dicts = _class_dicts([h for h in holders if type(h) is dict])
        grown: dict[int, object] = {}
        for holder in holders:
            _rewrite(holder, replacement, class_dicts, grown, leftovers)
        pending = {}
        for key, holder in grown.items():
            if key not in replacement:
                replacement[key] = _rebuilt(holder, replacement)
                pending[key] = holder
        del holders, class_dicts, grown
    stats = {"targets": len(found), "engines": engines, "replaced": len(replacement), "rounds": rounds, "leftovers": leftovers}
    del found, pending, replacement
    _SEALED = tuple(prefixes)
    return stats


def _class_dicts(dicts: list[dict]) -> dict[int, type]:
    """id of a class's own dictionary -> the class, for those of ``dicts`` that belong to a class."""
    # A class's dictionary names its module; a module's (and its import-time copy) has a spec.
    dicts = [d for d in dicts if "__module__" in d and "__spec__" not in d]
    if not dicts:
        return {}
    wanted = {id(d) for d in dicts}
    out = {}
    for owner in gc.get_referrers(*dicts):
        if isinstance(owner, type):
            try:
                inner = gc.get_referents(owner.__dict__)
            except Exception:
                continue
            if inner and id(inner[0]) in wanted:
                out[id(inner[0])] = owner
    return out


def _substitute(value, replacement):
    return replacement.get(id(value), value)


def _rewrite(holder, replacement: dict, class_dicts: dict, grown: dict, leftovers: list) -> None:
    kind = type(holder)
    if kind is dict:
        owner = class_dicts.get(id(holder))
        for key, value in list(holder.items()):
            if id(value) in replacement:
                if owner is not None:
                    try:
                        type.__setattr__(owner, key, replacement[id(value)])
                        continue
                    except (TypeError, AttributeError):
                        pass
                holder[key] = replacement[id(value)]
    elif kind is list:
        for i, value in enumerate(holder):
            if id(value) in replacement:
                holder[i] = replacement[id(value)]
    elif kind is set:
        hit = [v for v in holder if id(v) in replacement]
        for value in hit:
            holder.discard(value)
            holder.add(replacement[id(value)])
    elif kind is types.CellType:
        try:
            if id(holder.cell_contents) in replacement:
                holder.cell_contents = replacement[id(holder.cell_contents)]
        except ValueError:  # an empty cell
            pass
    elif kind is functools.partial:
        func, args, keywords, state = holder.__reduce__()[2]
        holder.__setstate__((_substitute(func, replacement), tuple(_substitute(a, replacement) for a in args),
                             {k: _substitute(v, replacement) for k, v in (keywords or {}).items()}, state))
    elif kind is types.FunctionType:
        # A function refers to a rebuilt tuple of default arguments.
        for attr in ("__defaults__",):
            current = getattr(holder, attr)
            if current is not None and id(current) in replacement:
                setattr(holder, attr, replacement[id(current)])
    elif kind in (types.FrameType, _MODULE_TYPE, types.CodeType):
        return
    elif isinstance(holder, type):
        # A class refers to a forbidden class through __bases__/__mro__: it is one of theirs,
        # or a subclass made elsewhere; either way it goes too.
        grown[id(holder)] = holder
    elif _describes_forbidden_class(holder, replacement):
        return
    else:
        # Anything else that holds a forbidden callable (a bound method, a staticmethod,
        # an lru_cache wrapper, a tuple, a typing alias) is forbidden in turn.
        grown[id(holder)] = holder
    del holder


def _describes_forbidden_class(holder, replacement) -> bool:
    """Slot wrappers and descriptors of a forbidden class: they go with the class."""
    owner = getattr(holder, "__objclass__", None)
    return owner is not None and id(owner) in replacement


def _rebuilt(holder, replacement: dict):
    """What replaces a holder of forbidden callables: a rebuilt tuple, or a stub."""
    if type(holder) is tuple:
        return tuple(_substitute(v, replacement) for v in holder)
    if type(holder) is frozenset:
        return frozenset(_substitute(v, replacement) for v in holder)
    name = getattr(holder, "__qualname__", None) or getattr(holder, "__name__", None) or type(holder).__name__
    module = _home(holder) or "a library"
    return _stub(f"{module}.{name}")


# -- the guard ------------------------------------------------------------------------
#: audit events refused in a sealed child, whatever their arguments
DENIED_EVENTS = frozenset({
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
    "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.forkpty", "pty.spawn",
    "sys.settrace", "sys.setprofile",
})


def _package_dirs(prefixes) -> tuple[str, ...]:
    """Folders and files whose compiled modules must not be loaded afresh."""
    import os

    out = []
    for name in expand(tuple(prefixes)):
        module = sys.modules.get(name)
        if module is None:
            module = sys.modules.get(name.rpartition(".")[0])  # numpy._core._multiarray_umath.correlate -> its module
            if module is None or getattr(module, "__file__", None) is None or "._" not in name:
                continue
            out.append(os.path.realpath(module.__file__))
            continue
        paths = getattr(module, "__path__", None)
        if paths:
            out += [os.path.realpath(p) + os.sep for p in paths]
        elif getattr(module, "__file__", None):
            out.append(os.path.realpath(module.__file__))
    return tuple(dict.fromkeys(out))


def install_guard(prefixes) -> None:
    """The audit hook of a sealed child (see the module docstring); cannot be undone."""
    import os

    guarded = expand(tuple(prefixes))
    files = _package_dirs(prefixes)
    realpath = os.path.realpath

    def guard(event, args, _denied=DENIED_EVENTS, _prefixes=guarded, _files=files, _error=ForbiddenCall,
              _hits=HITS, _str=str, _realpath=realpath, _tuple=tuple):
        if event in _denied or event.startswith("ctypes."):
            _hits.append(event)
            raise _error(f"{event} is not allowed while an exercise done by hand is graded")
        if event == "import":
            name = args[0]
            if name.__class__ is _str:
                for prefix in _prefixes:
                    if name == prefix or name.startswith(prefix + "."):
                        _hits.append(name)
                        raise _error(f"importing {name} is not allowed in this exercise: it is to be done by hand")
            filename = args[1] if len(args) > 1 else None
            if filename.__class__ is _str:
                path = _realpath(filename)
                for forbidden in _files:
                    if path == forbidden or path.startswith(forbidden):
                        _hits.append(name if name.__class__ is _str else path)
                        raise _error(f"loading {path} is not allowed in this exercise: it is to be done by hand")
        elif event == "open":
            path = args[0]
            if path.__class__ is _str and path.startswith("/proc/") and path.endswith("/mem"):
                raise _error("reading or writing process memory is not allowed")

    sys.addaudithook(guard)
