"""Copy pure functions (judges, pattern detectors) into a learner kit, with their data.

A judge that grades a learned kernel or a designed edge detector has to run
on the learner's answer, so it ships as code.  Only functions listed in
:data:`autograder.frontends.kit.forms.PORTABLE` ship (someone read them and
found no right answer computed in them), and each is checked here: its
source is copied verbatim into a module of the kit's
``autograder/exercises/portable/``, the module-level data it reads goes into
the kit's data (never as source), and every name it uses must be a library
module, a module of the kit, another portable function, data, or a reference
that :mod:`autograder.exercises.library` provides from a library.  A closure
(``learned_judge(target, ...)`` returns ``judge``) ships as a factory of its
inner function whose parameters are the closure's cells, given as data.

A student's numbers are public (``Numbers.draw``, ``describe`` and ``title``:
a notebook prints them), so these ship without being listed, as *public*
code: checked the same way, and refused if they (or any function they call)
use a reference at all, even one a library provides.
"""
from __future__ import annotations

import ast
import builtins
import re
import inspect
import textwrap
import types
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ...exercises import library
from ...exercises.compiled import encode
from ...notebook.syntax import parse as parse_python

#: Library modules portable code may use, by module name.
LIBRARIES = {"numpy", "math", "zlib", "io", "base64", "time", "PIL.Image"}
#: Modules of the package that every kit ships (portable code may import from them).
KIT_MODULES = ("autograder.engine.",)
REFERENCES = "autograder.references"
#: The course's declarations: their functions ship one by one, when listed as portable.
COURSE_MODULES = ("autograder.exercises.",)


class NotPortable(ValueError):
    """This function cannot ship in a kit; the message says what it uses."""


