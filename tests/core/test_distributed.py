"""Training in two processes (Lightning DDP, gloo on CPU) behaves like training in one.

Lightning's launcher starts the other process by running the same command again, so each
test runs a real command (a small script, or the castlab CLI) in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from castlab.core.distributed import is_main_process
from tests.signals import default_sigint

pytestmark = pytest.mark.slow

SCRIPT = """
import json, sys
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from castlab.core.artifacts import save_model
from castlab.core.language_model import LanguageModelConfig, build_language_model
from castlab.core.training import LanguageModelTask, TrainConfig, fit

out, devices, batch = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])


class Recorder(L.Callback):
    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        line = json.dumps([trainer.current_epoch, batch[0][:, 0].tolist()])
        with (out / f"batches-rank{trainer.global_rank}.jsonl").open("a") as handle:
            handle.write(line + "\\n")


torch.manual_seed(0)
x = torch.randint(0, 20, (16, 6))
x[:, 0] = torch.arange(16)  # the first token names the sample
y = torch.roll(x, -1, 1)
train = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True)
val = DataLoader(TensorDataset(x[:8], y[:8]), batch_size=batch // 2)
config = TrainConfig(
    max_epochs=2, lr=1e-2, one_cycle=False, progress=False, accelerator="cpu",
    devices=devices, strategy="ddp" if devices != "1" else "auto", checkpoint_every_steps=0,
)
model = build_language_model(LanguageModelConfig(
    kind="transformer", vocab_size=20, dim=16, layers=1, heads=2, block_size=8, dropout=0.0
))
trainer = fit(LanguageModelTask(model, config), train, val, out / "run", config,
              callbacks=[Recorder()])
if trainer.is_global_zero:
    weights = {k: v for k, v in model.state_dict().items() if k != "decoder.weight"}  # tied
    save_model(out / "model", weights,
               {"val_loss": float(trainer.callback_metrics["val_loss"]),
                "world_size": trainer.world_size})
"""


def _run(args: list[str], cwd: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for variable in ("RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "SLURM_PROCID"):
        env.pop(variable, None)
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def one_and_two_processes(tmp_path_factory):
    """The same training run once in one process (batch 16) and once in two (8 each)."""
    root = tmp_path_factory.mktemp("ddp")
    script = root / "train.py"
    script.write_text(SCRIPT)
    runs = {}
    for name, devices, batch in (("one", "1", 16), ("two", "2", 8)):
        out = root / name
        out.mkdir()
        result = _run([sys.executable, str(script), str(out), devices, str(batch)], root)
        assert result.returncode == 0, result.stderr[-3000:]
        runs[name] = out
    return runs


def test_each_process_sees_its_own_share_of_every_epoch(one_and_two_processes):
    out = one_and_two_processes["two"]
    seen = {
        rank: [json.loads(line) for line in (out / f"batches-rank{rank}.jsonl").open()]
        for rank in (0, 1)
    }
    for epoch in (0, 1):
        ids = [{i for e, batch in seen[rank] if e == epoch for i in batch} for rank in (0, 1)]
        assert ids[0].isdisjoint(ids[1])
        assert ids[0] | ids[1] == set(range(16))


def test_only_rank_zero_writes_the_run_folder(one_and_two_processes):
    run = one_and_two_processes["two"] / "run"
    assert (run / "metrics.csv").exists() and (run / "checkpoints" / "last.ckpt").exists()
    assert (run / "loss.png").exists()
    assert not list(run.glob("metrics.part*.csv"))  # no second writer renamed the log


def test_two_processes_train_the_same_model_as_one(one_and_two_processes):
    """Same effective batch (all 16 samples per step) and no dropout: the same weights, and
    the validation loss reduced over processes equals the one-process value."""
    one = load_file(str(one_and_two_processes["one"] / "model" / "model.safetensors"))
    two = load_file(str(one_and_two_processes["two"] / "model" / "model.safetensors"))
    for name, weight in one.items():
        torch.testing.assert_close(two[name], weight, atol=1e-5, rtol=1e-4)
    configs = [
        json.loads((one_and_two_processes[k] / "model" / "config.json").read_text())
        for k in ("one", "two")
    ]
    assert [c["world_size"] for c in configs] == [1, 2]
    assert configs[1]["val_loss"] == pytest.approx(configs[0]["val_loss"], abs=1e-5)


def _abc_corpus(path: Path) -> Path:
    """24 different reels (castlab merges duplicate tunes), eight bars of quavers each."""
    import random

    rng = random.Random(0)
    tunes = []
    for i in range(24):
        bars = ["".join(rng.choice("DEFGABcde") for _ in range(8)) for _ in range(8)]
        body = "|".join(bars[:4]) + ":|\n|:" + "|".join(bars[4:])
        tunes.append(f"X:{i + 1}\nT:Tune {i}\nR:reel\nM:4/4\nL:1/8\nK:G\n|:{body}:|\n")
    path.write_text("\n".join(tunes))
    return path


def _tunes_command(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "castlab", "tunes", "train", "--corpus", str(corpus),
        "--out", str(out), "--dim", "16", "--hidden", "16", "--layers", "1",
        "--seq-len", "16", "--batch-size", "4", "--accelerator", "cpu", "--devices", "2",
        "--strategy", "ddp", *extra,
    ]  # fmt: skip


def test_tunes_cli_trains_in_two_processes_with_one_writer(tmp_path):
    corpus = _abc_corpus(tmp_path / "tunes.abc")
    result = _run(_tunes_command(corpus, tmp_path / "run", "--max-steps", "20"), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("model saved to") == 1  # rank 1 prints nothing
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()
    assert (tmp_path / "run" / "metrics.csv").exists()


def _step(checkpoint: Path) -> int:
    return int(torch.load(checkpoint, weights_only=True, map_location="cpu")["global_step"])


def _interrupt_after_checkpoint(command: list[str], checkpoint: Path, after_step: int) -> None:
    """Start ``command``; once a checkpoint past ``after_step`` exists, press Ctrl-C."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # one process group: Ctrl-C reaches both processes
        preexec_fn=default_sigint,
    )
    deadline = time.time() + 240
    try:
        while time.time() < deadline and process.poll() is None:
            if checkpoint.exists():
                try:
                    if _step(checkpoint) > after_step:
                        break
                except (RuntimeError, EOFError, OSError):
                    pass  # the file is being replaced
            time.sleep(0.5)
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_ctrl_c_then_resume_continues_from_the_saved_step(tmp_path):
    corpus = _abc_corpus(tmp_path / "tunes.abc")
    run = tmp_path / "run"
    checkpoint = run / "checkpoints" / "last.ckpt"
    command = _tunes_command(corpus, run, "--max-steps", "100000")
    _interrupt_after_checkpoint(command, checkpoint, after_step=0)
    stopped = _step(checkpoint)
    assert stopped > 0
    resume = [sys.executable, "-m", "castlab", "tunes", "train", "--resume", "--out", str(run)]
    _interrupt_after_checkpoint(resume, checkpoint, after_step=stopped)
    assert _step(checkpoint) > stopped
    assert (run / "metrics.part1.csv").exists()  # the first part's log is kept
    lines = (run / "metrics.csv").read_text().splitlines()[1:]  # after the header
    resumed_steps = [int(line.split(",")[1]) for line in lines]
    assert not resumed_steps or min(resumed_steps) >= stopped


