"""Offline sample world: a deterministic synthetic multilingual world for X-STILTs runs.

Hub datasets and pretrained models cannot be downloaded, so this subpackage generates a small
world instead: six languages in five scripts, an MLM corpus, translation pairs, bilingual
lexicons and hub-shaped task files (QQP, MNLI, RACE, XNLI, PAWS-X, XCOPA, and the tagging tasks
UD-POS and PAN-X) whose target-task test sets are parallel across languages.

`world.generate_world` builds it; `world_config.SampleWorldConfig` is its settings (the params'
`sample_world` section). The package imports neither here: every stage loads the settings with
the params, and none should load the generator with them.
"""
