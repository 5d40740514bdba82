"""Semantic frames and their realisation as sentences in every language.

A frame is language-neutral meaning (who does what to which object, where, how many, negated
or not). Every task item is built from frames and rendered per language only at the end, which
is what makes the test sets parallel: the same frames and labels in every language.

Sentences are built as lists of words, each with the universal part-of-speech tag of the role
it plays, and ``render`` only joins those words: the tagging tasks read the very words a
sentence is made of, so their tags can never drift from the text the other tasks show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .vocabulary import Vocabulary, is_name, third_person
from .vocabulary import plural as en_plural

_WH_ROLE = {"what": "obj", "who": "subj", "where": "loc"}
# Universal POS tag of each function word of the language tables (``are``: English's plural
# copula). Question words: pronouns, except "where" (an adverb); "so" joins two main clauses,
# "because" introduces a subordinate one.
_FUNCTION_TAGS = {
    "neg": "PART",
    "tq": "PART",
    "loc": "ADP",
    "and": "CCONJ",
    "so": "CCONJ",
    "because": "SCONJ",
    "what": "PRON",
    "who": "PRON",
    "where": "ADV",
    "cop": "AUX",
    "aux": "AUX",
    "are": "AUX",
    "cls": "NOUN",
    "def": "DET",
    "acc": "ADP",
    "yn": "PART",
    "yn_pre": "AUX",
    "yn_post": "PART",
}
# Words of multi-word function phrases (and zh's 很, an adverb) whose tag is not the default of
# their entry: "is it true that" is glossed word by word in every language.
_WORD_TAGS = {
    ("tq", "is"): "AUX",
    ("tq", "it"): "PRON",
    ("tq", "true"): "ADJ",
    ("tq", "that"): "SCONJ",
    ("tq", "có"): "AUX",
    ("tq", "phải"): "ADJ",
    ("tq", "là"): "AUX",
    ("tq", "правда"): "ADJ",
    ("tq", "что"): "SCONJ",
    ("tq", "صحيح"): "ADJ",
    ("tq", "أن"): "SCONJ",
    ("tq", "यह"): "PRON",
    ("tq", "सच"): "ADJ",
    ("tq", "है"): "AUX",
    ("tq", "कि"): "SCONJ",
    ("tq", "是否"): "ADV",
    ("where", "ở"): "ADP",
    ("where", "đâu"): "PRON",
    ("cop", "很"): "ADV",
}


class Word(NamedTuple):
    """One word of a sentence and its universal part-of-speech tag."""

    text: str
    tag: str


@dataclass(frozen=True)
class Frame:
    """Meaning of one clause; ``state`` set means "subject is <state>" (no verb)."""

    subject: str
    verb: str | None = None
    obj: str | None = None
    adj: str | None = None
    num: int | None = None
    loc: str | None = None
    neg: bool = False
    subject2: str | None = None
    state: str | None = None
    verb_alt: int = 0
    obj_alt: int = 0
    loc_front: bool = False


@dataclass(frozen=True)
class Utterance:
    """A frame plus how to say it: stmt, yn, tq, what, who, where, so, because, np, name, locp.

    ``so`` and ``because`` join ``frame`` (the cause) with ``other`` (the effect).
    """

    kind: str
    frame: Frame
    other: Frame | None = None


def render(utt: Utterance, lexicon: Vocabulary) -> str:
    """Surface string of an utterance: a sentence, or a bare phrase for np/name/locp."""
    return _join([word.text for word in tagged_words(utt, lexicon)], lexicon)


def tagged_words(utt: Utterance, lexicon: Vocabulary) -> list[Word]:
    """The words ``render`` joins, in order, with their tags: the sentence's first word
    capitalised (cased scripts) and its final mark a word of its own."""
    lang = lexicon.language
    if utt.kind in ("np", "name", "locp"):
        chunks = _chunks(utt.frame, lexicon)
        return chunks[{"np": "obj", "name": "subj", "locp": "loc"}[utt.kind]]
    if utt.kind in ("so", "because"):
        cause, effect = _clause(utt.frame, lexicon), _clause(utt.other, lexicon)
        if utt.kind == "so":
            words = [*cause, _punct(lang.punct[","]), *_function(lexicon, "so"), *effect]
        else:
            words = [*effect, *([_punct(lang.punct[","])] if not lang.spaced else [])]
            words += [*_function(lexicon, "because"), *cause]
        return _sentence(words, lang.punct["."], lexicon)
    if utt.kind == "stmt":
        return _sentence(_clause(utt.frame, lexicon), lang.punct["."], lexicon)
    if lang.code == "en":
        return _sentence(_en_question(utt.frame, lexicon, utt.kind), "?", lexicon)
    return _sentence(_question(utt.frame, lexicon, utt.kind), lang.punct["?"], lexicon)


def _sentence(words: list[Word], end: str, lexicon: Vocabulary) -> list[Word]:
    if lexicon.language.cased:
        first = words[0]
        words = [Word(first.text[:1].upper() + first.text[1:], first.tag), *words[1:]]
    return [*words, _punct(end)]


def _punct(mark: str) -> Word:
    return Word(mark, "PUNCT")


def _function(lex: Vocabulary, key: str) -> list[Word]:
    """A function word of the language table, a phrase split into its words where the split
    joins back to the very same text (so that rendering never changes)."""
    phrase = "are" if key == "are" else lex.language.words[key]
    marks = set(lex.language.punct.values())
    parts = [phrase]
    if lex.language.spaced:
        split = [p for piece in phrase.split(" ") for p in _peel_marks(piece, marks)]
        parts = split if _join(split, lex) == phrase else parts
    return [
        _punct(p) if p in marks else Word(p, _WORD_TAGS.get((key, p), _FUNCTION_TAGS[key]))
        for p in parts
        if p
    ]


def _peel_marks(piece: str, marks: set[str]) -> list[str]:
    """``"ли,"`` -> ``["ли", ","]``: a punctuation mark ending a word is a word of its own."""
    if len(piece) > 1 and piece[-1] in marks:
        return [piece[:-1], piece[-1]]
    return [piece]


def _join(tokens: list[str], lexicon: Vocabulary) -> str:
    lang = lexicon.language
    marks = set(lang.punct.values())
    out = ""
    for token in tokens:
        if token:
            latin_pair = _is_latin(out[-1:]) and _is_latin(token[0])
            glue = not out or token in marks or (not lang.spaced and not latin_pair)
            out += token if glue else " " + token
    return out


def _is_latin(char: str) -> bool:
    """ASCII letter or digit: kept apart by a space even in unspaced scripts."""
    return char.isascii() and char.isalnum()


def _person(token: str) -> Word:
    """A subject or object slot: a person name, or (after a swap) a common noun."""
    return Word(token, "PROPN" if is_name(token) else "NOUN")


def _chunks(f: Frame, lex: Vocabulary) -> dict[str, list[Word]]:
    """The frame's constituents, each already in the language's internal order."""
    subj = [_person(f.subject)]
    if f.subject2:
        subj += [*_function(lex, "and"), _person(f.subject2)]
    chunks = {"subj": subj, "obj": _object(f, lex), "loc": _locp(f, lex)}
    chunks["neg"] = _function(lex, "neg") if f.neg else []
    chunks["verb"] = [Word(lex.form(f.verb, f.verb_alt), "VERB")] if f.verb else []
    chunks["state"] = [Word(lex.form(f.state), "ADJ")] if f.state else []
    return chunks


def _object(f: Frame, lex: Vocabulary) -> list[Word]:
    if f.obj is None:
        return []
    lang = lex.language
    if is_name(f.obj):
        return [_person(f.obj), *_function(lex, "acc")]
    if lang.code == "en":
        return _en_np(f, lex)
    definite = lang.words["def"] if f.num is None else ""  # a prefix: one word with the noun
    noun = [Word(definite + lex.form(f.obj, f.obj_alt), "NOUN")]
    adj = [Word(definite + lex.form(f.adj), "ADJ")] if f.adj else []
    number = [Word(str(f.num), "NUM"), *_function(lex, "cls")] if f.num is not None else []
    return number + (noun + adj if lang.adj_after_noun else adj + noun)


def _locp(f: Frame, lex: Vocabulary) -> list[Word]:
    if f.loc is None:
        return []
    if lex.language.code == "en":
        return [*_function(lex, "loc"), *_function(lex, "def"), Word(lex.form(f.loc), "NOUN")]
    place = [Word(lex.language.words["def"] + lex.form(f.loc), "NOUN")]
    adposition = _function(lex, "loc")
    return place + adposition if lex.language.postposition else adposition + place


def _clause(f: Frame, lex: Vocabulary) -> list[Word]:
    lang = lex.language
    if lang.code == "en" and f.state is None:
        return _en_clause(f, lex)
    order = lang.state_order if f.state else lang.order
    if lang.code == "en" and f.subject2:
        order = ("subj", "@are", "state")
    return _arrange(_chunks(f, lex), order, lex, f.loc_front)


def _arrange(
    chunks: dict[str, list[Word]], order: tuple[str, ...], lex: Vocabulary, loc_front: bool
) -> list[Word]:
    """Lay out chunks in ``order``; ``@key`` inserts a function word; fronting moves loc."""
    words: list[Word] = []
    if loc_front and chunks.get("loc"):
        words += [*chunks["loc"], _punct(lex.language.punct[","])]
        order = tuple(role for role in order if role != "loc")
    for role in order:
        words += _function(lex, role[1:]) if role.startswith("@") else chunks.get(role, [])
    return words


def _question(f: Frame, lex: Vocabulary, kind: str) -> list[Word]:
    lang = lex.language
    chunks = _chunks(f, lex)
    if kind == "yn":
        return _arrange(chunks, lang.yn_order, lex, f.loc_front)
    if kind == "tq":
        return [*_function(lex, "tq"), *_clause(f, lex)]
    role = _WH_ROLE[kind]
    if lang.wh_front:
        chunks[role] = []
        return [*_function(lex, kind), *_arrange(chunks, lang.order, lex, False)]
    chunks[role] = _function(lex, kind)
    return _arrange(chunks, lang.order, lex, False)


# English needs agreement and do-support, so it gets its own small clause builder.


def _en_np(f: Frame, lex: Vocabulary) -> list[Word]:
    adj = [Word(lex.form(f.adj), "ADJ")] if f.adj else []
    if f.num is not None:
        noun = Word(lex.inflect(f.obj, f.obj_alt, en_plural), "NOUN")
        return [Word(str(f.num), "NUM"), *adj, noun]
    return [*_function(lex, "def"), *adj, Word(lex.form(f.obj, f.obj_alt), "NOUN")]


def _en_verb(f: Frame, lex: Vocabulary, finite: bool) -> list[Word]:
    base = Word(lex.form(f.verb, f.verb_alt), "VERB")
    plural_subject = f.subject2 is not None
    if not finite:
        return [base]
    if f.neg:
        return [Word("do" if plural_subject else "does", "AUX"), *_function(lex, "neg"), base]
    if plural_subject:
        return [base]
    return [Word(lex.inflect(f.verb, f.verb_alt, third_person), "VERB")]


def _en_clause(f: Frame, lex: Vocabulary) -> list[Word]:
    chunks = _chunks(f, lex)
    chunks["verb"] = _en_verb(f, lex, finite=True)
    return _arrange(chunks, ("subj", "verb", "obj", "loc"), lex, f.loc_front)


def _en_question(f: Frame, lex: Vocabulary, kind: str) -> list[Word]:
    chunks = _chunks(f, lex)
    do = Word("do" if f.subject2 else "does", "AUX")
    if kind == "tq":
        return [*_function(lex, "tq"), *_en_clause(f, lex)]
    if kind == "who":
        chunks["verb"] = [Word(lex.inflect(f.verb, f.verb_alt, third_person), "VERB")]
        return [*_function(lex, "who"), *_arrange(chunks, ("verb", "obj", "loc"), lex, False)]
    chunks["verb"] = [*(_function(lex, "neg") if f.neg else []), *_en_verb(f, lex, finite=False)]
    if kind == "yn":
        if f.loc_front and chunks["loc"]:
            rest = _arrange(chunks, ("subj", "verb", "obj"), lex, False)
            return [*chunks["loc"], _punct(","), do, *rest]
        return [do, *_arrange(chunks, ("subj", "verb", "obj", "loc"), lex, False)]
    chunks[_WH_ROLE[kind]] = []
    return [
        *_function(lex, kind),
        do,
        *_arrange(chunks, ("subj", "verb", "obj", "loc"), lex, False),
    ]
