#!/bin/sh
# Runs one training stage of dvc.yaml (base, intermediate, target). Plain `python` by default
# (CPU, or one GPU); set XSTILTS_LAUNCH to run it on several processes, e.g.
#   XSTILTS_LAUNCH="accelerate launch --config_file configs/accelerate/ddp.yaml" dvc repro
# The launcher is not part of the stage command, so changing it never invalidates outputs:
# results do not depend on the number of processes (the global batch size is a param).
set -eu
# shellcheck disable=SC2086  # XSTILTS_LAUNCH is a command line: split it into words
exec ${XSTILTS_LAUNCH:-python} -m xstilts.cli "$@"
