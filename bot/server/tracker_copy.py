"""A copy of a conversation's tracker made from its state, not by replaying every event (issue 16).

Rasa 3.6's `DialogueStateTracker.copy()` makes a new tracker and replays every event of the conversation
into it (`travel_back_in_time`). Rasa copies the tracker before each action it runs (and when a form
starts), so a chat turn replays the whole conversation several times: ~6 % of Rasa's event loop under load
(py-spy, 20 people), growing with the conversation.

A tracker's state is, by Rasa's own rule, re-creatable by processing all its events, and every change to it
goes through an event. So the replay ends where the tracker is: the same events (the same objects), each
slot's value and whether it was set, the active loop, the latest action, message and bot utterance, the
follow-up action and whether the conversation is paused; and, as the replay leaves them, no model id,
assistant id or sender source. `copy_tracker` builds that state directly. Mutable parts are the copy's own
(the slots, the events deque, the latest action and the active loop), and where the replay would make a new
empty message or bot utterance (none in the events) the copy gets a new one too, so that nothing done to the
copy reaches the original that the replay's copy would not reach.

Where that shortcut could differ from the replay, `copy_tracker` replays as Rasa does: a tracker that keeps
only its latest events (`max_event_history`), one whose slots are Rasa's on-demand `AnySlotDict`, a subclass,
and a conversation with a `StoryExported` event (its replay writes a file). tests/bot/tracker_copy_checks.py
compares the two copies, attribute by attribute, after every event of generated conversations using every
kind of event Rasa applies.

`install()` makes `DialogueStateTracker.copy` this function; `bot/server/serve.py` calls it before Rasa
starts.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import deque
from typing import Any

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.events import BotUttered, StoryExported, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

replay_copy = DialogueStateTracker.copy


def replays_differently(tracker: DialogueStateTracker) -> bool:
    """Whether the replay could end somewhere other than the tracker's state (then Rasa's copy is used)."""
    return (
        type(tracker) is not DialogueStateTracker
        or tracker._max_event_history is not None
        or type(tracker.slots) is not dict
        or any(isinstance(event, StoryExported) for event in tracker.events)
    )


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """What `DialogueStateTracker.copy()` returns, built from the tracker's state (see the module)."""
    if replays_differently(self):
        return replay_copy(self)
    new: Any = DialogueStateTracker.__new__(DialogueStateTracker)
    attributes = new.__dict__
    # In the order DialogueStateTracker.__init__ sets them, as the replay's copy has them.
    attributes["_max_event_history"] = None
    attributes["events"] = deque(self.events)
    attributes["sender_id"] = self.sender_id or DEFAULT_SENDER_ID
    attributes["slots"] = {slot.name: copy.copy(slot) for slot in self.slots.values()}
    attributes["sender_source"] = None
    attributes["is_rule_tracker"] = self.is_rule_tracker
    attributes["_paused"] = self._paused
    attributes["followup_action"] = self.followup_action
    attributes["latest_action"] = dict(self.latest_action) if self.latest_action is not None else None
    attributes["latest_message"] = _own_or_event(self.latest_message, self, UserUttered.empty)
    attributes["latest_bot_utterance"] = _own_or_event(self.latest_bot_utterance, self, BotUttered.empty)
    loop = self.active_loop
    attributes["active_loop"] = dataclasses.replace(loop) if loop is not None else None
    attributes["model_id"] = None
    attributes["assistant_id"] = None
    copied: DialogueStateTracker = new
    return copied


def _own_or_event(current: Any, tracker: DialogueStateTracker, empty: Any) -> Any:
    """The replay sets the latest message (or bot utterance) to the event itself, shared with the original;
    one that is no event of the conversation was made empty by a reset, and the replay makes a new one."""
    if current is None:
        return None
    if any(event is current for event in reversed(tracker.events)):
        return current
    return empty()


def install() -> None:
    """Rasa's tracker copies are made by `copy_tracker`."""
    DialogueStateTracker.copy = copy_tracker
