"""The session, driven by a fake understanding (scripted commands) and fake effects: the
shipped flows' behaviour without models, Redis or subprocesses."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.dialogue.commands import Command
from bot.dialogue.effects import WorkOrderDraft
from bot.dialogue.engine import Reply
from bot.dialogue.flow_engine import FlowEngine, FlowSession
from bot.dialogue.session_state import FlowFrame
from bot.dialogue.slot_filling import store_values
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import FlowSet, load_flows
from bot.knowledge.answers import NOT_GROUNDED, KnowledgeAnswer, Source
from bot.tickets.ticket import SurveyResult, Ticket

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


def cmd(kind: str, **fields: str) -> Command:
    return Command(kind=kind, **fields)  # type: ignore[arg-type]


class ScriptedUnderstanding:
    """Each utterance's commands, as a reader would give them; records what it was asked."""

    name = "scripted"
    last_source = "scripted"

    def __init__(self, script: dict[str, list[Command]], slow: bool = False) -> None:
        self.script = script
        self.expectations: list[Expectation] = []
        self._slow = slow

    def slow(self, utterance: str, expectation: Expectation) -> bool:
        return self._slow

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]:
        self.expectations.append(expectation)
        return self.script.get(utterance, [])


class FakeEffects:
    def __init__(self, meant: str | None = None) -> None:
        self.meant = meant  # the value closest_value finds by meaning
        self.tickets: dict[str, Ticket] = {}
        self.drafts: list[WorkOrderDraft] = []
        self.follow_ups: list[tuple[str, str]] = []

    async def create_ticket(self, call_id: str, draft: WorkOrderDraft) -> Ticket:
        self.drafts.append(draft)
        number = f"20261202{len(self.tickets) + 1:04d}"
        fields = {k: draft.fields.get(k) for k in ("category", "address", "time", "description")}
        ticket = Ticket(
            number=number,
            department="派单中心",
            contact_name=draft.fields.get("contact_name"),
            contact_phone=draft.fields.get("contact_phone"),
            created_at=time.time(),
            updated_at=time.time(),
            **fields,
        )
        self.tickets[number] = ticket
        return ticket

    async def record_survey(
        self, call_id: str, ticket: str | None, answers: dict[str, Any], evidence: dict[str, str]
    ) -> SurveyResult:
        return SurveyResult(
            resolved=answers.get("resolved"),
            satisfaction=answers.get("satisfaction"),
            comment=answers.get("comment"),
            callback_time=answers.get("callback_time"),
            evidence=evidence,
            call_id=call_id,
            recorded_at=0,
        )

    async def find_ticket(
        self, number: str | None, phone: str | None, about: str = ""
    ) -> Ticket | None:
        if number:
            return self.tickets.get(number)
        return next((t for t in self.tickets.values() if t.contact_phone == phone), None)

    async def record_follow_up(self, number: str, call_id: str, said: str) -> None:
        self.follow_ups.append((number, said))

    async def answer(self, question: str) -> KnowledgeAnswer:
        if "暂住" in question:  # only probably the residence-permit document
            source = Source("residence-permit", "居住证办理指南", "市公安局", 0.5)
            return KnowledgeAnswer(False, NOT_GROUNDED, [source], unconfirmed="答：居住证")
        return KnowledgeAnswer(grounded="居住证" in question, text=f"答：{question}")

    async def closest_value(
        self,
        values: Mapping[str, Sequence[str]],
        text: str,
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> str | None:
        return self.meant if self.meant in values else None

    async def emergency_meant(
        self, text: str, emergencies: Sequence[str], ordinary: Sequence[str]
    ) -> bool:
        return "攒了一瓶" in text  # the one account this fake reads as an emergency


@pytest.fixture(scope="module")
def flow_set() -> FlowSet:
    return load_flows([DIALOGS])


def session(
    flow_set: FlowSet,
    script: dict[str, list[Command]],
    effects: FakeEffects | None = None,
    **kwargs: Any,
) -> tuple[FlowSession, ScriptedUnderstanding, FakeEffects]:
    understanding = ScriptedUnderstanding(script)
    effects = effects or FakeEffects()
    engine = FlowEngine(
        lambda: flow_set, lambda _: understanding, effects, today=lambda: dt.date(2026, 12, 2)
    )
    return engine.new_session("call-1", "13800138000", **kwargs), understanding, effects


# A complaint told with everything but the phone number: the bot asks for it next.
PHONE_LAST = "楼下烧烤店油烟太大，在南山区科技园路18号，晚上最严重，我姓李"
OPENING_BUT_THE_PHONE = [
    cmd("start_flow", flow="complaint"),
    cmd("set_slot", slot="address", value="南山区科技园路18号"),
    cmd("set_slot", slot="time", value="晚上"),
    cmd("set_slot", slot="contact_name", value="李"),
]


def said(replies: list[Reply]) -> str:
    return "".join(reply.text for reply in replies)


async def test_several_facts_in_one_turn_are_all_taken(flow_set: FlowSet) -> None:
    opening = "楼下饭店天天半夜吵，在南山区科技园路18号，我姓李，电话13912345678"
    conversation, _, effects = session(
        flow_set,
        {
            opening: [
                cmd("start_flow", flow="complaint"),
                cmd("set_slot", slot="address", value="南山区科技园路18号"),
                cmd("set_slot", slot="contact_name", value="李"),
                cmd("set_slot", slot="contact_phone", value="13912345678"),
            ],
            "晚上十点以后": [cmd("set_slot", slot="time", value="晚上十点以后")],
            "对": [cmd("affirm")],
        },
    )
    await conversation.start()
    reply = said(await conversation.handle(opening))
    assert "什么时间" in reply  # only what was not said is asked
    assert "我跟您核对" in said(await conversation.handle("晚上十点以后"))
    await conversation.handle("对")
    [draft] = effects.drafts
    assert draft.fields["address"] == "南山区科技园路18号"
    assert draft.fields["contact_name"] == "李"
    assert draft.fields["category"] == "噪音扰民"  # read from the account ("吵")
    assert "楼下饭店天天半夜吵" in draft.fields["description"]
    assert "13912345678" not in draft.fields["description"]


async def test_a_value_the_caller_did_not_say_is_never_stored(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "路灯坏了": [cmd("start_flow", flow="complaint")],
            "在中山路": [cmd("set_slot", slot="address", value="南山区科技园路18号")],
        },
    )
    await conversation.start()
    await conversation.handle("路灯坏了")
    reply = said(await conversation.handle("在中山路"))
    assert "address" not in conversation.slots
    assert "地址" in reply  # asked again


