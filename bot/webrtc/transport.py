"""The browser phone's transport: a SmallWebRTCTransport for each peer connection a browser
offers, its offer's candidates first kept to the addresses the bot can reach (ice.py)."""

from __future__ import annotations

from collections.abc import Callable

from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.request_handler import (
    SmallWebRTCRequest,
    SmallWebRTCRequestHandler,
)
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport

from bot.webrtc.ice import filter_offer_candidates

PARAMS = TransportParams(audio_in_enabled=True, audio_out_enabled=True)


async def answer_offer(
    handler: SmallWebRTCRequestHandler,
    sdp: str,
    host_addresses: list[str],
    start: Callable[[SmallWebRTCTransport], None],
) -> dict[str, str]:
    """The SDP answer to a browser's offer (non-trickle ICE); `start` runs the call on the
    transport once the peer connection exists. Raises ValueError for an offer that cannot
    be used."""

    async def on_connection(connection: SmallWebRTCConnection) -> None:
        start(SmallWebRTCTransport(webrtc_connection=connection, params=PARAMS))

    offer = SmallWebRTCRequest(sdp=filter_offer_candidates(sdp, host_addresses), type="offer")
    answer = await handler.handle_web_request(offer, on_connection)
    if answer is None:
        raise ValueError("the WebRTC stack produced no SDP answer")
    return answer
