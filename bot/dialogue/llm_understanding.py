"""The LLM command generator: every caller turn the fast path is not certain of, read with
the conversation state, into a list of typed commands under a JSON schema.

The system prompt is one stable prefix (llama.cpp / vLLM prefix caching reuses it); the
moment (flow, question, open slots with their types and values, the last turns) goes in the
user message, and the schema is narrowed to the commands and slots of that moment. The
session validates every value against the caller's words, so the LLM can suggest but never
invent. On a timeout or an error the local reading stands.
"""

from __future__ import annotations

from typing import Any

from loguru import logger
from pydantic import ValidationError

from bot.dialogue.commands import COMMAND_LIST, VALUE_KINDS, Command
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import FlowSet
from bot.flows.model import Slot
from bot.llm.client import LLMClient, LLMError

MAX_COMMANDS = 5
MAX_VALUE_CHARS = 60
TYPE_WORDS = {
    "text": "文字",
    "enum": "类别",
    "phone": "电话号码",
    "id_card": "身份证号",
    "address": "地址",
    "date": "日期",
    "time": "钟点",
    "number": "数字",
    "yes_no": "是/否",
    "satisfaction": "satisfied/basically_satisfied/dissatisfied",
    "resolution": "true/false（问题是否已解决）",
    "person_name": "称呼（姓或姓名，可带先生/女士）",
    "when": "问题发生的时间（原话）",
    "account": "市民对问题的陈述",
    "ticket_number": "工单号",
}

SYSTEM_PROMPT = "\n".join(
    (
        "你是12345政务服务便民热线的语义理解模块。把市民这一句话转换成命令列表，"
        '只输出JSON：{"commands":[...]}。',
        "一句话可以有多条命令（同时说了几件事就写几条）。命令kind：",
        "- set_slot：市民给出了某项信息。slot填信息名，value只能抄"
        "写市民原话里的那部分，不能编造、不能改写",
        '- correct_slot：市民更正之前说过的信息（"不对，是12号"），'
        "slot填被更正的信息，value填更正后的原话",
        '- clear_slot：市民说某项信息错了但没说正确的是什么，或者不愿提供（"名字别写了"）',
        "- dont_know：市民说不知道、记不清、不想说",
        "- start_flow：市民要办理某项业务（flow填业务名）；反映问题、"
        "投诉、举报用complaint；查询以前反映的事情的进度、催办用follow"
        "_up",
        "- ask_knowledge：咨询政策、办事流程、材料、条件、费用",
        "- affirm：肯定（是、对、可以、你说吧、你问吧）；deny：否定（不是、不对、不方便）",
        '- relative：接电话的是被访人的家人（"他不在，我是他爱人"）；bu'
        "sy：本人但现在不方便（开车、开会）",
        "- emergency：正在发生的危险（着火、燃气泄漏、有人受伤、打人、想轻生），value填certain",
        "- request_human：要求转人工；repeat：没听清；cance"
        "l：不办了；goodbye：没别的事、再见；out_of_scope：与政务"
        "热线无关",
        "规则：市民没说的信息不要写；值要符合信息的类型；类别（enum）从市民对问题"
        "的描述判断，只能选给出的选项；问题是否解决（resolution）填true"
        "或false；满意度填satisfied、basically_satisfi"
        "ed或dissatisfied。",
        "示例：",
        "等待：address　市民说：在南山区科技园路18号，我姓李，电话13912345678",
        '→ {"commands":[{"kind":"set_slot","slo'
        't":"address","value":"南山区科技园路18号"},{"k'
        'ind":"set_slot","slot":"contact_name",'
        '"value":"李"},{"kind":"set_slot","slot"'
        ':"contact_phone","value":"13912345678"'
        "}]}",
        "等待：确认信息　已收集：address=东城区和平路21号　市民说：不对，门牌是12号",
        '→ {"commands":[{"kind":"deny"},{"kind"'
        ':"correct_slot","slot":"address","valu'
        'e":"门牌是12号"}]}',
        "等待：是否方便　市民说：你说吧，早就修好了",
        '→ {"commands":[{"kind":"affirm"},{"kind":"set_slot","slot":"resolved","value":"true"}]}',
        "等待：菜单　市民说：我家暖气一点都不热，屋里才十几度",
        '→ {"commands":[{"kind":"start_flow","f'
        'low":"complaint"},{"kind":"set_slot","'
        'slot":"category","value":"城市供暖"}]}',
    )
)

KINDS = {
    "menu": [
        "start_flow",
        "set_slot",
        "ask_knowledge",
        "emergency",
        "request_human",
        "goodbye",
        "repeat",
        "out_of_scope",
    ],
    "slot": [
        "set_slot",
        "correct_slot",
        "clear_slot",
        "dont_know",
        "affirm",
        "deny",
        "ask_knowledge",
        "emergency",
        "request_human",
        "repeat",
        "cancel",
        "goodbye",
    ],
    "confirm": [
        "affirm",
        "deny",
        "set_slot",
        "correct_slot",
        "clear_slot",
        "relative",
        "busy",
        "emergency",
        "request_human",
        "repeat",
        "cancel",
    ],
}


