"""How often the model itself predicts a token kind, teacher-forced on corpus tunes.

Feeds every corpus tune of ``--type`` (the shipped model's training text: types inferred,
decoder notation, ``N:`` dotting code) through the model and adds up, over every body
position, the probability the model gives a token kind (``>``/``<`` dotted pairs or ``(3``
triplets) at each ``--temperature``, against the number of such tokens the tunes really have,
split by the tune's ``N:`` code. A sum at temperature 1 near the real count and well above it
at the body's temperature means sampling sharpens a minority choice away (docs/results/tunes.md,
third and fifth rounds). Plain probabilities of the unconstrained model: the decoder's grammar
is not applied. Prints a markdown table; the narrative lives in the results page.

Usage: python benchmarks/tunes_forced.py --type 'slip jig' --kind broken --temperature 1 0.7
"""

from __future__ import annotations

import argparse

import torch
from _tunes_style import _table

from castlab.core.tokenizers import SPECIAL_TOKENS
from castlab.tunes.bars import Kind, token_kind
from castlab.tunes.model import TuneModel
from castlab.tunes.train import TunesTrainConfig, prepare


@torch.no_grad()
def forced_sums(model, tunes, kind: Kind, temperatures) -> dict:  # type: ignore[no-untyped-def]
    """{code: {"tunes", "real", T: summed probability of ``kind``}} over ``tunes``' bodies."""
    vocab = [model.tokenizer.token(i) for i in range(model.tokenizer.vocab_size)]
    # <bos>, <eos>, ... start with "<" and read as broken rhythm to token_kind: left out
    ids = torch.tensor(
        [i for i, t in enumerate(vocab) if token_kind(t) is kind and t not in SPECIAL_TOKENS]
    )
    out: dict = {}
    for tune in tunes:
        tokens = model.encode(tune.model_text)
        logits, _ = model.network.step(torch.tensor([tokens[:-1]]))
        # body positions only: predictions made after the header (<bos> + its lines)
        body_start = 1 + len(model.tokenizer.encode(tune.header_text))
        row = out.setdefault(tune.dotting or "-", {"tunes": 0, "real": 0})
        row["tunes"] += 1
        row["real"] += sum(int(t) in ids.tolist() for t in tokens[body_start:])
        for temperature in temperatures:
            probs = torch.softmax(logits[0, body_start - 1 :].float() / temperature, dim=-1)
            row[temperature] = row.get(temperature, 0.0) + float(probs[:, ids].sum())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--type", required=True)
    parser.add_argument("--kind", choices=["broken", "tuplet"], default="broken")
    parser.add_argument("--temperature", type=float, nargs="+", default=[1.0, 0.7])
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = TuneModel.pretrained()
    info = model.info
    config = TunesTrainConfig.of_model(info)
    splits, _, _ = prepare(config)
    tunes = [t for part in splits.values() for t in part if t.rhythm == args.type]
    sums = forced_sums(model, tunes, Kind[args.kind.upper()], args.temperature)
    rows = [
        {
            "N: code": code,
            "tunes": row["tunes"],
            "real": row["real"],
            **{f"T {t:g}": f"{row[t]:.1f}" for t in args.temperature},
        }
        for code, row in sorted(sums.items())
    ]
    print(_table(rows))


if __name__ == "__main__":
    main()
