from bot.speech.transcript_guard import clean_transcript, cut_loops


def test_traditional_characters_become_simplified() -> None:
    assert clean_transcript("我想辦理居住證") == "我想办理居住证"


def test_repetition_loops_are_collapsed() -> None:
    assert cut_loops("好的好的好的好的好的好的") == "好的"
    assert clean_transcript("我要投诉投诉投诉投诉投诉噪音") == "我要投诉噪音"


def test_ordinary_repetition_is_kept() -> None:
    assert clean_transcript("谢谢谢谢") == "谢谢谢谢"


def test_silence_phantoms_are_dropped() -> None:
    assert clean_transcript("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目") == ""
    assert clean_transcript("字幕由Amara.org社区提供") == ""
    assert clean_transcript("以下是普通话的句子。") == ""


def test_punctuation_only_is_nothing() -> None:
    assert clean_transcript(" 。，") == ""


def test_normal_sentence_passes_through() -> None:
    assert clean_transcript(" 我想问一下公积金怎么提取。 ") == "我想问一下公积金怎么提取。"


def test_decoder_prompt_echo_is_dropped() -> None:
    prompt = "以下是12345政务服务热线的普通话通话，涉及公积金、社保、医保等。"
    assert clean_transcript("涉及公积金、社保、医保等。", prompt) == ""
    assert clean_transcript("我想问公积金", prompt) == "我想问公积金"


def test_the_question_echoed_back_is_dropped_but_short_answers_from_it_are_kept() -> None:
    question = "请问您对这次的处理结果是满意、基本满意还是不满意？"
    assert clean_transcript("请问您对这次的处理结果是满意", question=question) == ""
    assert clean_transcript("基本满意", question=question) == "基本满意"
    assert clean_transcript("不满意。", question=question) == "不满意。"
