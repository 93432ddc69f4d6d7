"""Understanding with an LLM, bound by a JSON schema built for what the bot just asked.

Deterministic answers (numbers, dates, yes/no, emergencies, "转人工") never wait for the LLM:
the local rules read them first. The LLM reads the rest — which flow the caller wants, free
answers the rules missed — within a latency budget; on timeout or error the local reading
is used and the fallback is reported.
"""

from __future__ import annotations

from typing import Any

from loguru import logger
from pydantic import ValidationError

from bot.dialogue.commands import Command
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import FlowSet
from bot.llm.client import LLMClient, LLMError

KIND_MEANINGS = """kind的含义：
- start_flow：市民要进入下面某项业务，flow填业务名；反映问题、投诉、举报用complaint
- ask_knowledge：市民想办理证件或手续，或咨询政策、流程、材料、费用、条件
- set_slot：市民回答了机器人要的信息，value填市民话里的相关部分
- affirm：肯定（是、对、可以、方便）；deny：否定（不是、不对、不方便）
- request_human：要求转人工；repeat：没听清，要求重复；cancel：不办了
- goodbye：没有别的事、要结束通话；out_of_scope：与政务热线无关"""

EXAMPLES = """示例：
市民说：小区门口的垃圾好几天没人清理 → {"kind":"start_flow","flow":"complaint"}
市民说：社保卡丢了怎么补办 → {"kind":"ask_knowledge"}
市民说：我想办个残疾证 → {"kind":"ask_knowledge"}
市民说：帮我订个外卖 → {"kind":"out_of_scope"}
市民说：帮我转人工 → {"kind":"request_human"}
市民说：没有了，谢谢 → {"kind":"goodbye"}
机器人刚才说：信息正确吗？ 市民说：不对，地址错了 → {"kind":"deny"}"""


def system_prompt(flow_set: FlowSet) -> str:
    """Built once per flow set and kept identical, so llama.cpp reuses its prompt cache."""
    flows = "\n".join(
        f"- {flow.name}：{flow.description}（例：{'；'.join(flow.triggers.examples[:3])}）"
        for flow in flow_set.flows.values()
        if flow.triggers.examples
    )
    return (
        "你是12345政务服务便民热线的语义理解模块，把市民说的话转换成一个JSON命令，只输出JSON。\n"
        f"{KIND_MEANINGS}\n业务：\n{flows}\n{EXAMPLES}"
    )


MENU_KINDS = ["start_flow", "ask_knowledge", "request_human", "goodbye", "repeat", "out_of_scope"]
CONFIRM_KINDS = ["affirm", "deny", "repeat", "request_human", "cancel"]
SLOT_KINDS = ["set_slot", "repeat", "request_human", "cancel", "out_of_scope"]


def command_schema(expectation: Expectation, flows: list[str]) -> dict[str, Any]:
    """The narrowest schema for this moment: small models stay on track inside it."""
    properties: dict[str, Any] = {}
    if expectation.awaiting == "menu":
        properties["kind"] = {"enum": MENU_KINDS if flows else MENU_KINDS[1:]}
        if flows:  # an empty enum is an invalid grammar for llama.cpp
            properties["flow"] = {"enum": flows}
    elif expectation.awaiting == "confirm":
        properties["kind"] = {"enum": CONFIRM_KINDS}
    else:
        kinds = list(SLOT_KINDS)
        if expectation.slot is not None and expectation.slot.type == "yes_no":
            kinds += ["affirm", "deny"]
        properties["kind"] = {"enum": kinds}
        properties["value"] = {"type": "string", "maxLength": 80}
    return {
        "type": "object",
        "properties": properties,
        "required": ["kind"],
        "additionalProperties": False,
    }


def user_prompt(utterance: str, expectation: Expectation) -> str:
    lines = [f"机器人刚才说：{expectation.prompt}"] if expectation.prompt else []
    if expectation.slot is not None:
        lines.append(f"机器人需要的信息：{expectation.slot_name}")
    lines.append(f"市民说：{utterance}")
    return "\n".join(lines)


class LLMUnderstanding:
    name = "llm"

    def __init__(self, client: LLMClient, local: LocalUnderstanding, flow_set: FlowSet) -> None:
        self._client = client
        self._local = local
        self._system = system_prompt(flow_set)
        self._flows = [f.name for f in flow_set.flows.values() if f.triggers.examples]
        self.fallbacks = 0
        self.last_source = "local"  # who read the last utterance: local, llm, local-fallback

    def _schema(self, expectation: Expectation) -> dict[str, Any]:
        return command_schema(expectation, self._flows)

    async def warm_up(self) -> None:
        """Prefill the shared system prompt once, so the first caller does not pay for it."""
        expectation = Expectation("menu", "")
        try:
            await self._client.json_completion(
                self._system, user_prompt("你好", expectation), self._schema(expectation), 32
            )
        except LLMError as exc:
            logger.warning(f"LLM warm-up failed (local rules will answer meanwhile): {exc}")

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]:
        text = utterance.strip()
        local = await self._local.understand(text, expectation)
        self.last_source = "local"
        if not text or not self._local.unsure(text, expectation, local):
            return local  # sure answers (numbers, yes/no, known requests) never wait
        try:
            data = await self._client.json_completion(
                self._system, user_prompt(text, expectation), self._schema(expectation)
            )
            command = Command.model_validate(
                {**data, "question": text} if data.get("kind") == "ask_knowledge" else data
            )
        except (LLMError, ValidationError) as exc:
            self.fallbacks += 1
            self.last_source = "local-fallback"
            logger.warning(f"LLM understanding unavailable, using local rules: {exc}")
            return local
        self.last_source = "llm"
        if command.kind == "set_slot":
            command = command.model_copy(update={"slot": expectation.slot_name})
        return [command]
