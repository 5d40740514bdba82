"""One module per DVC stage; each exposes a `run_*` function taking explicit paths."""
