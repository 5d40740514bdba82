"""What perturbation families need from outside the package: lexicons and a tokenizer."""

from __future__ import annotations

from dataclasses import dataclass
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
    """

    lexicon_dir: Path | None = None
    tokenizer: TokenizerLike | None = None
    codeswitch_languages: tuple[str, ...] | None = None

    def lexicon(self, language: str) -> Lexicon | None:
        if self.lexicon_dir is None:
            return None
        return load_lexicon(Path(self.lexicon_dir), language)

    def switch_languages(self) -> tuple[str, ...]:
        if self.codeswitch_languages is not None:
            return self.codeswitch_languages
        available = lexicon_languages(Path(self.lexicon_dir)) if self.lexicon_dir else ()
        return ("en", *available)
