"""Remote ICE candidates a loopback-only bot cannot reach are dropped from the offer."""

from bot.webrtc.ice import filter_offer_candidates

OFFER = (
    "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=candidate:1 1 udp 2122260223 127.0.0.1 50001 typ host generation 0",
            "a=candidate:2 1 udp 2122194687 192.0.2.2 50002 typ host generation 0",
            "a=candidate:3 1 udp 2122129151 0d3c6a1e-4c1f-4a3e.local 50003 typ host",
            "a=candidate:4 1 udp 2122063615 ::1 50004 typ host generation 0",
            "a=end-of-candidates",
        ]
    )
    + "\r\n"
)


def test_loopback_bot_keeps_only_loopback_candidates() -> None:
    sdp = filter_offer_candidates(OFFER, ["127.0.0.1"])
    assert " 127.0.0.1 50001 " in sdp and " ::1 50004 " in sdp
    assert "192.0.2.2" not in sdp and ".local" not in sdp
    assert "m=audio 9" in sdp and sdp.endswith("a=end-of-candidates\r\n")


def test_lan_bot_keeps_every_candidate() -> None:
    assert filter_offer_candidates(OFFER, []) == OFFER
    assert filter_offer_candidates(OFFER, ["192.0.2.10"]) == OFFER
