"""Local understanding: caller words → commands, in the context of what the bot asked."""

import datetime as dt
from pathlib import Path

import pytest

from bot.dialogue.commands import Command
from bot.dialogue.llm_understanding import LLMUnderstanding
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


def slot_expectation(flow_set: FlowSet, flow: str, slot: str, **filled: str) -> Expectation:
    slots = flow_set.flows[flow].slots
    return Expectation(
        "slot",
        flow,
        slot,
        slots[slot],
        {n: s for n, s in slots.items() if n not in filled},
        filled=dict(filled),
        filled_slots={n: slots[n] for n in filled},
    )


def read_back(flow_set: FlowSet, **filled: str) -> Expectation:
    slots = flow_set.flows["complaint"].slots
    return Expectation(
        "confirm",
        "complaint",
        filled=dict(filled),
        filled_slots={n: slots[n] for n in filled},
        read_back=True,
    )


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("我要投诉小区物业不管事", Command(kind="start_flow", flow="complaint")),
        ("我家暖气一点都不热", Command(kind="start_flow", flow="complaint")),
        ("老板拖欠我们三个月工资了", Command(kind="start_flow", flow="complaint")),
        (
            "二手房过户要交多少税呢",
            Command(kind="ask_knowledge", question="二手房过户要交多少税呢"),
        ),
        ("我上礼拜反映的电梯的事咋样了", Command(kind="start_flow", flow="follow_up")),
        ("麻烦帮我转一下人工", Command(kind="request_human")),
        ("好的谢谢再见", Command(kind="goodbye")),
        # "几个月" asks how many; "好几天" in a story does not
        (
            "公司裁员把我裁了 失业金能领几个月啊",
            Command(kind="ask_knowledge", question="公司裁员把我裁了 失业金能领几个月啊"),
        ),
        ("我们小区的垃圾桶都满出来了 好几天没人拉", Command(kind="start_flow", flow="complaint")),
        # unpaid work told as a story with "咋整": a problem to report, not a policy question
        (
            "俺这事儿不知道咋整 老板一分钱没给 人都找不着了",
            Command(kind="start_flow", flow="complaint"),
        ),
    ],
)
def test_menu_routing(local: LocalUnderstanding, text: str, command: Command) -> None:
    assert local.read(text, Expectation("menu", "main")) == [command]


@pytest.mark.parametrize(
    "text", ["我家着火了快来人", "我闻到好大的煤气味", "活着没意思不想活了", "我老公在打我"]
)
def test_emergencies_in_plain_words(local: LocalUnderstanding, text: str) -> None:
    assert local.read(text, Expectation("menu", "main")) == [
        Command(kind="emergency", value="certain")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "我们家附近有个厂子 烟囱天天冒黑烟 阳台晒的衣服都黑了",
        # as Whisper base heard it on a real call: 烟囱 → 烟,聪
        "我们家附近有个厂子烟,聪天天冒黑烟洋台帅的衣服都黑了",
    ],
)
def test_smoke_from_a_chimney_is_pollution_not_fire(local: LocalUnderstanding, text: str) -> None:
    assert local.read(text, Expectation("menu", "main")) == [
        Command(kind="start_flow", flow="complaint")
    ]


@pytest.mark.parametrize(
    ("text", "slot", "old", "new"),
    [
        ("不对不对 是102号 不是120号", "address", "建设大街120号楼下", "建设大街102号楼下"),
        ("电话记错了 不是八八八八 是八八九九", "contact_phone", "13666668888", "13666668899"),
    ],
)
def test_a_correction_naming_wrong_and_right_words_while_asked_something_else(
    local: LocalUnderstanding, flow_set: FlowSet, text: str, slot: str, old: str, new: str
) -> None:
    expectation = slot_expectation(flow_set, "complaint", "time", **{slot: old})
    assert local.read(text, expectation) == [Command(kind="correct_slot", slot=slot, value=new)]


