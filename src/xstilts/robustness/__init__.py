"""Robustness evaluation: the model-independent perturbed test sets, accuracy under each
perturbation (with the effective-perturbation check), and accuracy under attack."""
