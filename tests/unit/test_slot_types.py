"""Each slot type: what it reads from caller words, what it refuses, how it says values."""

import datetime as dt

import pytest

from bot.dialogue.slot_types import SLOT_TYPES
from bot.dialogue.slot_types.account import account_clauses
from bot.dialogue.slot_types.address import corrected_address
from bot.dialogue.slot_types.base import final_words
from bot.dialogue.slot_types.phone import corrected_phone
from bot.flows.model import Slot

TODAY = dt.date(2026, 12, 2)


def slot(kind: str, **extra: object) -> Slot:
    return Slot(type=kind, ask="", **extra)  # type: ignore[arg-type]


def extract(kind: str, text: str, **extra: object) -> object:
    return SLOT_TYPES[kind].extract(text, slot(kind, **extra), TODAY)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我姓陈", "陈"),
        ("免贵姓欧阳", "欧阳"),
        ("王女士", "王女士"),
        ("叫我小李就行", "小李"),
        ("我叫王强电话13912345678", "王强"),
        ("免贵姓白 白雪的白 白建华", "白建华"),
        ("是的", None),
        ("不知道", None),
        ("我是他老婆", None),
    ],
)
def test_names_are_people_to_address(text: str, name: str | None) -> None:
    assert extract("person_name", text) == name


def test_a_bare_word_is_a_name_only_when_asked() -> None:
    kind, person = SLOT_TYPES["person_name"], slot("person_name")
    assert kind.extract("张伟", person, TODAY) == "张伟"
    assert kind.volunteered_value("张伟", person, TODAY) is None
    assert kind.volunteered_value("在南山区 我姓张", person, TODAY) == "张"


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("每天晚上十点以后", "每天晚上十点以后"),
        ("13912345678", None),
        ("是的", None),
        ("门牌是12号", None),
        ("刚才名字没说全 我叫方大勇", None),  # 刚才 of the talk, not of the problem
        ("半夜 一两点还在叫", "半夜 一两点还在叫"),
        ("半个多月了", "半个多月了"),  # since when
    ],
)
def test_a_time_is_only_words_about_time(text: str, when: str | None) -> None:
    assert extract("when", text) == when


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("在南山区科技园路21号", "南山区科技园路21号"),
        ("东城区 建设路 一百零八号 二单元", "东城区建设路108号2单元"),
        ("电梯老坏，爬不动楼，我住金色港湾3栋", "金色港湾3栋"),
        ("晚上走路的时候看不见", None),
        ("那个18路公交车不停", None),
    ],
)
def test_addresses_are_places_with_names(text: str, address: str | None) -> None:
    assert extract("address", text) == address


def test_a_direct_answer_naming_a_place_is_the_address() -> None:
    kind, place = SLOT_TYPES["address"], slot("address")
    assert kind.answer_value("南湖区 地铁湖滨站 B口", place, TODAY) == "南湖区地铁湖滨站B口"
    assert kind.answer_value("啥时候都有 晚上最厉害", place, TODAY) is None


@pytest.mark.parametrize(
    ("old", "correction", "new"),
    [
        ("东城区和平路21号门口", "不对 门牌是12号不是21号", "东城区和平路12号门口"),
        ("高新区康乐路30号", "是康宁路 不是康乐路 我说错了", "高新区康宁路30号"),
        ("城北区新城小区6号楼", "不对 是新城家园 不是新城小区", "城北区新城家园6号楼"),
        ("福田区梅林一村12栋", "不对，是13栋", "福田区梅林一村13栋"),
        ("福田区梅林一村12栋", "对的没错", None),
    ],
)
def test_a_corrected_part_replaces_the_same_part(old: str, correction: str, new: str) -> None:
    assert corrected_address(old, correction) == new


def test_what_the_caller_takes_back_is_not_read() -> None:
    assert "21" not in final_words("门牌是12号不是21号")
    assert (
        final_words("电话 幺三六 二二二二 哦不对 是 幺三六 二二三三").strip()
        == "是 幺三六 二二三三"
    )


def test_the_account_leaves_out_openers_and_contact_details() -> None:
    said = "喂你好 我要投诉 楼上那家天天半夜用电钻 我姓李 电话13912345678"
    assert account_clauses(said) == ["楼上那家天天半夜用电钻"]
    assert account_clauses("我想反映个事") == []
    assert account_clauses("是的没错") == []


def test_resolution_said_unasked_needs_words_about_the_problem() -> None:
    kind, resolved = SLOT_TYPES["resolution"], slot("resolution")
    assert kind.volunteered_value("早就修好了", resolved, TODAY) is True
    assert kind.volunteered_value("方便 暖气早就热乎了 挺满意的", resolved, TODAY) is True
    assert kind.volunteered_value("路灯到现在还不亮", resolved, TODAY) is False
    assert kind.volunteered_value("是的", resolved, TODAY) is None
    assert kind.extract("是的", resolved, TODAY) is True  # asked directly, a yes answers it


