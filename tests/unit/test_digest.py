"""Inbound digest authentication, checked against an independent RFC 2617 computation."""

import hashlib
import re

from aiosipua import SipMessage, SipRequest

from telephony.digest import DigestGuard

INVITE = (
    "INVITE sip:12345@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n"
    "From: <sip:pbx@127.0.0.1>;tag=1\r\nTo: <sip:12345@127.0.0.1>\r\n"
    "Call-ID: auth-1\r\nCSeq: 2 INVITE\r\n{authorization}Content-Length: 0\r\n\r\n"
)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def signed_invite(challenge: str, user: str, password: str, realm: str = "hotline") -> SipRequest:
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)  # type: ignore[union-attr]
    uri, cnonce, nc = "sip:12345@127.0.0.1:5060", "0a4f113b", "00000001"
    ha1, ha2 = md5(f"{user}:{realm}:{password}"), md5(f"INVITE:{uri}")
    response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
    header = (
        f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", '
        f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={nc}, '
        f'cnonce="{cnonce}"\r\n'
    )
    message = SipMessage.parse(INVITE.format(authorization=header).encode())
    assert isinstance(message, SipRequest)
    return message


def test_valid_credentials_pass() -> None:
    guard = DigestGuard("hotline", {"pbx": "pw-123"})
    assert guard.verify(signed_invite(guard.challenge(), "pbx", "pw-123"))


def test_wrong_password_unknown_user_or_realm_fail() -> None:
    guard = DigestGuard("hotline", {"pbx": "pw-123"})
    assert not guard.verify(signed_invite(guard.challenge(), "pbx", "guess"))
    assert not guard.verify(signed_invite(guard.challenge(), "nobody", "pw-123"))
    assert not guard.verify(signed_invite(guard.challenge(), "pbx", "pw-123", realm="other"))


def test_nonces_of_another_process_are_refused() -> None:
    issued_elsewhere = DigestGuard("hotline", {"pbx": "pw-123"}).challenge()
    guard = DigestGuard("hotline", {"pbx": "pw-123"})
    assert not guard.verify(signed_invite(issued_elsewhere, "pbx", "pw-123"))


def test_no_credentials_fail_and_no_users_means_disabled() -> None:
    request = SipMessage.parse(INVITE.format(authorization="").encode())
    assert isinstance(request, SipRequest)
    assert not DigestGuard("hotline", {"pbx": "pw"}).verify(request)
    assert not DigestGuard("hotline", {}).enabled