async def test_readback_correction_is_applied_and_read_back_again(flow_set: FlowSet) -> None:
    conversation, _, effects = session(
        flow_set,
        {
            "井盖丢了": [cmd("start_flow", flow="complaint")],
            "东城区和平路21号": [cmd("set_slot", slot="address", value="东城区和平路21号")],
            "不清楚": [cmd("dont_know")],
            "我姓陈": [cmd("set_slot", slot="contact_name", value="陈")],
            "13655551234": [cmd("set_slot", slot="contact_phone", value="13655551234")],
            "不对，门牌是12号": [
                cmd("deny"),
                cmd("correct_slot", slot="address", value="门牌是12号"),
            ],
            "对": [cmd("affirm")],
        },
    )
    await conversation.start()
    for line in ("井盖丢了", "东城区和平路21号", "不清楚", "我姓陈", "13655551234"):
        reply = said(await conversation.handle(line))
    assert "21号" in reply
    reply = said(await conversation.handle("不对，门牌是12号"))
    assert "已为您更正" in reply and "东城区和平路12号" in reply
    await conversation.handle("对")
    assert effects.drafts[0].fields["address"] == "东城区和平路12号"
    assert effects.drafts[0].fields["time"] is None  # "不清楚" stores nothing


async def test_readback_neither_yes_nor_no_is_asked_again_not_taken(flow_set: FlowSet) -> None:
    conversation, _, effects = session(
        flow_set,
        {
            "垃圾没人收 在南山区科技园路1号 我姓王 13912345678": [
                cmd("start_flow", flow="complaint"),
                cmd("set_slot", slot="address", value="南山区科技园路1号"),
                cmd("set_slot", slot="contact_name", value="王"),
                cmd("set_slot", slot="contact_phone", value="13912345678"),
            ],
            "不清楚": [cmd("dont_know")],
            "不对": [cmd("deny")],
            "电话": [cmd("clear_slot", slot="contact_phone")],
            "13912345679": [cmd("set_slot", slot="contact_phone", value="13912345679")],
        },
    )
    await conversation.start()
    await conversation.handle("垃圾没人收 在南山区科技园路1号 我姓王 13912345678")
    await conversation.handle("不清楚")
    assert "请您回答对或者不对" in said(await conversation.handle("没别的了"))
    assert "哪一项需要更正" in said(await conversation.handle("不对"))
    assert "联系电话" in said(await conversation.handle("电话"))
    assert "幺三九幺二三四五六七九" in said(await conversation.handle("13912345679"))
    assert not effects.drafts