def test_llm_values_must_be_the_callers_words() -> None:
    phone, address = SLOT_TYPES["phone"], SLOT_TYPES["address"]
    said = "我电话是幺三九 一二三四 五六七八"
    assert phone.validate("13912345678", slot("phone"), said, TODAY) == "13912345678"
    assert phone.validate("13900000000", slot("phone"), said, TODAY) is None
    assert address.validate("南山区科技园路18号", slot("address"), "在福田区", TODAY) is None
    assert (
        SLOT_TYPES["satisfaction"].validate("satisfied", slot("satisfaction"), "不满意", TODAY)
        is None
    )


def test_enum_reads_the_first_named_value_and_accepts_only_what_the_words_name() -> None:
    category = slot("enum", values={"噪音扰民": ["吵"], "环境卫生": ["油烟"]}, fallback=None)
    kind = SLOT_TYPES["enum"]
    assert kind.extract("油烟大，还吵", category, TODAY) == "环境卫生"
    assert kind.validate("噪音扰民", category, "就是吵得慌", TODAY) == "噪音扰民"
    assert kind.validate("噪音扰民", category, "在南湖区体育中心", TODAY) is None
    assert kind.validate("交通出行", category, "随便什么", TODAY) is None


def test_spoken_forms() -> None:
    assert SLOT_TYPES["phone"].spoken("13912345678", slot("phone")) == "幺三九幺二三四五六七八"
    assert SLOT_TYPES["resolution"].spoken(False, slot("resolution")) == "未解决"
    assert SLOT_TYPES["ticket_number"].spoken("T1", slot("ticket_number")) == "T幺"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # said in pieces with pauses: every piece that goes on describing the place
        ("东城区 光明路 百货大楼后面那个院", "东城区光明路百货大楼后面那个院"),
        # the name and the number said after it are not part of it
        ("在西湖区文一路88号 我姓钱 电话13912345678", "西湖区文一路88号"),
        # the story after the place is not part of it
        ("城南区 解放路 公交站 广告牌歪了快掉下来了", "城南区解放路公交站"),
        # a time span is no place ("两个月小区")
        ("物业费晚交了两个月小区就停了我的卡", None),
        # the story starts where someone is there: "有人养了…" is no part of the place
        ("经开区 张庄村 村西头有人养了一百多条狗 狗叫得一宿一宿的", "经开区张庄村村西头"),
        # the district and the area the caller is from, then the street
        (
            "我是盐田区沙头角这边的 海山路 东和花园门口 顶棚叫风刮掉了一半",
            "盐田区沙头角海山路东和花园门口",
        ),
        # what was said before the place, up to a pause, is no part of it
        (
            "我姓毛 电话13567891234 东城区人民路50号门口那块路挖开了半个月了",
            "东城区人民路50号门口那块路",
        ),
        ("昨晚刮大风 南湖区 梧桐路 二十号那里一棵大树倒了 把路全拦住了", "南湖区梧桐路20号"),
        ("工地在经开区创业大道99号 我叫王强 电话一五零 一二三四 八八九九", "经开区创业大道99号"),
        # the place up to the first word no address holds
        ("凤栖区樟木街 双井巷 就巷子口那一块", "凤栖区樟木街双井巷就巷子口那一块"),
        (
            "石桥区纺机路跟白鹭二街那个十字路口往东一点 路当间那个圆铁盖子没了",
            "石桥区纺机路跟白鹭二街",
        ),
        # the district said right before the place found
        ("桐湾区文化宫广场旁边 一个二楼的门面 叫什么康 记不住了", "桐湾区文化宫广场旁边一个2楼"),
        # a date's 号 is no house number
        (
            "凤栖区枫林湾小区3号楼1101的 我家暖气从十一月十五号开始就不热",
            "凤栖区枫林湾小区3号楼1101",
        ),
        # a trailing 的 is no part of the place
        ("我是龙岗区布吉街道 吉华路丹竹头花园8栋的 我姓宁", "龙岗区布吉街道吉华路丹竹头花园8栋"),
    ],
)
def test_an_address_said_in_pieces(text: str, address: str | None) -> None:
    assert extract("address", text) == address


def test_place_names_name_no_category() -> None:
    categories = slot("enum", values={"环境卫生": ["臭", "卫生"], "市政设施": ["坑", "井盖"]})
    assert SLOT_TYPES["enum"].extract("在坑口街道那边", categories, TODAY) is None
    assert SLOT_TYPES["enum"].extract("卫生间漏水漏到楼下", categories, TODAY) is None
    assert SLOT_TYPES["enum"].extract("路上有个大坑", categories, TODAY) == "市政设施"


