"""Semantic frames and their realisation as sentences in every language.

A frame is language-neutral meaning (who does what to which object, where, how many, negated
or not). Every task item is built from frames and rendered per language only at the end, which
is what makes the test sets parallel: the same frames and labels in every language.
"""

from __future__ import annotations

from dataclasses import dataclass

from .vocabulary import Vocabulary, is_name, third_person
from .vocabulary import plural as en_plural

_WH_ROLE = {"what": "obj", "who": "subj", "where": "loc"}


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
    lang = lexicon.language
    if utt.kind in ("np", "name", "locp"):
        chunks = _chunks(utt.frame, lexicon)
        return _join(chunks[{"np": "obj", "name": "subj", "locp": "loc"}[utt.kind]], lexicon)
    if utt.kind in ("so", "because"):
        cause, effect = _clause(utt.frame, lexicon), _clause(utt.other, lexicon)
        if utt.kind == "so":
            tokens = [*cause, lang.punct[","], lang.words["so"], *effect]
        else:
            tokens = [*effect, *([lang.punct[","]] if not lang.spaced else [])]
            tokens += [lang.words["because"], *cause]
        return _sentence(tokens, lang.punct["."], lexicon)
    if utt.kind == "stmt":
        return _sentence(_clause(utt.frame, lexicon), lang.punct["."], lexicon)
    if lang.code == "en":
        return _sentence(_en_question(utt.frame, lexicon, utt.kind), "?", lexicon)
    return _sentence(_question(utt.frame, lexicon, utt.kind), lang.punct["?"], lexicon)


def _sentence(tokens: list[str], end: str, lexicon: Vocabulary) -> str:
    text = _join(tokens, lexicon) + end
    return text[:1].upper() + text[1:] if lexicon.language.cased else text


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


def _chunks(f: Frame, lex: Vocabulary) -> dict[str, list[str]]:
    """The frame's constituents, each already in the language's internal order."""
    words = lex.language.words
    subj = [f.subject, words["and"], f.subject2] if f.subject2 else [f.subject]
    chunks = {"subj": subj, "obj": _object(f, lex), "loc": _locp(f, lex)}
    chunks["neg"] = [words["neg"]] if f.neg else []
    chunks["verb"] = [lex.form(f.verb, f.verb_alt)] if f.verb else []
    chunks["state"] = [lex.form(f.state)] if f.state else []
    return chunks


def _object(f: Frame, lex: Vocabulary) -> list[str]:
    if f.obj is None:
        return []
    lang = lex.language
    if is_name(f.obj):
        return [f.obj, lang.words["acc"]]
    if lang.code == "en":
        return _en_np(f, lex)
    definite = lang.words["def"] if f.num is None else ""
    noun = [definite + lex.form(f.obj, f.obj_alt)]
    adj = [definite + lex.form(f.adj)] if f.adj else []
    number = [str(f.num), lang.words["cls"]] if f.num is not None else []
    return number + (noun + adj if lang.adj_after_noun else adj + noun)


def _locp(f: Frame, lex: Vocabulary) -> list[str]:
    if f.loc is None:
        return []
    words = lex.language.words
    if lex.language.code == "en":
        return [words["loc"], words["def"], lex.form(f.loc)]
    place = words["def"] + lex.form(f.loc)
    return [place, words["loc"]] if lex.language.postposition else [words["loc"], place]


def _clause(f: Frame, lex: Vocabulary) -> list[str]:
    lang = lex.language
    if lang.code == "en" and f.state is None:
        return _en_clause(f, lex)
    order = lang.state_order if f.state else lang.order
    if lang.code == "en" and f.subject2:
        order = ("subj", "@are", "state")
    return _arrange(_chunks(f, lex), order, lex, f.loc_front)


def _arrange(
    chunks: dict[str, list[str]], order: tuple[str, ...], lex: Vocabulary, loc_front: bool
) -> list[str]:
    """Lay out chunks in ``order``; ``@key`` inserts a function word; fronting moves loc."""
    words = {**lex.language.words, "are": "are"}
    tokens: list[str] = []
    if loc_front and chunks.get("loc"):
        tokens += [*chunks["loc"], lex.language.punct[","]]
        order = tuple(role for role in order if role != "loc")
    for role in order:
        tokens += [words[role[1:]]] if role.startswith("@") else chunks.get(role, [])
    return tokens


def _question(f: Frame, lex: Vocabulary, kind: str) -> list[str]:
    lang = lex.language
    chunks = _chunks(f, lex)
    if kind == "yn":
        return _arrange(chunks, lang.yn_order, lex, f.loc_front)
    if kind == "tq":
        return [lang.words["tq"], *_clause(f, lex)]
    role = _WH_ROLE[kind]
    if lang.wh_front:
        chunks[role] = []
        return [lang.words[kind], *_arrange(chunks, lang.order, lex, False)]
    chunks[role] = [lang.words[kind]]
    return _arrange(chunks, lang.order, lex, False)


# English needs agreement and do-support, so it gets its own small clause builder.


def _en_np(f: Frame, lex: Vocabulary) -> list[str]:
    adj = [lex.form(f.adj)] if f.adj else []
    if f.num is not None:
        return [str(f.num), *adj, lex.inflect(f.obj, f.obj_alt, en_plural)]
    return [lex.language.words["def"], *adj, lex.form(f.obj, f.obj_alt)]


def _en_verb(f: Frame, lex: Vocabulary, finite: bool) -> list[str]:
    base = lex.form(f.verb, f.verb_alt)
    plural_subject = f.subject2 is not None
    if not finite:
        return [base]
    if f.neg:
        return ["do" if plural_subject else "does", lex.language.words["neg"], base]
    return [base if plural_subject else lex.inflect(f.verb, f.verb_alt, third_person)]


def _en_clause(f: Frame, lex: Vocabulary) -> list[str]:
    chunks = _chunks(f, lex)
    chunks["verb"] = _en_verb(f, lex, finite=True)
    return _arrange(chunks, ("subj", "verb", "obj", "loc"), lex, f.loc_front)


def _en_question(f: Frame, lex: Vocabulary, kind: str) -> list[str]:
    chunks = _chunks(f, lex)
    do = "do" if f.subject2 else "does"
    if kind == "tq":
        return ["is", "it", "true", "that", *_en_clause(f, lex)]
    words = lex.language.words
    if kind == "who":
        chunks["verb"] = [lex.inflect(f.verb, f.verb_alt, third_person)]
        return [words["who"], *_arrange(chunks, ("verb", "obj", "loc"), lex, False)]
    chunks["verb"] = [*([words["neg"]] if f.neg else []), *_en_verb(f, lex, finite=False)]
    if kind == "yn":
        if f.loc_front and chunks["loc"]:
            rest = _arrange(chunks, ("subj", "verb", "obj"), lex, False)
            return [*chunks["loc"], ",", do, *rest]
        return [do, *_arrange(chunks, ("subj", "verb", "obj", "loc"), lex, False)]
    chunks[_WH_ROLE[kind]] = []
    return [words[kind], do, *_arrange(chunks, ("subj", "verb", "obj", "loc"), lex, False)]
