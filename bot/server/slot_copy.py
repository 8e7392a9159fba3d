"""A slot copied by filling a new object's attributes, not through pickling's reduce protocol (issue 16).

Every `DialogueStateTracker` Rasa makes copies each of the domain's slots (`copy.copy`, 74 slots here), and
Rasa makes a dozen or more trackers a chat turn: a copy of the tracker before each action, the form's
temporary trackers, the replay of the conversation for each policy prediction. `copy.copy` of a plain object
goes through `__reduce_ex__(4)`, `copyreg.__newobj__` and `copy._reconstruct`: ~3 µs a slot, ~0.25 ms a
tracker, about a tenth of Rasa's event loop under load (py-spy, 20 people).

For an object that keeps its attributes in `__dict__` and defines none of the pickling hooks, that path makes
a new object of the same class without calling `__init__` and updates its `__dict__` with the original's: a
shallow copy. `Slot.__copy__` does the same directly (~1 µs). A slot class that keeps state elsewhere
(`__slots__` with names) or defines its own `__getstate__`, `__setstate__`, `__reduce__` or `__reduce_ex__`
is copied the way `copy.copy` would copy it without this method (tests/bot/slot_copy_checks.py).

`install()` gives Rasa's `Slot` the method; `bot/server/serve.py` calls it before Rasa starts.
"""

from __future__ import annotations

import copy
from typing import Any

from rasa.shared.core.slots import Slot

HOOKS = ("__getstate__", "__setstate__", "__reduce__", "__reduce_ex__")
_plain: dict[type, bool] = {}


def is_plain(cls: type) -> bool:
    """Whether `copy.copy` would copy instances of `cls` by `__new__` and a `__dict__` update alone."""
    known = _plain.get(cls)
    if known is None:
        known = _plain[cls] = all(
            all(hook not in vars(base) for hook in HOOKS) and not getattr(base, "__slots__", ())
            for base in cls.__mro__
            if base is not object
        )
    return known


def slot_copy(self: Any) -> Any:
    cls: Any = type(self)
    if not is_plain(cls):
        # The generic path of `copy.copy`, as if this method were not there.
        reduced = self.__reduce_ex__(4)
        if isinstance(reduced, str):
            return self
        return copy._reconstruct(self, None, *reduced)  # type: ignore[attr-defined]
    new = cls.__new__(cls)
    new.__dict__.update(self.__dict__)
    return new


def install() -> None:
    """Every Rasa slot (and slot class made later) is copied by `slot_copy`."""
    Slot.__copy__ = slot_copy