@pytest.mark.parametrize(
    ("text", "time"),
    [("你四点以后再打", "16:00"), ("明天上午十点", "10:00"), ("早上六点", "06:00")],
)
def test_a_bare_early_hour_to_call_back_is_the_afternoon(text: str, time: str) -> None:
    assert extract("time", text) == time


def test_the_tail_of_a_number_corrected_on_its_own() -> None:
    assert corrected_phone("15038672249", "不对 最后四位是二二九四 不是二二四九") == "15038672294"
    assert corrected_phone("15038672249", "尾号应该是 8861") == "15038678861"
    assert corrected_phone("15038672249", "地址不对") is None


def test_hesitations_and_questions_are_no_part_of_a_place() -> None:
    assert extract("address", "在东湖区青山镇 嗯 哪个村来着 记不清了") == "东湖区青山镇"


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("已解决", True),
        ("已经解决了", True),
        ("未解决", False),
        ("没有", False),
        ("很满意", None),
        ("没有了", None),  # nothing more to say: not "not resolved"
        ("没了 早就修好了", True),
    ],
)
def test_resolution_in_the_words_of_the_question(text: str, resolved: bool | None) -> None:
    assert SLOT_TYPES["resolution"].answer_value(text, slot("resolution"), TODAY) is resolved


@pytest.mark.parametrize(
    ("account", "when"),
    [
        ("我住经开区星河湾三栋 楼下KTV每天闹到凌晨两三点 低音炮震得床都在抖", "每天闹到凌晨两三点"),
        ("隔壁饭店 天天晚上十点以后还在剁肉 咚咚的", "天天晚上十点以后"),
        ("对门邻居养了条大狗 天天晚上叫 叫一宿", None),  # no clock: asked
        ("昨天下午三点我在路口看到井盖没了 差点掉进去", None),  # a moment, not a habit
        # a part of the day or week with a clock says when, habit or not
        ("工地晚上十点以后还在打桩 咣咣的 就在我们小区对面", "晚上十点以后"),
        ("隔壁在搞装修 礼拜天早上七点不到就开始哐哐砸墙 我家孩子明年高考", "礼拜天早上七点不到"),
        ("我家暖气从十一月十五号开始供暖就不热 摸着温乎乎的 屋里最多十五度", "从十一月十五号开始"),
    ],
)
def test_a_habit_with_a_clock_told_in_a_long_account_is_the_time(
    account: str, when: str | None
) -> None:
    assert SLOT_TYPES["when"].volunteered_value(account, slot("when"), TODAY) == when


@pytest.mark.parametrize(
    ("kind", "words", "completes"),
    [
        ("phone", "幺三八零零幺三八八六六", True),
        ("phone", "幺三八，零零幺三", False),  # a pause between digit groups: wait for the rest
        ("phone", "稍等我看一下", None),
        ("yes_no", "对的", True),
        ("yes_no", "我想想", None),
        ("satisfaction", "基本满意吧", True),
        ("address", "和平路一百二十八号", None),  # addresses go on: 号楼, 单元 …
        ("text", "好几天了", None),
    ],
)
def test_words_at_a_pause_complete_only_a_certain_value(
    kind: str, words: str, completes: bool | None
) -> None:
    assert SLOT_TYPES[kind].completes(words, slot(kind), TODAY) is completes


def test_a_phone_number_in_a_sentence_is_no_work_order_number() -> None:
    text = "我换了个手机打的 登记的电话是13512345678 现在啥进度了"
    assert extract("ticket_number", text) is None
    assert extract("ticket_number", "工单号 二零二六 幺二 零幺 零二八八") == "202612010288"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我姓张 弓长张 哎 不是 是立早章 文章的章", "章"),  # spelt, and taken back
        ("免贵姓陈 耳东陈", "陈"),
        ("我姓宁 安宁的宁", "宁"),
    ],
)
def test_a_surname_spelt_and_corrected(text: str, name: str) -> None:
    assert (
        SLOT_TYPES["person_name"].answer_value(final_words(text), slot("person_name"), TODAY)
        == name
    )


def test_spelling_a_surname_is_no_part_of_the_account() -> None:
    assert account_clauses("我姓张 弓长张 哎 不是 是立早章 文章的章") == []
    assert account_clauses("我们单元门的门禁坏了半个月了") == ["我们单元门的门禁坏了半个月了"]


def test_a_part_of_the_place_taken_back_in_the_same_breath() -> None:
    text = "车都停在望江区青苇路 哦不对 是青苇东路 金桥家园南门那儿"
    assert extract("address", text) == "望江区青苇东路金桥家园南门"


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("解决是解决了 现在十二点以后就没动静了", True),
        ("打了好几次电话 到现在也没动静", False),
    ],
)
def test_resolution_conceded_or_still_waiting(text: str, resolved: bool) -> None:
    assert SLOT_TYPES["resolution"].extract(text, slot("resolution"), TODAY) is resolved
