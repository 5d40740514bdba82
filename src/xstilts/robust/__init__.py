"""Robust training: randomized smoothing with data augmentation (RS-DA) of the English target
training data, and the word neighbours it draws from."""
