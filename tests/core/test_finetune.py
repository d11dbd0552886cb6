"""ULMFiT fine-tuning pieces: discriminative rates, gradual unfreezing, classifier task."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from castlab.core.finetune import (
    ClassifierTask,
    FinetuneConfig,
    GradualUnfreezing,
    fit_classifier,
    group_learning_rates,
    set_trainable_groups,
)
from castlab.core.training import TrainConfig


class _Stack(nn.Module):
    """Three linear layers = three layer groups."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 2)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else torch.relu(layer(x))
        return x

    def layer_groups(self) -> list[list[nn.Parameter]]:
        return [list(layer.parameters()) for layer in self.layers]


def test_group_rates_fall_by_the_decay_towards_the_input():
    rates = group_learning_rates(FinetuneConfig(lr=1.0, lr_decay=2.0), 3)
    assert rates == [0.25, 0.5, 1.0]


def test_set_trainable_groups_freezes_the_bottom():
    model = _Stack()
    set_trainable_groups(model.layer_groups(), 1)
    assert [p.requires_grad for p in model.parameters()] == [False] * 4 + [True] * 2


def test_gradual_unfreezing_trains_lower_layers_only_later(tmp_path):
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    model = _Stack()
    first = model.layers[0].weight.detach().clone()
    middle = model.layers[1].weight.detach().clone()
    task = ClassifierTask(model, FinetuneConfig(lr=1e-2, one_cycle=False))
    config = TrainConfig(max_epochs=1, progress=False, accelerator="cpu", devices="1")
    fit_classifier(task, loader, loader, tmp_path / "one", config, unfreezing=GradualUnfreezing())
    assert torch.equal(model.layers[0].weight, first) and torch.equal(
        model.layers[1].weight, middle
    )
    config = TrainConfig(max_epochs=2, progress=False, accelerator="cpu", devices="1")
    for p in model.parameters():
        p.requires_grad_(True)
    fit_classifier(task, loader, loader, tmp_path / "two", config, unfreezing=GradualUnfreezing())
    assert torch.equal(model.layers[0].weight, first)  # epoch 1 unfroze only the middle layer
    assert not torch.equal(model.layers[1].weight, middle)
    assert (tmp_path / "two" / "metrics.csv").exists()


def test_optimizer_has_one_group_per_layer_group_with_its_rate(tmp_path):
    task = ClassifierTask(_Stack(), FinetuneConfig(lr=0.3, lr_decay=3.0, one_cycle=False))
    optimizer = task.configure_optimizers()
    assert [round(g["lr"], 6) for g in optimizer.param_groups] == [round(0.3 / 9, 6), 0.1, 0.3]


class _WithLoss(_Stack):
    """A nanoGPT-style model: forward returns (logits, loss); the task uses the logits."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        return super().forward(x), None


def test_class_weights_weigh_the_loss_and_tuple_outputs_are_accepted():
    torch.manual_seed(0)
    model = _WithLoss()
    task = ClassifierTask(model, FinetuneConfig(class_weights=(1.0, 5.0)))
    x, y = torch.randn(6, 4), torch.tensor([0, 0, 0, 0, 1, 1])
    task.log = lambda *args, **kwargs: None  # no trainer attached: skip logging
    loss = task._common_step((x, y), "train")
    logits, _ = model(x)
    expected = nn.functional.cross_entropy(logits, y, weight=torch.tensor([1.0, 5.0]))
    torch.testing.assert_close(loss, expected)
    assert not torch.allclose(loss, nn.functional.cross_entropy(logits, y))


def test_validation_logs_macro_recall(tmp_path):
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0.8).long()  # imbalanced: macro recall differs from accuracy
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    task = ClassifierTask(_Stack(), FinetuneConfig(lr=1e-2))
    config = TrainConfig(max_epochs=1, progress=False, checkpoint_every_steps=0)
    trainer = fit_classifier(task, loader, loader, tmp_path / "run", config)
    recall = float(trainer.callback_metrics["val_macro_recall"])
    # the logged value is macro recall of the model's own predictions (was: "between 0 and 1")
    from sklearn.metrics import recall_score

    with torch.no_grad():
        predicted = task.eval()(x).argmax(-1)
    assert recall == pytest.approx(recall_score(y, predicted, average="macro"), abs=1e-6)
    assert recall != float(trainer.callback_metrics["val_accuracy"])