async def test_optional_slot_answered_with_other_facts_is_not_pressed(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "暖气不热 在福田区梅林一村12栋": [
                cmd("start_flow", flow="complaint"),
                cmd("set_slot", slot="address", value="福田区梅林一村12栋"),
            ],
            "我姓赵": [cmd("set_slot", slot="contact_name", value="赵")],
        },
    )
    await conversation.start()
    assert "什么时间" in said(await conversation.handle("暖气不热 在福田区梅林一村12栋"))
    assert "联系电话" in said(await conversation.handle("我姓赵"))
    assert conversation.slots["time"] is None


async def test_unknown_category_falls_back_and_never_transfers(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "我想反映个事": [cmd("start_flow", flow="complaint")],
            "对门那条狗天天晚上叫一宿": [],
            "说不上来": [],
        },
    )
    await conversation.start()
    await conversation.handle("我想反映个事")
    reply = said(await conversation.handle("对门那条狗天天晚上叫一宿"))
    assert "哪一类" in reply
    reply = said(await conversation.handle("说不上来"))
    assert conversation.slots["category"] == "其他"
    assert "地址" in reply and not conversation.ended


async def test_a_category_meant_but_not_named_is_taken_and_read_back(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "我想反映个事": [cmd("start_flow", flow="complaint")],
            "包工头干完活就跑了，一分钱没结": [],
        },
        FakeEffects(meant="劳动保障"),
    )
    await conversation.start()
    await conversation.handle("我想反映个事")
    reply = said(await conversation.handle("包工头干完活就跑了，一分钱没结"))
    assert "哪一类" not in reply and "地址" in reply
    assert conversation.slots["category"] == "劳动保障"
    assert "包工头" in conversation.state.frame.evidence["category"]


async def test_survey_answer_volunteered_before_its_question_is_kept(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "是我": [cmd("affirm")],
            "你说吧，早就修好了": [cmd("affirm"), cmd("set_slot", slot="resolved", value="true")],
            "满意": [cmd("set_slot", slot="satisfaction", value="satisfied")],
            "没有": [cmd("dont_know")],
        },
        flow="survey",
        data={"contact_name": "刘女士", "ticket": "202611010001", "ticket_category": "物业"},
    )
    await conversation.start()
    await conversation.handle("是我")
    reply = said(await conversation.handle("你说吧，早就修好了"))
    assert "解决了吗" not in reply and "满意" in reply
    await conversation.handle("满意")
    await conversation.handle("没有")
    [recorded] = [e for e in conversation.take_events() if e["type"] == "survey_recorded"]
    survey = recorded["survey"]
    assert survey["resolved"] is True and survey["satisfaction"] == "satisfied"
    assert survey["evidence"]["resolved"] == "你说吧，早就修好了"
    assert survey["comment"] is None


async def test_survey_answers_given_before_the_callee_went_silent_are_kept(
    flow_set: FlowSet,
) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "是我": [cmd("affirm")],
            "方便": [cmd("affirm")],
            "解决了": [cmd("set_slot", slot="resolved", value="true")],
            "挺满意的": [cmd("set_slot", slot="satisfaction", value="satisfied")],
        },
        flow="survey",
        data={"contact_name": "刘女士", "ticket": "202611010001"},
    )
    await conversation.start()
    for line in ("是我", "方便", "解决了", "挺满意的"):
        await conversation.handle(line)
    for _ in range(3):  # the comment question is never answered: the bot says goodbye
        await conversation.silence()
    assert conversation.ended
    assert not [e for e in conversation.take_events() if e["type"] == "survey_recorded"]
    [recorded] = [e for e in await conversation.finish() if e["type"] == "survey_recorded"]
    survey = recorded["survey"]
    assert survey["resolved"] is True and survey["satisfaction"] == "satisfied"
    assert survey["evidence"] == {"resolved": "解决了", "satisfaction": "挺满意的"}
    assert survey["comment"] is None
    assert await conversation.finish() == []  # recorded once


