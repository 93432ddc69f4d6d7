"""Who may start a call: allowlist, INVITE rate, capacity."""

from telephony.admission import BUSY, FORBIDDEN, OVERLOADED, Admission


def test_allowlist_admits_only_its_networks() -> None:
    admission = Admission(["10.1.0.0/16", "127.0.0.1/32"], max_calls=5, invites_per_second=50)
    assert admission.check("10.1.2.3", 0) is None
    assert admission.check("127.0.0.1", 0) is None
    assert admission.check("192.0.2.7", 0) is FORBIDDEN
    assert admission.check("not-an-ip", 0) is FORBIDDEN


def test_empty_allowlist_admits_everyone() -> None:
    assert Admission([], max_calls=5, invites_per_second=50).check("192.0.2.7", 0) is None


def test_capacity_answers_busy() -> None:
    admission = Admission([], max_calls=2, invites_per_second=50)
    assert admission.check("127.0.0.1", 1) is None
    assert admission.check("127.0.0.1", 2) is BUSY


def test_a_burst_passes_and_a_flood_is_throttled() -> None:
    admission = Admission([], max_calls=100, invites_per_second=3)
    verdicts = [admission.check("127.0.0.1", 0) for _ in range(10)]
    assert verdicts[:3] == [None, None, None]
    assert verdicts[3:] == [OVERLOADED] * 7
    assert OVERLOADED.retry_after_s == 1
