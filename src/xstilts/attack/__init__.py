"""Black-box adversarial attacks against the shared prediction path.

`Attacker` ranks words by importance and searches (greedy or beam) over candidate edits from
perturbation families under an `AttackBudget`; many examples are searched in lockstep with
shared batches. A code-switching attack is the same search with the `codeswitch` family alone
and a beam, in the spirit of PolyGloss (Tan & Joty, 2021).
"""

from xstilts.attack.budget import AttackBudget
from xstilts.attack.scorer import BatchPredictor, PredictFn
from xstilts.attack.search import Attacker, AttackResult

__all__ = ["AttackBudget", "AttackResult", "Attacker", "BatchPredictor", "PredictFn"]
