"""Slot extractors on the way callers actually say things, as Whisper writes them down."""

import datetime

from bot.dialogue.extractors import (
    extract_address,
    extract_date,
    extract_id_card,
    extract_number,
    extract_phone,
    extract_satisfaction,
    extract_time,
    extract_yes_no,
    normalize_digits,
)

TODAY = datetime.date(2026, 11, 24)  # a Tuesday


def test_spoken_digit_strings_become_arabic() -> None:
    assert normalize_digits("幺三八零零一三八零零零") == "13800138000"
    assert normalize_digits("号码是 138 0013 8000 谢谢") == "号码是 13800138000 谢谢"
    assert normalize_digits("二〇二六年") == "2026年"
    assert normalize_digits("洞幺两") == "012"


def test_number_words_and_short_ranges_are_kept() -> None:
    assert normalize_digits("我想问一下") == "我想问一下"
    assert normalize_digits("等了两三天") == "等了两三天"
    assert normalize_digits("3-5天") == "3-5天"


def test_mobile_number_said_in_any_form() -> None:
    assert extract_phone("我的电话是13800138000") == "13800138000"
    assert extract_phone("我的电话是幺三八零零一三八零零零。") == "13800138000"
    assert extract_phone("号码是一三八，零零一三，八零零零") == "13800138000"
    assert extract_phone("+86 139-1234-5678") == "13912345678"


def test_landline_number_comes_back_with_area_code() -> None:
    assert extract_phone("座机010-62345678") == "010-62345678"
    assert extract_phone("打0571 8888 8888转8001") == "0571-88888888"
    assert extract_phone("零二幺六二三四五六七八") == "021-62345678"


def test_numbers_that_are_not_phones() -> None:
    assert extract_phone("12345678901") is None
    assert extract_phone("我打了12345没人接") is None
    assert extract_phone("1380013800") is None  # ten digits: one was lost
    assert extract_phone("我想投诉噪音") is None


def test_id_card_with_valid_checksum() -> None:
    assert extract_id_card("身份证号是11010519491231002X") == "11010519491231002X"
    assert extract_id_card("11010519491231002x") == "11010519491231002X"
    assert extract_id_card("110105 19491231 002X") == "11010519491231002X"


def test_spoken_id_card_with_cha_for_x() -> None:
    spoken = "幺幺零幺零五幺九四九幺二三幺零零二叉"
    assert extract_id_card(spoken) == "11010519491231002X"


def test_id_card_with_bad_checksum_or_length_is_rejected() -> None:
    assert extract_id_card("110105194912310021") is None
    assert extract_id_card("1101051949123100") is None
    assert extract_id_card("我没带身份证") is None


def test_relative_days() -> None:
    assert extract_date("今天", TODAY) == datetime.date(2026, 11, 24)
    assert extract_date("明天上午有空", TODAY) == datetime.date(2026, 11, 25)
    assert extract_date("后天", TODAY) == datetime.date(2026, 11, 26)
    assert extract_date("昨天晚上又吵了", TODAY) == datetime.date(2026, 11, 23)
    assert extract_date("前天", TODAY) == datetime.date(2026, 11, 22)
    assert extract_date("大前天就报过了", TODAY) == datetime.date(2026, 11, 21)


def test_weekdays_relative_to_this_week() -> None:
    assert extract_date("上周三", TODAY) == datetime.date(2026, 11, 18)
    assert extract_date("这周五", TODAY) == datetime.date(2026, 11, 27)
    assert extract_date("下周一", TODAY) == datetime.date(2026, 11, 30)
    assert extract_date("下个礼拜二", TODAY) == datetime.date(2026, 12, 1)
    assert extract_date("上个星期天", TODAY) == datetime.date(2026, 11, 22)
    assert extract_date("周末可以吗", TODAY) == datetime.date(2026, 11, 28)


def test_calendar_dates() -> None:
    march_5 = datetime.date(2026, 3, 5)
    assert extract_date("3月5号", TODAY) == march_5
    assert extract_date("三月五日", TODAY) == march_5
    assert extract_date("2026年3月5日", TODAY) == march_5
    assert extract_date("二〇二六年三月五日", TODAY) == march_5
    assert extract_date("3.5那天", TODAY) == march_5
    assert extract_date("2026-03-05", TODAY) == march_5
    assert extract_date("十二月三十一号", TODAY) == datetime.date(2026, 12, 31)


def test_day_of_this_month() -> None:
    assert extract_date("5号来的", TODAY) == datetime.date(2026, 11, 5)
    assert extract_date("二十八号以前", TODAY) == datetime.date(2026, 11, 28)


def test_no_date() -> None:
    assert extract_date("我住人民路5号", TODAY) is None
    assert extract_date("3号楼", TODAY) is None
    assert extract_date("2月30号", TODAY) is None
    assert extract_date("之后天气好了", TODAY) is None
    assert extract_date("我想问一下", TODAY) is None


