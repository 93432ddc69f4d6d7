"""The LLM command generator: every caller turn the fast path is not certain of, read with
the conversation state, into a list of typed commands under a JSON schema.

The system prompt is one stable prefix (llama.cpp / vLLM prefix caching reuses it); the
moment (flow, question, open slots with their types and values, the last turns) goes in the
user message, and the schema is narrowed to the commands and slots of that moment. The
session validates every value against the caller's words, so the LLM can suggest but never
invent. On a timeout or an error the local reading stands.
"""

from __future__ import annotations

from typing import Any, Literal

from loguru import logger
from pydantic import ValidationError

from bot.dialogue.commands import COMMAND_LIST, VALUE_KINDS, Command
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import FlowSet
from bot.flows.model import Slot
from bot.llm.client import LLMClient, LLMError
from bot.metrics import LLM_FALLBACKS

MAX_COMMANDS = 4
MAX_MENU_COMMANDS = 1  # the flow (or the question, or …)
MAX_VALUE_CHARS = 40
MAX_OUTPUT_TOKENS = 72
WARM_UP_TIMEOUT_S = 180.0
# What each slot type is called in the prompt (short: every token costs time on 2 cores).
TYPE_WORDS = {
    "text": "文字",
    "enum": "类别",
    "phone": "电话",
    "id_card": "身份证号",
    "address": "地址",
    "date": "日期",
    "time": "钟点",
    "number": "数字",
    "yes_no": "是否",
    "satisfaction": "满意度",
    "resolution": "是否解决true/false",
    "person_name": "称呼",
    "when": "发生时间",
    "account": "问题描述",
    "ticket_number": "工单号",
}

