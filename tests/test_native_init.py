"""The rule layer's dataclasses that write their ``__init__`` out (so that mypyc compiles it) keep it to their
fields: same names in the same order, the same defaults (``None`` for a default factory), and an instance that
holds what it was given, as the generated ``__init__`` would have built it."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import sys
from pathlib import Path

import pytest

import nianbao.rules as rules


def _source_module(path: Path) -> object:
    """A rule module loaded from its source under a name of its own (whether or not the package runs compiled):
    its classes are the ones ``@dataclass`` processed in Python."""
    name = f"_native_init_check.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolves its annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _written_out() -> list[type]:
    """Every rule-layer dataclass whose source defines its ``__init__`` (not ``@dataclass``)."""
    out = []
    for path in sorted(Path(rules.__file__).parent.glob("*.py")):
        module = _source_module(path)
        for cls in vars(module).values():
            if (isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
                    and cls.__init__.__code__.co_filename == str(path)):
                out.append(cls)
    return out


WRITTEN_OUT = _written_out()


def test_the_hot_classes_write_their_init_out() -> None:
    names = {f"{c.__module__.rpartition('.')[2]}.{c.__name__}" for c in WRITTEN_OUT}
    assert {"events.Event", "lexicon.Match", "evidence.Evidence", "digits.Slot", "digits.Item",
            "digits.Candidate", "value_areas.Item"} <= names


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_init_matches_the_fields(cls: type) -> None:
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [f.name for f in fields if f.init]
    for p, f in zip(params, fields, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert p.default is None, f.name
        else:
            assert p.default is inspect.Parameter.empty, f.name
    # an instance holds exactly what it was given; a factory default gives a fresh value each time
    given = {p.name: object() for p in params}
    obj = cls(**given)
    assert all(getattr(obj, name) is value for name, value in given.items())
    required = {p.name: object() for p in params if p.default is inspect.Parameter.empty}
    a, b = cls(**required), cls(**required)
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(a, f.name) == f.default_factory() and getattr(a, f.name) is not getattr(b, f.name)
