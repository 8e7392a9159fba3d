"""How the SMS layer names a number without revealing it, and what each sealed value is bound to.

The conversation id is `s_` and a keyed hash of the E.164 number (its own purpose of the blind index), so it
names the number without revealing it. The number is kept sealed on the contact row, to reply; each sealed
value is bound to its row (the AEAD's associated data), so it cannot be moved to another.
"""

from __future__ import annotations

import uuid

from api.kit.crypto import Vault

CONVERSATION_PREFIX = "s_"


def conversation_id_for(vault: Vault, number: str) -> str:
    return CONVERSATION_PREFIX + vault.index.of("sms_conversation", number)[:48]


def phone_index_for(vault: Vault, number: str) -> str:
    """The same blind index referrals keep, so a referral's safe-contact answers find this number."""
    return vault.index.of("phone", number)


def contact_aad(conversation_id: str) -> str:
    return f"sms_contact:{conversation_id}:phone"


def inbound_aad(message_sid: str) -> str:
    return f"sms_inbound:{message_sid}:body"


def outbound_aad(outbound_id: uuid.UUID) -> str:
    return f"sms_outbound:{outbound_id}:body"
