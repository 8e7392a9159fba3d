"""Checks of bot/server/slot_copy.py, run in the bot environment (tests/bot/bot_env.py): a slot copied by
`Slot.__copy__` is what `copy.copy` made without it, for every slot of the bot's domain; trackers replayed
with it are the same; a slot class with its own pickling hooks or `__slots__` is copied the generic way.
Synthetic conversations only."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot, Slot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.server import slot_copy

ROOT = Path(__file__).resolve().parents[2]


def generic_copy(slot: Slot) -> Slot:
    """`copy.copy` as it copies a slot when `Slot` has no `__copy__`."""
    made: Slot = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # type: ignore[attr-defined]
    return made


def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def conversation(slots: list[Slot]) -> list[Event]:
    events: list[Event] = []
    for turn, slot in enumerate(slots):
        value: Any = slot.initial_value if slot.initial_value is not None else f"value {turn}"
        events += [
            ActionExecuted("action_listen"),
            UserUttered(f"message {turn}", {"name": "inform", "confidence": 1.0}),
            SlotSet(slot.name, value),
        ]
    return events


def test_every_slot_of_the_domain_is_copied_as_copy_copied_it() -> None:
    slot_copy.install()
    slots = domain().slots
    assert len(slots) > 50
    for slot in slots:
        slot.value = slot.initial_value  # as a tracker has them, `_has_been_set` included
        made, expected = copy.copy(slot), generic_copy(slot)
        assert made is not slot
        assert type(made) is type(expected) is type(slot)
        assert made.__dict__ == expected.__dict__
        assert made.mappings is slot.mappings  # shallow, as copy.copy is
        made.value = "changed"
        assert slot.value == slot.initial_value  # the original keeps its own value


def test_trackers_replayed_with_it_are_the_same() -> None:
    slots = domain().slots
    events = conversation([s for s in slots if s.influence_conversation][:20])
    states = []
    for install in (False, True):
        if install:
            slot_copy.install()
        tracker = DialogueStateTracker.from_events("someone", events, slots)
        replayed = tracker.copy()
        states.append((tracker.current_state(EventVerbosity.ALL), replayed.current_state(EventVerbosity.ALL)))
        assert replayed.slots.keys() == tracker.slots.keys()
        assert all(replayed.slots[name] is not tracker.slots[name] for name in tracker.slots)
    assert "__copy__" in vars(Slot)
    assert states[0] == states[1]
    assert states[1][0]["slots"] == states[1][1]["slots"]


class HookedSlot(AnySlot):
    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "restored": False}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, restored=True)


class SlottedSlot(TextSlot):
    __slots__ = ("extra",)


def test_a_slot_class_with_its_own_hooks_is_copied_the_generic_way() -> None:
    slot_copy.install()
    hooked = HookedSlot("hooked", mappings=[])
    made = copy.copy(hooked)
    assert made.__dict__.get("restored") is True  # its __setstate__ ran, as copy.copy runs it
    assert not slot_copy.is_plain(HookedSlot)

    slotted = SlottedSlot("slotted", mappings=[])
    slotted.extra = "kept"
    copied = copy.copy(slotted)
    assert copied.extra == "kept"  # an attribute outside __dict__ is copied too
    assert not slot_copy.is_plain(SlottedSlot)
    assert slot_copy.is_plain(TextSlot) and slot_copy.is_plain(AnySlot)
