"""Flow files: every problem is one `file:line: message`, and good flows pass."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.flows.cli import run_flows
from bot.flows.flow_set import FlowLibrary, check_flows
from bot.flows.graph import mermaid, svg
from bot.flows.model import Flow

DIALOGS = PROJECT_ROOT / "dialogs"
GOOD = """\
name: parking
description: 违停举报
triggers:
  examples: [有车乱停]
slots:
  plate:
    type: text
    ask: 请问车牌号是多少？
steps:
  - collect: plate
  - say: 已记录车牌{plate}。
"""


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "dialogs"
    folder.mkdir()
    for name in ("global.yaml", "main.yaml", "handoff.yaml", "emergency.yaml"):
        (folder / name).write_text((DIALOGS / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "parking.yaml").write_text(GOOD, encoding="utf-8")
    return folder


def problems_for(folder: Path, text: str) -> list[str]:
    (folder / "parking.yaml").write_text(text, encoding="utf-8")
    flow_set, problems = check_flows([folder])
    assert flow_set is None
    return [str(p) for p in problems]


def test_shipped_flows_are_clean() -> None:
    flow_set, problems = check_flows([DIALOGS])
    assert problems == []
    assert flow_set is not None
    assert {"main", "policy_qa", "complaint", "survey", "handoff", "emergency"} <= set(
        flow_set.flows
    )


def test_broken_yaml(flows_dir: Path) -> None:
    found = problems_for(flows_dir, GOOD.replace("  - say: 已记录", "  - say: [已记录"))
    assert len(found) == 1
    assert found[0].startswith(f"{flows_dir / 'parking.yaml'}:") and "not valid YAML" in found[0]


def test_unknown_slot_type(flows_dir: Path) -> None:
    found = problems_for(flows_dir, GOOD.replace("type: text", "type: licence_plate"))
    assert found == [
        f"{flows_dir / 'parking.yaml'}:7: slots.plate.type: Input should be 'text', 'enum', "
        "'phone', 'id_card', 'address', 'date', 'time', 'number', 'yes_no', 'satisfaction', "
        "'resolution', 'person_name', 'when', 'account' or 'ticket_number'"
    ]


def test_missing_target(flows_dir: Path) -> None:
    text = GOOD + "  - confirm: 对吗？\n    on_no: fix_plate\n"
    found = problems_for(flows_dir, text)
    assert found == [f"{flows_dir / 'parking.yaml'}:13: on_no: no step with id 'fix_plate'"]


def test_unknown_key(flows_dir: Path) -> None:
    found = problems_for(flows_dir, GOOD.replace("    ask: 请问", "    colour: red\n    ask: 请问"))
    assert found == [f"{flows_dir / 'parking.yaml'}:8: unknown key 'colour' in slots.plate"]


def test_undefined_slot_and_template(flows_dir: Path) -> None:
    text = GOOD.replace("collect: plate", "collect: [plate, colour]").replace("{plate}", "{plat}")
    found = problems_for(flows_dir, text)
    assert (
        f"{flows_dir / 'parking.yaml'}:10: collect: slot 'colour' is not defined in slots" in found
    )
    assert f"{flows_dir / 'parking.yaml'}:11: say: '{{plat}}' is not a slot or call data" in found


def test_unreachable_step(flows_dir: Path) -> None:
    text = GOOD + "  - hangup: 再见。\n  - say: 这句永远说不到。\n"
    found = problems_for(flows_dir, text)
    assert found == [
        f"{flows_dir / 'parking.yaml'}:13: step 4 is unreachable (nothing jumps to it)"
    ]


def test_bad_condition(flows_dir: Path) -> None:
    text = GOOD + "  - branch:\n      - if: __import__('os')\n        goto: x\n"
    found = problems_for(flows_dir, text)
    assert any("uses Call, which is not allowed" in line for line in found)


def test_lint_command_exit_codes(flows_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from argparse import Namespace

    from bot.config import load_settings

    settings = load_settings()
    assert run_flows(Namespace(flows_command="lint", paths=[flows_dir]), settings) == 0
    (flows_dir / "parking.yaml").write_text(GOOD.replace("collect: plate", "collect: x"))
    assert run_flows(Namespace(flows_command="lint", paths=[flows_dir]), settings) == 1
    assert "collect: slot 'x' is not defined" in capsys.readouterr().out


def test_schema_describes_the_format() -> None:
    schema = Flow.model_json_schema()
    json.dumps(schema)
    assert {"name", "description", "steps"} <= set(schema["required"])
    assert "Slot" in schema["$defs"] and "ConfirmStep" in schema["$defs"]


def test_graph_shows_steps_and_jumps() -> None:
    flow_set, _ = check_flows([DIALOGS])
    assert flow_set is not None
    complaint = flow_set.flows["complaint"]
    text = mermaid(complaint)
    assert text.startswith("flowchart TD")
    assert "-->|no|" in text  # the confirm step's on_no jump
    root = ET.fromstring(svg(complaint))
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == len(complaint.steps)


def test_broken_edit_keeps_the_last_good_flows(flows_dir: Path) -> None:
    library = FlowLibrary(flows_dir, check_every_s=0)
    good = library.current()
    (flows_dir / "parking.yaml").write_text(GOOD.replace("collect: plate", "collect: nope"))
    assert library.current() is good  # refused, still serving the last good version
    (flows_dir / "parking.yaml").write_text(GOOD.replace("已记录", "已经记录"))
    fixed = library.current()
    assert fixed.version != good.version
    assert "已经记录" in fixed.flows["parking"].steps[1].say  # type: ignore[union-attr]


KEYED = """\
name: parking
description: 违停举报
triggers:
  examples: [有车乱停]
slots:
  rating:
    type: satisfaction
    ask: 满意请按1，不满意请按2。
    keys: {"1": 满意, "2": "{second}", "3": 挺好}
steps:
  - collect: rating
  - say: 已记录。
"""


def test_keys_must_be_answers_told_to_the_caller_and_distinct(flows_dir: Path) -> None:
    found = problems_for(flows_dir, KEYED.replace("{second}", "随便"))
    assert any("'2' → '随便' is not an answer" in p for p in found)
    assert any("'1' and '3' both mean" in p for p in found)
    assert any("does not say 按3" in p for p in found)
    assert all(p.startswith(f"{flows_dir / 'parking.yaml'}:") for p in found)


def test_key_zero_is_kept_for_a_person(flows_dir: Path) -> None:
    found = problems_for(
        flows_dir, KEYED.replace('"3": 挺好', '"0": 挺好').replace("{second}", "不满意")
    )
    assert any("0 asks for a person" in p for p in found)
