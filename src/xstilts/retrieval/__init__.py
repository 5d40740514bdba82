"""Cross-lingual retrieval from encoder representations, with no target training: sentence
vectors pooled from one layer (`embeddings`), nearest neighbours found block by block so the
score matrix never exists whole (`search`), margin-scored bitext mining (`mining`) and the
benchmarks' metrics (`metrics`)."""