def test_a_possible_emergency_is_flagged_not_acted_on(local: LocalUnderstanding) -> None:
    commands = local.read("楼下有人打架", Expectation("menu", "main"))
    assert Command(kind="emergency", value="possible") in commands


def test_my_number_is_not_violence(local: LocalUnderstanding, flow_set: FlowSet) -> None:
    expectation = slot_expectation(flow_set, "complaint", "contact_phone")
    assert not any(c.kind == "emergency" for c in local.read("就打我现在这个号", expectation))


def test_several_facts_in_one_answer(local: LocalUnderstanding, flow_set: FlowSet) -> None:
    expectation = slot_expectation(flow_set, "complaint", "address")
    commands = local.read("在南山区科技园路18号，我姓李，电话13800138000", expectation)
    assert Command(kind="set_slot", slot="address", value="南山区科技园路18号") in commands
    assert Command(kind="set_slot", slot="contact_name", value="李") in commands
    assert Command(kind="set_slot", slot="contact_phone", value="13800138000") in commands


def test_a_phone_number_is_not_a_time_and_yes_is_not_a_name(
    local: LocalUnderstanding, flow_set: FlowSet
) -> None:
    at_time = local.read("13912345678", slot_expectation(flow_set, "complaint", "time"))
    assert [c.slot for c in at_time] == ["contact_phone"]
    assert local.read("是的", slot_expectation(flow_set, "complaint", "contact_name")) == []


def test_dont_know_for_an_optional_slot(local: LocalUnderstanding, flow_set: FlowSet) -> None:
    commands = local.read("记不清了", slot_expectation(flow_set, "complaint", "time"))
    assert commands == [Command(kind="dont_know")]


def test_readback_answers(local: LocalUnderstanding, flow_set: FlowSet) -> None:
    expectation = read_back(flow_set, address="东城区和平路21号", contact_phone="13655551234")
    assert local.read("对的，没错", expectation) == [Command(kind="affirm")]
    assert local.read("没别的了", expectation) == []  # neither yes nor no
    assert local.read("不对，门牌是12号不是21号", expectation) == [
        Command(kind="deny"),
        Command(kind="correct_slot", slot="address", value="东城区和平路12号"),
    ]
    assert Command(kind="clear_slot", slot="contact_phone") in local.read("电话不对", expectation)


def test_consent_in_everyday_words_and_volunteered_answers(
    local: LocalUnderstanding, flow_set: FlowSet
) -> None:
    slots = flow_set.flows["survey"].slots
    consent = Expectation("confirm", "survey", open_slots=dict(slots))
    assert local.read("你问吧", consent) == [Command(kind="affirm")]
    assert local.read("早就修好了", consent) == [
        Command(kind="affirm"),
        Command(kind="set_slot", slot="resolved", value="true"),
    ]
    assert local.read("我在开车 晚点再打", consent) == [Command(kind="busy")]
    # busy in other words: no "no" to the identity, no yes to the survey
    assert local.read("嗯 是我 我这上班呢 没法说", consent) == [Command(kind="busy")]
    assert local.read("哎呀我这正吃饭呢 你半个小时以后再打吧", consent) == [Command(kind="busy")]
    assert local.read("他不在家 我是他老伴", consent) == [Command(kind="relative")]
    assert local.read("你打错了", consent) == [Command(kind="deny")]


def test_fast_path_certainty_is_per_extractor(local: LocalUnderstanding, flow_set: FlowSet) -> None:
    phone = slot_expectation(flow_set, "complaint", "contact_phone")
    address = slot_expectation(flow_set, "complaint", "address")
    assert local.certain("13912345678", phone, local.read("13912345678", phone))
    said = "在南山区科技园路18号"
    assert local.certain(said, address, local.read(said, address))  # the answer is the value
    story = "在南山区科技园路18号 那家饭店天天晚上吵到两三点 谁也睡不着"
    assert not local.certain(story, address, local.read(story, address))  # more was said
    menu = Expectation("menu", "main")
    assert local.certain("我想反映个事", menu, local.read("我想反映个事", menu))  # a flow example
    guess = "对门邻居养了条大狗 天天晚上叫"  # no cue: taken as a problem, but only a guess
    assert not local.certain(guess, menu, local.read(guess, menu))
    assert local.certain("转人工", menu, local.read("转人工", menu))