async def test_a_survey_ended_before_any_answer_records_nothing(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set, {"是我": [cmd("affirm")]}, flow="survey", data={"ticket": "1"}
    )
    await conversation.start()
    await conversation.handle("是我")  # then the callee hangs up
    assert not [e for e in await conversation.finish() if e["type"] == "survey_recorded"]


@pytest.mark.parametrize(
    ("answer", "step"),
    [(cmd("relative"), "relative"), (cmd("deny"), "wrong_person")],
)
async def test_survey_identity_answers(flow_set: FlowSet, answer: Command, step: str) -> None:
    conversation, _, _ = session(
        flow_set,
        {"x": [answer]},
        flow="survey",
        data={"contact_name": "刘女士", "ticket": "1", "ticket_category": "物业"},
    )
    await conversation.start()
    await conversation.handle("x")
    events = conversation.take_events()
    assert {"type": "hangup", "step": step} in events
    assert not [e for e in events if e["type"] == "survey_recorded"]


async def test_busy_at_identity_asks_when_to_call_back(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "嗯 是 我在开会": [cmd("busy")],
            "下午三点": [cmd("set_slot", slot="callback_time", value="15:00")],
        },
        flow="survey",
        data={"contact_name": "陈女士", "ticket": "1", "ticket_category": "物业"},
    )
    await conversation.start()
    assert "什么时间" in said(await conversation.handle("嗯 是 我在开会"))
    await conversation.handle("下午三点")
    [recorded] = [e for e in conversation.take_events() if e["type"] == "survey_recorded"]
    assert recorded["survey"]["callback_time"] == "15:00"
    assert recorded["survey"]["resolved"] is None


async def test_possible_emergency_is_confirmed_once(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "楼下有人打架": [
                cmd("emergency", value="possible"),
                cmd("start_flow", flow="complaint"),
            ],
            "是的，打得很凶": [cmd("affirm")],
        },
    )
    await conversation.start()
    assert "紧急情况" in said(await conversation.handle("楼下有人打架"))
    await conversation.handle("是的，打得很凶")
    [transfer] = [e for e in conversation.take_events() if e["type"] == "transfer"]
    assert transfer["reason"] == "emergency"


async def test_possible_emergency_denied_goes_on_with_the_request(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "楼下有人打架吵得睡不着": [
                cmd("emergency", value="possible"),
                cmd("start_flow", flow="complaint"),
            ],
            "不是，就是吵": [cmd("deny")],
        },
    )
    await conversation.start()
    await conversation.handle("楼下有人打架吵得睡不着")
    await conversation.handle("不是，就是吵")
    assert conversation.flow == "complaint"


async def test_every_handover_is_announced_and_a_web_caller_gets_a_callback(
    flow_set: FlowSet,
) -> None:
    script = {"转人工": [cmd("request_human")]}
    phone, _, _ = session(flow_set, script)
    await phone.start()
    assert "转接人工" in said(await phone.handle("转人工"))
    web, _, effects = session(flow_set, script, data={"channel": "webrtc"})
    await web.start()
    reply = said(await web.handle("转人工"))
    assert "网页通话" in reply and "工单号" in reply
    assert effects.drafts[0].fields["description"].startswith("网页来电需人工处理")


async def test_follow_up_finds_the_callers_ticket_and_records_the_follow_up(
    flow_set: FlowSet,
) -> None:
    effects = FakeEffects()
    await effects.create_ticket(
        "old", WorkOrderDraft({"category": "物业管理", "contact_phone": "13800138000"}, {})
    )
    conversation, _, _ = session(
        flow_set,
        {
            "我上礼拜反映的电梯的事咋样了": [cmd("start_flow", flow="follow_up")],
            "不知道": [cmd("dont_know")],
        },
        effects,
    )
    await conversation.start()
    # found by the number the caller calls from: no question asked
    reply = said(await conversation.handle("我上礼拜反映的电梯的事咋样了"))
    assert "物业管理" in reply and "正在等待" in reply
    assert effects.follow_ups[0][0] == "202612020001"