def test_tomorrow_afternoon_gives_date_and_time() -> None:
    assert extract_date("明天下午三点", TODAY) == datetime.date(2026, 11, 25)
    assert extract_time("明天下午三点") == datetime.time(15, 0)


def test_clock_times() -> None:
    assert extract_time("下午三点") == datetime.time(15, 0)
    assert extract_time("晚上八点半") == datetime.time(20, 30)
    assert extract_time("15:30") == datetime.time(15, 30)
    assert extract_time("下午3：30") == datetime.time(15, 30)
    assert extract_time("三点一刻") == datetime.time(3, 15)
    assert extract_time("上午十点二十") == datetime.time(10, 20)
    assert extract_time("十点零五分") == datetime.time(10, 5)
    assert extract_time("中午十二点") == datetime.time(12, 0)
    assert extract_time("中午一点") == datetime.time(13, 0)
    assert extract_time("凌晨两点还在施工") == datetime.time(2, 0)
    assert extract_time("晚上十二点") == datetime.time(0, 0)


def test_a_little_is_not_one_oclock() -> None:
    assert extract_time("你说慢一点") is None
    assert extract_time("有一点问题") is None
    assert extract_time("下午一点") == datetime.time(13, 0)
    assert extract_time("我想问一下") is None


def test_numbers() -> None:
    assert extract_number("三十五") == 35
    assert extract_number("两千") == 2000
    assert extract_number("3.5") == 3.5
    assert extract_number("一点五") == 1.5
    assert extract_number("大概1.5万") == 15000
    assert extract_number("我家有五口人") == 5
    assert extract_number("我想问一下，要交多少，三百块吗") == 300


def test_no_number() -> None:
    assert extract_number("我想问一下") is None
    assert extract_number("十分满意") is None
    assert extract_number("等了两三天") is None
    assert extract_number("没有") is None


def test_yes() -> None:
    for answer in ("是", "是的", "对", "对的，就是这个", "好", "好的谢谢", "可以", "没错", "嗯"):
        assert extract_yes_no(answer) is True, answer
    for answer in ("行", "行吧", "已经解决了", "没问题", "对对对"):
        assert extract_yes_no(answer) is True, answer


def test_no() -> None:
    for answer in ("不是", "不对", "不用了", "没有", "不行", "不可以", "还没解决", "否", "不"):
        assert extract_yes_no(answer) is False, answer


def test_negation_wins_over_affirmation() -> None:
    assert extract_yes_no("不太对") is False
    assert extract_yes_no("对，不是这个") is False
    assert extract_yes_no("好的，不过还没解决") is False


def test_neither_yes_nor_no() -> None:
    assert extract_yes_no("我想投诉噪音") is None
    assert extract_yes_no("不知道") is None
    assert extract_yes_no("请问") is None  # a question begins: no consent, no "it's me"
    assert extract_yes_no("请讲") is True and extract_yes_no("你问吧") is True
    assert extract_yes_no("是不是要带身份证") is None
    assert extract_yes_no("不动产登记怎么办") is None
    assert extract_yes_no("") is None


def test_satisfaction() -> None:
    assert extract_satisfaction("满意") == "satisfied"
    assert extract_satisfaction("非常满意，谢谢") == "satisfied"
    assert extract_satisfaction("很满意") == "satisfied"
    assert extract_satisfaction("基本满意吧") == "basically_satisfied"
    for rating in ("还行", "一般", "还可以", "凑合"):
        assert extract_satisfaction(rating) == "basically_satisfied", rating
    for rating in ("不满意", "很不满意", "太差了", "不太满意", "不是很满意"):
        assert extract_satisfaction(rating) == "dissatisfied", rating
    assert extract_satisfaction("我想问个事") is None


def test_full_address_after_lead_in() -> None:
    assert (
        extract_address("我住在朝阳区幸福路12号3栋2单元501室。") == "朝阳区幸福路12号3栋2单元501室"
    )
    assert extract_address("地址是北京市朝阳区建国路88号") == "北京市朝阳区建国路88号"
    assert extract_address("我家在成都市武侯区") == "成都市武侯区"
    assert extract_address("阳光花园五号楼二单元，楼上天天吵") == "阳光花园五号楼二单元"


def test_address_stops_where_the_complaint_starts() -> None:
    assert extract_address("我要投诉幸福小区的物业") == "幸福小区"
    assert extract_address("幸福小区3栋楼下有人装修很吵") == "幸福小区3栋"


def test_no_address() -> None:
    assert extract_address("我要投诉噪音扰民") is None
    assert extract_address("我想问一下公积金怎么提取") is None
    assert extract_address("路灯坏了") is None
    assert extract_address("我明天3月5号有空") is None
    assert extract_address("我住在市中心") is None
