"""Configuration of the offline sample world.

The sample world replaces hub datasets that cannot be downloaded. Its size knobs live in one
frozen dataclass so that the main package can build it from ``params.yaml`` and so that two
generations with equal configs are guaranteed to produce byte-identical files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

KNOWN_LANGUAGES = ("en", "vi", "ru", "ar", "hi", "zh")


@dataclass(frozen=True)
class SampleWorldConfig:
    """Sizes and seed of the synthetic world; validated on construction."""

    # read by pydantic when params.yaml's sample_world section is validated: no unknown keys
    __pydantic_config__ = {"extra": "forbid"}  # noqa: RUF012

    seed: int = 0
    languages: tuple[str, ...] = KNOWN_LANGUAGES
    corpus_sentences: int = 8000
    parallel_pairs: int = 6000
    cognate_fraction: float = 0.25
    qqp_train: int = 4000
    mnli_train: int = 4000
    race_train: int = 1500
    xnli_train: int = 3000
    pawsx_train: int = 3000
    xcopa_train: int = 1000
    udpos_train: int = 3000
    panx_train: int = 3000
    squad_train: int = 3000  # extractive QA (`qa.py`): SQuAD-shaped English training items
    tydiqa_train: int = 1500  # and TyDiQA-GoldP-shaped ones (its own English training set)
    dev_size: int = 300
    test_size: int = 300
    # retrieval sets (`retrieval.py`): translation pairs per language, gold pairs per BUCC split
    # and language, and distractors per gold pair on each side of a BUCC split
    tatoeba_pairs: int = 300
    bucc_dev_pairs: int = 60
    bucc_test_pairs: int = 200
    bucc_distractor_ratio: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", tuple(self.languages))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int, got {self.seed!r}")
        _check_languages(self.languages)
        for field in fields(self):
            if field.name in ("seed", "languages", "cognate_fraction"):
                continue
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{field.name} must be a positive int, got {value!r}")
        fraction = self.cognate_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise ValueError(f"cognate_fraction must be a number, got {fraction!r}")
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"cognate_fraction must be in [0, 1], got {fraction!r}")

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready dict (languages as a list)."""
        data = asdict(self)
        data["languages"] = list(self.languages)
        return data


def _check_languages(languages: tuple[str, ...]) -> None:
    if "en" not in languages:
        raise ValueError(f"languages must include 'en' (the training language), got {languages}")
    unknown = [lang for lang in languages if lang not in KNOWN_LANGUAGES]
    if unknown:
        raise ValueError(f"unknown languages {unknown}; known: {list(KNOWN_LANGUAGES)}")
    if len(set(languages)) != len(languages):
        raise ValueError(f"languages must not repeat, got {languages}")
