"""SDP offers and answers, on the bodies real phones send."""

import pytest

from telephony import sdp

# What baresip 1.0 offers (trimmed of its non-audio lines).
BARESIP_OFFER = """v=0\r
o=- 1183420424 3426355938 IN IP4 127.0.0.1\r
s=-\r
c=IN IP4 127.0.0.1\r
t=0 0\r
m=audio 24000 RTP/AVP 8 0 96\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:96 telephone-event/8000\r
a=fmtp:96 0-15\r
a=sendrecv\r
"""


def test_answer_keeps_the_callers_codec_order_and_dtmf_number() -> None:
    answer, media = sdp.answer_offer(sdp.parse(BARESIP_OFFER), "127.0.0.1", 20000)
    assert media.payload_type == sdp.PCMA
    assert media.dtmf_payload_type == 96
    assert media.remote == ("127.0.0.1", 24000)
    assert not media.on_hold
    assert answer.audio is not None
    assert answer.audio.formats == ["8", "96"]
    assert answer.audio.port == 20000
    assert "96 telephone-event/8000" in answer.audio.attributes["rtpmap"]


@pytest.mark.parametrize(
    ("change", "held"),
    [
        (("a=sendrecv", "a=sendonly"), True),
        (("a=sendrecv", "a=inactive"), True),
        (("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0"), True),
        (("a=sendrecv", "a=recvonly"), False),
    ],
)
def test_hold_is_recognised(change: tuple[str, str], held: bool) -> None:
    offer = sdp.parse(BARESIP_OFFER.replace(*change))
    answer, media = sdp.answer_offer(offer, "127.0.0.1", 20000)
    assert media.on_hold is held
    assert answer.audio is not None
    # Our answer mirrors the direction: a caller who only sends gets "recvonly" back.
    mirrored = {"sendonly": "recvonly", "inactive": "inactive", "recvonly": "sendonly"}
    assert answer.audio.direction == mirrored.get(offer.audio.direction, "sendrecv")  # type: ignore[union-attr]


def test_offer_without_g711_is_refused() -> None:
    g729 = BARESIP_OFFER.replace("RTP/AVP 8 0 96", "RTP/AVP 18")
    with pytest.raises(sdp.SdpError, match="codec"):
        sdp.answer_offer(sdp.parse(g729), "127.0.0.1", 20000)


@pytest.mark.parametrize("body", ["", "v=0\r\nm=audio nope\r\n", "v=0\r\ns=-\r\nt=0 0\r\n"])
def test_unusable_bodies_are_refused(body: str) -> None:
    with pytest.raises(sdp.SdpError):
        sdp.parse(body)


@pytest.mark.parametrize(
    ("line", "malformed"),
    [
        ("RTP/AVP 8 0 96", "RTP/AVP 8 PCMU 96"),  # a payload type that is no number
        ("a=rtpmap:8 PCMA/8000", "a=rtpmap:8"),
        ("a=rtpmap:8 PCMA/8000", "a=rtpmap:eight PCMA/8000"),
        ("t=0 0", "b=AS:fast\r\nt=0 0"),
    ],
)
def test_malformed_offers_are_refused(line: str, malformed: str) -> None:
    with pytest.raises(sdp.SdpError):
        sdp.parse(BARESIP_OFFER.replace(line, malformed))


def test_port_count_form_is_read() -> None:
    offer = sdp.parse(BARESIP_OFFER.replace("m=audio 24000 RTP/AVP", "m=audio 24000/2 RTP/AVP"))
    assert offer.rtp_address == ("127.0.0.1", 24000)
    assert offer.audio is not None and offer.audio.formats == ["8", "0", "96"]


def test_host_name_as_media_address_is_refused() -> None:
    offer = sdp.parse(BARESIP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 phone.example"))
    with pytest.raises(sdp.SdpError, match="not an IP address"):
        sdp.answer_offer(offer, "127.0.0.1", 20000)


def test_outbound_offer_and_the_answer_to_it() -> None:
    offer = sdp.make_offer("127.0.0.1", 20002)
    assert offer.audio is not None
    assert offer.audio.formats == ["0", "8", "101"]
    assert offer.rtp_address == ("127.0.0.1", 20002)
    answer = sdp.parse(BARESIP_OFFER.replace("RTP/AVP 8 0 96", "RTP/AVP 8 96"))
    media = sdp.read_answer(answer)
    assert (media.payload_type, media.dtmf_payload_type) == (sdp.PCMA, 96)
