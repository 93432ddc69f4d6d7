"""Emergencies told in words no list holds, found by meaning with the real e5 model."""

from pathlib import Path

import pytest

from bot.dialogue.emergency_meaning import EmergencyMeaning
from bot.dialogue.meaning_match import Embedded
from bot.flows.flow_set import FlowSet, load_flows
from bot.knowledge.dense_index import default_encoder

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


@pytest.fixture(scope="module")
def flow_set() -> FlowSet:
    return load_flows([DIALOGS])


@pytest.fixture(scope="module")
def emergency() -> EmergencyMeaning:
    return EmergencyMeaning(Embedded(default_encoder()))


def meant(emergency: EmergencyMeaning, flow_set: FlowSet, text: str) -> bool:
    examples = flow_set.behaviour.intents.emergency_examples
    return emergency.meant(text, examples, flow_set.example_accounts())


@pytest.mark.parametrize(
    "text",
    [
        "我真的熬不下去了 家里的药我都找出来了 今晚就全吃了",
        "我儿子跟人打架 被人用刀划了 流了好多血",
    ],
)
def test_an_emergency_in_other_words_is_meant(
    emergency: EmergencyMeaning, flow_set: FlowSet, text: str
) -> None:
    assert meant(emergency, flow_set, text)


@pytest.mark.parametrize(
    "text",
    [
        "楼上装修天天砸墙 吵得孩子没法写作业",
        "喂 我想说个事",
        "我想问一下居住证要住多久才能办",
        "小区门口的井盖没了 车开过去很危险",
    ],
)
def test_ordinary_accounts_and_openers_are_not(
    emergency: EmergencyMeaning, flow_set: FlowSet, text: str
) -> None:
    assert not meant(emergency, flow_set, text)
