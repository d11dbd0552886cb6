import torch

from castlab.birds.classifier import load_classifier, save_cnn
from castlab.birds.model import BirdCNN, CnnConfig


def test_overfits_two_examples():
    torch.manual_seed(0)
    model = BirdCNN(CnnConfig(n_classes=2, channels=(4, 8), dropout=0.0))
    mel = torch.randn(2, 1, 16, 40)
    target = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(30):
        _, loss = model(mel, target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    assert model(mel)[0].argmax(1).tolist() == [0, 1]


def test_save_and_load_give_the_same_predictions(tmp_path):
    import numpy as np

    model = BirdCNN(CnnConfig(n_classes=3, channels=(4,)))
    folder = save_cnn(tmp_path / "m", model, ["a", "b", "c"])
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    loaded = load_classifier(tmp_path / "m")
    audio = np.random.default_rng(0).normal(0, 0.1, 32000 * 7).astype("float32")
    again = load_classifier(tmp_path / "m").predict_windows(audio)
    assert loaded.classes == ["a", "b", "c"] and np.allclose(loaded.predict_windows(audio), again)
