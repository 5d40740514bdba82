"""Models: the tokenizer, the shared encoder with one head per task, and input encoding."""