def test_proteins_cli_trains_in_two_processes(tmp_path):
    from castlab.proteins.synthetic import synthetic_families

    records = synthetic_families(n_families=3, per_family=30, seed=0)
    fasta = tmp_path / "families.fasta"
    fasta.write_text("".join(f">{r.name}|{r.family}\n{r.sequence}\n" for r in records))
    command = [
        sys.executable, "-m", "castlab", "proteins", "train", str(fasta), "--label-field", "1",
        "--model", "cnn", "--dim", "16", "--epochs", "2", "--max-tokens", "64",
        "--out", str(tmp_path / "run"), "--accelerator", "cpu", "--devices", "2",
        "--strategy", "ddp",
    ]  # fmt: skip
    result = _run(command, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("model written to") == 1
    scores = json.loads((tmp_path / "run" / "test_scores.json").read_text())
    assert scores["sequences"] == 9


def test_the_main_process_is_rank_zero(monkeypatch):
    for variable in ("RANK", "SLURM_PROCID", "NODE_RANK", "LOCAL_RANK"):
        monkeypatch.delenv(variable, raising=False)
    assert is_main_process()
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert not is_main_process()
    monkeypatch.setenv("RANK", "0")  # torchrun's global rank wins
    assert is_main_process()


def test_selfsup_pretrain_and_finetune_in_two_processes(tmp_path):
    data, run = tmp_path / "data", tmp_path / "pretrain"
    made = _run(
        [sys.executable, "-m", "castlab", "selfsup", "generate", str(data), "--per-class", "4",
         "--unlabelled", "32"], tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    ddp = ["--accelerator", "cpu", "--devices", "2", "--strategy", "ddp"]
    small = ["--size", "16", "--epochs", "2", "--batch-size", "8"]
    pretrain = _run(
        [sys.executable, "-m", "castlab", "selfsup", "pretrain", str(data), "--task", "rotation",
         "--widths", "8,16", *small, *ddp, "--out", str(run)], tmp_path,
    )  # fmt: skip
    assert pretrain.returncode == 0, pretrain.stderr[-3000:]
    assert pretrain.stdout.count("encoder written to") == 1
    finetune = _run(
        [sys.executable, "-m", "castlab", "selfsup", "finetune", str(data), "--encoder",
         str(run / "encoder"), *small, *ddp, "--out", str(tmp_path / "finetune")], tmp_path,
    )  # fmt: skip
    assert finetune.returncode == 0, finetune.stderr[-3000:]
    assert (tmp_path / "finetune" / "model" / "model.safetensors").exists()


SENTIMENT = """
import sys
import pandas as pd
from castlab.core.training import TrainConfig
from castlab.sentiment.train import FineTuneConfig, finetune

words = ["love", "hate", "see"]
texts = [f"I {words[i % 3]} thing number {i}" for i in range(48)]
frame = pd.DataFrame({"text": texts, "label": [(2, 0, 1)[i % 3] for i in range(48)]})
config = TrainConfig(max_epochs=1, batch_size=8, lr=5e-5, accelerator="cpu",
                     devices="2", strategy="ddp", progress=False)
finetune(frame, frame.head(16), sys.argv[1], train_config=config)
"""


def test_sentiment_finetuning_in_two_processes(tmp_path):
    """MiniLM + head: the sortish batches shard themselves and the unused pooler is allowed."""
    script = tmp_path / "finetune.py"
    script.write_text(SENTIMENT)
    result = _run([sys.executable, str(script), str(tmp_path / "run")], tmp_path, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()
    header = (tmp_path / "run" / "metrics.csv").read_text().splitlines()[0]
    assert "val_macro_recall" in header


def test_birds_cnn_in_two_processes(tmp_path):
    made = _run(
        [sys.executable, "-m", "castlab", "birds", "generate", str(tmp_path / "syn")], tmp_path
    )
    assert made.returncode == 0, made.stderr[-2000:]
    command = [
        sys.executable, "-m", "castlab", "birds", "train", str(tmp_path / "syn" / "species"),
        "--out", str(tmp_path / "run"), "--epochs", "2", "--batch-size", "8",
        "--peaks-per-file", "4", "--background-per-file", "1", "--threads", "1",
        "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp",
    ]  # fmt: skip
    result = _run(command, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("model written to") == 1
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()