async def test_follow_up_by_the_number_the_request_was_registered_with(
    flow_set: FlowSet,
) -> None:
    effects = FakeEffects()
    await effects.create_ticket(
        "old", WorkOrderDraft({"category": "城市供暖", "contact_phone": "13512345678"}, {})
    )
    opening = "我换了个手机打的 上回反映暖气不热那个事 登记的电话是13512345678 现在啥进度了"
    conversation, _, _ = session(
        flow_set,
        {
            opening: [
                cmd("start_flow", flow="follow_up"),
                cmd("set_slot", slot="registered_phone", value="13512345678"),
            ]
        },
        effects,
    )
    await conversation.start()
    assert "城市供暖" in said(await conversation.handle(opening))
    assert effects.follow_ups[0][0] == "202612020001"


async def test_a_slow_reader_is_acknowledged_before_it_answers(flow_set: FlowSet) -> None:
    understanding = ScriptedUnderstanding({}, slow=True)
    engine = FlowEngine(lambda: flow_set, lambda _: understanding, FakeEffects())
    conversation = engine.new_session("c", None)
    await conversation.start()
    heard: list[str] = []

    async def acknowledge(reply: Reply) -> None:
        heard.append(reply.text)

    await conversation.handle("嗯……", acknowledge=acknowledge)
    assert heard == ["好的。"]


@pytest.mark.parametrize(("reply", "yes"), [("对 就是这个", True), ("不是", False)])
async def test_a_probable_document_is_named_and_answered_on_a_yes(
    flow_set: FlowSet, reply: str, yes: bool
) -> None:
    question = "外地人在这边暂住要办个啥"
    conversation, _, _ = session(
        flow_set,
        {
            question: [cmd("ask_knowledge", question=question)],
            reply: [cmd("affirm" if yes else "deny")],
        },
    )
    await conversation.start()
    check = said(await conversation.handle(question))
    assert "《居住证办理指南》" in check and "答：" not in check
    answer = said(await conversation.handle(reply))
    answered = [e for e in conversation.state.events if e.type == "answer"]
    assert [e.grounded for e in answered] == [yes]  # type: ignore[attr-defined]
    if yes:
        assert answer.startswith("答：居住证")
    else:
        assert "转接人工" in answer


async def test_a_question_announced_is_asked_for(flow_set: FlowSet) -> None:
    conversation, _, _ = session(
        flow_set,
        {
            "我想问个事": [cmd("ask_knowledge", question="")],
            "居住证怎么办": [cmd("ask_knowledge", question="居住证怎么办")],
        },
    )
    await conversation.start()
    assert "想咨询什么" in said(await conversation.handle("我想问个事"))
    assert said(await conversation.handle("居住证怎么办")).startswith("答：居住证怎么办")


async def test_an_optional_question_not_answered_is_not_pressed(flow_set: FlowSet) -> None:
    opening = "楼下烧烤店油烟太大，在南山区科技园路18号"
    conversation, _, _ = session(
        flow_set,
        {
            opening: [
                cmd("start_flow", flow="complaint"),
                cmd("set_slot", slot="address", value="南山区科技园路18号"),
            ],
            "对 没错": [cmd("affirm")],
        },
    )
    await conversation.start()
    assert "什么时间" in said(await conversation.handle(opening))
    reply = said(await conversation.handle("对 没错"))
    assert "什么时间" not in reply and "称呼" in reply
    assert conversation.slots["time"] is None


async def test_a_phone_number_typed_on_the_keypad_ends_with_hash(flow_set: FlowSet) -> None:
    opening = PHONE_LAST
    conversation, _, _ = session(
        flow_set,
        {
            opening: OPENING_BUT_THE_PHONE,
            "13912345678": [cmd("set_slot", slot="contact_phone", value="13912345678")],
        },
    )
    await conversation.start()
    assert "按井号键结束" in said(await conversation.handle(opening))
    for key in "1391234567":
        assert await conversation.handle_dtmf(key) == []  # still typing: nothing said
    assert "核对" in said(await conversation.handle_dtmf("8#"))
    assert conversation.slots["contact_phone"] == "13912345678"


