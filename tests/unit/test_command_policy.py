"""The command policy: what wins when one turn yields several commands."""

import pytest

from bot.dialogue.commands import Command
from bot.dialogue.policy import decide


def cmd(kind: str, **fields: str) -> Command:
    return Command(kind=kind, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("commands", "move"),
    [
        ([cmd("set_slot", slot="a", value="x"), cmd("emergency", value="certain")], "emergency"),
        ([cmd("goodbye"), cmd("start_flow", flow="emergency")], "emergency"),
        ([cmd("affirm"), cmd("request_human")], "human"),
        ([cmd("escalate", value="anger"), cmd("deny")], "escalate"),
        (
            [cmd("emergency", value="possible"), cmd("start_flow", flow="complaint")],
            "check_emergency",
        ),
        ([cmd("goodbye")], "goodbye"),
        ([cmd("goodbye"), cmd("affirm")], "answer"),  # "对，没别的了" answers the question
        ([cmd("cancel"), cmd("set_slot", slot="a", value="x")], "answer"),
        ([cmd("relative")], "relative"),
        ([cmd("start_flow", flow="complaint"), cmd("set_slot", slot="a", value="x")], "start_flow"),
        ([cmd("ask_knowledge", question="q")], "knowledge"),
        ([cmd("out_of_scope")], "out_of_scope"),
        ([], "not_understood"),
    ],
)
def test_precedence(commands: list[Command], move: str) -> None:
    assert decide(commands, "emergency").move == move


def test_an_answer_carries_its_values_and_its_yes_or_no() -> None:
    decision = decide([cmd("deny"), cmd("correct_slot", slot="address", value="12号")], "emergency")
    assert decision.move == "answer" and decision.yes_no is False
    assert decision.values == [cmd("correct_slot", slot="address", value="12号")]
