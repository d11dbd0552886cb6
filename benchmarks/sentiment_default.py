"""Parts of ``benchmarks/sentiment.py`` for the shipped default scorer (issue #20).

- :func:`export_default`: the fine-tuned run -> ``castlab/sentiment/default/`` (float16
  transformer layers + head, the embeddings left to the packaged MiniLM).
- :func:`precision_rows`: in ONE run over the same 2,000 TweetEval validation texts, a plain
  transformers ``AutoModel`` loop (float32, unsorted, batch 64) with the default model's
  weights, then the default scorer in float32, bfloat16 and int8 (length-sorted batches of
  64): posts/s, the speed ratio to the plain loop, macro recall and its change from float32.
- :func:`dask_rows`: posts/s of ``score_files`` on a Dask LocalCluster with 1 and 2 worker
  processes (1 torch thread each) over the same generated Parquet files.

Not run on its own: ``python benchmarks/sentiment.py --help`` lists the options.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd


def export_default(run: Path, note: str, work: Path) -> dict:
    """Write the run's weights the scorer needs into the package; return size and provenance.

    A finished run has ``model/``; an unfinished one ships its last checkpoint (Lightning's
    ``last.ckpt``, read with ``weights_only=True``), and the step is recorded.
    """
    import torch

    from castlab.core.artifacts import read_json, save_model
    from castlab.sentiment.scorers import DEFAULT_DIR
    from castlab.sentiment.train import export_model

    run_config = read_json(run / "config.json") if (run / "config.json").exists() else {}
    info: dict = {"note": note, "training": run_config}
    model_dir = run / "model"
    if not (model_dir / "model.safetensors").exists():
        checkpoint = torch.load(
            run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True
        )
        weights = {
            key.removeprefix("model."): value
            for key, value in checkpoint["state_dict"].items()
            if key.startswith("model.")
        }
        model_dir = work / "checkpoint-model"
        save_model(
            model_dir,
            weights,
            {**run_config.get("finetune", {}), "encoder": "minilm", "max_length": 128},
        )
        info["checkpoint_step"] = int(checkpoint["global_step"])
    export_model(model_dir, DEFAULT_DIR, **info)
    size = (DEFAULT_DIR / "model.safetensors").stat().st_size
    return {"bytes": size, "checkpoint_step": info.get("checkpoint_step"), "note": note}


def _plain_loop(scorer, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """The baseline: ``AutoModel`` in float32 over the texts in their order, batch 64.

    Same weights, tokenizer, pooling and head as the default scorer; only the loop differs
    (no length sorting, no lower precision).
    """
    import torch

    from castlab.sentiment.data import normalise_tweet

    transformer = scorer.model.encoder.transformer  # a transformers AutoModel (BertModel)
    head = scorer.model.head
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = [normalise_tweet(t) for t in texts[start : start + batch_size]]
            encoded = scorer.tokenizer(
                batch, padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            hidden = transformer(**encoded).last_hidden_state  # (B, T, C)
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            logits = head(torch.nn.functional.normalize(pooled, dim=-1))
            out.append(logits.softmax(-1).numpy())
    return np.concatenate(out)


def shipped_row(table: pd.DataFrame) -> pd.Series:
    """The row of the precision the default scorer runs in (``DEFAULT_PRECISION``)."""
    from castlab.sentiment.scorers import DEFAULT_PRECISION

    return table[table["how"] == f"default, {DEFAULT_PRECISION}, length-sorted"].iloc[0]


def precision_rows(val: pd.DataFrame, rounds: int = 1) -> tuple[pd.DataFrame, dict]:
    """Speed and accuracy of each way of running the default model, in one process.

    Each variant is timed ``rounds`` times, interleaved (plain, float32, bfloat16, int8, ...),
    and its fastest round is kept, so a burst of load from other jobs hits all alike.
    Returns the table and the load averages seen.
    """
    from castlab.sentiment.scorers import DefaultScorer
    from castlab.sentiment.train import evaluate_predictions

    texts, truth = list(val["text"]), val["label"].to_numpy()
    scorers = {p: DefaultScorer(precision=p) for p in ("float32", "bfloat16", "int8")}
    variants = {
        "plain AutoModel loop (float32, unsorted)": lambda: _plain_loop(scorers["float32"], texts),
        **{
            f"default, {p}, length-sorted": (lambda s=s: s.predict_proba(texts))
            for p, s in scorers.items()
        },
    }
    for scorer in scorers.values():  # warm up: first calls allocate and pick kernels
        scorer.predict_proba(texts[:64])
    _plain_loop(scorers["float32"], texts[:64])
    seconds = {name: float("inf") for name in variants}
    results = {}
    loads = []
    for _ in range(rounds):
        for name, run in variants.items():
            start = time.perf_counter()
            probabilities = run()
            seconds[name] = min(seconds[name], time.perf_counter() - start)
            results[name] = evaluate_predictions(truth, probabilities.argmax(1))
            loads.append(os.getloadavg()[0])
            print(
                name, round(len(texts) / seconds[name], 1), results[name].macro_recall, flush=True
            )
    plain = seconds[next(iter(variants))]
    float32 = results["default, float32, length-sorted"].macro_recall
    rows = [
        {
            "how": name,
            "posts/s": len(texts) / seconds[name],
            "speed vs plain loop": plain / seconds[name],
            "macro recall": 100 * result.macro_recall,
            "change from float32 (points)": 100 * (result.macro_recall - float32),
            "accuracy": 100 * result.accuracy,
            "recall neg / neu / pos": " / ".join(f"{100 * r:.1f}" for r in result.recalls),
            "confusion (rows true neg, neu, pos)": str([list(r) for r in result.confusion]),
        }
        for name, result in results.items()
    ]
    meta = {"load_min": min(loads), "load_max": max(loads), "rounds": rounds}
    return pd.DataFrame(rows), meta


def dask_rows(work: Path, files: int = 4, per_file: int = 250) -> pd.DataFrame:
    """posts/s of the default scorer over ``files`` Parquet files with 1 and 2 Dask workers."""
    import shutil

    from castlab.sentiment.cluster import ScorerSpec, score_files
    from castlab.sentiment.synthetic import random_post

    rng = np.random.default_rng(0)
    source = work / "dask_posts"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    for f in range(files):
        labels = rng.integers(0, 3, per_file)
        posts = [random_post(int(k), rng) for k in labels]
        pd.DataFrame({"id": range(per_file), "text": posts}).to_parquet(
            source / f"posts-{f}.parquet", index=False
        )
    inputs = sorted(source.glob("*.parquet"))
    rows = []
    for workers in (1, 2):
        out = work / f"dask_scored_{workers}"
        shutil.rmtree(out, ignore_errors=True)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        summary = score_files(
            inputs, out, ScorerSpec("default", threads=1), dask="local", workers=workers
        )
        seconds = time.perf_counter() - start
        rows.append(
            {
                "workers (1 thread each)": workers,
                "files": files,
                "posts": summary["posts"],
                "seconds (cluster start included)": seconds,
                "posts/s": summary["posts"] / seconds,
                "load average at start": load,
            }
        )
        print(rows[-1], flush=True)
    return pd.DataFrame(rows)
