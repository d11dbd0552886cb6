"""The tunes part of ``castlab demo``: corpus, a tiny training run, the shipped model's
numbers, and playable generated tunes (sheet music, audio, files).

Examples
--------
>>> from castlab.core.report import Report
>>> run_demo(Path("castlab-report/tunes"), Report("demo").section("tunes"))  # doctest: +SKIP
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from castlab.core.report import Section
from castlab.core.training import TrainConfig, discard_checkpoint
from castlab.tunes.evaluate import BarIndex, score_tune, summarise_scores
from castlab.tunes.generate import GenerateConfig, generate_tunes
from castlab.tunes.model import TuneModel
from castlab.tunes.plots import plot_generation_checks
from castlab.tunes.render import write_outputs
from castlab.tunes.train import TunesTrainConfig, next_token_metrics, prepare, train_tunes

__all__ = ["run_demo"]

_EXAMPLES = [("jig", "6/8", "D"), ("reel", "2/2", "G"), ("hornpipe", "2/2", "A")]
#: Ogg Vorbis keeps the report small (a WAV of one tune is ~4 MB, the Ogg ~0.1 MB)
AUDIO_FORMAT = "ogg"


def run_demo(out_dir: Path, section: Section, *, train_steps: int = 40) -> None:
    """Fill ``section`` with the tunes demo, writing files under ``out_dir``."""
    out_dir = Path(out_dir)
    report_dir = out_dir.parent
    model = TuneModel.pretrained()
    corpus_config = TunesTrainConfig(corpus=tuple(model.info.get("corpus", ("oneills",))))
    splits, _, corpus = prepare(corpus_config)
    section.paragraph(
        f"Corpus (music21's ABC collections {', '.join(corpus_config.corpus)}): "
        f"{corpus.summary()[:400]}. Split by tune: "
        + ", ".join(f"{k} {len(v)}" for k, v in splits.items())
        + "."
    )

    # a tiny training run, to show the trainer, its CSV log and loss plot
    tiny = TunesTrainConfig(
        corpus=("oneills",), dim=64, hidden=128, layers=1, seq_len=64, max_tunes=300
    )
    discard_checkpoint(out_dir / "tiny-run")  # a scratch run: an earlier stopped one starts over
    train_tunes(
        tiny,
        TrainConfig(max_epochs=1, max_steps=train_steps, batch_size=32, lr=5e-3, progress=False),
        out_dir / "tiny-run",
    )
    section.figure(
        out_dir / "tiny-run" / "loss.png",
        f"A tiny LSTM trained for {train_steps} steps on 300 tunes (loss per step).",
    )

    held_out = next_token_metrics(model, splits["test"][:80])
    section.paragraph(
        f"Shipped model ({model.model_config.kind}, {model.tokenizer.vocab_size} ABC tokens, "
        f"trained {model.info.get('steps', '?')} steps): on {min(80, len(splits['test']))} "
        f"held-out tunes next-token accuracy {held_out['accuracy']:.1%}, "
        f"{held_out['bits_per_character']:.3f} bits per ABC character."
    )

    index = BarIndex(splits["train"])
    rows, summaries = [], {}
    for constrained in (True, False):
        mode = "constrained" if constrained else "unconstrained"
        scores = []
        for n, (rhythm, meter, key) in enumerate(_EXAMPLES):
            config = GenerateConfig(
                rhythm=rhythm,
                meter=meter,
                key=key,
                seed=n,
                constrained=constrained,
                prompt="|:",
                length=200,
            )
            generated = generate_tunes(model, config)[0]
            score = score_tune(generated.tune, model.tokenizer, index)
            scores.append(score)
            rows.append(
                {
                    "mode": mode,
                    "tune": f"{rhythm} in {key}",
                    "parses": score.parses,
                    "bars": score.bars,
                    "right-length bars": score.right_length_share,
                    "abc2midi warnings": score.abc2midi_warnings,
                    "AABB": score.aabb,
                    "longest copied run (bars)": score.copied_bars,
                }
            )
            if constrained:
                files = write_outputs(
                    generated.tune, out_dir, f"{rhythm}-{key}", audio_format=AUDIO_FORMAT
                )
                section.html(
                    f"<h3>{html.escape(f'{rhythm.title()} in {key}')}</h3>"
                    f"<pre>{html.escape(generated.tune.to_abc())}</pre>"
                )
                if files.svg:
                    section.svg(files.svg, f"{rhythm} in {key}, engraved by abcm2ps")
                if files.wav:
                    section.audio(files.wav, "; ".join(files.notes), relative_to=report_dir)
                section.links(
                    [p for p in (files.abc, files.midi, files.wav, files.svg) if p],
                    relative_to=report_dir,
                )
        summaries[mode] = summarise_scores(scores)
    section.table(
        pd.DataFrame(rows),
        "Checks on generated tunes: the constrained decoder "
        "against plain sampling (the blog's method).",
    )
    section.figure(
        plot_generation_checks(summaries, out_dir / "checks.png"),
        "Parse rate, right-length bars and AABB form by decoding mode.",
    )
