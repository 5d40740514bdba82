"""Pinned hub revisions (commit SHAs on each repository's main branch), in one place so that an
update is one reviewed diff. All are native-Parquet revisions: datasets >= 4 no longer runs
loading scripts, so a script-era revision would fail to load."""

GLUE = "bcdcba79d07bc864c1c254ccfcedcce55bcc9a8c"  # nyu-mll/glue
RACE = "2fec9fd81f1dc971569a9b729c43f2f0e6436637"  # ehovy/race
XNLI = "b8dd5d7af51114dbda02c0e3f6133f332186418e"  # facebook/xnli
PAWSX = "4cd8187c404bda33cb1f62b49b001115862acf37"  # google-research-datasets/paws-x
XCOPA = "042f78955ba48e6404616762fa6e05e839c3907a"  # cambridgeltl/xcopa
COPA = "3de24cf8022e94f4ee4b9d55a6f539891524d646"  # aps/super_glue
XLM_R_LARGE = "c23d21b0620b635a76227c604d44e43a9f0ee389"  # FacebookAI/xlm-roberta-large

# The SHAs below could not be checked against the hub from where this was written (no access);
# each was taken from another public project that pins it, as noted. Verify before a full run:
# `huggingface-cli download --repo-type dataset REPO --revision SHA` must list Parquet files.
SNLI = "cdb5c3d5eed6ead6e5a341c8e56e669bb666725b"  # stanfordnlp/snli (unverified)
ANLI = "8e4813d81f46d313dac7892e1c28076917cfcdf9"  # facebook/anli (unverified)
HELLASWAG = "218ec52e09a7e7462a5400043bb9a69a41d06b76"  # Rowan/hellaswag (unverified)
COMMONSENSE_QA = "94630fe30dad47192a8546eb75f094926d47e155"  # tau/commonsense_qa (unverified)
# allenai/cosmos_qa and allenai/social_i_qa hold only loading scripts on main, which datasets
# no longer runs; these SHAs are of the hub's auto-converted Parquet branch
# (refs/convert/parquet, config "default"), the only Parquet form of their data (unverified).
COSMOS_QA = "ed50fe83db62b355759053b1cd5eef344ee371e0"  # allenai/cosmos_qa (unverified)
SIQA = "537a2ec8ec565adc0b70b70752893e59e024df26"  # allenai/social_i_qa (unverified)
WIKIANN = "f0a3be6dc5564c0cc4150bb660144800a1f539d4"  # unimelb-nlp/wikiann (unverified)
# google/xtreme: no commit of its Parquet conversion could be found pinned anywhere public, so
# none is pinned here, and its UD-POS configs refuse to load (one line saying so) until the
# commit is resolved on a machine with hub access and written here:
# `huggingface-cli download --repo-type dataset google/xtreme --include 'udpos.English/*'`
# prints the commit it downloaded.
XTREME: str | None = None  # google/xtreme (not pinned)

# Span QA. Each SHA below is pinned, with the Parquet file it reads, by public code; none could
# be checked against the hub from where this was written.
SQUAD = "7b6d24c440a36b6815f21b70d25016731768db1f"  # rajpurkar/squad (plain_text/*.parquet)
XQUAD = "51adfef1c1287aab1d2d91b5bead9bcfb9c68583"  # google/xquad (xquad.<lang>/*.parquet)
TYDIQA = "da78f23f9119363459acbaf46bf89426ff26c259"  # google-research-datasets/tydiqa
# facebook/mlqa's main holds only a loading script and no public code pins its Parquet branch;
# google/xtreme's MLQA.<lang>.<lang> configs are Parquet at this commit (MLQA.en.en's
# test/validation files are read at it in public code; the other six from the same conversion)
XTREME_MLQA = "ec5f1f46e9af79639a90684a7a70a956c4998f04"  # google/xtreme, MLQA configs only