@pytest.mark.parametrize(
    "text",
    [
        "我那个社保卡掉了 在咱们这能补不",  # a clause ending in 不
        "公积金是不是得先开个证明",  # A-not-A
        "孩子上学报名得上哪报去",  # 哪
        "我想问个事 居住证过期了还管用不",
    ],
)
def test_colloquial_questions_go_to_the_knowledge_base(
    local: LocalUnderstanding, text: str
) -> None:
    assert local.route(text).kind == "ask_knowledge"


def test_nothing_more_after_a_task_ends_the_call(local: LocalUnderstanding) -> None:
    after_task = Expectation("menu", "main", anything_else=True)
    for text in ("嗯 那行 没别的事了", "好嘞 明白了 谢谢你啊", "就这些 麻烦你了"):
        assert local.read(text, after_task) == [Command(kind="goodbye")], text
        assert local.certain(text, after_task, [Command(kind="goodbye")]), text
    assert local.read("谢谢 另外我还想问下公积金咋提", after_task)[0].kind == "ask_knowledge"


def test_no_more_declines_an_offer_but_thanks_alone_does_not(local: LocalUnderstanding) -> None:
    offer = Expectation("confirm", "policy_qa", prompt="需要为您转接人工客服吗？")
    assert local.read("好 我清楚了 不用了", offer) == [Command(kind="deny")]
    thanks = local.read("好的 谢谢", offer)
    assert Command(kind="affirm") in thanks and Command(kind="deny") not in thanks


@pytest.mark.parametrize(
    "text", ["机器说不明白 你让值班的人来接", "有没有真人啊 我跟机器说不清", "你给我换个人"]
)
def test_a_person_asked_for_in_plain_words(local: LocalUnderstanding, text: str) -> None:
    assert Command(kind="request_human") in local.read(text, Expectation("menu", "main"))


def test_a_question_announced_but_not_asked(local: LocalUnderstanding) -> None:
    assert local.route("喂 您好 我想咨询个问题") == Command(kind="ask_knowledge", question="")
    assert local.route("我想问下居住证咋办").question == "我想问下居住证咋办"


@pytest.mark.parametrize(
    "text", ["她是我妈 这两天住院了 你过阵子再打吧", "他是我家老爷子 出门遛弯去了"]
)
def test_a_relative_answering_for_the_callee(
    local: LocalUnderstanding, flow_set: FlowSet, text: str
) -> None:
    consent = Expectation("confirm", "survey", prompt="请问您是王建国吗？")
    assert local.read(text, consent)[0] == Command(kind="relative")


@pytest.mark.parametrize("text", ["河沟里全是死鱼 臭得要死", "那味儿熏得要命"])
def test_figures_of_speech_and_dead_fish_are_no_emergency(
    local: LocalUnderstanding, text: str
) -> None:
    assert not any(c.kind == "emergency" for c in local.read(text, Expectation("menu", "main")))


def test_a_hesitation_inside_an_answer_is_no_yes(local: LocalUnderstanding) -> None:
    check = Expectation("confirm", "complaint", prompt="请问现在是否有人身安全危险？")
    assert local.read("在南城区 嗯 具体哪条街我想想", check) == []


@pytest.mark.parametrize("text", ["快来人 我家厨房着伙了", "楼道里一股没气泄露的味"])
def test_a_misheard_emergency_is_asked_about_not_filed(
    local: LocalUnderstanding, text: str
) -> None:
    commands = local.read(text, Expectation("menu", "main"))
    assert commands[0].kind == "emergency" and commands[0].value in ("possible", "certain")


def test_a_misheard_request_for_a_person(local: LocalUnderstanding) -> None:
    assert Command(kind="request_human") in local.read("帮我转人公", Expectation("menu", "main"))


