"""Emergencies in the caller's own words, beyond a fixed word list.

Certain: fire, gas, violence in progress, a person collapsed, self-harm stated in any of the
usual ways — the emergency flow runs at once. Possible: words that often but not always mean
danger (a smell of smoke, a fight, "死") — the bot asks once, never guesses.
"""

from __future__ import annotations

import re
from typing import Literal

Urgency = Literal["certain", "possible"]

_CERTAIN = re.compile(
    "|".join(
        (
            # fire and gas
            r"着火|失火|火灾|起火|烧起来|着起来了|冒火|火很大|浓烟|冒黑烟|烟很大",
            r"(?:楼道|屋里|家里|房间|楼里|厨房|电梯|车里)(?:里)?.{0,3}冒烟|冒烟.{0,12}(?:焦|糊|电动车|电瓶|着了)",
            r"(?:煤气|燃气|天然气|液化气|瓦斯).{0,8}(?:味|泄漏|泄露|漏|嘶嘶|呲呲|滋滋|爆炸|炸)",
            r"臭鸡蛋味.{0,12}(?:管|气|阀|灶)|(?:管|阀|灶).{0,12}臭鸡蛋味",
            r"(?:闻到|有股|一股|好大的?|很大的?|好浓的?|很浓的?)(?:煤气|燃气|天然气|液化气)",
            r"漏气|爆炸了|要爆炸",
            # violence in progress, a crime happening now
            r"(?:正在|在|要)(?:砍|捅|杀)(?:人|我|他|她)|(?:正在|在)打(?:人|他|她)|砍人|捅人|杀人|持刀|"
            r"拿(?:着)?刀|动刀",
            r"(?:在|正在|又|要|天天|老)打我|打我(?:了|呢|啊|打得)|打死|家暴|被(?:他|她|人)?打了|"
            r"抢劫|抢东西|绑架|非礼|性侵|入室",
            # medical
            r"晕倒|昏迷|不省人事|没(?:有)?(?:了)?(?:呼吸|气|心跳)|心脏病|中风|抽搐|大出血|"
            r"摔倒.{0,4}起不来|起不来了|喘不上(?:来)?气|出车祸|车祸|被车撞|撞.{0,12}(?:不动|躺)|"
            r"躺(?:在)?地上不动|一动不动|不动弹|溺水|落水|掉(?:进|到)?(?:水|河|湖)里|触电|"
            r"被电(?:着|到|击)|中毒|困在电梯|关在电梯|"
            r"叫(?:他|她|人)?(?:也|都)?不(?:醒|应|吭声|答应)|没(?:有)?(?:了)?(?:反应|知觉|意识)",
            # a child or a person shut in a car or a closed place
            r"(?:锁|关|困|闷)(?:在)?车里.{0,6}(?:孩|娃|人|老人)|车里(?:锁|关|困|闷)着.{0,3}(?:孩|娃|人)",
            # self-harm, said plainly or quietly
            r"不想活|活不下去|活着(?:没|没有)(?:意思|意义|什么意思)|想死|去死|寻死|轻生|自杀|"
            r"结束(?:自己|生命)|了结自己|跳楼|跳河|割腕|吃(?:了)?安眠药|喝(?:了)?农药|"
            r"一死了之|不如死了|死了算了|撑不下去",
            r"救命|快来人",
        )
    )
)
_POSSIBLE = re.compile(
    r"烟味|焦味|糊味|臭鸡蛋味|冒烟|打架|打起来|吵架.{0,4}动手|死|血|危险|要出人命|报警|出事"
)
# Ordinary uses of the words above.
_NOT_EMERGENCY = re.compile(
    r"吸烟|抽烟|烟花|烟头|死胡同|死角|死活|笑死|累死|烦死|吵死|气死|热死|冷死|饿死|急死|吓死|"
    r"愁死|困死|忙死|冻死|脏死|"
    r"臭死|闷死|要死了?(?:的)?(?:吵|臭|热|冷|烦)|死机|死板|死心|打死也不|卡死|堵死|"
    r"得要死|得要命|死鱼|死猫|死狗|死老鼠|死虫|死水"
)


# Emergencies as said in three syllables or more, also matched by sound (bot/dialogue/
# sound_alike.py): a recogniser's "着伙了" is still 着火了, and earns one confirming question.
SPOKEN_EMERGENCIES = (
    "着火了",
    "起火了",
    "失火了",
    "冒烟了",
    "烧起来了",
    "煤气味",
    "燃气味",
    "煤气泄漏",
    "燃气泄漏",
    "天然气泄漏",
    "救命啊",
    "快来人",
    "晕倒了",
    "昏过去了",
    "没呼吸了",
    "想自杀",
    "不想活了",
    "要跳楼",
    "出车祸了",
    "有人打人",
    "拿着刀",
)


# Smoke that is pollution, not fire: a chimney or an exhaust pipe, or smoke every day (a fire
# is not a habit) — also when a recogniser spells 烟囱 as "烟,聪" (环境卫生, not 119).
_ORDINARY_SMOKE = re.compile(
    r"(?:烟囱|排气管|尾气|柴油车|货车|渣土车)[^，。,！!]{0,6}冒(?:黑|白)?烟|"
    r"(?:天天|每天|老是|总是|经常)[^，。,！!]{0,3}冒(?:黑|白)?烟"
)


def urgency(text: str) -> Urgency | None:
    """How surely the words describe an emergency happening now, or None."""
    if _CERTAIN.search(_ORDINARY_SMOKE.sub("", text)):
        return "certain"
    rest = _NOT_EMERGENCY.sub("", text)
    return "possible" if _POSSIBLE.search(rest) else None
