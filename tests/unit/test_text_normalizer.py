from bot.speech.text_normalizer import cardinal, normalize_for_speech


def test_service_ticket_and_phone_numbers_are_read_digit_by_digit() -> None:
    assert normalize_for_speech("这里是12345热线") == "这里是幺二三四五热线"
    assert normalize_for_speech("请拨打110或119。") == "请拨打幺幺零或幺幺九。"
    assert normalize_for_speech("工单202611240001已受理") == "工单二零二六幺幺二四零零零幺已受理"
    assert normalize_for_speech("电话0755-83123456") == "电话零七五五-八三幺二三四五六"


def test_quantities_and_amounts_are_read_as_numbers() -> None:
    assert normalize_for_speech("收费300元，30个工作日") == "收费三百元，三十个工作日"
    assert normalize_for_speech("2个小时，第2次") == "两个小时，第二次"
    assert normalize_for_speech("补贴3.5万元，约¥1200.50") == "补贴三点五万元，约一千二百点五元"
    assert normalize_for_speech("3-5个工作日") == "三到五个工作日"


def test_dates_and_times() -> None:
    assert normalize_for_speech("2024年1月1日起") == "二零二四年一月一日起"
    assert normalize_for_speech("12月25日下午3:05") == "十二月二十五日下午三点零五分"
    said = normalize_for_speech("15:30到17:00，晚上10点以后")
    assert said == "十五点三十分到十七点，晚上十点以后"


def test_addresses() -> None:
    assert normalize_for_speech("科技园路188号2栋1203室") == "科技园路一百八十八号二栋幺二零三室"


def test_percentages_and_acronyms() -> None:
    assert normalize_for_speech("比例为12%") == "比例为百分之十二"
    assert normalize_for_speech("通过公积金APP申请") == "通过公积金手机应用申请"


def test_cardinal_numbers() -> None:
    readings = {
        "0": "零",
        "10": "十",
        "12": "十二",
        "105": "一百零五",
        "110": "一百一十",
        "1005": "一千零五",
        "10086": "一万零八十六",
        "120000": "十二万",
        "10000100": "一千万零一百",
        "100010000": "一亿零一万",
        "0.5": "零点五",
    }
    assert {number: cardinal(number) for number in readings} == readings
    assert (cardinal("2", measure=True), cardinal("2000", measure=True)) == ("两", "两千")
