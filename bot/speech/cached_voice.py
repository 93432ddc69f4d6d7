"""Clause-level audio cache in front of a voice: the approved script is said again and again.

Flow prompts are known ahead, so their clauses are synthesised once per worker (at start-up,
in the background) and later calls hear them with no synthesis delay. Dynamic clauses (slot
values, ticket numbers, answers) are synthesised as before and kept while they are recent.
Each clause loses its leading silence (up to 300 ms from the voices): on the first clause of a
reply that is pure delay. A clause not yet cached is passed on chunk by chunk as the voice
makes it, so its first audio is not held back until the whole clause is done.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from bot.speech.voice import Voice, split_clauses, without_leading_silence


class CachedVoice:
    def __init__(self, voice: Voice, max_clauses: int = 512) -> None:
        self._voice = voice
        self.name = voice.name
        self.sample_rate = voice.sample_rate
        self._max = max_clauses
        self._audio: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _clause(self, clause: str) -> Iterator[bytes]:
        """The clause's audio: from the cache, or streamed from the voice as it is made
        (and cached once complete)."""
        with self._lock:
            audio = self._audio.get(clause)
            if audio is not None:
                self._audio.move_to_end(clause)
        if audio is not None:
            yield audio
            return
        made: list[bytes] = []
        for chunk in without_leading_silence(self._voice.synthesize(clause), self.sample_rate):
            made.append(chunk)
            yield chunk
        with self._lock:
            self._audio[clause] = b"".join(made)
            while len(self._audio) > self._max:
                self._audio.popitem(last=False)

    def synthesize(self, text: str) -> Iterator[bytes]:
        for clause in split_clauses(text):
            yield from (audio for audio in self._clause(clause) if audio)

    def warm(self, texts: Iterable[str]) -> int:
        """Synthesise these texts' clauses ahead of time; returns how many clauses are cached."""
        for text in texts:
            for clause in split_clauses(text):
                for _ in self._clause(clause):
                    pass
        with self._lock:
            return len(self._audio)
