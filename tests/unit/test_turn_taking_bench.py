"""bench.turn_taking reads the wire right: answers, and the bot speaking into a caller's pause."""

from bench.turn_taking import ScheduledTurn, judge, read_turns
from bench.wire import talkspurts


def packets(start: float, end: float) -> list[float]:
    """Speech packet times every 20 ms from `start` to `end`."""
    return [round(start + n * 0.02, 3) for n in range(int((end - start) / 0.02) + 1)]


PAUSED = [ScheduledTurn("我们楼那个暖气…到现在还是凉的", 0.0, 2.5, pause_s=1.0)]


def test_the_answer_is_the_bots_first_talkspurt_after_the_turn() -> None:
    caller = packets(0.0, 1.0) + packets(1.5, 2.5)
    bot = packets(3.3, 5.0)
    [result] = judge(PAUSED, caller, bot)
    assert result.latency_ms == 800.0
    assert not result.cut_off


def test_the_bot_starting_in_the_pause_is_a_cut_off() -> None:
    caller = packets(0.0, 1.0) + packets(1.5, 2.5)
    bot = packets(1.4, 2.0) + packets(3.2, 4.0)
    [result] = judge(PAUSED, caller, bot)
    assert result.cut_off


def test_a_reply_still_playing_when_the_caller_paused_is_no_cut_off() -> None:
    caller = packets(0.0, 1.0) + packets(1.5, 2.5)
    bot = packets(-2.0, 1.2) + packets(3.0, 4.0)  # barge-in's business, not the end of turn
    [result] = judge(PAUSED, caller, bot)
    assert not result.cut_off
    assert result.latency_ms == 500.0


def test_no_answer_before_the_next_turn_is_unanswered() -> None:
    schedule = [ScheduledTurn("对", 0.0, 0.5, None), ScheduledTurn("好", 3.0, 3.4, None)]
    caller = packets(0.0, 0.5) + packets(3.0, 3.4)
    bot = packets(4.0, 5.0)
    first, second = judge(schedule, caller, bot)
    assert first.latency_ms is None
    assert second.latency_ms == round((4.0 - max(caller)) * 1000, 1)


def test_talkspurts_start_after_the_bots_silence() -> None:
    assert talkspurts(packets(0.0, 0.5) + packets(0.56, 1.0) + packets(1.3, 1.5)) == [0.0, 1.3]


def test_the_shipped_turns_are_well_formed() -> None:
    turns = read_turns()
    assert len(turns["plain"]) >= 20 and len(turns["paused"]) >= 20
    assert all(turn.count("|") == 1 for turn in turns["paused"])
