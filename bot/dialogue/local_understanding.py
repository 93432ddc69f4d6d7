"""Understanding without an LLM: emergency and intent words, flow routing by examples and
category words, typed slot extractors, corrections and closed answers.

Always available, deterministic and fast (a millisecond): the fallback when the LLM is down or
slow, and the first reader of every turn. `certain()` says, per extractor, when its reading
may stand alone; the LLM reads the rest where one is configured.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from bot.dialogue.commands import VALUE_KINDS, Command
from bot.dialogue.emergency import SPOKEN_EMERGENCIES, urgency
from bot.dialogue.extractors import NOTHING_MORE, extract_yes_no
from bot.dialogue.intent_classifier import IntentClassifier
from bot.dialogue.said_instead import replaced, said_instead
from bot.dialogue.slot_types import slot_type
from bot.dialogue.slot_types.address import corrected_address, find_address
from bot.dialogue.slot_types.base import final_words, plain
from bot.dialogue.slot_types.person_name import NAME_WITHHELD
from bot.dialogue.slot_types.phone import corrected_phone
from bot.dialogue.sound_alike import SoundAlikes
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import FlowSet

GLOBAL_THRESHOLD = 0.45
FLOW_THRESHOLD = 0.25
# Longer requests that match no flow still go to the knowledge base, which may decline.
MIN_QUESTION_CHARS = 6
# A reply this short that is a yes or a no is an exact closed answer.
MAX_EXACT_ANSWER_CHARS = 6
MAX_CERTAIN_SLOT_ANSWER_CHARS = 24
# The share of an answer a heuristic extractor's values must cover to stand alone.
COVERAGE_FOR_CERTAINTY = 0.6
# Words that make an utterance a question for the knowledge base.
QUESTION_CUES = re.compile(
    r"怎么|如何|什么|多少|多久|能不能|可不可以|可以.*吗|需要|吗|呢|咋|(?<!没)啥(?!的)|？|\?|"
    # 哪 (上哪领), A-not-A (用不用, 是不是, 有没有), a clause ending in 不 or 了没 (能换不, 修了没)
    r"(.)[不没]\1|(?<![我你他她还都也就要可])不(?:\s|$|[，,。])|了没(?:有)?(?:\s|$|[，,。])|哪(?!怕)|"
    r"想问|问一下|问问|打听|请教|"
    # how many, not "好几天" or "十几个人" (a number in a story)
    r"(?<![好这那前十一两])几(?:个|天|年|岁|次|块|号|点|月)"
)
# A question announced but not yet asked ("你好 我想问个事儿", "咨询一下").
OPENER = re.compile(
    r"(?:喂|你好|您好|请问|那个|就是)*(?:我)?(?:想|要)?(?:问|咨询|打听|请教)(?:一下|下|个|一个)?"
    r"(?:事|事儿|事情|问题|政策)?(?:啊|呀|哈|哦)?"
)
# Statements about a service the knowledge base covers ("我想办个居住证").
POLICY_CUES = re.compile(r"办|申请|补办|领取|缴|交费|报销|提取|贷款|咨询|政策|手续|证明|补贴|备案")
# Hesitations that look like questions ("怎么说呢").
FILLERS = re.compile(r"怎么说呢|怎么讲呢|你说是吧|是吧|那个|呃|嗯")
# A problem to report rather than a question to answer.
PROBLEM_CUES = re.compile(
    r"投诉|举报|反映|坏了|不热|不亮|没人管|没人修|太吵|扰民|乱收费|乱停|乱扔|乱搭|乱建|占道|"
    r"堵了|堵住|返臭|发臭|漏水|拖欠|欠薪|不给钱|不发工资|一分钱(?:都|也)?(?:没|不)给|没给(?:钱|工钱)|"
    r"隐患|私拉|违建|违章建|噪音|油烟|脏乱|"
    r"臭气|污染|偷排|扰民|不作为|推诿|受不了|没人(?:清|收|处理|来|理)|老是坏|又坏了|堵死|"
    r"也不管|都不管|不管不问|堆满|乱堆|乱放|乱贴|乱倒|占用|霸占|摆摊|吵得|熏得|冻得|漏雨|塌了|"
    r"掉下来|砸到|不发|不退|克扣|扣钱|乱罚|(?:给|被|把).{0,6}停了"
)
FOLLOW_UP_CUES = re.compile(
    r"(?:之前|上次|上回|前几天|前些天|前些日子|前阵子|前段时间|上周|上礼拜|上星期|上个月|去年|以前|"
    r"早就|那天)"
    r".{0,12}(?:反映|投诉|打过|报过|报的|报了|登记|提过|报修|说过|打电话)|"
    r"(?:反映|报|说)(?:过|的|了)(?:的)?(?:那个|那件)?事.{0,12}"
    r"(?:咋样|怎么样|进展|结果|办结|没人|没见|没个?(?:回信|回音|回复|信儿|动静|下文))|"
    r"查.{0,6}(?:我|我们)?(?:反映|报|投诉)(?:过|的)|"
    r"反映.{0,12}(?:咋样|怎么样|进展|结果|办结|没人)|办结|结案|说(?:是)?(?:已经)?处理(?:完|好)?了|"
    r"工单号|"
    r"工单.{0,4}(?:进度|状态|怎么样|处理到)|进度|催(?:一下|办|催)|怎么还没(?:人)?(?:处理|管|修|回复)|"
    r"处理得怎么样|有(?:没有)?结果|查(?:一下|询)?(?:我的)?工单"
)
CORRECTION_CUES = re.compile(
    r"不对|错了|说错|记错|搞错|弄错|不是.{1,12}是|(?<![不要])是\S{1,12}\s*不是|应该是|改成|改一下|"
    r"更正|更改"
)
DONT_KNOW = re.compile(
    r"不知道|不清楚|记不清|记不得|忘了|说不好|说不准|不确定|不固定|没注意|没留意|不想说|不方便说|"
    r"不愿意|不留|匿名|保密|不想留|^没有?$|^没有了?$|^没了$|^没啥$|^无$|^没什么$"
)
_KIN = (
    r"(?:爱人|老婆|老公|妻子|丈夫|媳妇|儿子|女儿|闺女|儿媳|女婿|妈妈|妈|爸爸|爸|母亲|父亲|家人|家属|"
    r"孙子|孙女|外孙|老伴|对象|哥哥|姐姐|弟弟|妹妹|哥|姐|弟|妹|老爷子|老太太)"
)
RELATIVE = re.compile(
    rf"我是(?:他|她)(?:的)?{_KIN}|(?:他|她)是我(?:的|家)?{_KIN}|"
    r"(?:他|她).{0,4}(?:现在)?(?:不在|出去了|上班去了|出门了|住院|睡了|没在|不方便接)"
)
WRONG_PERSON = re.compile(
    r"打错了?|不是这个人|没有这个人|没这个人|不认识|这(?:个)?号码?(?:不是|已经)|不是(?:他|她)的|"
    r"号码换|换人了|不姓|你找错"
)
# Busy now: the person is right but the moment is not ("我在开会").
BUSY = re.compile(
    r"在开车|开车呢|在开会|开会呢|在忙|正忙|忙着|没空|晚点|晚些|回头再|改天|等会|一会儿再|下次再|"
    r"上班呢|在上班|上着班|吃饭呢|正吃饭|在吃饭|没法说|不方便说|不方便接|待会|过会|再打|"
    r"[半一两几]个?多?(?:小时|钟头)(?:以后|之后)"
)
# A person asked for in so many words ("让接线员来接", "有没有真人", "对 要人").
PERSON_REQUEST = re.compile(
    r"人工|真人|接线员|话务员|客服人员|值班的人|(?:让|叫|找|要|换)(?:你们)?(?:那边的?)?(?:个)?工作人员|"
    r"(?:找|要|换)(?:个|一个)?(?:活)?人(?:来|跟我说|接|听)?(?:\s|$|吧|啊|呀|[，,。])|"
    r"不(?:想|要|愿意)?(?:跟|和|同)机器|机器人?.{0,4}(?:听不懂|说不清|说不明白|讲不清|没用|不行)"
)
# Requests for a person said in three syllables or more, also matched by sound ("转人公").
SPOKEN_PERSON_REQUESTS = ("转人工", "找人工", "要人工", "人工客服", "转接人工", "接线员", "找真人")
THANKS = re.compile(r"(?:知道|明白|清楚|懂)了|谢谢|多谢|麻烦你了|辛苦了")
MAX_CLOSING_REST_CHARS = 2
# What is left of a closing utterance that would still be a request ("谢谢，另外我想问…").
ACKNOWLEDGEMENTS = re.compile(r"[好行嗯哦噢啊呀的吧那嘞哈谢啦了\s，。,.!！]+")
# A plain no to "is anyone in danger now": said first, before anything else.
NO_DANGER = re.compile(
    r"^(?:嗯|哦|啊|呃|那个|\s|，|,)*(?:不是|没有|没事|不用|不紧急|不危险|没危险|没那么|还好|不算|不不)"
)
# An acknowledgement of what the bot offered, and a refusal of it.
ACCEPTED = re.compile(
    r"好的|好嘞|(?:^|[\s，,])(?:哦|嗯|啊)?行(?=$|[\s，,了吧啊])|明白|知道了|对|是的|可以"
)
REFUSED = re.compile(r"不是|不对|不用|不要|不行|没说")
# What callers call each kind of value when they say it is wrong ("地址不对").
SLOT_WORDS = {
    "address": ("地址", "门牌", "位置", "地点", "小区", "楼号"),
    "phone": ("电话", "号码", "手机"),
    "person_name": ("名字", "称呼", "姓名", "姓"),
    "when": ("时间",),
    "enum": ("类别", "类型", "分类"),
}


class LocalUnderstanding:
    name = "local"
    last_source = "local"

    def __init__(self, flow_set: FlowSet, today: Callable[[], dt.date] = dt.date.today) -> None:
        behaviour = flow_set.behaviour
        intents = behaviour.intents
        self._emergency_flow = behaviour.emergency_flow
        self._emergency_words = tuple(intents.emergency)
        self._escalations = {"anger": tuple(intents.anger), "human_only": tuple(intents.human_only)}
        self._machine_words = tuple(intents.machine)
        self._person = IntentClassifier({"request_human": intents.human})
        # What must not be missed when the recogniser spells it wrong, matched by sound.
        self._sound_alikes = SoundAlikes(
            {
                "emergency": [*SPOKEN_EMERGENCIES, *intents.emergency],
                "request_human": [*SPOKEN_PERSON_REQUESTS, *intents.human],
            }
        )
        # A machine's greeting is long and set; one syllable misheard still tells it
        # ("来店助领" for 来电助理), and taking a person for one only delays their survey.
        self._machine_sounds = SoundAlikes({"machine": intents.machine}, one_off_from=4)
        self._globals = IntentClassifier(
            {
                "request_human": intents.human,
                "repeat": intents.repeat,
                "goodbye": intents.goodbye,
                "cancel": intents.cancel,
            }
        )
        self._flows = IntentClassifier(
            {f.name: f.triggers.examples for f in flow_set.flows.values() if f.triggers.examples}
        )
        # Words a designer listed for a flow's categories ("吵" → 噪音扰民) also pick the flow.
        self._category_words = {
            flow.name: [
                word
                for slot in flow.slots.values()
                if slot.fill_from_trigger and slot.values
                for words in slot.values.values()
                for word in words
            ]
            for flow in flow_set.flows.values()
        }
        self._complaint_flow = next((f for f, words in self._category_words.items() if words), None)
        self._follow_up_flow = next(
            (
                f.name
                for f in flow_set.flows.values()
                if any(s.type == "ticket_number" for s in f.slots.values())
            ),
            None,
        )
        self._today = today

    # -- what always applies ------------------------------------------------------------------

    def global_commands(self, text: str) -> list[Command]:
        """Emergencies, escalations (anger, human-only topics) and the always-available intents
        (person, repeat, goodbye, cancel)."""
        heard = urgency(text)
        if heard == "certain" or any(word in text for word in self._emergency_words):
            return [Command(kind="emergency", value="certain")]
        by_sound = self._sound_alikes.heard(text)
        if heard is None and "emergency" in by_sound:
            heard = "possible"  # "着伙了": asked once, never a complaint form
        commands = [Command(kind="emergency", value="possible")] if heard else []
        for reason, words in self._escalations.items():
            if any(word in text for word in words):
                return [*commands, Command(kind="escalate", value=reason)]
        if PERSON_REQUEST.search(text) or "request_human" in by_sound:
            return [*commands, Command(kind="request_human")]
        if any(word in text for word in self._machine_words) or self._machine_sounds.heard(text):
            return [*commands, Command(kind="machine")]
        ranked = self._globals.classify(text)
        if ranked and ranked[0][1] >= GLOBAL_THRESHOLD:
            commands.append(Command(kind=ranked[0][0]))  # type: ignore[arg-type]
        return commands

    def yes_no(self, text: str) -> Command | None:
        answer = extract_yes_no(text)
        if answer is None:
            return None
        return Command(kind="affirm" if answer else "deny")

    def closing(self, text: str, thanks: bool = True) -> bool:
        """The caller has nothing more ("没别的了"; with `thanks`, also "好的 知道了 谢谢") and
        asks nothing else. Thanks alone is no "no" to a consent question."""
        if not (NOTHING_MORE.search(text) or (thanks and THANKS.search(text))):
            return False
        rest = ACKNOWLEDGEMENTS.sub("", THANKS.sub("", NOTHING_MORE.sub("", FILLERS.sub("", text))))
        return len(rest) <= MAX_CLOSING_REST_CHARS and not (
            QUESTION_CUES.search(rest) or PROBLEM_CUES.search(rest)
        )

    # -- answers to the bot's questions ---------------------------------------------------------

    def slot_commands(self, text: str, expectation: Expectation) -> list[Command]:
        """The awaited slot's value first, then any other open slot the caller volunteered."""
        today = self._today()
        commands = []
        text = final_words(text)
        if expectation.slot is not None and expectation.slot_name is not None:
            value = slot_type(expectation.slot).answer_value(text, expectation.slot, today)
            if value is not None:
                commands.append(_set(expectation.slot_name, value))
        for name, slot in expectation.open_slots.items():
            if name == expectation.slot_name or not slot_type(slot).volunteered:
                continue
            value = slot_type(slot).volunteered_value(text, slot, today)
            if value is not None:
                commands.append(_set(name, value))
        return commands

    def corrections(self, text: str, expectation: Expectation, read_back: bool) -> list[Command]:
        """Values given before that the caller corrects ("不对，门牌是12号"), or names as wrong
        without the right value yet ("地址不对")."""
        commands = []
        slots = {**expectation.filled_slots, **expectation.open_slots}
        for name, slot in slots.items():
            if slot.type == "person_name" and NAME_WITHHELD.search(text):
                commands.append(Command(kind="clear_slot", slot=name))
        if not (read_back or CORRECTION_CUES.search(text)):
            return commands
        today = self._today()
        said = text
        text = final_words(text)
        instead = said_instead(said)
        for name, slot in expectation.filled_slots.items():
            old = expectation.filled.get(name)
            kind = slot_type(slot)
            if slot.type in ("account", "yes_no", "resolution", "satisfaction"):
                continue
            if slot.type == "enum":  # only the value's own name, never a synonym, corrects it
                named = [v for v in slot.values or {} if v in text and v != old]
                if named and CORRECTION_CUES.search(text):
                    commands.append(Command(kind="correct_slot", slot=name, value=named[0]))
                continue
            value = kind.extract(text, slot, today)
            if slot.type == "address" and old:  # a part corrected: "门牌是12号", "是康宁路"
                value = corrected_address(str(old), said) or value
            if slot.type == "phone" and old:  # the tail corrected: "最后四位是二二九四"
                value = corrected_phone(str(old), said) or value
            if value is None and instead and old:  # "是102号 不是120号"
                fixed = replaced(str(old), instead)
                if fixed is not None and (not kind.certain or kind.extract(fixed, slot, today)):
                    value = fixed
            if value is not None and value != old:
                commands.append(Command(kind="correct_slot", slot=name, value=_as_text(value)))
            elif value is None and _named_wrong(said, SLOT_WORDS.get(slot.type, ())):
                commands.append(Command(kind="clear_slot", slot=name))
        return commands

    def _closed_answer(self, text: str, expectation: Expectation) -> list[Command]:
        """A yes/no question: consent, identity, a read-back."""
        if expectation.read_back:
            fixes = self.corrections(text, expectation, read_back=True)
            answer = self.yes_no(text)
            if fixes:
                return [Command(kind="deny"), *fixes]
            return [answer] if answer else []
        if expectation.emergency_check:  # in doubt, a person decides
            if NO_DANGER.match(text):
                return [Command(kind="deny")]
            if find_address(text) is not None and extract_yes_no(text) is None:
                return []  # the place given instead: the check goes on
            return [Command(kind="affirm")]
        if expectation.document_check and ACCEPTED.search(text) and not REFUSED.search(text):
            return [Command(kind="affirm")]  # "好的好的 没事了": the document, then no more
        if self.closing(text, thanks=False):  # "行 我知道了 没别的了": no more, thanks
            return [Command(kind="deny")]
        if RELATIVE.search(text):
            return [Command(kind="relative")]
        if WRONG_PERSON.search(text):
            return [Command(kind="deny")]
        if BUSY.search(text):
            return [Command(kind="busy")]
        volunteered = self.slot_commands(text, expectation)
        if volunteered:  # answering the survey's questions is consent to it
            return [Command(kind="affirm"), *volunteered]
        answer = self.yes_no(text)
        return [answer] if answer else []

    def _slot_answer(self, text: str, expectation: Expectation) -> list[Command]:
        slot = expectation.slot
        if slot is not None and not slot.required and DONT_KNOW.search(plain(text)):
            # "不知道，反正好久了": unsure of it, so nothing is stored for it.
            others = self.slot_commands(text, expectation)
            return [Command(kind="dont_know")] + [
                c for c in others if c.slot != expectation.slot_name
            ]
        commands = [
            *self.slot_commands(text, expectation),
            *self.corrections(text, expectation, read_back=False),
        ]
        slot = expectation.slot
        awaited = expectation.slot_name
        if slot is not None and not any(c.slot == awaited for c in commands):
            if slot.type == "yes_no":  # a resolution type reads its own yes and no
                answer = self.yes_no(text)
                if answer is not None:
                    commands.append(answer)
            if DONT_KNOW.search(plain(text)):
                commands.append(Command(kind="dont_know"))
            elif not commands and QUESTION_CUES.search(text) and slot.type != "text":
                commands.append(Command(kind="ask_knowledge", question=text))
        return commands

    # -- the menu -------------------------------------------------------------------------------

    def route(self, text: str) -> Command:
        """At the menu: which flow the caller wants, or a question for the knowledge base."""
        return self.routing(text)[0]

    def routing(self, text: str) -> tuple[Command, bool]:
        """The route and whether an explicit cue decided it (certain) or only a fallback did.

        A problem reported in the caller's words goes to the complaint flow; a question goes
        to the knowledge base, which declines what it cannot answer; a statement that is
        neither a known request nor a policy matter is taken as a problem to report.
        """
        if self._follow_up_flow and FOLLOW_UP_CUES.search(text):
            return Command(kind="start_flow", flow=self._follow_up_flow), True
        if self._complaint_flow and PROBLEM_CUES.search(text):
            return Command(kind="start_flow", flow=self._complaint_flow), True
        if OPENER.fullmatch(plain(FILLERS.sub("", text))):
            return Command(kind="ask_knowledge", question=""), True  # the question comes next
        ranked = self._flows.classify(text)
        flow = ranked[0][0] if ranked and ranked[0][1] >= FLOW_THRESHOLD else None
        if QUESTION_CUES.search(FILLERS.sub("", text)) and flow != self._follow_up_flow:
            return Command(kind="ask_knowledge", question=text), True
        if flow is not None:
            return Command(kind="start_flow", flow=flow), True
        for flow_name, words in self._category_words.items():
            if any(word in text for word in words):
                return Command(kind="start_flow", flow=flow_name), True
        if POLICY_CUES.search(text):  # "我想办个营业执照": the knowledge base decides
            return Command(kind="ask_knowledge", question=text), True
        if self._complaint_flow and len(plain(text)) >= MIN_QUESTION_CHARS:
            return Command(kind="start_flow", flow=self._complaint_flow), False
        return Command(kind="out_of_scope"), False

    # -- one turn ---------------------------------------------------------------------------------

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]:
        return self.read(utterance, expectation)

    def slow(self, utterance: str, expectation: Expectation) -> bool:
        return False  # a millisecond: nothing to hide

    def read(self, utterance: str, expectation: Expectation) -> list[Command]:
        """The rules' reading of one turn."""
        text = utterance.strip()
        if not text:
            return []
        special = self.global_commands(text)
        if any(c.kind == "emergency" and c.value == "certain" for c in special):
            return special
        match expectation.awaiting:
            case "menu" if expectation.anything_else and self.closing(text):
                special = [c for c in special if c.kind != "goodbye"]
                answer = [Command(kind="goodbye")]
            case "confirm":
                answer = self._closed_answer(text, expectation)
            case "slot":
                answer = self._slot_answer(text, expectation)
            case "menu":
                answer = [] if any(c.kind != "emergency" for c in special) else [self.route(text)]
            case _:
                answer = []
        return [*special, *answer]

    def stuck(self, text: str, expectation: Expectation, commands: list[Command]) -> bool:
        """Whether the rules found no reading at all: nothing, or at the menu only the
        fallback guess (a long statement taken as a problem to report)."""
        if not commands:
            return True
        kinds = {command.kind for command in commands}
        if expectation.awaiting == "menu" and kinds <= {"start_flow", "ask_knowledge"}:
            return not self.routing(text)[1]
        return False

    def certain(self, text: str, expectation: Expectation, commands: list[Command]) -> bool:
        """Whether the fast path may decide alone: keys, emergencies and requests for a person,
        exact yes/no, well-formed values of types whose extractor is certain."""
        kinds = {command.kind for command in commands}
        if kinds & {"request_human", "escalate"} or any(
            c.kind == "emergency" and c.value == "certain" for c in commands
        ):
            return True
        short = plain(text)
        if kinds <= {"affirm", "deny"} and kinds and len(short) <= MAX_EXACT_ANSWER_CHARS:
            return not expectation.read_back or "deny" not in kinds  # a "no" needs its reason
        if expectation.awaiting == "menu" and kinds <= {"start_flow", "ask_knowledge"} and kinds:
            return self.routing(text)[1]  # an explicit cue decided; a fallback guess did not
        if "dont_know" in kinds and kinds <= {"dont_know", "goodbye"} and expectation.slot:
            return not expectation.slot.required  # "没有了" to an optional question
        if kinds and kinds <= {"relative", "busy"}:
            return True  # said in so many words ("我是她闺女", "我在开车")
        if expectation.read_back and "deny" in kinds and kinds <= {"deny", "correct_slot"}:
            return True  # a no with the right value, read by the certain extractors
        if kinds == {"goodbye"} and expectation.anything_else and self.closing(text):
            return True
        if kinds == {"goodbye"} or kinds == {"repeat"}:
            return len(short) <= MAX_EXACT_ANSWER_CHARS
        slot = expectation.slot
        if expectation.awaiting == "slot" and slot is not None and kinds <= VALUE_KINDS:
            awaited = next((c for c in commands if c.slot == expectation.slot_name), None)
            if awaited is None or CORRECTION_CUES.search(text):
                return False
            if slot_type(slot).certain:
                return len(short) <= MAX_CERTAIN_SLOT_ANSWER_CHARS
            # A heuristic extractor is certain when the answer is its value and little else:
            # anything more (another fact, a story) is read by the LLM as well. Values other
            # heuristics took from the rest (a time in the story) do not make it certain.
            others = expectation.open_slots
            said = sum(
                len(plain(c.value or ""))
                for c in commands
                if c is awaited or (c.slot in others and slot_type(others[c.slot]).certain)
            )
            return said >= COVERAGE_FOR_CERTAINTY * len(short)
        return False


def _named_wrong(said: str, words: tuple[str, ...]) -> bool:
    """Whether the caller says this kind of value is wrong ("地址不对", "电话号码错了"), not
    right ("地址对 电话不对" names only the number)."""
    if not words:
        return False
    named = "|".join(words)
    return bool(re.search(rf"(?:{named})(?:[^，。,\s]{{0,3}})(?:不对|错了|有误|说错|不是)", said))


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set(name: str, value: object) -> Command:
    return Command(kind="set_slot", slot=name, value=_as_text(value))
