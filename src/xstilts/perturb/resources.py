"""What perturbation families need from outside the package: lexicons and a tokenizer."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from xstilts.perturb.lexicon import Lexicon, lexicon_languages, load_lexicon


class TokenizerLike(Protocol):
    """Any Hugging Face tokenizer: only `encode` is used."""

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...


@dataclass(frozen=True)
class Resources:
    """Shared inputs of the families, built once per evaluation.

    - `lexicon_dir`: directory of `en-xx.tsv|txt` lexicons (code-switching); None disables it.
    - `tokenizer`: the evaluated model's tokenizer; homoglyphs and invisible characters that its
      normaliser erases are dropped. Without one a static NFKC check stands in.
    - `codeswitch_languages`: languages code-switching may switch into; None means English plus
      every language that has a lexicon.

    Lexicons, and the answer that a language has none, are looked up on disk once per instance
    and then kept: code-switching asks for them for every substring it tries, and a stat and a
    glob each time cost seconds on a long text. A lexicon file that changes afterwards is seen
    by the next `Resources` built, not by this one.
    """

    lexicon_dir: Path | None = None
    tokenizer: TokenizerLike | None = None
    codeswitch_languages: tuple[str, ...] | None = None
    _lexicons: dict[str, Lexicon | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def lexicon(self, language: str) -> Lexicon | None:
        """The en-`language` lexicon, or None: read from disk on the first call only."""
        if language not in self._lexicons:
            directory = self.lexicon_dir
            found = load_lexicon(Path(directory), language) if directory is not None else None
            self._lexicons[language] = found
        return self._lexicons[language]

    def switch_languages(self) -> tuple[str, ...]:
        if self.codeswitch_languages is not None:
            return self.codeswitch_languages
        return self._listed_languages

    @functools.cached_property
    def _listed_languages(self) -> tuple[str, ...]:
        """English and every language with a lexicon in `lexicon_dir`, listed on disk once."""
        available = lexicon_languages(Path(self.lexicon_dir)) if self.lexicon_dir else ()
        return ("en", *available)
