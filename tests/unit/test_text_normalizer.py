from bot.speech.text_normalizer import normalize_for_speech


def test_service_and_ticket_numbers_are_read_digit_by_digit() -> None:
    assert normalize_for_speech("这里是12345热线") == "这里是幺二三四五热线"
    assert normalize_for_speech("请拨打110或119。") == "请拨打幺幺零或幺幺九。"
    assert normalize_for_speech("工单202611240001已受理") == "工单二零二六幺幺二四零零零幺已受理"


def test_quantities_keep_their_number_reading() -> None:
    assert normalize_for_speech("收费300元，30个工作日") == "收费300元，30个工作日"
    assert normalize_for_speech("2024年1月1日起") == "2024年1月1日起"
    assert normalize_for_speech("科技园路188号") == "科技园路188号"


def test_percentages_and_acronyms() -> None:
    assert normalize_for_speech("比例为12%") == "比例为百分之12"
    assert normalize_for_speech("通过公积金APP申请") == "通过公积金手机应用申请"
