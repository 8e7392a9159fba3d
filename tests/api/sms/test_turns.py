"""The worker's bot turns: each message through the conversation core, replies into the outbox, edge cases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.config import REPO_ROOT
from api.conversation.models import Conversation
from api.i18n import Translator
from api.sms import turns
from api.sms.context import SmsContext
from api.sms.identity import conversation_id_for
from api.sms.models import SmsContact
from api.sms.segments import segments
from api.sms.wording import LOCK_SCREEN_CHARS, names_the_service
from tests.api.sms.conftest import (
    INBOUND,
    PERSON,
    ScriptedRasa,
    drain,
    english,
    inbound_params,
    inbound_rows,
    post_signed,
    texts,
)


class TestTurn:
    async def test_a_message_goes_through_the_chat_service_and_its_reply_into_the_outbox(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("I need some advice"))
        assert await turns.answer_next(ctx) is True
        conversation_id = conversation_id_for(app.state.vault, PERSON)
        assert rasa.turns == [(conversation_id, "I need some advice")]
        async with app.state.sessionmaker() as session:
            conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None and conversation.channel == "sms"
        [row] = await inbound_rows(app)
        assert (row.status, row.body_sealed) == ("processed", None)
        replies = await texts(app)
        assert len(replies) == 1 and "Noted: 18 characters." in replies[0]
        assert await turns.answer_next(ctx) is False

    async def test_buttons_become_numbered_choices_and_a_number_answers_them(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        def reply(text: str) -> list[dict[str, Any]]:
            buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
            return [{"text": "Are you safe to talk right now?", "buttons": buttons}]

        rasa.reply = reply
        await post_signed(client, INBOUND, inbound_params("Synthetic words in English", n=1))
        await drain(ctx, sends=False)
        assert "Reply with a number: 1 Yes\n2 No" in (await texts(app))[-1]
        await post_signed(client, INBOUND, inbound_params("2", n=2))
        await drain(ctx, sends=False)
        assert rasa.turns[-1][1] == "/deny"

    async def test_a_lone_skip_choice_leaves_a_number_as_the_answer(
        self, client: httpx.AsyncClient, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        rasa.reply = lambda text: [
            {"text": "How old are you?", "buttons": [{"title": "Skip", "payload": "/skip_question"}]}
        ]
        await post_signed(client, INBOUND, inbound_params("Synthetic words in English", n=1))
        await post_signed(client, INBOUND, inbound_params("1", n=2))
        await drain(ctx, sends=False)
        assert rasa.turns[-1][1] == "1"


class TestEdgeCases:
    async def test_a_5000_character_message_is_answered_within_the_segment_budget(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        long = ("Synthetic account of what happened on the bus. " * 120)[:5000]
        rasa.reply = lambda text: [{"text": "That's a bit long for me. " * 40}]
        response = await post_signed(client, INBOUND, inbound_params(long))
        assert response.status_code == 200
        await drain(ctx, sends=False)
        assert rasa.turns[0][1] == long.strip()
        replies = await texts(app)
        assert len(replies) >= 2
        assert all(segments(text) <= 3 for text in replies)

    async def test_over_5000_characters_gets_a_please_send_shorter_parts_reply(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("x" * 5001))
        await drain(ctx, sends=False)
        assert rasa.turns == []
        assert (await texts(app)) == [english(ctx, "bot.sms.too_long")]

    async def test_an_emoji_only_message_goes_to_the_bot(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("😢🙏"))
        await drain(ctx, sends=False)
        assert [t for _, t in rasa.turns] == ["😢🙏"]
        assert len(await texts(app)) == 1

    async def test_an_mms_is_told_pictures_cannot_be_read_and_its_media_is_never_kept(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        media = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
        params = inbound_params("", n=7, NumMedia="1", MediaUrl0=media, MediaContentType0="image/jpeg")
        params["MessageSid"] = "MM" + params["MessageSid"][2:]
        assert (await post_signed(client, INBOUND, params)).status_code == 200
        await drain(ctx, sends=False)
        assert rasa.turns == []
        assert await texts(app) == [english(ctx, "bot.sms.media_not_read")]
        async with app.state.engine.connect() as connection:
            dumped = repr((await connection.exec_driver_sql("SELECT * FROM sms_inbound")).all())
        assert "twilio.com" not in dumped and "Media" not in dumped

    async def test_an_mms_with_words_gets_the_note_and_the_bot_turn(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("this is what they wrote", NumMedia="2"))
        await drain(ctx, sends=False)
        assert [t for _, t in rasa.turns] == ["this is what they wrote"]
        [reply] = await texts(app)
        assert reply.index(english(ctx, "bot.sms.media_not_read")) < reply.index("Noted")

    async def test_an_empty_message_is_asked_to_type_something(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        await post_signed(client, INBOUND, inbound_params("   "))
        await drain(ctx, sends=False)
        assert rasa.turns == []
        assert await texts(app) == [english(ctx, "bot.sms.empty")]

    async def test_stop_opts_the_number_out_at_once_and_start_back_in(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext
    ) -> None:
        conversation_id = conversation_id_for(app.state.vault, PERSON)
        await post_signed(client, INBOUND, inbound_params("STOP", n=1, OptOutType="STOP"))

        async def opted_out() -> bool:
            async with app.state.sessionmaker() as session:
                contact = await session.scalar(
                    select(SmsContact).where(SmsContact.conversation_id == conversation_id)
                )
                assert contact is not None
                return contact.opted_out

        assert await opted_out() is True
        await post_signed(client, INBOUND, inbound_params("START", n=2, OptOutType="START"))
        assert await opted_out() is False


class TestNeutralWording:
    async def test_no_sms_shows_a_service_name_in_its_first_words(
        self, client: httpx.AsyncClient, app: FastAPI, ctx: SmsContext, rasa: ScriptedRasa
    ) -> None:
        greet = ctx.translator.t("bot.session.greet", "en")
        referred = "Thank you. Someone from the domestic abuse service (Victim Support) will call you."
        rasa.reply = lambda text: [{"text": greet}, {"text": referred}]
        await post_signed(client, INBOUND, inbound_params("hello"))
        await drain(ctx, sends=False)
        words = tuple(english(ctx, "bot.sms.lock_screen_words").split("|"))
        replies = await texts(app)
        assert replies
        for text in replies:
            assert not names_the_service(text, words)
            assert segments(text) <= 3
        assert any(text.startswith(english(ctx, "bot.sms.neutral_opener")) for text in replies)

    @pytest.mark.parametrize("language", Translator(REPO_ROOT / "locales").locales)
    def test_the_opener_is_neutral_and_long_enough_to_push_the_words_out_of_sight(
        self, language: str
    ) -> None:
        translator = Translator(REPO_ROOT / "locales")
        opener = translator.t("bot.sms.neutral_opener", language)
        words = tuple(translator.t("bot.sms.lock_screen_words", language).split("|"))
        words += tuple(translator.t("bot.sms.lock_screen_words", "en").split("|"))
        assert len(opener) >= LOCK_SCREEN_CHARS
        assert not names_the_service(opener, words, window=len(opener))
