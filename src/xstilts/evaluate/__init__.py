"""Evaluation of a target checkpoint: clean accuracy in every language of its task
(`checkpoint`), the model-independent perturbed test sets (`perturbed_set`), accuracy under each
perturbation with the effective-perturbation check (`under_perturbation`), and accuracy under
attack (`under_attack`), with per-language summaries and zero-shot means (`language_summary`);
the generalized setting, a pair's two texts in two languages (`generalized`)."""
