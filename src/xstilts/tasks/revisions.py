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
