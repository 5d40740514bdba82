"""The sample profile's pretrained encoder: made once by `xstilts pretrain`, tracked by DVC.

Pretraining is not a pipeline stage. A `base` stage that pretrained would depend on the shared
training code, so every later change to `training/` would rerun a long pretraining inside
`dvc repro`. Instead `xstilts pretrain` (`make pretrained`) writes `pretrained/` from the sample
corpus and params.yaml's `base` section, `dvc add` tracks it like `data/`, and the `base` stage
only checks it against params.yaml and the corpus (`artifact`) and installs it as `models/base`.

- `corpus`: the MLM sequences (monolingual lines packed, translation pairs as one sequence).
- `mlm`: the tokenizer and the masked-LM run; `probes`: what the encoder learnt.
- `artifact`: digests, the recorded settings, and the checks the `base` stage runs.
"""