async def test_a_name_withheld_in_the_opening_is_not_asked_for(flow_set: FlowSet) -> None:
    opening = "我反映个事 名字就不说了 南山区科技园路18号 烧烤店油烟太大 晚上最严重"
    conversation, _, _ = session(
        flow_set,
        {
            opening: [
                cmd("start_flow", flow="complaint"),
                cmd("set_slot", slot="address", value="南山区科技园路18号"),
                cmd("set_slot", slot="time", value="晚上"),
            ],
        },
    )
    await conversation.start()
    assert "电话" in said(await conversation.handle(opening))
    assert conversation.slots["contact_name"] is None
    assert "名字" not in conversation.slots["description"]


async def test_a_time_given_to_another_question_stays_out_of_the_account(
    flow_set: FlowSet,
) -> None:
    opening = "村西头有人养了一百多条狗 一宿一宿的"
    conversation, _, _ = session(
        flow_set,
        {
            opening: [cmd("start_flow", flow="complaint")],
            "天天晚上": [cmd("set_slot", slot="time", value="天天晚上")],
        },
    )
    await conversation.start()
    assert "哪一类" in said(await conversation.handle(opening))
    await conversation.handle("天天晚上")
    assert conversation.slots["time"] == "天天晚上"
    assert conversation.slots["description"] == "村西头有人养了一百多条狗 一宿一宿的"


async def test_an_emergency_meant_in_other_words_is_checked_once(flow_set: FlowSet) -> None:
    opening = "就是觉得活着没劲 药我攒了一瓶"
    conversation, _, _ = session(
        flow_set,
        {opening: [cmd("start_flow", flow="complaint")], "是真的": [cmd("affirm")]},
    )
    await conversation.start()
    assert "紧急情况" in said(await conversation.handle(opening))
    assert "转接" in said(await conversation.handle("是真的"))


async def test_this_number_as_the_phone_is_no_emergency(flow_set: FlowSet) -> None:
    # the fake reads "攒了一瓶" as an emergency: an answer naming this number is not read
    conversation, _, _ = session(flow_set, {"我要反映个事": [cmd("start_flow", flow="complaint")]})
    await conversation.start()
    await conversation.handle("我要反映个事")
    assert "紧急" not in said(await conversation.handle("就打我现在这个手机就行 攒了一瓶"))


async def test_a_phone_number_said_in_two_turns_is_joined(flow_set: FlowSet) -> None:
    opening = PHONE_LAST
    conversation, _, _ = session(
        flow_set,
        {
            opening: OPENING_BUT_THE_PHONE,
            "13912345678 后面是 五六七八": [
                cmd("set_slot", slot="contact_phone", value="13912345678")
            ],
        },
    )
    await conversation.start()
    await conversation.handle(opening)
    # the first digits and a pause: the bot lets the caller go on, without a re-ask
    assert said(await conversation.handle("幺三九 幺二三四")) == "好的，您接着说。"
    assert "核对" in said(await conversation.handle("后面是 五六七八"))
    assert conversation.slots["contact_phone"] == "13912345678"


async def test_survey_answers_by_key_are_recorded_with_the_key_as_evidence(
    flow_set: FlowSet,
) -> None:
    conversation, _, _ = session(
        flow_set,
        {"是我": [cmd("affirm")], "方便": [cmd("affirm")], "没有": [cmd("dont_know")]},
        flow="survey",
        data={"contact_name": "刘女士", "ticket": "202611010001", "ticket_category": "物业"},
    )
    await conversation.start()
    await conversation.handle("是我")
    assert "已解决请按1" in said(await conversation.handle("方便"))
    assert "满意请按1" in said(await conversation.handle_dtmf("1"))
    await conversation.handle_dtmf("2")
    await conversation.handle("没有")
    [recorded] = [e for e in conversation.take_events() if e["type"] == "survey_recorded"]
    survey = recorded["survey"]
    assert (survey["resolved"], survey["satisfaction"]) == (True, "basically_satisfied")
    assert survey["evidence"]["satisfaction"] == "按键2（基本满意）"


