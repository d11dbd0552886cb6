"""Which fine-tuning recipe reaches TweetEval's 69 macro recall, and after how many tweets?

A recipe search for ``castlab sentiment train``: each recipe fine-tunes MiniLM + head on the
SemEval training tweets with the library's own pieces (``initial_classifier``, the sortish
loader, and core ``make_optimizer`` with ``optimiser_config``, as in the Lightning task) and scores the
TweetEval validation split eight times per epoch, so one run gives the whole learning curve.
It is meant for an accelerator (it runs anywhere, slowly); the CPU number in
docs/results/sentiment.md comes from ``castlab sentiment train`` itself.

Usage::

    python benchmarks/sentiment_recipes.py --semeval ../shared/data/semeval-twitter-sentiment \\
        --tweeteval ../shared/data/tweeteval-sentiment --out docs/results/sentiment/recipes.json
    # or with tables made beforehand (text, label): --train train.parquet --val val.parquet
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from castlab.core.finetune import make_optimizer
from castlab.core.training import TrainConfig
from castlab.sentiment.model import SentimentClassifier, minilm_path
from castlab.sentiment.train import (
    FineTuneConfig,
    _loader,
    class_weights,
    evaluate_predictions,
    initial_classifier,
    optimiser_config,
)

# name -> (FineTuneConfig fields, peak lr, epochs)
RECIPES: dict[str, tuple[dict, float, int]] = {
    "shipped head, lr 1e-5": ({"init_head": "shipped"}, 1e-5, 1),
    "shipped head, lr 2e-5": ({"init_head": "shipped"}, 2e-5, 1),
    "shipped head, lr 3e-5, head x10": ({"init_head": "shipped", "head_lr_scale": 10.0}, 3e-5, 1),
    "shipped head, lr 5e-5": ({"init_head": "shipped"}, 5e-5, 1),
    "shipped head, lr 2e-5, no encoder dropout": (
        {"init_head": "shipped", "encoder_dropout": 0.0},
        2e-5,
        1,
    ),
    "fresh head, lr 5e-5, head x100": ({"head_lr_scale": 100.0}, 5e-5, 1),
    "shipped head, lr 3e-5, 2 epochs": ({"init_head": "shipped"}, 3e-5, 2),
}


@torch.no_grad()
def score(model: SentimentClassifier, loader, device: str) -> float:  # type: ignore[no-untyped-def]
    model.eval()
    truth, predicted = [], []
    for (ids, mask), labels in loader:
        logits, _ = model(ids.to(device), mask.to(device))
        truth.append(labels.numpy())
        predicted.append(logits.argmax(-1).cpu().numpy())
    model.train()
    return evaluate_predictions(np.concatenate(truth), np.concatenate(predicted)).macro_recall


def run_recipe(
    name: str,
    train: pd.DataFrame,
    val: pd.DataFrame,
    encoder: str,
    device: str,
    batch_size: int,
    checks_per_epoch: int,
) -> dict:
    from transformers import AutoTokenizer

    fields, lr, epochs = RECIPES[name]
    config = FineTuneConfig(**fields)
    torch.manual_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = initial_classifier(config, encoder, class_weights(train["label"].to_numpy()))
    model = model.float().to(device).train()
    train_loader = _loader(train, tokenizer, config, batch_size, True)
    val_loader = _loader(val, tokenizer, config, 256, False)
    steps_per_epoch = len(train_loader)
    total = steps_per_epoch * epochs
    # the Lightning task's optimiser: weight decay 0.01 (TrainConfig's default), one cycle
    settings = optimiser_config(TrainConfig(lr=lr), config.head_lr_scale)
    optimizer, schedule = make_optimizer(list(model.layer_groups()), settings, total)
    check_every = math.ceil(steps_per_epoch / checks_per_epoch)
    curve = [{"step": 0, "tweets": 0, "macro_recall": score(model, val_loader, device)}]
    losses, step, start = [], 0, time.time()
    for _ in range(epochs):
        for (ids, mask), labels in train_loader:
            _, loss = model(ids.to(device), mask.to(device), labels.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            step += 1
            if step % check_every == 0 or step == total:
                curve.append(
                    {
                        "step": step,
                        "tweets": min(step * batch_size, len(train) * epochs),
                        "train_loss": float(np.mean(losses[-check_every:])),
                        "macro_recall": score(model, val_loader, device),
                    }
                )
                print(name, curve[-1], flush=True)
    return {
        "recipe": name,
        "config": asdict(config),
        "lr": lr,
        "epochs": epochs,
        "batch_size": batch_size,
        "seconds": time.time() - start,
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "final_macro_recall": curve[-1]["macro_recall"],
        "best_macro_recall": max(c["macro_recall"] for c in curve),
        "curve": curve,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--semeval", type=Path)
    parser.add_argument("--tweeteval", type=Path)
    parser.add_argument("--train", type=Path, help="table with text, label (instead of folders)")
    parser.add_argument("--val", type=Path)
    parser.add_argument("--encoder", default=None, help="MiniLM folder (default: the package)")
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--checks-per-epoch", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("docs/results/sentiment/recipes.json"))
    args = parser.parse_args()
    if args.train:
        train, val = pd.read_parquet(args.train), pd.read_parquet(args.val)
    else:
        from castlab.sentiment.data import read_tweeteval, training_tweets

        train, val = training_tweets(args.semeval, args.tweeteval), read_tweeteval(args.tweeteval)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    encoder = str(args.encoder or minilm_path())
    results = []
    for name in args.recipes:
        results.append(
            run_recipe(name, train, val, encoder, device, args.batch_size, args.checks_per_epoch)
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))
    for row in results:
        print(
            f"{row['recipe']:55s} final {row['final_macro_recall']:.3f}"
            f" best {row['best_macro_recall']:.3f} {row['seconds']:.0f}s"
        )


if __name__ == "__main__":
    main()
