"""A PythonQt-like view of PySide6 objects, so the UI tests fail where Slicer would.

In Slicer (PythonQt) a Qt property shadows the C++ getter of the same name: ``spinBox.value`` is a float and
``spinBox.value()`` raises ``TypeError: 'float' object is not callable``; PySide6 is the other way round. Wrapping
every widget the tests hand to the module's view code in :class:`PythonQtProxy` makes the tests see PythonQt's
rules:

* a name that is a property of the object's ``metaObject()`` gives the property's *value*;
* any other name gives the binding's attribute (a method, a signal), whose QObject results are wrapped again and
  whose proxy arguments are unwrapped;
* assigning to a property name sets the property (``button.enabled = False``), as PythonQt allows.
"""

from __future__ import annotations

import functools
from typing import Any


def _is_qobject(value: Any) -> bool:
    return callable(getattr(value, "metaObject", None)) and callable(getattr(value, "property", None))


def unwrap(value: Any) -> Any:
    """The PySide6 object behind a proxy (anything else unchanged)."""
    return object.__getattribute__(value, "_obj") if isinstance(value, PythonQtProxy) else value


def wrap(value: Any) -> Any:
    """``value`` behind a proxy if it is a QObject (idempotent)."""
    return PythonQtProxy(value) if _is_qobject(value) and not isinstance(value, PythonQtProxy) else value


def is_property(obj: Any, name: str) -> bool:
    """True when ``name`` is a Q_PROPERTY of ``obj``'s class (what PythonQt turns into a value attribute)."""
    return obj.metaObject().indexOfProperty(name) >= 0


class PythonQtProxy:
    """Behaves as PythonQt's wrapper of ``obj`` for attribute access (see the module docstring)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        object.__setattr__(self, "_obj", obj)

    def __getattr__(self, name: str) -> Any:
        obj = object.__getattribute__(self, "_obj")
        if is_property(obj, name):
            return wrap(obj.property(name))
        attribute = getattr(obj, name)
        if not callable(attribute) or hasattr(attribute, "connect"):  # plain values and signals as they are
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*(unwrap(a) for a in args), **{k: unwrap(v) for k, v in kwargs.items()})
            return wrap(result)

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        obj = object.__getattribute__(self, "_obj")
        if is_property(obj, name):
            if not obj.setProperty(name, unwrap(value)):
                raise TypeError(f"cannot set property {name!r} of {type(obj).__name__} to {value!r}")
        else:
            setattr(obj, name, value)

    def __eq__(self, other: object) -> bool:
        return unwrap(self) is unwrap(other)

    def __hash__(self) -> int:
        return id(unwrap(self))

    def __repr__(self) -> str:
        return f"PythonQtProxy({unwrap(self)!r})"
