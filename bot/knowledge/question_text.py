"""Callers' questions in the written words the policy documents use.

Spoken questions carry fillers ("哎呀", "我想问问") and colloquial words ("咋整", "带啥东西")
that the documents never contain; retrieval scores them low and the bot declines questions it
could answer. This rewrites the question for retrieval only (the caller's words are kept).
"""

from __future__ import annotations

import re

_FILLERS = re.compile(
    r"^(?:嗯+|啊+|哎呀?|唉|喂|那个|就是|请问|我想问问?|我想问一下|问一下|问个事儿?|想咨询一下|"
    r"咨询一下|我想咨询|你好|您好)[\s，,。]*"
)
_COLLOQUIAL = (
    (re.compile(r"这咋整|咋整|咋办|咋弄|咋搞|怎么整|怎么弄|怎么搞"), "怎么办"),
    (
        re.compile(r"(?:得|要)带啥(?:东西|材料)?|带啥(?:东西|材料)|要啥(?:东西|材料)"),
        "需要什么材料",
    ),
    (re.compile(r"啥时候"), "什么时候"),
    (re.compile(r"啥"), "什么"),
    (re.compile(r"咋"), "怎么"),
    (re.compile(r"上户口|落户口|报户口"), "户口登记"),
    (re.compile(r"礼拜"), "星期"),
)


def retrieval_text(question: str) -> str:
    text = question.strip()
    while (stripped := _FILLERS.sub("", text)) != text:
        text = stripped
    for pattern, written in _COLLOQUIAL:
        text = pattern.sub(written, text)
    return text or question
