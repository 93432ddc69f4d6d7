"""The flow YAML format: what a dialog designer writes, validated field by field.

A flow is the centre's approved business process: triggers (intents with example utterances,
DTMF digits), typed slots with the question that asks for each, and steps run in order.
Each step is a mapping keyed by its kind (`say:`, `collect:`, `confirm:` …) plus options.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

SlotType = Literal[
    "text",
    "enum",
    "phone",
    "id_card",
    "address",
    "date",
    "time",
    "number",
    "yes_no",
    "satisfaction",
    "resolution",
    "person_name",
    "when",
    "account",
    "ticket_number",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Slot types whose answers are closed, so a key can stand for each.
KEYED_TYPES = frozenset({"enum", "yes_no", "satisfaction", "resolution"})


class Slot(_Strict):
    """A piece of information the flow collects from the caller."""

    type: SlotType
    ask: str = Field(description="The question that asks for this slot")
    reask: str | None = Field(
        default=None, description="Said when the answer could not be understood"
    )
    values: dict[str, list[str]] | None = Field(
        default=None, description="enum only: value → words callers use for it"
    )
    required: bool = True
    max_attempts: int = Field(default=2, ge=1, le=5)
    fill_from_trigger: bool = Field(
        default=False, description="Take the value from the utterance that started the flow"
    )
    fallback: str | None = Field(
        default=None,
        description="enum only: the value stored when the caller's words fit none (e.g. 其他)",
    )
    keys: dict[str, str] | None = Field(
        default=None,
        description=(
            "closed answers by keypad: key (1-9) → the words it stands for, read by the slot's "
            "type as if said (e.g. {'1': 满意, '2': 基本满意, '3': 不满意}); 0 is a person"
        ),
    )
    infer_from_account: bool = Field(
        default=False,
        description=(
            "enum only: when the caller's account names none of the values' words, take the "
            "value it clearly means (by meaning) instead of asking; a read-back should name it"
        ),
    )
    examples: dict[str, list[str]] | None = Field(
        default=None,
        description=(
            "with infer_from_account: value → accounts typical of it, in callers' words "
            "(a few sentences each); the account is compared with them as well as with the words"
        ),
    )

    @model_validator(mode="after")
    def _enum_needs_values(self) -> Slot:
        if (self.type == "enum") != bool(self.values):
            raise ValueError("'values' is required for enum slots and only allowed for them")
        if self.keys is not None:
            if self.type not in KEYED_TYPES:
                raise ValueError(
                    f"'keys' is only allowed for {', '.join(sorted(KEYED_TYPES))} slots"
                )
            bad = sorted(key for key in self.keys if key not in "123456789" or len(key) != 1)
            if bad:
                raise ValueError(f"keys must be single keys 1-9 (0 asks for a person): {bad}")
        if self.infer_from_account and self.type != "enum":
            raise ValueError("'infer_from_account' is only allowed for enum slots")
        if self.examples is not None:
            if not self.infer_from_account:
                raise ValueError("'examples' is only read with 'infer_from_account'")
            unknown = sorted(set(self.examples) - set(self.values or {}))
            if unknown:
                raise ValueError(f"'examples' of values the slot does not have: {unknown}")
            # A value without examples would score lower than its rivals for that alone.
            missing = sorted(set(self.values or {}) - set(self.examples) - {self.fallback})
            if missing:
                raise ValueError(
                    f"'examples' are needed for every value but the fallback: {missing}"
                )
        if self.fallback is not None and self.fallback not in (self.values or {}):
            raise ValueError(f"'fallback' {self.fallback!r} is not one of the slot's values")
        return self


class Triggers(_Strict):
    intent: str | None = Field(default=None, description="Intent name (defaults to the flow name)")
    examples: list[str] = Field(default_factory=list, description="Example caller utterances")
    dtmf: str | None = Field(default=None, pattern=r"^[0-9*#]$", description="Menu key")


class _Step(_Strict):
    id: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")


class SayStep(_Step):
    say: str


class CollectStep(_Step):
    collect: str | list[str] = Field(description="Slot name(s) to ask for, in order")
    on_fail: str | None = Field(
        default=None, description="Step id when a required slot cannot be understood"
    )

    @property
    def slots(self) -> list[str]:
        return [self.collect] if isinstance(self.collect, str) else list(self.collect)


class ConfirmStep(_Step):
    confirm: str = Field(description="A yes/no question")
    on_no: str = Field(description="Step id to go to when the caller says no")
    on_relative: str | None = Field(
        default=None,
        description="Step id when a family member answers for the person asked for",
    )
    on_busy: str | None = Field(
        default=None,
        description="Step id when the caller cannot talk now (else a busy answer is a no)",
    )
    read_back: bool = Field(
        default=False,
        description="A read-back of collected slots: a 'no' asks which one to correct",
    )


class Condition(_Strict):
    when: str = Field(alias="if", description="e.g. resolved == false and satisfaction != null")
    goto: str


class BranchStep(_Step):
    branch: list[Condition]
    otherwise: str | None = Field(default=None, description="Step id when no condition holds")


ActionName = Literal["create_ticket", "record_survey", "find_ticket", "record_follow_up"]


class ActionStep(_Step):
    action: ActionName


class AnswerStep(_Step):
    answer: Literal["knowledge"] = Field(description="Answer the caller's question from the KB")
    ask: str = Field(
        default="请问您想咨询什么问题？",
        description="Asked when the flow was started without a question (e.g. by keypad)",
    )
    on_ungrounded: str | None = Field(default=None, description="Step id when nothing is found")


class MenuStep(_Step):
    menu: str = Field(description="Prompt; then the caller's words pick a flow")


class GotoStep(_Step):
    goto: str


class FlowStep(_Step):
    flow: str = Field(description="Another flow to run; this flow resumes after it")


class TransferStep(_Step):
    transfer: str = Field(description="Escalation reason (selects the agent queue)")


class HangupStep(_Step):
    hangup: str = Field(description="Last words before the call ends")


STEP_KINDS = {
    "say": SayStep,
    "collect": CollectStep,
    "confirm": ConfirmStep,
    "branch": BranchStep,
    "action": ActionStep,
    "answer": AnswerStep,
    "menu": MenuStep,
    "goto": GotoStep,
    "flow": FlowStep,
    "transfer": TransferStep,
    "hangup": HangupStep,
}
TERMINAL_KINDS = {"goto", "flow", "transfer", "hangup"}


def step_kind(data: Any) -> str | None:
    """The kind of a step: the one step key its mapping has."""
    if isinstance(data, BaseModel):
        data = data.model_dump(by_alias=True, exclude_none=True)
    if not isinstance(data, dict):
        return None
    kinds = [key for key in data if key in STEP_KINDS]
    return kinds[0] if len(kinds) == 1 else None


Step = Annotated[
    Annotated[SayStep, Tag("say")]
    | Annotated[CollectStep, Tag("collect")]
    | Annotated[ConfirmStep, Tag("confirm")]
    | Annotated[BranchStep, Tag("branch")]
    | Annotated[ActionStep, Tag("action")]
    | Annotated[AnswerStep, Tag("answer")]
    | Annotated[MenuStep, Tag("menu")]
    | Annotated[GotoStep, Tag("goto")]
    | Annotated[FlowStep, Tag("flow")]
    | Annotated[TransferStep, Tag("transfer")]
    | Annotated[HangupStep, Tag("hangup")],
    Discriminator(
        step_kind,
        custom_error_type="step_kind",
        custom_error_message="a step needs exactly one of: " + ", ".join(STEP_KINDS),
    ),
]


class Flow(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    triggers: Triggers = Field(default_factory=Triggers)
    slots: dict[str, Slot] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    on_machine: str | None = Field(
        default=None,
        description="Step id when a machine answered (global intent `machine`): nothing it "
        "said is kept as an answer",
    )
    on_early_end: ActionName | None = Field(
        default=None,
        description="Run when the call ends inside this flow before the action ran, if the "
        "caller gave any slot (a survey whose last, optional question was never answered "
        "keeps the answers given)",
    )

    @property
    def intent(self) -> str:
        return self.triggers.intent or self.name


class GlobalIntents(_Strict):
    """Utterances that mean the same thing in every flow."""

    human: list[str]
    repeat: list[str]
    goodbye: list[str]
    cancel: list[str]
    emergency: list[str] = Field(description="Words that send the call to the emergency flow")
    emergency_examples: list[str] = Field(
        default_factory=list,
        description="Emergencies as callers describe them, in whole sentences: words close in "
        "meaning to one of them (and not to an ordinary complaint) get one confirming question",
    )
    anger: list[str] = Field(
        default_factory=list, description="Anger or abuse: a person takes over (reason anger)"
    )
    human_only: list[str] = Field(
        default_factory=list,
        description="Topics only a person handles (reason human_only), e.g. 信访",
    )
    machine: list[str] = Field(
        default_factory=list,
        description="Words of an answering machine, call-screening assistant or switchboard "
        "menu (来电助理, 提示音后留言); a flow with `on_machine` goes there",
    )


class GlobalPrompts(_Strict):
    no_match: str
    out_of_scope: str
    offer_human: str
    silence: str
    silence_goodbye: str
    goodbye: str
    cancelled: str
    anything_else: str
    technical_problem: str
    handover: str = Field(description="Said before an escalation for anger or a human-only topic")
    which_correction: str = Field(
        default="好的，请问哪一项需要更正？您直接说正确的内容就可以。",
        description="Said when the caller says a read-back is wrong without saying what",
    )
    yes_or_no: str = Field(
        default="请您回答对或者不对。",
        description="Said before repeating a yes/no question the answer did not settle",
    )
    web_callback: str = Field(
        default="网页通话暂时无法直接转接人工，我先为您登记回电，工作人员会尽快联系您。",
        description="Said instead of a transfer on a web call (no phone leg to transfer)",
    )
    corrected: str = Field(default="好的，已为您更正。", description="Said after a correction")
    go_on: str = Field(
        default="好的，您接着说。",
        description="Said when a number stops partway (the first digits of a phone number)",
    )
    acknowledge: str = Field(
        default="好的。",
        description="Said at once while a slow reader (the LLM) works out the caller's words",
    )
    knowledge_check: str = Field(
        default="您是想了解《{title}》里的规定吗？",
        description="Asked when the best document only probably answers the question",
    )
    emergency_check: str = Field(
        default="请问现在是否有人身安全危险，或者着火、燃气泄漏这样的紧急情况？",
        description="Asked once when the caller's words may describe an emergency",
    )
    check_heard: str = Field(
        default="刚才没太听清，跟您确认一下，是{value}，对吗？",
        description="Said back when a number or address was heard with the recogniser unsure",
    )
    hold: str = Field(
        default="正在为您接通人工客服，请稍候。",
        description="Repeated to the caller while the agent's phone rings",
    )


class GlobalBehaviour(_Strict):
    """dialogs/global.yaml: behaviour shared by all flows."""

    entry_flow: str = Field(description="Flow an inbound call starts in")
    human_flow: str = Field(description="Flow run when the caller asks for a person")
    emergency_flow: str
    intents: GlobalIntents
    prompts: GlobalPrompts
    max_no_match: int = Field(default=2, ge=1)
    max_silence: int = Field(default=2, ge=1)
    silence_action: Literal["hangup", "transfer"] = "hangup"
