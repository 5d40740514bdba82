"""The errors a perturbation user can fix, each a one-line `XstiltsError`."""

from xstilts.errors import XstiltsError


class PerturbationError(XstiltsError):
    """A perturbation was asked for something it cannot do; the message says what to change."""


class UnknownFamilyError(PerturbationError):
    """A family name that no module in `xstilts.perturb.families` registers."""


class BadInputError(PerturbationError):
    """Text or strength a perturbation cannot take (not a str, a lone surrogate, strength > 1)."""


class LexiconError(PerturbationError):
    """A bilingual lexicon that is missing, unreadable or cannot be downloaded."""
