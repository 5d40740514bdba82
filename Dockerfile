# The artifact's runtime: Python 3.11 + the pinned dependencies of pyproject.toml, installed by
# the same `make install` the README and CI use. CUDA comes with the torch wheel; the host needs
# only the NVIDIA driver and the NVIDIA Container Toolkit.
#
#   docker build -t xstilts .                                   # CUDA 13 wheel (driver >= 580)
#   docker build -t xstilts --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu126 .
#   docker run --rm --gpus all --ipc=host -v xstilts-hf:/cache/hf -v xstilts-dvc:/cache/dvc xstilts
#
# See REPRODUCE.md for the full run, subsets, resuming and the parallel grid.
FROM python:3.11-slim-bookworm

# Which PyTorch wheel index serves torch: cu130 needs an NVIDIA driver >= 580; cu126 runs on
# drivers >= 560 (and many older ones through CUDA's minor-version compatibility).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu130

# g++ (with gcc): torch.compile (`execution.compile: true`) builds the kernels it generates at
# run time, Triton's on GPUs with a C compiler, inductor's on CPUs with a C++ one.
# fonts-noto-core and fonts-noto-cjk: the demo's examples cover Arabic, Hebrew, Devanagari,
# Thai, Georgian, Tamil, Greek, Han, kana and Hangul; a browser in the container (the browser
# tests, screenshots) draws them as boxes without these fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git make g++ fonts-noto-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# The checkout's directory belongs to the user: WORKDIR would create it owned by root, and
# COPY --chown changes only what it copies, so `make install` could not create .venv in it.
RUN useradd --create-home --uid 1000 xstilts \
    && install -d -o xstilts -g xstilts /home/xstilts/xstilts
WORKDIR /home/xstilts/xstilts
COPY --chown=xstilts:xstilts . .
USER xstilts

# `make install` is the README's install step: a .venv with `pip install -e .[dev]` from the
# pinned pyproject.toml. PIP_EXTRA_INDEX_URL lets pip take torch's CUDA build from TORCH_INDEX.
ENV PIP_EXTRA_INDEX_URL=${TORCH_INDEX} \
    PIP_NO_CACHE_DIR=1
RUN make install \
    && .venv/bin/python -c "import torch, xstilts; print('torch', torch.__version__, torch.version.cuda)"

# The sample world (data/, 6 MB) and its pretrained encoder (pretrained/), from the DVC remote
# inside the repository: the pipeline's `prepare`, `base` and `lexicons` stages depend on them in
# every profile, so `xstilts profile full && dvc repro` needs them too. .dockerignore leaves the
# build context's copies out (they may be absent or stale); `make data` restores exactly the
# versions data.dvc and pretrained.dvc name. Only the files stay: the DVC cache lives in the
# volume configured below.
RUN make data && rm -rf .dvc/cache .dvc/tmp

# Caches live in volumes: hub downloads (models, datasets) and the DVC cache survive the
# container, and several containers can share them.
ENV PATH=/home/xstilts/xstilts/.venv/bin:$PATH \
    HF_HOME=/cache/hf
USER root
RUN mkdir -p /cache/hf /cache/dvc && chown -R xstilts:xstilts /cache \
    && git config --system --add safe.directory /home/xstilts/xstilts
USER xstilts
# DVC reads its cache location from config; point it at the volume (local config, not committed).
RUN dvc cache dir --local /cache/dvc && dvc config --local cache.type reflink,copy
# The workspace starts without the committed dvc.lock; git keeps it, so `git diff dvc.lock` after
# a run compares this machine's record with the committed one. DVC trusts a dvc.lock over its
# stage cache: a stage whose inputs equal the committed record but whose outputs came out
# otherwise on this hardware (float sums differ between CPUs and GPUs) would run again in every
# new container instead of coming back from the cache volume.
RUN rm dvc.lock
VOLUME ["/cache/hf", "/cache/dvc"]

# The Gradio demo's port (`xstilts app`).
EXPOSE 7860

# The README's main command: pull the sample data, run the active profile, print the results.
CMD ["make", "repro"]
