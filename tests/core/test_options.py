"""The CLI's shared training options: values that cannot train are refused in one line."""

import pytest

from castlab.core.errors import CastlabError
from castlab.core.options import train_config


@pytest.mark.parametrize(
    "fields, said",
    [
        ({"epochs": 0}, "--epochs 0: nothing would be trained"),
        ({"batch_size": 0}, "--batch-size 0: no batch"),
        ({"lr": float("nan")}, "--lr nan: not a learning rate"),
        ({"lr": -1.0}, "--lr -1.0: not a learning rate"),
        ({"lr": 0.0}, "--lr 0.0: not a learning rate"),
        ({"max_steps": 0}, "--max-steps 0: nothing would be trained"),
    ],
)
def test_values_that_cannot_train_are_one_line_errors(fields, said):
    with pytest.raises(CastlabError) as caught:
        train_config(**fields)
    assert str(caught.value).startswith(said) and "\n" not in str(caught.value)


def test_good_values_make_the_config():
    config = train_config(epochs=2, batch_size=4, lr=3e-3, max_steps=-1)
    assert (config.max_epochs, config.batch_size, config.lr, config.max_steps) == (2, 4, 3e-3, -1)
    assert train_config(max_steps=5).max_steps == 5
