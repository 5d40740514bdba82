"""Cross-lingual retrieval from encoder representations, with no target training: sentence
vectors pooled from one layer (`embeddings`), nearest neighbours found block by block so the
score matrix never exists whole (`search`), margin-scored bitext mining (`mining`), the
benchmarks' metrics (`metrics`: Tatoeba accuracy, BUCC's threshold and F1, mAP@k, gold ranks)
a parallel set scored in both directions (`parallel`) and BUCC-shaped mining end to end
(`bucc`)."""