async def test_a_screening_assistant_answering_is_no_survey(flow_set: FlowSet) -> None:
    """What a machine says ("好的" to the identity question) is never kept as an answer."""
    conversation, _, _ = session(
        flow_set,
        {
            "好的": [cmd("affirm")],
            "您好 我是机主的来电助理 请问您有什么事": [cmd("machine")],
        },
        flow="survey",
        data={"contact_name": "刘女士", "ticket": "1"},
    )
    await conversation.start()
    await conversation.handle("好的")
    reply = said(await conversation.handle("您好 我是机主的来电助理 请问您有什么事"))
    assert "稍后再与机主联系" in reply and conversation.ended
    events = conversation.take_events() + await conversation.finish()
    assert {"type": "hangup", "step": "machine"} in events
    assert not [e for e in events if e["type"] == "survey_recorded"]


def test_a_closed_answer_read_unasked_needs_the_callers_words(flow_set: FlowSet) -> None:
    """A reader's resolution for a turn that answered when to call back is not stored; the
    same value given to its own question is."""
    resolved = [cmd("set_slot", slot="resolved", value="false")]
    frame = FlowFrame(flow_set.flows["survey"])
    today = dt.date(2026, 12, 2)
    assert not store_values(frame, resolved, "明天上午吧", today, awaited="callback_time")
    assert store_values(frame, resolved, "唉 别提了 跟以前一样", today, awaited="resolved")
    assert frame.slots["resolved"] is False


def checking_session(
    flow_set: FlowSet, script: dict[str, list[Command]], **kwargs: Any
) -> tuple[FlowSession, FakeEffects]:
    """A session whose numbers and addresses heard below 0.6 confidence are said back."""
    effects = FakeEffects()
    engine = FlowEngine(
        lambda: flow_set,
        lambda _: ScriptedUnderstanding(script),
        effects,
        today=lambda: dt.date(2026, 12, 2),
        check_below=0.6,
    )
    return engine.new_session("call-1", "13800138000", **kwargs), effects


ADDRESS_SCRIPT = {
    "路灯坏了": [cmd("start_flow", flow="complaint")],
    "南山区科技园路18号": [cmd("set_slot", slot="address", value="南山区科技园路18号")],
    "南山区科技园路16号": [cmd("set_slot", slot="address", value="南山区科技园路16号")],
    "对": [cmd("affirm")],
    "不对": [cmd("deny")],
    "不对，是16号": [cmd("deny"), cmd("correct_slot", slot="address", value="是16号")],
}


async def test_an_address_heard_unsure_is_said_back_and_kept_on_yes(flow_set: FlowSet) -> None:
    conversation, _ = checking_session(flow_set, ADDRESS_SCRIPT)
    await conversation.start()
    await conversation.handle("路灯坏了")
    reply = said(await conversation.handle("南山区科技园路18号", confidence=0.41))
    assert "确认一下" in reply and "南山区科技园路18号" in reply
    assert "什么时间" not in reply  # nothing else is asked before the check is settled
    reply = said(await conversation.handle("对", confidence=0.9))
    assert "什么时间" in reply
    assert conversation.slots["address"] == "南山区科技园路18号"


async def test_a_value_heard_unsure_and_denied_is_asked_again(flow_set: FlowSet) -> None:
    conversation, _ = checking_session(flow_set, ADDRESS_SCRIPT)
    await conversation.start()
    await conversation.handle("路灯坏了")
    await conversation.handle("南山区科技园路18号", confidence=0.41)
    reply = said(await conversation.handle("不对", confidence=0.9))
    assert "address" not in conversation.slots and "地址" in reply
    reply = said(await conversation.handle("南山区科技园路16号", confidence=0.85))
    assert "什么时间" in reply  # heard clearly this time: no second check
    assert conversation.slots["address"] == "南山区科技园路16号"


