"""The built-in perturbation families, one module each; `xstilts.perturb` imports them all."""
