"""The library behind the Gradio demo (`app/main.py`): everything but the widgets.

- `catalogue`: finds the checkpoints under a directory and loads them once, at start-up.
- `inputs`: server-side validation of what a user (or an API client) sends, and turning it into
  a typed example.
- `perturbview`: one seeded perturbation of every text field, its edits as highlight segments,
  and whether each model's tokenizer sees it.
- `service`: the requests the app serves (perturb, compare, attack, tag), all through
  `xstilts.modeling.predict` (tagging: `xstilts.evaluate.tagging.TagPredictor`).
- `tagview`, `tagrender`: a sentence tagged word by word by every model of a tagging task,
  clean and perturbed, with each perturbed word's clean source; and its HTML.
- `headline`: the run's robustness numbers for a task, read from the metrics files.
- `ready_examples`: ready examples in several languages and scripts.

Nothing here imports gradio, so every piece is tested without a browser.
"""