@dataclass
class Bundle:
    """The kit's portable modules being assembled: module -> functions, imports and data."""

    allowed: set
    functions: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> name -> source
    imports: dict[str, set[str]] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    patterns: dict[str, dict[str, str]] = field(default_factory=dict)  # module -> name -> its re.compile line
    public: set = field(default_factory=set)  # (module, qualname) of the functions checked as public

    def add(self, fn: Callable, *, public: bool = False) -> str:
        """Ship ``fn`` (a module-level function, or the inner function of an allowed factory); its reference.

        ``public``: a function of a student's numbers (``Numbers.draw``, ``describe``, ``title``), which
        needs no listing but may call no reference, nor anything that does."""
        fn = inspect.unwrap(fn)
        module, short = fn.__module__, fn.__module__.rsplit(".", 1)[-1]
        qualname = fn.__qualname__
        if qualname == "<lambda>":
            return self._add_lambda(fn, module, short, public)
        if "<lambda>" in qualname:
            raise NotPortable(f"{module}.{qualname} is a lambda inside a function")
        outer = qualname.split(".<locals>.")[0]
        owner = getattr(inspect.getmodule(fn), outer, None)
        if owner is None or not public and owner not in self.allowed:
            raise NotPortable(f"{module}.{outer} is not listed as portable (autograder/frontends/kit/forms.py: PORTABLE)")
        if public:
            checked = (short, qualname)
            if checked in self.public:
                return f"{short}:{qualname.replace('.<locals>.', '__')}"
            self.public.add(checked)
            if fn.__closure__ and any(callable(c.cell_contents) for c in fn.__closure__):
                raise NotPortable(f"{fn.__qualname__} holds a function in its closure")
        if ".<locals>." in qualname:
            name = qualname.replace(".<locals>.", "__")
            if name not in self.functions.get(short, {}):
                source = textwrap.dedent(inspect.getsource(fn))
                params = ", ".join(fn.__code__.co_freevars)
                body = textwrap.indent(source, "    ")
                self.functions.setdefault(short, {})[name] = f"def {name}({params}):\n{body}    return {fn.__name__}\n"
                self._dependencies(fn, short, parse_python(source), public)
            return f"{short}:{name}"
        if qualname not in self.functions.get(short, {}):
            source = textwrap.dedent(inspect.getsource(fn))
            self.functions.setdefault(short, {})[qualname] = source
            self._dependencies(fn, short, parse_python(source), public)
        elif public:  # shipped already (listed as portable): what it calls must be public too
            self._dependencies(fn, short, parse_python(self.functions[short][qualname]), public)
        return f"{short}:{qualname}"


    def _add_lambda(self, fn: Callable, module: str, short: str, public: bool = False) -> str:
        """A module-level lambda (``judge=lambda got, **_: kernel_problem(got, (1, 2))``): it ships when all it calls does."""
        code = fn.__code__
        tree = parse_python(Path(inspect.getsourcefile(fn)).read_text(encoding="utf-8"))
        names = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 4) + bool(code.co_flags & 8)])
        found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == code.co_firstlineno
                 and [a.arg for a in (*n.args.posonlyargs, *n.args.args, *n.args.kwonlyargs, *filter(None, (n.args.vararg, n.args.kwarg)))] == names]
        if len(found) != 1:
            raise NotPortable(f"the lambda at {module}:{code.co_firstlineno} cannot be told apart from its neighbours")
        name = f"lambda_{code.co_firstlineno}"
        if name not in self.functions.get(short, {}):
            source = ast.unparse(found[0])
            params = ", ".join(code.co_freevars)
            self.functions.setdefault(short, {})[name] = f"def {name}({params}):\n    return {source}\n"
            self._dependencies(fn, short, parse_python(source), public)
        return f"{short}:{name}"

    def cells(self, fn: Callable) -> dict[str, Any] | None:
        """A closure's cells as data (None for a plain function)."""
        if not fn.__closure__:
            # a lambda ships as a factory of itself, an inner function as its factory's (called with no data)
            return {} if fn.__qualname__ == "<lambda>" or ".<locals>." in fn.__qualname__ else None
        out = {}
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            value = cell.cell_contents
            if callable(value):
                raise NotPortable(f"{fn.__qualname__} holds a function in its closure ({name})")
            out[name] = encode(value)
        return out

    def _dependencies(self, fn: Callable, short: str, tree: ast.AST, public: bool = False) -> None:
        loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        bound = set(fn.__code__.co_varnames) | set(fn.__code__.co_freevars) | _locals(tree)
        globals_ = fn.__globals__
        imports = self.imports.setdefault(short, set())
        for name in sorted(loaded - bound):
            if name in globals_:
                value = globals_[name]
            elif hasattr(builtins, name):
                continue
            else:
                raise NotPortable(f"{fn.__qualname__} uses {name}, which is not defined")
            if isinstance(value, types.ModuleType):
                if value.__name__ == REFERENCES and public:
                    raise NotPortable(f"{fn.__qualname__} uses the references ({name}): a student's numbers ship as code, "
                                      "so drawing and stating them may use numpy and math only")
                if value.__name__ == REFERENCES:
                    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name}
                    missing = sorted(used - set(vars(library)))
                    if missing:
                        raise NotPortable(f"{fn.__qualname__} calls the reference {', '.join(missing)}, which no library provides")
                    imports.add(f"from autograder.exercises import library as {name}")
                elif value.__name__ in LIBRARIES:
                    imports.add(_import(value.__name__, name))
                elif value.__name__.startswith(KIT_MODULES):
                    imports.add(_import(value.__name__, name))
                elif value.__name__.startswith(COURSE_MODULES):  # wrong.kernel_problem: each function used must ship
                    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name}
                    for attr in sorted(used):
                        self.add(getattr(value, attr), public=public)
                    target = value.__name__.rsplit(".", 1)[-1]
                    imports.add(f"from . import {target} as {name}" if target != short else f"import sys as _sys\n{name} = _sys.modules[__name__]")
                else:
                    raise NotPortable(f"{fn.__qualname__} uses the module {value.__name__}, which a kit does not ship")
            elif isinstance(value, types.FunctionType):
                if value.__module__.startswith(KIT_MODULES):
                    imports.add(f"from {value.__module__} import {value.__name__} as {name}" if value.__name__ != name else f"from {value.__module__} import {name}")
                    continue
                ref = self.add(value, public=public)
                module, qual = ref.split(":")
                if module != short:
                    imports.add(f"from .{module} import {qual} as {name}")
            elif isinstance(value, type):
                raise NotPortable(f"{fn.__qualname__} uses the class {name}")
            elif isinstance(value, re.Pattern):
                imports.add("import re")
                self.patterns.setdefault(short, {})[name] = f"{name} = re.compile({value.pattern!r}, {int(value.flags)})"
            else:
                self.data.setdefault(short, {})[name] = encode(value)

    def modules(self) -> dict[str, str]:
        """The source of every portable module of the kit."""
        out = {}
        for short, functions in self.functions.items():
            lines = [f'"""Functions of autograder.exercises.{short} that a learner kit runs (copied by autograder build-kit)."""',
                     "from __future__ import annotations", ""]
            lines += sorted(self.imports.get(short, ()))
            if self.data.get(short):
                lines += ["from autograder.exercises.compiled import constants", ""]
                lines += [f"{name} = constants({short!r})[{name!r}]" for name in sorted(self.data[short])]
            lines += sorted(self.patterns.get(short, {}).values())
            lines.append("")
            for source in functions.values():
                lines += ["", source.rstrip(), ""]
            out[short] = "\n".join(lines) + "\n"
        return out


def _locals(tree: ast.AST) -> set[str]:
    """Names bound anywhere inside the copied source (parameters, assignments, loops, comprehensions, inner defs)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
    return out


def _import(module: str, name: str) -> str:
    if "." in module:
        package, leaf = module.rsplit(".", 1)
        return f"from {package} import {leaf}" + (f" as {name}" if name != leaf else "")
    return f"import {module}" + (f" as {name}" if name != module else "")


def is_data(value: Any) -> bool:
    try:
        encode(value)
    except TypeError:
        return False
    return not isinstance(value, np.ndarray) or value.dtype.kind in "biufc"
