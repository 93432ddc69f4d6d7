"""Local understanding: caller words → commands, in the context of what the bot asked."""

import datetime as dt
from pathlib import Path

import pytest

from bot.dialogue.commands import Command
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import FlowSet, load_flows

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


@pytest.fixture(scope="module")
def flow_set() -> FlowSet:
    return load_flows([DIALOGS])


@pytest.fixture(scope="module")
def local(flow_set: FlowSet) -> LocalUnderstanding:
    return LocalUnderstanding(flow_set, today=lambda: dt.date(2026, 11, 24))


def slot_expectation(flow_set: FlowSet, flow: str, slot: str) -> Expectation:
    slots = flow_set.flows[flow].slots
    return Expectation("slot", flow, slot, slots[slot], dict(slots))


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("我要投诉小区物业不管事", Command(kind="start_flow", flow="complaint")),
        ("路灯坏了好几天没人修", Command(kind="start_flow", flow="complaint")),
        ("社保卡丢了咋办", Command(kind="start_flow", flow="policy_qa")),
        (
            "二手房过户要交多少税呢",
            Command(kind="ask_knowledge", question="二手房过户要交多少税呢"),
        ),
        ("麻烦帮我转一下人工", Command(kind="request_human")),
        ("好的谢谢再见", Command(kind="goodbye")),
        ("我家着火了快来人", Command(kind="start_flow", flow="emergency")),
    ],
)
async def test_menu_routing(local: LocalUnderstanding, text: str, command: Command) -> None:
    assert await local.understand(text, Expectation("menu", "main")) == [command]


async def test_deterministic_slot_and_volunteered_extras(
    local: LocalUnderstanding, flow_set: FlowSet
) -> None:
    expectation = slot_expectation(flow_set, "complaint", "address")
    text = "在南山区科技园路18号，我电话13800138000"
    commands = await local.understand(text, expectation)
    assert Command(kind="set_slot", slot="address", value=text) in commands
    assert Command(kind="set_slot", slot="contact_phone", value=text) in commands


async def test_unusable_answer_gives_no_command(
    local: LocalUnderstanding, flow_set: FlowSet
) -> None:
    expectation = slot_expectation(flow_set, "complaint", "contact_phone")
    assert await local.understand("我忘了", expectation) == []


async def test_confirmation_reads_yes_and_no_before_global_words(
    local: LocalUnderstanding,
) -> None:
    confirm = Expectation("confirm", "policy_qa")
    assert await local.understand("对的，没错", confirm) == [Command(kind="affirm")]
    assert await local.understand("不用了", confirm) == [Command(kind="deny")]
    assert await local.understand("转人工", confirm) == [Command(kind="request_human")]
