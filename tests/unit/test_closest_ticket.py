"""A follow-up by phone number finds the work order the caller talks about."""

from bot.tickets.ticket import Ticket, closest_ticket


def ticket(number: str, category: str, description: str) -> Ticket:
    return Ticket(
        number=number,
        category=category,
        description=description,
        department="派单中心",
        created_at=0,
        updated_at=0,
    )


HEATING = ticket("202612010288", "城市供暖", "家里暖气不热")
BUS_STOP = ticket("202612100631", "交通出行", "公交站牌被车撞歪了")


def test_the_order_the_words_are_about_not_the_latest() -> None:
    recent = [BUS_STOP, HEATING]  # most recent first
    assert closest_ticket(recent, "我想催一下暖气那个事 屋里还是冰凉冰凉的") is HEATING


def test_words_naming_no_order_get_the_latest() -> None:
    assert closest_ticket([BUS_STOP, HEATING], "我想查一下进度") is BUS_STOP
    assert closest_ticket([], "暖气") is None
