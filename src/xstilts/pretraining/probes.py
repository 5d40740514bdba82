"""What a pretrained encoder learnt, measured before any fine-tuning.

- Copy probe: one token of an English corpus line is masked and predicted from the line alone,
  after an unmasked copy of the line (`<s> line </s></s> line </s>`: the answer stands in the
  input), and after an unrelated line (the same length, no answer). An encoder that looks tokens
  up in its context, as reading comprehension needs, scores far higher with the copy.
- Translation retrieval: mean-pooled sentence vectors of parallel sentences (centred per
  language); the share of non-English sentences whose nearest English sentence is their
  translation (chance: one over the number of sentences). Zero-shot transfer needs the
  languages to meet in one space; this sees it directly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from transformers import PreTrainedTokenizerBase, XLMRobertaForMaskedLM

COPY_INPUTS = ("line alone", "after a copy of itself", "after an unrelated line")


@torch.inference_mode()
def masked_accuracy(
    model: XLMRobertaForMaskedLM,
    tokenizer: PreTrainedTokenizerBase,
    pairs: Sequence[tuple[str | None, str]],
    seed: int = 0,
) -> float:
    """Accuracy on one random token of each second text, masked, after the first (if any)."""
    rng = random.Random(seed)
    correct = 0
    for first, line in pairs:
        ids = tokenizer(first, line)["input_ids"] if first else tokenizer(line)["input_ids"]
        ids = torch.tensor(ids)
        length = len(tokenizer(line, add_special_tokens=False)["input_ids"])
        position = rng.randrange(len(ids) - 1 - length, len(ids) - 1)
        gold = int(ids[position])
        ids[position] = tokenizer.mask_token_id
        logits = model(input_ids=ids[None]).logits[0, position]
        correct += int(logits.argmax()) == gold
    return correct / len(pairs)


def copy_probe(
    model: XLMRobertaForMaskedLM, tokenizer: PreTrainedTokenizerBase, lines: Sequence[str]
) -> dict[str, float]:
    """Masked-token accuracy on `lines` in each of the three inputs (`COPY_INPUTS`)."""
    lines = [line for line in lines if len(line.split()) >= 4]
    shifted = lines[7:] + lines[:7]
    inputs = {
        "line alone": [(None, line) for line in lines],
        "after a copy of itself": [(line, line) for line in lines],
        "after an unrelated line": list(zip(shifted, lines, strict=True)),
    }
    return {
        name: round(masked_accuracy(model, tokenizer, pairs), 4) for name, pairs in inputs.items()
    }


@torch.inference_mode()
def sentence_vectors(
    model: XLMRobertaForMaskedLM, tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]
) -> torch.Tensor:
    """Mean-pooled last-layer vectors, centred over `texts` and of unit length."""
    vectors = []
    for start in range(0, len(texts), 64):
        batch = tokenizer(list(texts[start : start + 64]), padding=True, return_tensors="pt")
        hidden = model.base_model(**batch).last_hidden_state
        mask = batch["attention_mask"][..., None].float()
        vectors.append((hidden * mask).sum(1) / mask.sum(1))
    stacked = torch.cat(vectors)
    return torch.nn.functional.normalize(stacked - stacked.mean(0, keepdim=True), dim=-1)


def translation_retrieval(
    model: XLMRobertaForMaskedLM,
    tokenizer: PreTrainedTokenizerBase,
    parallel: dict[str, Sequence[str]],
) -> dict[str, float]:
    """Top-1 retrieval accuracy of each language's sentences among the English ones
    (`parallel`: language -> sentences, the i-th of every language translations of each other)."""
    english = sentence_vectors(model, tokenizer, parallel["en"])
    truth = torch.arange(len(english))
    scores = {}
    for lang, texts in parallel.items():
        if lang != "en":
            nearest = (sentence_vectors(model, tokenizer, texts) @ english.T).argmax(1)
            scores[lang] = round((nearest == truth).float().mean().item(), 4)
    return scores