class CountingLLM:
    """An LLM client that answers nothing useful and counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def json_completion(self, system: str, user: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        self.asked.append(user)
        return {"c": []}


@pytest.mark.parametrize(("consult", "asked"), [("unsure", 2), ("stuck", 1)])
async def test_the_llm_reads_only_the_turns_the_rules_cannot(
    local: LocalUnderstanding, flow_set: FlowSet, consult: str, asked: int
) -> None:
    client = CountingLLM()
    reader = LLMUnderstanding(client, local, flow_set, consult)  # type: ignore[arg-type]
    menu = Expectation("menu", "main")
    await reader.understand("转人工", menu)  # certain: never asked
    await reader.understand("我那个事吧一直没个说法", menu)  # only a guess: a complaint?
    name = slot_expectation(flow_set, "complaint", "contact_name")
    await reader.understand("叫我老周吧 周围的周", name)  # read, not certain
    assert local.stuck("我那个事吧一直没个说法", menu, local.read("我那个事吧一直没个说法", menu))
    assert len(client.asked) == asked


@pytest.mark.parametrize(
    "text",
    [
        "您好 我是机主的智能来电助理 请问您是哪里",
        "您拨打的用户暂时无法接听 请在提示音后留言",
        "欢迎致电宏达公司 查号请按零",
    ],
)
def test_machines_answering_are_heard(local: LocalUnderstanding, text: str) -> None:
    assert Command(kind="machine") in local.global_commands(text)


@pytest.mark.parametrize("text", ["喂 哪位", "是我 你说吧", "我是他闺女 他不在家", "我在开车"])
def test_people_answering_are_no_machine(local: LocalUnderstanding, text: str) -> None:
    assert Command(kind="machine") not in local.global_commands(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("好的好的 没事了", "affirm"),
        ("哦 半年是吧 行 没事了", "affirm"),
        ("明白了 就这些", "affirm"),
        ("不是 我问的是补办", "deny"),
    ],
)
def test_an_acknowledgement_takes_the_document_offered(
    local: LocalUnderstanding, text: str, kind: str
) -> None:
    check = Expectation(
        "confirm", "main", prompt="您是想了解《居住证办理指南》里的规定吗？", document_check=True
    )
    assert kind in {command.kind for command in local.read(text, check)}


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("对 我现在就在她门口 还是一点动静都没有", ["affirm"]),
        ("嗯 是真的 我没开玩笑", ["affirm"]),
        ("没有没有 就是井盖没了", ["deny"]),
        ("经开区 黄河路跟珠江路路口", []),  # the place given instead: asked again
    ],
)
def test_only_a_plain_no_to_the_emergency_check_is_no(
    local: LocalUnderstanding, text: str, kinds: list[str]
) -> None:
    check = Expectation(
        "confirm", "main", prompt="请问现在是否有人身安全危险？", emergency_check=True
    )
    assert [command.kind for command in local.read(text, check)] == kinds


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("我跟你这个机器说不明白 你让你们那边的工作人员来听电话吧", Command(kind="request_human")),
        (
            "你们这热线就是个摆设 打了四回了 拿老百姓耍猴呢是吧",
            Command(kind="escalate", value="anger"),
        ),
    ],
)
def test_a_person_asked_for_and_anger_in_everyday_words(
    local: LocalUnderstanding, text: str, command: Command
) -> None:
    assert command in local.read(text, Expectation("menu", "main"))


def test_a_value_called_right_is_not_cleared(local: LocalUnderstanding, flow_set: FlowSet) -> None:
    expectation = read_back(
        flow_set, address="望江区滨河路创业大厦9楼", contact_phone="18600327571"
    )
    commands = local.read("地址对 电话不对 尾号是七五幺七 不是七五七幺", expectation)
    assert Command(kind="correct_slot", slot="contact_phone", value="18600327517") in commands
    assert not any(c.kind == "clear_slot" and c.slot == "address" for c in commands)
