"""The six languages of the sample world: script, word order, function words, word forming.

Transfer must be possible but not free, so the languages differ where real languages differ
(script, word order, adjective position, adpositions, question syntax, spacing) while content
words are drawn from per-language syllable inventories. Function words are real words of the
language each one imitates; content words are synthetic (see ``lexicon``).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

# Vietnamese tone marks (combining), composed onto vowels and then NFC-normalised.
_VI_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VI_STOP_TONES = ("\u0301", "\u0323")


@dataclass(frozen=True)
class Language:
    """How one language lays out a clause; ``@key`` entries in orders are function words."""

    code: str
    script: str
    word_order: str
    adj_after_noun: bool
    spaced: bool
    cased: bool
    wh_front: bool
    postposition: bool
    words: dict[str, str]
    order: tuple[str, ...]
    yn_order: tuple[str, ...]
    state_order: tuple[str, ...]
    punct: dict[str, str]


def _items(text: str) -> list[str]:
    """Whitespace-separated table entries (keeps the inventories readable)."""
    return text.split()


_REQUIRED = _items("neg tq loc and so because what who where")
_OPTIONAL = _items("cop aux cls def acc yn yn_pre yn_post")


def _language(
    code: str, script: str, word_order: str, flags: str, orders: str, words: str, punct: str = ".?,"
) -> Language:
    """Build a language from compact specs.

    ``flags``: any of adj_after spaced cased wh_front postposition. ``orders``: declarative,
    yes/no and state clause orders separated by "/". ``words``: "key=word|key=word".
    ``punct``: full stop, question mark and comma.
    """
    given = dict(item.split("=") for item in words.split("|"))
    missing = [key for key in _REQUIRED if key not in given]
    if missing:
        raise ValueError(f"{code}: function words missing: {missing}")
    clause, yes_no, state = (tuple(part.split()) for part in orders.split("/"))
    flag = set(flags.split()).__contains__
    return Language(
        code,
        script,
        word_order,
        flag("adj_after"),
        flag("spaced"),
        flag("cased"),
        flag("wh_front"),
        flag("postposition"),
        {**dict.fromkeys(_OPTIONAL, ""), **given},
        clause,
        yes_no,
        state,
        dict(zip(".?,", punct, strict=True)),
    )


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        _language(
            "en",
            "Latin",
            "SVO",
            "spaced cased wh_front",
            "subj neg verb obj loc / / subj @cop state",
            "neg=not|tq=is it true that|loc=in|and=and|so=so|because=because|what=what|"
            "who=who|where=where|cop=is|def=the",
        ),
        _language(
            "vi",
            "Latin",
            "SVO",
            "adj_after spaced cased",
            "subj neg verb obj loc / subj @yn_pre verb obj loc @yn_post / subj state",
            "neg=không|tq=có phải là|loc=ở|and=và|so=nên|because=vì|what=gì|who=ai|"
            "where=ở đâu|yn_pre=có|yn_post=không",
        ),
        _language(
            "ru",
            "Cyrillic",
            "SVO",
            "spaced cased wh_front",
            "subj neg verb obj loc / verb @yn subj obj loc / subj state",
            "neg=не|tq=правда ли, что|loc=в|and=и|so=поэтому|because=ибо|what=что|who=кто|"
            "where=где|yn=ли",
        ),
        _language(
            "ar",
            "Arabic",
            "VSO",
            "adj_after spaced wh_front",
            "neg verb subj obj loc / @yn verb subj obj loc / subj state",
            "neg=لا|tq=هل صحيح أن|loc=في|and=و|so=لذلك|because=لأن|what=ماذا|who=من|"
            "where=أين|yn=هل|def=ال",
            ".؟،",
        ),
        _language(
            "hi",
            "Devanagari",
            "SOV",
            "spaced postposition",
            "subj loc obj neg verb @aux / @yn subj loc obj verb @aux / subj state @aux",
            "neg=नहीं|tq=क्या यह सच है कि|loc=में|and=और|so=इसलिए|because=क्योंकि|"
            "what=क्या|who=कौन|where=कहाँ|yn=क्या|aux=है|acc=को",
            "।?,",
        ),
        _language(
            "zh",
            "Han",
            "SVO",
            "",
            "subj loc neg verb obj / subj loc verb obj @yn / subj @cop state",
            "neg=不|tq=是否|loc=在|and=和|so=所以|because=因为|what=什么|who=谁|where=在哪里|"
            "yn=吗|cop=很|cls=个",
            "。？，",
        ),
    )
}

# Syllable inventories (onsets, nuclei, codas) per synthetic language; "-" is empty.
_INVENTORY: dict[str, tuple[list[str], ...]] = {
    lang: tuple([x.replace("-", "") for x in _items(part)] for part in spec.split("/"))
    for lang, spec in {
        "vi": "b c ch d đ g h kh l m n ng nh ph qu s t th tr v x - / a ă â e ê i o ô ơ u ư"
        " / - - - n ng m c t i",
        "ru": "б в г д ж з к л м н п р с т ф х ц ч ш б в д к л м н п р с т бр кр ст"
        " / а е и о у ы я ю / - - - - - н р л с т к м",
        "ar": "ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ع غ ف ق ك ل م ن ه و ي / - - ا و ي"
        " / - - - ب د ر س ل م ن",
        "hi": "क ख ग घ च ज ट ड त थ द ध न प फ ब भ म य र ल व श स ह क्र प्र स्त न्द त्र ग्र श्र"
        " स्व द्ध ल्प / - - ा ि ी ु ू े ै ो / - - - - ं",
    }.items()
}
_HI_INITIAL_VOWELS = _items("अ आ इ उ ए ओ")
_ZH_POOL = (
    "山水火木金土日月星云风雨花草树林石田天地人心手口目耳足牛羊鸟虫茶酒菜肉果桌椅门窗书笔纸"
    "灯车船路桥城村市店园房床衣帽鞋包杯碗瓶球钟刀红蓝绿黄黑白大小长短新旧重轻圆软冷热看买拿做"
    "找吃喝卖洗画带扔开读唱跑睡穿用送听说写飞走坐站学教想笑哭怕饿渴累病湿脏忙高低亮暗快慢早晚"
    "春夏秋冬东南北中上下左右前后外光电声色香甜苦酸辣"
)
_AFFIXES: dict[str, dict[str, tuple[str, str]]] = {
    "ru": {"verb": ("", "ет"), "adj": ("", "ый"), "state": ("", "ен")},
    "ar": {"verb": ("ي", "")},
    "hi": {"verb": ("", "ता")},
}


def _syllable(lang: str, rng: random.Random) -> str:
    if lang == "zh":
        return rng.choice(_ZH_POOL)
    onsets, nuclei, codas = _INVENTORY[lang]
    onset, nucleus, coda = rng.choice(onsets), rng.choice(nuclei), rng.choice(codas)
    if lang == "vi":
        tones = _VI_STOP_TONES if coda in ("c", "t") else _VI_TONES
        nucleus = unicodedata.normalize("NFC", nucleus + rng.choice(tones))
        if onset == "c" and nucleus[:1] in "eêiéèẻẽẹếềểễệíìỉĩị":
            onset = "k"
    return onset + nucleus + coda


def _syllable_count(lang: str, rng: random.Random) -> int:
    if lang in ("vi", "zh"):
        return 1 if rng.random() < 0.3 else 2
    return rng.choice((1, 2, 2, 2, 3))


def make_word(lang: str, pos: str, rng: random.Random) -> str:
    """A fresh synthetic word of ``lang`` for part of speech ``pos`` (not checked for clashes)."""
    while True:
        parts = [_syllable(lang, rng) for _ in range(_syllable_count(lang, rng))]
        if lang == "hi" and rng.random() < 0.15:
            parts.insert(0, rng.choice(_HI_INITIAL_VOWELS))
        stem = (" " if lang == "vi" else "").join(parts)
        prefix, suffix = _AFFIXES.get(lang, {}).get(pos, ("", ""))
        word = unicodedata.normalize("NFC", prefix + stem + suffix)
        if is_well_formed(lang, word):
            return word


def is_well_formed(lang: str, word: str) -> bool:
    """Per-language phonotactic sanity: Hindi words need a vowel sign or virama, etc."""
    if lang == "hi":
        return any(unicodedata.category(ch) in ("Mn", "Mc") for ch in word)
    if lang == "ar":
        return len(word) >= 3 and not word.startswith("ال")
    return len(word) >= 2 or lang == "zh"
