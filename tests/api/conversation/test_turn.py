"""A turn in the conversation core (api/conversation/service.py): what `prepare` reads and writes, and the
state `conclude` hands back so that no caller reads the conversation again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, Table, select
from sqlalchemy.ext.asyncio import create_async_engine

from api.config import REPO_ROOT
from api.conversation import service
from api.conversation.danger import DangerPhrases
from api.conversation.gateway import CHOOSE_LANGUAGE, Gateway, choose_language_payload
from api.conversation.language import LanguageDetection
from api.conversation.models import Channel, Conversation, LanguageSource
from api.conversation.relay import BotTurn
from api.conversation.schemas import BotMessage, Button
from api.i18n import Translator
from api.kit.models import UtcDateTime

LOCALES = REPO_ROOT / "locales"
TRANSLATOR = Translator(LOCALES)
GATEWAY = Gateway(TRANSLATOR, DangerPhrases.load(LOCALES / "danger"), LanguageDetection([]))


def prepared(
    *, first: bool = True, source: LanguageSource = LanguageSource.default, menu: bool = False
) -> tuple[Conversation, service.PreparedTurn]:
    conversation = service.new_conversation(Channel.sms, "pl", conversation_id="s_test")
    conversation.language_source = source
    conversation.language_menu_open = menu
    if not first:
        conversation.last_message_at = datetime(2026, 12, 1, tzinfo=UTC)
    return conversation, service.prepare(conversation, "dzień dobry", GATEWAY)


class TestPrepare:
    def test_it_stamps_the_message_and_keeps_what_the_bot_needs(self) -> None:
        conversation, turn = prepared()
        assert conversation.last_message_at is not None
        assert (turn.first, turn.language, turn.metadata) == (
            True,
            "pl",
            {"language": "pl", "channel": "sms"},
        )


class TestConclude:
    def test_the_first_reply_says_which_language_unless_the_person_chose_it(self) -> None:
        _, turn = prepared()
        done = service.conclude(turn, BotTurn([BotMessage(text="Cześć")]), GATEWAY)
        assert done.messages[0].buttons[0].payload == CHOOSE_LANGUAGE
        assert (done.language, done.changed) == ("pl", False)

    def test_a_chosen_language_is_not_announced(self) -> None:
        _, turn = prepared(source=LanguageSource.chosen)
        done = service.conclude(turn, BotTurn([BotMessage(text="Cześć")]), GATEWAY)
        assert [m.text for m in done.messages] == ["Cześć"]

    def test_a_switch_and_the_menu_are_the_turns_new_state(self) -> None:
        _, turn = prepared(first=False)
        menu = BotMessage(text="?", buttons=[Button(title="English", payload=choose_language_payload("en"))])
        done = service.conclude(turn, BotTurn([menu], language="uk"), GATEWAY)
        assert (done.language, done.language_source, done.menu_open, done.changed) == (
            "uk",
            LanguageSource.chosen,
            True,
            True,
        )

    def test_nothing_changed_means_nothing_to_record(self) -> None:
        _, turn = prepared(first=False)
        done = service.conclude(turn, BotTurn([BotMessage(text="Dobrze")]), GATEWAY)
        assert done.changed is False


class TestUtcDateTime:
    async def test_sqlite_reads_back_aware_utc_whatever_zone_went_in(self) -> None:
        table = Table("moments", MetaData(), Column("at", UtcDateTime()))
        engine = create_async_engine("sqlite+aiosqlite://")
        london_summer = datetime.fromisoformat("2026-07-01T18:00:00+01:00")
        async with engine.begin() as connection:
            await connection.run_sync(table.metadata.create_all)
            await connection.execute(table.insert().values(at=london_summer))
            stored = await connection.scalar(select(table.c.at))
            raw = (await connection.exec_driver_sql("SELECT at FROM moments")).scalar()
        await engine.dispose()
        assert stored == london_summer and stored.tzinfo is UTC
        assert str(raw).startswith("2026-07-01 17:00:00")
