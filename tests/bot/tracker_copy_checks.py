"""Checks of bot/server/tracker_copy.py, run in the bot environment (tests/bot/bot_env.py): the copy built
from a tracker's state is, attribute by attribute, the copy Rasa's replay makes, after every event of
generated conversations that use every kind of event Rasa applies; what the copy owns is its own; the
trackers whose replay could differ are replayed. Synthetic conversations only."""

from __future__ import annotations

import random
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server import slot_copy, tracker_copy

ROOT = Path(__file__).resolve().parents[2]
FORMS = ["hate_crime_form", "consent_form"]
INTENTS = ["inform", "affirm", "deny", "start_again", "emergency"]


def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def random_event(rng: random.Random, slots: list[Any]) -> Event:
    kind = rng.randrange(24)
    if kind < 5:
        parse = {"name": rng.choice(INTENTS), "confidence": rng.random()}
        return UserUttered(f"message {rng.randrange(99)}", parse, metadata={"language": "pl"})
    if kind < 9:
        return ActionExecuted(
            rng.choice(["action_listen", "utter_ask_place", *FORMS, "action_session_start"])
        )
    if kind < 13:
        slot = rng.choice(slots)
        value = rng.choice([None, True, False, "yes", slot.initial_value, f"value {rng.randrange(9)}"])
        return SlotSet(slot.name if rng.random() < 0.95 else "no_such_slot", value)
    others: list[Event] = [
        ActionExecuted(action_text="a bot message"),
        BotUttered(f"reply {rng.randrange(9)}", {"buttons": []}),
        ActiveLoop(rng.choice([*FORMS, None])),
        ActionExecutionRejected(rng.choice(FORMS)),
        LoopInterrupted(rng.random() < 0.5),
        FollowupAction(rng.choice(["utter_ask_place", "action_listen"])),
        Restarted(),
        SessionStarted(),
        AllSlotsReset(),
        ConversationPaused(),
        ConversationResumed(),
        UserUtteranceReverted(),
        ActionReverted(),
        DefinePrevUserUtteredFeaturization(rng.random() < 0.5),
        EntitiesAdded([{"entity": "place", "value": "Stoke"}]),
        ReminderScheduled("EXTERNAL_reminder", trigger_date_time=datetime(2026, 1, 1)),
        ReminderCancelled(name="reminder"),
        AgentUttered("agent"),
    ]
    return rng.choice(others)


def assert_same_copy(
    fast: DialogueStateTracker, replayed: DialogueStateTracker, original: DialogueStateTracker
) -> None:
    assert type(fast) is type(replayed) is DialogueStateTracker
    assert list(vars(fast)) == list(vars(replayed))  # the same attributes, in the same order
    assert len(fast.events) == len(replayed.events) and all(
        a is b for a, b in zip(fast.events, replayed.events, strict=True)
    )
    assert fast.events is not original.events and fast.events.maxlen == replayed.events.maxlen
    assert list(fast.slots) == list(replayed.slots)
    for name, slot in fast.slots.items():
        assert type(slot) is type(replayed.slots[name])
        assert vars(slot) == vars(replayed.slots[name]), name
        assert slot is not original.slots[name]
    for name in ("sender_id", "sender_source", "is_rule_tracker", "_paused", "followup_action", "model_id",
                 "assistant_id", "_max_event_history", "latest_action", "active_loop"):  # fmt: skip
        assert getattr(fast, name) == getattr(replayed, name), name
    assert fast.latest_action is None or fast.latest_action is not original.latest_action
    assert fast.active_loop is None or fast.active_loop is not original.active_loop
    for name in ("latest_message", "latest_bot_utterance"):
        mine, theirs, before = getattr(fast, name), getattr(replayed, name), getattr(original, name)
        if theirs is before:
            assert mine is before, name  # the event itself, shared as the replay shares it
        else:
            assert mine is not before and type(mine) is type(theirs), name  # a new empty one, as the replay's
            assert mine.as_dict() | {"timestamp": 0} == theirs.as_dict() | {"timestamp": 0}, name


def test_after_every_event_the_copy_is_the_replays_copy() -> None:
    slot_copy.install()
    slots = domain().slots
    rng = random.Random(11)
    compared = with_loop = reset_messages = 0
    for conversation in range(60):
        tracker = DialogueStateTracker(f"w_synthetic_{conversation}", slots)
        tracker.model_id = "model"  # the processor's tracker has one; a copy by replay has none
        for _ in range(rng.randint(1, 80)):
            tracker.update(random_event(rng, slots))
            assert_same_copy(tracker_copy.copy_tracker(tracker), tracker_copy.replay_copy(tracker), tracker)
            compared += 1
            with_loop += tracker.active_loop is not None
            reset_messages += all(e is not tracker.latest_message for e in tracker.events)
    assert compared > 2000
    assert with_loop > 200 and reset_messages > 100  # the conversations do reach those states


def test_what_is_done_to_the_copy_stays_in_the_copy() -> None:
    slots = domain().slots
    tracker = DialogueStateTracker("w_synthetic", slots)
    for event in [
        ActionExecuted("action_listen"),
        UserUttered("hello", {"name": "inform", "confidence": 1.0}),
        ActiveLoop("hate_crime_form"),
        SlotSet(slots[0].name, "kept"),
    ]:
        tracker.update(event)
    before = tracker.current_state()
    copied = tracker_copy.copy_tracker(tracker)
    copied.update(SlotSet(slots[0].name, "changed"))
    copied.update(ActionExecutionRejected("hate_crime_form"))
    copied.update(ActionExecuted("utter_ask_place"))
    copied.update(Restarted())
    assert tracker.current_state() == before
    assert len(tracker.events) == 4 and tracker.get_slot(slots[0].name) == "kept"


def test_trackers_whose_replay_could_differ_are_replayed() -> None:
    slots = domain().slots
    capped = DialogueStateTracker("w_capped", slots, max_event_history=3)
    for n in range(6):
        capped.update(SlotSet(slots[0].name, f"v{n}"))
    on_demand = DialogueStateTracker("w_any", None)
    on_demand.update(SlotSet("anything", "x"))
    exported = DialogueStateTracker("w_exported", slots)
    story = Path(tempfile.mkdtemp()) / "story.yml"
    exported.update(StoryExported(path=str(story)))
    story.unlink()
    for tracker in (capped, on_demand, exported):
        assert tracker_copy.replays_differently(tracker)
    plain = DialogueStateTracker("w_plain", slots)
    plain.update(SlotSet(slots[0].name, "x"))
    assert not tracker_copy.replays_differently(plain)
    capped_copy = tracker_copy.copy_tracker(capped)
    assert capped_copy.events.maxlen == 3 and len(capped_copy.events) == 3
    tracker_copy.copy_tracker(exported)
    assert story.exists()  # replayed: the export ran again, as Rasa's copy runs it


def test_serve_installs_it() -> None:
    import rasa.__main__

    from bot.server import serve

    rasa.__main__.main = lambda: None  # type: ignore[assignment]  # Rasa itself is not started here
    assert DialogueStateTracker.copy is tracker_copy.replay_copy
    serve.main()
    assert DialogueStateTracker.copy is tracker_copy.copy_tracker
