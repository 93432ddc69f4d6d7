"""SDP for G.711 calls: offers, answers and what they mean for the media (RFC 3264).

The bot speaks PCMU and PCMA at 20 ms with RFC 4733 telephone-events; anything else in an
offer is refused by answering without it (or, if nothing is left, with 488).
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass

from aiosipua import (
    Codec,
    ConnectionData,
    MediaDescription,
    Origin,
    SdpMessage,
    SdpNegotiationError,
    negotiate_sdp,
    parse_sdp,
)

PCMU = 0
PCMA = 8
CODEC_NAMES = {PCMU: "PCMU", PCMA: "PCMA"}
DTMF_PAYLOAD_TYPE = 101
PTIME_MS = 20

__all__ = [
    "PCMA",
    "PCMU",
    "Media",
    "SdpError",
    "answer_offer",
    "canonical",
    "make_offer",
    "parse",
    "read_answer",
]


class SdpError(ValueError):
    """An SDP body the bot cannot set up media from (488 Not Acceptable Here)."""


@dataclass(frozen=True)
class Media:
    """The negotiated audio stream of a call."""

    remote: tuple[str, int]
    payload_type: int
    dtmf_payload_type: int | None
    on_hold: bool
    """The peer put us on hold (sendonly/inactive or a 0.0.0.0 address): send nothing."""


# RFC 4566 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...; the bot uses the
# first port, so the count is dropped before aiosipua's parser (which reads the port as an int).
_PORT_COUNT = re.compile(r"^(m=\S+ \d+)/\d+(?= )", re.MULTILINE | re.ASCII)
_RTPMAP = re.compile(r"\d{1,3} [^\s/]+/\d+(/\d+)?", re.ASCII)
_RTP_PROFILES = ("RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF")


def canonical(text: str) -> str:
    """The body as aiosipua's parser reads it: port counts (`15162/2`) dropped."""
    return _PORT_COUNT.sub(r"\1", text)


def _check_media(sdp: SdpMessage) -> None:
    """What aiosipua's parser lets through silently: RTP formats that are not payload type
    numbers, and rtpmap lines without `<pt> <name>/<rate>`."""
    for media in sdp.media:
        if media.proto.upper() in _RTP_PROFILES:
            bad = [
                fmt
                for fmt in media.formats
                if not (fmt.isascii() and fmt.isdigit() and int(fmt) < 128)
            ]
            if bad:
                raise SdpError(f"payload type {bad[0]!r} is not a number from 0 to 127")
        for rtpmap in media.attributes.get("rtpmap", []):
            if not _RTPMAP.fullmatch(rtpmap.strip()):
                raise SdpError(f"malformed rtpmap {rtpmap!r}")


def parse(text: str) -> SdpMessage:
    """Parse an SDP body, refusing what is malformed or has no usable audio stream."""
    try:
        sdp = parse_sdp(canonical(text))
    except Exception as exc:  # the parser raises whatever its input provokes
        raise SdpError(f"unreadable SDP: {exc}") from exc
    _check_media(sdp)
    if sdp.audio is None or sdp.rtp_address is None:
        raise SdpError("SDP has no audio stream with an address")
    return sdp


def _dtmf_payload_type(media: MediaDescription) -> int | None:
    for codec in media.codecs:
        if codec.encoding_name.lower() == "telephone-event":
            return codec.payload_type
    return None


def _on_hold(sdp: SdpMessage) -> bool:
    audio = sdp.audio
    address = sdp.rtp_address
    return (
        audio is None
        or audio.direction in ("sendonly", "inactive")
        or address is None
        or address[0] in ("0.0.0.0", "::")
        or address[1] == 0
    )


def _media(sdp: SdpMessage, payload_type: int) -> Media:
    assert sdp.audio is not None and sdp.rtp_address is not None
    try:  # a host name would be resolved, blocking, for every packet sent
        ipaddress.ip_address(sdp.rtp_address[0])
    except ValueError as exc:
        raise SdpError(f"connection address {sdp.rtp_address[0]!r} is not an IP address") from exc
    return Media(
        remote=sdp.rtp_address,
        payload_type=payload_type,
        dtmf_payload_type=_dtmf_payload_type(sdp.audio),
        on_hold=_on_hold(sdp),
    )


def answer_offer(offer: SdpMessage, local_ip: str, rtp_port: int) -> tuple[SdpMessage, Media]:
    """Our answer to a peer's offer, and the media it sets up.

    The telephone-event payload type is mirrored from the offer, so digits are understood
    whatever number the peer gave them."""
    if offer.audio is None or offer.rtp_address is None:
        raise SdpError("SDP offer has no audio stream with an address")
    dtmf = _dtmf_payload_type(offer.audio)
    try:
        answer, payload_type = negotiate_sdp(
            offer,
            local_ip=local_ip,
            rtp_port=rtp_port,
            supported_codecs=[PCMU, PCMA],
            dtmf_payload_type=dtmf or 0,
            ptime=PTIME_MS,
        )
    except SdpNegotiationError as exc:
        raise SdpError(str(exc)) from exc
    return answer, _media(offer, payload_type)


def make_offer(local_ip: str, rtp_port: int) -> SdpMessage:
    """The offer of an outbound call: PCMU, PCMA and telephone-event, send and receive."""
    codecs = [
        Codec(payload_type=PCMU, encoding_name="PCMU", clock_rate=8000),
        Codec(payload_type=PCMA, encoding_name="PCMA", clock_rate=8000),
        Codec(payload_type=DTMF_PAYLOAD_TYPE, encoding_name="telephone-event", clock_rate=8000),
    ]
    media = MediaDescription(
        media="audio",
        port=rtp_port,
        proto="RTP/AVP",
        formats=[str(codec.payload_type) for codec in codecs],
        attributes={
            "rtpmap": [f"{c.payload_type} {c.encoding_name}/{c.clock_rate}" for c in codecs],
            "fmtp": [f"{DTMF_PAYLOAD_TYPE} 0-16"],
            "ptime": [str(PTIME_MS)],
            "sendrecv": [],
        },
        codecs=codecs,
    )
    version = str(int(time.time()))
    return SdpMessage(
        origin=Origin(session_id=version, session_version=version, address=local_ip),
        session_name="hotline",
        connection=ConnectionData(address=local_ip),
        media=[media],
    )


def read_answer(answer: SdpMessage) -> Media:
    """The media an answer to our offer sets up: its first G.711 codec."""
    audio = answer.audio
    if audio is None or answer.rtp_address is None:
        raise SdpError("SDP answer has no audio stream with an address")
    for codec in audio.codecs:
        if codec.payload_type in CODEC_NAMES:
            return _media(answer, codec.payload_type)
    raise SdpError(f"SDP answer chose no G.711 codec: {audio.formats}")
