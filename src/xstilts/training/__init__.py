"""Training: the multi-task sampler, resumable pickle-free state and the one training loop."""
