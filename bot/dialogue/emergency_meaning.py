"""Emergencies told in words no list holds, found by meaning.

"活着挺没意思的 药我都攒了一小瓶" names none of the emergency words, but means self-harm. The
caller's words are embedded with the knowledge base's e5 model (symmetric `query:` form) and
compared with the designer's emergencies as callers describe them (`intents.emergency_examples`)
and with ordinary accounts (the complaint categories' `examples`). Only words clearly closer to
an emergency than to any ordinary account, and close to it in absolute terms, count — and they
only earn the one confirming question (`prompts.emergency_check`), never a transfer by
themselves.

Thresholds, measured on the first lines of the tuning and held-out conversations
(bench/conversations, 229): the highest non-emergency line by closeness to an emergency was
0.896 (a request to locate a husband's phone; short openers "喂 我想说个事" 0.889) with leads up
to +0.025; the emergencies told without list words scored 0.91–0.94 with leads +0.011 to +0.077.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.dialogue.meaning_match import Embedded

# Closeness to the nearest emergency example, and its lead over the nearest ordinary account.
MIN_CLOSENESS = 0.905
MIN_LEAD = 0.01


class EmergencyMeaning:
    """Whether words mean an emergency, by the examples' meaning."""

    def __init__(self, embedded: Embedded) -> None:
        self._embedded = embedded

    def meant(self, text: str, emergencies: Sequence[str], ordinary: Sequence[str]) -> bool:
        if not emergencies or not ordinary or not text.strip():
            return False
        query = self._embedded.said(text)
        closeness = float(np.max(self._embedded.fixed(emergencies) @ query))
        lead = closeness - float(np.max(self._embedded.fixed(ordinary) @ query))
        return closeness >= MIN_CLOSENESS and lead >= MIN_LEAD
