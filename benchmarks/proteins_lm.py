"""Proteins, part 4: the proteome language model that ULMFiT starts from (stage 1).

What the pretrained LM of ``--lm`` is, how it was made and how well it predicts the next
residue: on held-out proteome proteins (recorded at pretraining) and on the human kinases of
part 2 (never seen), against always guessing their commonest residue. Writes
``docs/results/proteins/section_lm.md``, then reassembles ``docs/results/proteins.md``.

Usage::

    OMP_NUM_THREADS=1 castlab proteins pretrain ../shared/data/protein-unlabelled/*.fasta \\
        --out runs/proteins/lm-proteomes --dim 96 --hidden 384 --layers 3 --epochs 2
    python benchmarks/proteins_lm.py --lm runs/proteins/lm-proteomes/model \\
        --lm-command 'castlab proteins pretrain ...'
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch
from _proteins import read_kinases, write_proteins_page, write_section

from castlab.proteins.pretrain import ProteinLanguageModel


def lm_section(lm_folder: Path, lm_command: str, tokens: int) -> str:
    """What the pretrained LM is, how it was made and how well it predicts residues."""
    lm = ProteinLanguageModel.load(lm_folder)
    info, config = lm.info, lm.info.get("config", {})
    kinases = [r.sequence[: tokens - 1] for r in read_kinases()]
    kinase_accuracy = lm.next_token_accuracy(kinases, max_tokens=tokens)
    residues = pd.Series(list("".join(kinases))).value_counts(normalize=True)

    def shown(key: str) -> str:
        return f"{info[key]:.3f}" if key in info else "not measured (no epoch ended)"

    return (
        f"Made by: `{lm_command or 'castlab proteins pretrain ...'}`, "
        f"{info.get('seconds', float('nan')):.0f} s on one core.\n\n"
        f"Data: {info.get('source')} (../shared/data/protein-unlabelled: E. coli K-12, "
        f"Pseudomonas koreensis and Flavobacterium pectinovorum reference proteomes), "
        f"{info.get('sequences')} sequences shuffled, 5% held out; {info.get('train_tokens'):,} "
        f"training tokens (single amino acids).\n\n"
        f"Model: AWD-LSTM ({lm.shape.layers} layers, embedding {lm.shape.dim}, hidden "
        f"{lm.shape.hidden}, weight-dropped, tied decoder), windows of {config.get('seq_len')} "
        f"tokens, batch {config.get('batch_size')}, {config.get('epochs')} epoch(s) = "
        f"{info.get('steps')} steps of one-cycle AdamW.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| next-residue accuracy, held-out proteome proteins | {shown('val_accuracy')} |\n"
        f"| validation loss (nats per residue; uniform over 20 = 3.00) | {shown('val_loss')} |\n"
        f"| next-residue accuracy on the {len(kinases)} human kinases (first "
        f"{tokens - 1} residues; never seen) | {kinase_accuracy:.3f} |\n"
        f"| always guessing the kinases' commonest residue ({residues.index[0]}) | "
        f"{residues.iloc[0]:.3f} |\n"
        "\nThe blog's LM reached ~32% next-token accuracy on *subword* tokens, which are longer "
        "than one residue, so the numbers are not comparable.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lm", type=Path, help="pretrained LM folder (castlab proteins pretrain); none: skip"
    )
    parser.add_argument("--lm-command", default="", help="the command that made --lm (shown)")
    parser.add_argument(
        "--kinase-lstm-tokens", type=int, default=512, help="kinase residues scored + 1"
    )
    args = parser.parse_args()
    if args.lm is None:  # `make bench` runs every script without options
        print("no --lm FOLDER: the LM section is left as it is")
        return
    torch.set_num_threads(1)
    started = time.time()
    text = lm_section(args.lm, args.lm_command, args.kinase_lstm_tokens)
    write_section("lm", "The proteome language model (ULMFiT stage 1)", text, started)
    print(write_proteins_page("lm"), f"done in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
