"""The tag sets of the tagging tasks, in the order their hub datasets declare them, shared by the
task specs and the sample world (which writes rows with the same integer tags)."""

# the 17 universal POS tags, in the order of google/xtreme's udpos configs (their ClassLabel)
UPOS: tuple[str, ...] = tuple(
    "ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X".split()  # noqa: SIM905
)
# WikiANN's BIO tags, in the order of unimelb-nlp/wikiann's ner_tags (its ClassLabel)
WIKIANN_NER: tuple[str, ...] = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
