#!/bin/sh
# Wall time of the whole sample profile (`dvc repro` from a fresh copy, CPU), as a reviewer
# meets it. Runs in a temporary clone of this checkout, so existing outputs are untouched.
#   sh bench/sample_profile.sh        # about 11 minutes on 2 CPU cores
set -eu
repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/xstilts"
cd "$work/xstilts"
dvc pull --quiet data.dvc pretrained.dvc
start=$(date +%s)
dvc repro --quiet
end=$(date +%s)
echo "| command | CPU cores | wall time (s) |"
echo "|---|---|---|"
echo "| dvc repro (sample profile) | $(nproc) | $((end - start)) |"
