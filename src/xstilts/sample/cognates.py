"""Cognates: word forms derived from the English word, one derivation per target script.

Shared subword material is one of the anchors that let a multilingual encoder align languages
without parallel data, so a fraction of nouns and adjectives are borrowed from English:
Vietnamese keeps the Latin letters and adds diacritics, the other languages transliterate.
"""

from __future__ import annotations

import random
import unicodedata

import regex


def _table(spec: str) -> dict[str, str]:
    """Mapping table from "key=value key=value ..." (an empty value is written "key=")."""
    return dict(item.split("=") for item in spec.split())


_VI_VOWELS = _table("a=áàảãạăâấ e=éèêếệ i=íìị o=óòôơốờ u=úùưứ y=ý")
_VI_LETTERS = _table("f=ph j=gi w=u z=d")
_RU = _table(
    "a=а b=б c=к d=д e=е f=ф g=г h=х i=и j=дж k=к l=л m=м n=н o=о p=п q=к r=р s=с t=т u=у "
    "v=в w=в x=кс y=й z=з ph=ф sh=ш ch=ч th=т ee=и oo=у ck=к"
)
_AR = _table(
    "a=ا b=ب c=ك d=د e=ي f=ف g=غ h=ه i=ي j=ج k=ك l=ل m=م n=ن o=و p=ب q=ق r=ر s=س t=ت u=و "
    "v=ف w=و x=كس y=ي z=ز ph=ف sh=ش ch=تش th=ث ee=ي oo=و ck=ك"
)
_HI_CONS = _table(
    "b=ब c=क d=ड f=फ g=ग h=ह j=ज k=क l=ल m=म n=न p=प q=क r=र s=स t=ट v=व w=व y=य z=ज "
    "x=क्स sh=श ch=च th=थ ph=फ ck=क"
)
_HI_MATRA = _table("a=ा e=े i=ि o=ो u=ु y=ी ee=ी oo=ू")
_HI_VOWEL = _table("a=आ e=ए i=इ o=ओ u=उ y=ई ee=ई oo=ऊ")
# Transliteration characters: one row per onset, columns for the vowels a e i o u.
_ZH_ROWS = _table(
    "=阿埃伊奥乌 b=巴贝比波布 p=帕佩皮坡普 d=达德迪多杜 t=塔特蒂托图 g=加格吉戈古 k=卡克基科库 "
    "l=拉莱利洛卢 m=玛梅米莫穆 n=纳内尼诺努 s=萨塞西索苏 f=法费菲佛福 h=哈赫希霍胡 "
    "w=瓦韦威沃乌 j=贾杰吉乔朱 sh=沙舍施肖舒 z=扎泽齐佐祖 y=亚耶伊约尤"
)
_ZH_ALONE = _table("s=斯 t=特 d=德 k=克 g=格 l=尔 n=恩 m=姆")
_ZH_ONSET = _table("c=k q=k ck=k x=k r=l v=f ph=f ch=sh th=t")
_UNITS = regex.compile(r"sh|ch|th|ph|ck|ee|oo|[aeiouy]|[a-z]")


def cognate(word: str, lang: str, rng: random.Random) -> str:
    """The borrowed form of English ``word`` in ``lang`` (NFC)."""
    if lang == "vi":
        form = _vietnamese(word, rng)
    else:
        units = _units(word)
        if lang == "hi":
            form = _devanagari(units)
        elif lang == "zh":
            form = _han(units)
        else:
            table = _RU if lang == "ru" else _AR
            form = "".join(table.get(unit, "".join(table[ch] for ch in unit)) for unit in units)
    return unicodedata.normalize("NFC", form)


def _vietnamese(word: str, rng: random.Random) -> str:
    letters = [_VI_LETTERS.get(ch, ch) for ch in regex.sub(r"(.)\1", r"\1", word)]
    vowels = [i for i, ch in enumerate(letters) if ch in _VI_VOWELS]
    for i in rng.sample(vowels, k=max(1, len(vowels) // 2)) if vowels else []:
        letters[i] = rng.choice(_VI_VOWELS[letters[i]])
    return "".join(letters)


def _units(word: str) -> list[str]:
    """Sound-ish units of an English word; doubled letters and a silent final e dropped."""
    word = regex.sub(r"(.)\1", r"\1", word)
    if len(word) > 3 and word.endswith("e") and word[-2] not in "aeiou":
        word = word[:-1]
    return _UNITS.findall(word)


def _is_vowel(unit: str) -> bool:
    return unit[0] in "aeiou" or unit == "y"


def _devanagari(units: list[str]) -> str:
    out, pending = [], []
    for i, unit in enumerate(units):
        consonant_y = unit == "y" and i == 0
        if _is_vowel(unit) and not consonant_y:
            if pending:
                out.append("्".join(_HI_CONS[c] for c in pending) + _HI_MATRA[unit])
            else:
                out.append(_HI_VOWEL[unit])
            pending = []
        else:
            pending.append(unit)
    if pending:
        out.append("्".join(_HI_CONS[c] for c in pending))
    return "".join(out)


def _han(units: list[str]) -> str:
    out, pending = [], []
    for unit in units:
        if _is_vowel(unit) and not (unit == "y" and not out and not pending):
            onset = _ZH_ONSET.get(pending[-1], pending[-1]) if pending else ""
            out.extend(_zh_alone(c) for c in pending[:-1])
            column = "aeiou".index("i" if unit[0] == "y" else unit[0])
            out.append(_ZH_ROWS.get(onset, _ZH_ROWS["h"])[column])
            pending = []
        else:
            pending.append(unit)
    out.extend(_zh_alone(c) for c in pending)
    return "".join(out[:4])


def _zh_alone(consonant: str) -> str:
    onset = _ZH_ONSET.get(consonant, consonant)
    return _ZH_ALONE.get(onset, _ZH_ROWS.get(onset, _ZH_ROWS["h"])[1])