async def test_the_right_value_said_to_a_check_replaces_the_misheard_one(
    flow_set: FlowSet,
) -> None:
    conversation, _ = checking_session(flow_set, ADDRESS_SCRIPT)
    await conversation.start()
    await conversation.handle("路灯坏了")
    await conversation.handle("南山区科技园路18号", confidence=0.41)
    reply = said(await conversation.handle("不对，是16号", confidence=0.9))
    assert "已为您更正" in reply and "什么时间" in reply
    assert conversation.slots["address"] == "南山区科技园路16号"


async def test_values_heard_clearly_typed_or_from_caller_id_are_not_said_back(
    flow_set: FlowSet,
) -> None:
    script = {
        **ADDRESS_SCRIPT,
        "电话13912345678，路灯坏了": [
            cmd("start_flow", flow="complaint"),
            cmd("set_slot", slot="contact_phone", value="13912345678"),
        ],
        "就打我这个电话，路灯坏了": [cmd("start_flow", flow="complaint")],
    }
    for opening, confidence in (
        ("电话13912345678，路灯坏了", 0.8),  # heard clearly
        ("电话13912345678，路灯坏了", None),  # typed (the web chat) or keyed
        ("就打我这个电话，路灯坏了", 0.3),  # the number is the caller's own, not heard
    ):
        conversation, _ = checking_session(flow_set, script)
        await conversation.start()
        reply = said(await conversation.handle(opening, confidence=confidence))
        assert "确认一下" not in reply and "地址" in reply, opening
        assert conversation.slots["contact_phone"] in ("13912345678", "13800138000")


async def test_a_number_heard_unsure_in_the_opening_is_said_back_digit_by_digit(
    flow_set: FlowSet,
) -> None:
    opening = "电话13912345678，路灯坏了"
    script = {
        opening: [
            cmd("start_flow", flow="complaint"),
            cmd("set_slot", slot="contact_phone", value="13912345678"),
        ],
        "对": [cmd("affirm")],
    }
    conversation, _ = checking_session(flow_set, script)
    await conversation.start()
    reply = said(await conversation.handle(opening, confidence=0.35))
    assert "幺三九幺二三四五六七八" in reply and "地址" not in reply
    assert "地址" in said(await conversation.handle("对", confidence=0.9))


async def test_a_rating_heard_unsure_is_said_back_and_the_callee_corrects_it(
    flow_set: FlowSet,
) -> None:
    conversation, _ = checking_session(
        flow_set,
        {
            "是我": [cmd("affirm")],
            "方便": [cmd("affirm")],
            "解决了": [cmd("set_slot", slot="resolved", value="true")],
            "满意": [cmd("set_slot", slot="satisfaction", value="satisfied")],
            "不对，我是说不满意": [
                cmd("deny"),
                cmd("correct_slot", slot="satisfaction", value="dissatisfied"),
            ],
        },
        flow="survey",
        data={"contact_name": "刘女士", "ticket": "202611010001"},
    )
    await conversation.start()
    for line in ("是我", "方便", "解决了"):
        await conversation.handle(line, confidence=0.9)
    reply = said(await conversation.handle("满意", confidence=0.45))  # 不满意, heard unsure
    assert "是满意，对吗" in reply and "意见" not in reply
    reply = said(await conversation.handle("不对，我是说不满意", confidence=0.8))
    assert "已为您更正" in reply and "意见" in reply
    [recorded] = [e for e in await conversation.finish() if e["type"] == "survey_recorded"]
    assert recorded["survey"]["satisfaction"] == "dissatisfied"
    assert recorded["survey"]["evidence"]["satisfaction"] == "不对，我是说不满意"


async def test_an_address_given_instead_of_answering_the_emergency_check_is_still_checked(
    flow_set: FlowSet,
) -> None:
    conversation, _ = checking_session(
        flow_set,
        {
            "楼下有人打架吵得睡不着": [
                cmd("emergency", value="possible"),
                cmd("start_flow", flow="complaint"),
            ],
            "南山区科技园路18号": [cmd("set_slot", slot="address", value="南山区科技园路18号")],
        },
    )
    await conversation.start()
    await conversation.handle("楼下有人打架吵得睡不着", confidence=0.9)
    reply = said(await conversation.handle("南山区科技园路18号", confidence=0.4))
    assert conversation.flow == "complaint"
    assert "确认一下" in reply and "南山区科技园路18号" in reply
