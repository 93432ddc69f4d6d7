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
from bot.llm.client import LLMClient, LLMError

SYSTEM = (
    "你是12345政务服务便民热线的语义理解模块。根据机器人刚才的问题，把市民的话转换成一个JSON命令。"
    "只输出JSON。命令含义：start_flow=市民要办理某项业务；ask_knowledge=市民在咨询政策；"
    "set_slot=市民回答了机器人要的信息(value填市民原话中的相关部分)；affirm=肯定；deny=否定；"
    "request_human=要人工；repeat=要求重复；cancel=取消；goodbye=结束通话；out_of_scope=与热线无关。"
)

MENU_KINDS = ["start_flow", "ask_knowledge", "request_human", "goodbye", "repeat", "out_of_scope"]
CONFIRM_KINDS = ["affirm", "deny", "repeat", "request_human", "cancel"]
SLOT_KINDS = ["set_slot", "repeat", "request_human", "cancel", "out_of_scope"]


def command_schema(expectation: Expectation) -> dict[str, Any]:
    """The narrowest schema for this moment: small models stay on track inside it."""
    properties: dict[str, Any] = {}
    if expectation.awaiting == "menu":
        properties["kind"] = {"enum": MENU_KINDS}
        properties["flow"] = {"enum": [flow.name for flow in expectation.flows]}
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
    if expectation.awaiting == "menu":
        lines.append(
            "可办理的业务：" + "；".join(f"{f.name}={f.description}" for f in expectation.flows)
        )
    elif expectation.slot is not None:
        lines.append(f"机器人需要的信息：{expectation.slot_name}（{expectation.slot.type}）")
    lines.append(f"市民说：{utterance}")
    return "\n".join(lines)


class LLMUnderstanding:
    name = "llm"

    def __init__(self, client: LLMClient, local: LocalUnderstanding) -> None:
        self._client = client
        self._local = local
        self.fallbacks = 0

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]:
        text = utterance.strip()
        if not text:
            return []
        special = self._local.global_command(text)
        if special is not None and special.kind in ("start_flow", "request_human"):
            return [special]
        if expectation.awaiting == "confirm" and (answer := self._local.yes_no(text)):
            return [answer]
        if expectation.awaiting == "slot":
            slot = expectation.slot
            if slot is not None and slot.type != "text":
                commands = self._local.slot_commands(text, expectation)
                if commands:
                    return commands
            elif slot is not None:  # free text: the caller's words are the value
                return await self._local.understand(text, expectation)
        try:
            data = await self._client.json_completion(
                SYSTEM, user_prompt(text, expectation), command_schema(expectation)
            )
            command = Command.model_validate(
                {**data, "question": text} if data.get("kind") == "ask_knowledge" else data
            )
        except (LLMError, ValidationError) as exc:
            self.fallbacks += 1
            logger.warning(f"LLM understanding unavailable, using local rules: {exc}")
            return await self._local.understand(text, expectation)
        if command.kind == "set_slot":
            command = command.model_copy(update={"slot": expectation.slot_name})
        return [command]
