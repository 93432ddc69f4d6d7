"""Intent classification from designers' example phrases, on callers' own wording."""

from bot.dialogue.intent_classifier import IntentClassifier

EXAMPLES = {
    "complaint": [
        "我要投诉",
        "楼下噪音太大了",
        "隔壁装修扰民",
        "我想反映一下噪音扰民的问题",
        "晚上施工太吵了",
    ],
    "policy_question": [
        "居住证怎么办理",
        "办理营业执照需要什么材料",
        "公积金怎么提取",
        "我想咨询一下社保政策",
        "办护照要带什么证件",
    ],
    "human": ["转人工", "人工客服", "我要找人工", "帮我接人工服务", "我不想跟机器说话"],
    "goodbye": ["再见", "没有了，谢谢", "没有别的问题了", "好的拜拜", "就这些了谢谢"],
}
CLASSIFIER = IntentClassifier(EXAMPLES)
CONFIDENT = 0.25
UNSURE = 0.1


def best(text: str) -> tuple[str, float]:
    return CLASSIFIER.classify(text)[0]


def test_paraphrases_get_their_intent() -> None:
    cases = {
        "我要投诉楼上邻居半夜吵得睡不着": "complaint",
        "工地晚上还在施工，太扰民了": "complaint",
        "你好，我想问一下办理居住证需要哪些材料？": "policy_question",
        "请问公积金提取要什么手续": "policy_question",
        "给我转人工服务": "human",
        "能不能找个真人客服": "human",
        "没有了，再见": "goodbye",
        "好的，谢谢，拜拜": "goodbye",
    }
    for text, intent in cases.items():
        assert best(text)[0] == intent, text
        assert best(text)[1] >= CONFIDENT, text


def test_punctuation_and_spaces_do_not_matter() -> None:
    assert best("人工，人工！")[0] == "human"
    assert best(" 转 人工 。")[0] == "human"
    assert best("转人工")[1] == best("转人工。。。")[1]


def test_an_example_itself_scores_high() -> None:
    assert best("投诉")[0] == "complaint"
    assert best("投诉")[1] > 0.7
    assert best("再见")[1] > 0.7


def test_unrelated_text_scores_low() -> None:
    for text in ("今天天气怎么样", "我想买一斤苹果", "嗯", "", "。。。"):
        assert best(text)[1] < UNSURE, text


def test_every_intent_ranked_best_first() -> None:
    ranking = CLASSIFIER.classify("楼下装修噪音太大，我要投诉")
    assert ranking[0][0] == "complaint"
    assert sorted(intent for intent, _ in ranking) == sorted(EXAMPLES)
    scores = [score for _, score in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)


def test_deterministic() -> None:
    text = "我想咨询一下社保怎么交"
    again = IntentClassifier(EXAMPLES)
    assert CLASSIFIER.classify(text) == again.classify(text) == CLASSIFIER.classify(text)
