"""The rehearsal of the full profile: its whole DVC graph, at tiny sizes, against a local
stand-in for the Hugging Face hub and MUSE's server (`xstilts rehearse`).

- `rows`: rows shaped like each pinned hub dataset's (shared with the hub-loader tests);
- `repos`: the stand-in's repositories on disk (datasets, the model, MUSE's dictionaries);
- `hub_server`: the stand-in itself, on 127.0.0.1;
- `overlay`: profiles/rehearsal.yaml, the one place where the rehearsal's sizes differ;
- `probes`: the loaders' bad-input paths against the stand-in;
- `run`: the scratch copy, the environment, `dvc repro`, and what it ran.
"""
