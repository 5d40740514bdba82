"""Everything the report stage writes: the per-example frame, robustness tables, the statistical
answer to the research question, and plots."""