# The wire format is short on purpose: {"c":[{"k":kind,"s":slot,"v":value,"f":flow}]}.
SYSTEM_PROMPT = "\n".join(
    (
        "你是12345政务热线的语义理解模块。把市民这句话转成命令，只输出JSON："
        '{"c":[{"k":命令,"s":信息名,"v":原话里的值,"f":业务}]}，一句话可以有多条命令。',
        "命令：set_slot给出信息；correct_slot更正之前的信息；clear_slot说某项错了但没给新值"
        "或不愿提供；dont_know不知道、记不清；start_flow要办某项业务（投诉反映问题用complaint，"
        "查询以前反映的事的进度或催办用follow_up）；ask_knowledge咨询政策办事；affirm肯定；"
        "deny否定；relative接电话的是家人；busy本人现在不方便；emergency正在发生的危险；"
        "request_human要人工；repeat没听清；cancel不办了；goodbye没别的事；out_of_scope无关。",
        "规则：v只能抄市民原话，不编造；没说的不写；类别从选项里按问题描述选；"
        "是否解决写true或false；满意度写satisfied、basically_satisfied或dissatisfied。",
        "例：等待address 可填address,contact_name,contact_phone 市民：在南山区科技园路18号我姓李"
        '电话13912345678 → {"c":[{"k":"set_slot","s":"address","v":"南山区科技园路18号"},'
        '{"k":"set_slot","s":"contact_name","v":"李"},'
        '{"k":"set_slot","s":"contact_phone","v":"13912345678"}]}',
        "例：核对 已填address=东城区和平路21号 市民：不对门牌是12号 → "
        '{"c":[{"k":"deny"},{"k":"correct_slot","s":"address","v":"门牌是12号"}]}',
        '例：确认 可填resolved 市民：你说吧早就修好了 → {"c":[{"k":"affirm"},'
        '{"k":"set_slot","s":"resolved","v":"true"}]}',
        '例：菜单 市民：我家暖气一点都不热 → {"c":[{"k":"start_flow","f":"complaint"}]}',
        '例：菜单 市民：公积金贷款最多能贷多少 → {"c":[{"k":"ask_knowledge"}]}',
        '例：菜单 市民：我想申请公租房 → {"c":[{"k":"ask_knowledge"}]}',
        '例：菜单 市民：上周反映的事怎么还没人管 → {"c":[{"k":"start_flow","f":"follow_up"}]}',
        '例：菜单 市民：帮我订张火车票 → {"c":[{"k":"out_of_scope"}]}',
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


def command_schema(
    expectation: Expectation, flows: list[str], slots: dict[str, Slot]
) -> dict[str, Any]:
    """The narrowest schema for this moment: small models stay on track inside it."""
    kinds = KINDS.get(expectation.awaiting, KINDS["slot"])
    command: dict[str, Any] = {"k": {"enum": kinds}}
    if slots:  # an empty enum is an invalid grammar for llama.cpp
        command["s"] = {"enum": list(slots)}
    command["v"] = {"type": "string", "maxLength": MAX_VALUE_CHARS}
    if flows and "start_flow" in kinds:
        command["f"] = {"enum": flows}
    return {
        "type": "object",
        "properties": {
            "c": {
                "type": "array",
                "maxItems": MAX_MENU_COMMANDS if expectation.awaiting == "menu" else MAX_COMMANDS,
                "items": {
                    "type": "object",
                    "properties": command,
                    "required": ["k"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["c"],
        "additionalProperties": False,
    }


def _slots_for(expectation: Expectation) -> dict[str, Slot]:
    """The slots the LLM may fill now. At the menu none: it picks the flow, which reads the
    caller's account itself; mid-flow, the open slots (a category only when asked), and for a
    read-back, the collected ones. (Measured: a 1.5B model asked for more copies its examples.)"""
    if expectation.awaiting == "menu":
        return {}
    slots = dict(expectation.open_slots)
    if expectation.read_back:
        slots = {**expectation.filled_slots, **slots}
    return {
        n: s
        for n, s in slots.items()
        if s.type != "account" and (not s.values or n == expectation.slot_name)
    }


def _slot_word(name: str, slot: Slot) -> str:
    kind = TYPE_WORDS.get(slot.type, slot.type)
    if slot.values:
        kind += "：" + "/".join(slot.values)
    return f"{name}({kind})"


def user_prompt(utterance: str, expectation: Expectation) -> str:
    """The moment, in as few tokens as it takes: what the bot asked, what may be said."""
    lines = [f"机器人：{expectation.prompt[-40:]}"] if expectation.prompt else []
    match expectation.awaiting:
        case "slot":
            lines.append(f"等待{expectation.slot_name}")
        case "confirm":
            lines.append("核对" if expectation.read_back else "确认")
        case "menu":
            lines.append("菜单")
    open_slots = _slots_for(expectation)
    if open_slots:
        lines.append("可填" + ",".join(_slot_word(n, s) for n, s in open_slots.items()))
    if expectation.read_back and expectation.filled:
        lines.append("已填" + ",".join(f"{n}={v}" for n, v in expectation.filled.items() if v))
    lines.append(f"市民：{utterance}")
    return " ".join(lines)


def _commands(data: dict[str, Any]) -> list[Command]:
    """The wire format read into the typed commands the session runs."""
    wire = data.get("c", [])
    if not isinstance(wire, list):
        return []
    return COMMAND_LIST.validate_python(
        [
            {"kind": c.get("k"), "slot": c.get("s"), "value": c.get("v"), "flow": c.get("f")}
            for c in wire
            if isinstance(c, dict)
        ]
    )


class LLMUnderstanding:
    name = "llm"

    def __init__(
        self,
        client: LLMClient,
        local: LocalUnderstanding,
        flow_set: FlowSet,
        consult: Literal["unsure", "stuck"] = "unsure",
    ) -> None:
        self._client = client
        self._local = local
        self._consult = consult
        self._flows = [f.name for f in flow_set.flows.values() if f.triggers.examples]
        self.fallbacks = 0
        self.last_source = "local"  # who read the last utterance: local, llm, local-fallback

    def _schema(self, expectation: Expectation) -> dict[str, Any]:
        return command_schema(expectation, self._flows, _slots_for(expectation))

    async def warm_up(self) -> None:
        """Prefill the shared system prompt once, so the first caller does not pay for it."""
        expectation = Expectation("menu", "")
        try:
            await self._client.json_completion(
                SYSTEM_PROMPT,
                user_prompt("你好", expectation),
                self._schema(expectation),
                MAX_OUTPUT_TOKENS,  # a whole answer: a cut one is no JSON, and warns
                timeout_s=WARM_UP_TIMEOUT_S,
            )
        except LLMError as exc:
            logger.warning(f"LLM warm-up failed (local rules will answer meanwhile): {exc}")

    def slow(self, utterance: str, expectation: Expectation) -> bool:
        """Whether this turn waits for the LLM (the rules cannot settle it alone)."""
        text = utterance.strip()
        return bool(text) and self._consults(text, expectation, self._local.read(text, expectation))

    def _consults(self, text: str, expectation: Expectation, local: list[Command]) -> bool:
        if self._local.certain(text, expectation, local):
            return False  # certain readings (keys, numbers, exact yes/no, 转人工) never wait
        return self._consult == "unsure" or self._local.stuck(text, expectation, local)

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]:
        text = utterance.strip()
        local = self._local.read(text, expectation)
        self.last_source = "local"
        if not text or not self._consults(text, expectation, local):
            return local
        try:
            data = await self._client.json_completion(
                SYSTEM_PROMPT,
                user_prompt(text, expectation),
                self._schema(expectation),
                max_tokens=MAX_OUTPUT_TOKENS,
            )
            commands = _commands(data)
        except (LLMError, ValidationError) as exc:
            self.fallbacks += 1
            LLM_FALLBACKS.inc()
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
        or (c.kind in ("emergency", "escalate", "dont_know") and c.kind not in kinds)
    ]
    return [*llm, *extra]
