"""Deterministic Chinese personal names for demo staff (no Django imports)."""

import random

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方邹熊孟秦邱江尹薛闫段雷侯龙史陶"
    "黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红玉兰春梅海燕志文斌辉宇浩鹏"
    "晨欣怡佳琪子涵俊杭晓丹雪飞龙凤林松柏"
)


def person_names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = []
    for _ in range(count):
        given_length = 1 if rng.random() < 0.3 else 2
        names.append(rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(given_length)))
    return names
