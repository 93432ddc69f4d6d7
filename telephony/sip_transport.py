"""A pipecat transport over one SIP call, so a phone call runs the same pipeline as WebRTC.

Input: the call's 8 kHz PCM and RFC 4733 digits as `InputAudioRawFrame` / `InputDTMFFrame`
(the ASR resamples whole utterances to 16 kHz itself). Output: pipecat resamples the bot's
speech to 8 kHz; it is queued on the RTP media clock a few frames ahead of the wire, and an
interruption drops what has not been sent yet.
"""

from __future__ import annotations

import asyncio

import numpy as np
import soxr
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    StartFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams

from telephony.call import SipCall
from telephony.rtp_stream import SAMPLE_RATE

# A peer that stops sending RTP (silence suppression, or simply done talking) is heard as
# silence after this gap, so the end of the caller's turn is still detected.
SILENCE_AFTER_S = 0.06
SILENCE = bytes(int(SAMPLE_RATE * SILENCE_AFTER_S) * 2)

# Audio queued on the media clock beyond this makes the writer wait: little enough to stop
# quickly on barge-in, enough to ride out scheduling hiccups.
MAX_LEAD_MS = 80


def sip_params(audio_in_sample_rate: int = SAMPLE_RATE) -> TransportParams:
    return TransportParams(
        audio_in_enabled=True,
        audio_out_enabled=True,
        audio_in_sample_rate=audio_in_sample_rate,
        audio_out_sample_rate=SAMPLE_RATE,
        audio_out_10ms_chunks=2,
    )


class SipInputTransport(BaseInputTransport):
    def __init__(self, call: SipCall, transport: SipCallTransport, params: TransportParams):
        super().__init__(params)
        rate = params.audio_in_sample_rate or SAMPLE_RATE
        # A pipeline that wants wideband input gets it from a streaming resampler (no
        # clicks at chunk edges); at 8 kHz the line's audio passes untouched.
        self._upsample = (
            soxr.ResampleStream(SAMPLE_RATE, rate, 1, dtype="int16", quality="HQ")
            if rate != SAMPLE_RATE
            else None
        )
        self._rate = rate
        self._call = call
        self._transport = transport
        self._arrivals: asyncio.Queue[bytes | str] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)
        self._call.rtp.on_audio = self._arrivals.put_nowait
        self._call.rtp.on_dtmf = self._arrivals.put_nowait
        self._reader = self.create_task(self._read(), "sip-in")
        self._watcher = self.create_task(self._watch_hangup(), "sip-hangup")
        await self._transport.connected()

    async def _read(self) -> None:
        while True:
            try:
                item = await asyncio.wait_for(self._arrivals.get(), SILENCE_AFTER_S)
            except TimeoutError:
                item = SILENCE
            if isinstance(item, str):
                try:
                    await self.push_frame(InputDTMFFrame(button=KeypadEntry(item)))
                except ValueError:  # A-D keys have no meaning for the dialogue
                    continue
            else:
                if self._upsample is not None:
                    pcm = np.frombuffer(item, dtype=np.int16)
                    item = self._upsample.resample_chunk(pcm).tobytes()
                await self.push_audio_frame(
                    InputAudioRawFrame(audio=item, sample_rate=self._rate, num_channels=1)
                )

    async def _watch_hangup(self) -> None:
        await self._call.ended.wait()
        await self._transport.disconnected()

    async def _stop_tasks(self) -> None:
        self._call.rtp.on_audio = None
        self._call.rtp.on_dtmf = None
        for task in (self._reader, self._watcher):
            if task is not None:
                await self.cancel_task(task)
        self._reader = self._watcher = None

    async def stop(self, frame: EndFrame) -> None:
        await super().stop(frame)
        await self._stop_tasks()

    async def cancel(self, frame: CancelFrame) -> None:
        await super().cancel(frame)
        await self._stop_tasks()


class SipOutputTransport(BaseOutputTransport):
    def __init__(self, call: SipCall, params: TransportParams):
        super().__init__(params)
        self._call = call

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, InterruptionFrame):
            self._call.rtp.clear()
        await super().process_frame(frame, direction)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        if self._call.ended.is_set():
            return False
        self._call.rtp.send(frame.audio)
        ahead_ms = self._call.rtp.queued_ms - MAX_LEAD_MS
        if ahead_ms > 0:
            await asyncio.sleep(ahead_ms / 1000)
        return True


class SipCallTransport(BaseTransport):
    """Fires `on_client_connected` when the pipeline starts on an answered call and
    `on_client_disconnected` when the far end hangs up."""

    def __init__(self, call: SipCall, params: TransportParams | None = None) -> None:
        super().__init__(name=f"sip-{call.id[:8]}")
        params = params or sip_params()
        self.call = call
        self._input = SipInputTransport(call, self, params)
        self._output = SipOutputTransport(call, params)
        self._register_event_handler("on_client_connected")
        self._register_event_handler("on_client_disconnected")

    def input(self) -> SipInputTransport:
        return self._input

    def output(self) -> SipOutputTransport:
        return self._output

    async def connected(self) -> None:
        await self._call_event_handler("on_client_connected", self.call)

    async def disconnected(self) -> None:
        await self._call_event_handler("on_client_disconnected", self.call)