def command_schema(expectation: Expectation, flows: list[str], slots: list[str]) -> dict[str, Any]:
    """The narrowest schema for this moment: small models stay on track inside it."""
    kinds = KINDS.get(expectation.awaiting, KINDS["slot"])
    command: dict[str, Any] = {"kind": {"enum": kinds}}
    if slots:  # an empty enum is an invalid grammar for llama.cpp
        command["slot"] = {"enum": slots}
    if flows and "start_flow" in kinds:
        command["flow"] = {"enum": flows}
    command["value"] = {"type": "string", "maxLength": MAX_VALUE_CHARS}
    return {
        "type": "object",
        "properties": {
            "commands": {
                "type": "array",
                "maxItems": MAX_COMMANDS,
                "items": {
                    "type": "object",
                    "properties": command,
                    "required": ["kind"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["commands"],
        "additionalProperties": False,
    }


def _slot_line(name: str, slot: Slot, value: Any = None) -> str:
    kind = TYPE_WORDS.get(slot.type, slot.type)
    if slot.values:
        kind += "，选项：" + "/".join(slot.values)
    filled = f"，已有：{value}" if value is not None else ""
    return f"- {name}（{kind}{filled}）"


def user_prompt(
    utterance: str, expectation: Expectation, flow_slots: dict[str, dict[str, Slot]]
) -> str:
    """The moment: what the bot asked, what it holds, what may still be said."""
    lines = [f"当前业务：{expectation.flow or '主菜单'}"]
    if expectation.prompt:
        lines.append(f"机器人刚才说：{expectation.prompt}")
    match expectation.awaiting:
        case "slot":
            lines.append(f"等待：{expectation.slot_name}")
        case "confirm":
            lines.append(
                "等待：确认（是/否）" + ("，这是信息核对" if expectation.read_back else "")
            )
        case "menu":
            lines.append("等待：菜单（市民想办什么）")
    slots = {**expectation.filled_slots, **expectation.open_slots}
    if expectation.awaiting == "menu":
        slots = {n: s for per_flow in flow_slots.values() for n, s in per_flow.items()}
    if slots:
        lines.append("信息：")
        lines += [_slot_line(n, s, expectation.filled.get(n)) for n, s in slots.items()]
    if expectation.history:
        lines.append("市民前面说过：" + "｜".join(expectation.history[-3:]))
    lines.append(f"市民说：{utterance}")
    return "\n".join(lines)


class LLMUnderstanding:
    name = "llm"

    def __init__(self, client: LLMClient, local: LocalUnderstanding, flow_set: FlowSet) -> None:
        self._client = client
        self._local = local
        self._flows = [f.name for f in flow_set.flows.values() if f.triggers.examples]
        # Slots a flow may be entered with (the menu reads them with the request).
        self._flow_slots = {
            f.name: dict(f.slots) for f in flow_set.flows.values() if f.triggers.examples
        }
        self.fallbacks = 0
        self.last_source = "local"  # who read the last utterance: local, llm, local-fallback

    def _schema(self, expectation: Expectation) -> dict[str, Any]:
        if expectation.awaiting == "menu":
            slots = sorted({n for per_flow in self._flow_slots.values() for n in per_flow})
        else:
            slots = [*expectation.filled_slots, *expectation.open_slots]
        return command_schema(expectation, self._flows, slots)

    async def warm_up(self) -> None:
        """Prefill the shared system prompt once, so the first caller does not pay for it."""
        expectation = Expectation("menu", "")
        try:
            await self._client.json_completion(
                SYSTEM_PROMPT,
                user_prompt("你好", expectation, self._flow_slots),
                self._schema(expectation),
                16,
            )
        except LLMError as exc:
            logger.warning(f"LLM warm-up failed (local rules will answer meanwhile): {exc}")

    def slow(self, utterance: str, expectation: Expectation) -> bool:
        """Whether this turn waits for the LLM (the fast path is not certain of it)."""
        text = utterance.strip()
        return bool(text) and not self._local.certain(
            text, expectation, self._local.read(text, expectation)
        )

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]:
        text = utterance.strip()
        local = self._local.read(text, expectation)
        self.last_source = "local"
        if not text or self._local.certain(text, expectation, local):
            return local  # certain readings (keys, numbers, exact yes/no, 转人工) never wait
        try:
            data = await self._client.json_completion(
                SYSTEM_PROMPT,
                user_prompt(text, expectation, self._flow_slots),
                self._schema(expectation),
                max_tokens=160,
            )
            commands = COMMAND_LIST.validate_python(data.get("commands", []))
        except (LLMError, ValidationError) as exc:
            self.fallbacks += 1
            self.last_source = "local-fallback"
            logger.warning(f"LLM understanding unavailable, using local rules: {exc}")
            return local
        self.last_source = "llm"
        return _merged(_completed(commands, text), local)


def _completed(commands: list[Command], utterance: str) -> list[Command]:
    """A question for the knowledge base carries the caller's words; an emergency only the
    LLM heard is confirmed with the caller before anyone acts on it."""
    completed = []
    for command in commands:
        if command.kind == "ask_knowledge":
            command = command.model_copy(update={"question": utterance})
        elif command.kind == "emergency":
            command = command.model_copy(update={"value": "possible"})
        completed.append(command)
    return completed


def _merged(llm: list[Command], local: list[Command]) -> list[Command]:
    """The LLM's reading, plus what the deterministic extractors found and the LLM left out
    (a phone number it did not copy), plus any safety reading of the rules."""
    taken = {c.slot for c in llm if c.kind in VALUE_KINDS or c.kind == "clear_slot"}
    kinds = {c.kind for c in llm}
    extra = [
        c
        for c in local
        if (c.kind in VALUE_KINDS and c.slot not in taken)
        or (c.kind in ("emergency", "escalate") and c.kind not in kinds)
    ]
    return [*llm, *extra]
