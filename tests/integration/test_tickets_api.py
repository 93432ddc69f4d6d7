"""A work order created in a conversation is readable at GET /api/tickets/{number}."""

from tests.conftest import BotServer
from tests.support.chat import events, run_chat


def test_ticket_from_a_complaint_is_served(bot_server: BotServer) -> None:
    turns = run_chat(
        "complaint.txt",
        env={
            "HOTLINE_REDIS__KEY_PREFIX": bot_server.prefix,
            "HOTLINE_DIALOGUE__UNDERSTANDING": "local",
        },
    )
    number = events(turns, "ticket_created")[0]["ticket"]["number"]
    response = bot_server.get(f"/api/tickets/{number}")
    assert response.status_code == 200
    ticket = response.json()
    assert ticket["number"] == number
    assert ticket["category"] == "噪音扰民" and ticket["department"] == "市生态环境局"
    assert ticket["contact_phone"] == "13800138000" and ticket["status"] == "open"
    assert ticket["transcript"] == f"/api/calls/{ticket['call_id']}"


def test_unknown_ticket_is_404(bot_server: BotServer) -> None:
    response = bot_server.get("/api/tickets/000")
    assert response.status_code == 404
    assert response.json()["detail"] == "No ticket numbered '000'."
