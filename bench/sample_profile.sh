#!/bin/sh
# Wall time of the whole sample profile (`make repro`'s `xstilts repro`, from a fresh copy, CPU),
# as a reviewer meets it. Runs in a temporary clone of this checkout, with the clone's own code,
# so existing outputs are untouched.
#   sh bench/sample_profile.sh            # one job per core: 11.5-14.5 minutes on 2 CPU cores
#   JOBS=1 sh bench/sample_profile.sh     # one stage at a time (a plain `dvc repro`)
set -eu
repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/xstilts"
cd "$work/xstilts"
export PYTHONPATH="$work/xstilts/src${PYTHONPATH:+:$PYTHONPATH}"
dvc pull --quiet data.dvc pretrained.dvc
start=$(date +%s)
xstilts repro ${JOBS:+--jobs "$JOBS"} > "$work/repro.log" 2>&1 || { tail -40 "$work/repro.log"; exit 1; }
end=$(date +%s)
echo "| command | CPU cores | wall time (s) |"
echo "|---|---|---|"
echo "| xstilts repro${JOBS:+ --jobs $JOBS} (sample profile) | $(nproc) | $((end - start)) |"
