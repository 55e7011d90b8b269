"""The datasets the tool knows, and what each one is: the one place that answers questions about a dataset's name.

Recipes name a dataset (`data.dataset: cifar10`); code asks this table what it is (its title, whether it is
class folders of JPEGs, which paper dataset it stands in for) rather than comparing names. How each is found
and read lives in data/sources.py, keyed by the same names. No imports: config.py reads the names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    name: str  # as a recipe spells it
    title: str  # as the paper and the tables name it
    class_folders: bool = False  # JPEG class folders streamed from disk at the recipe's view sizes (else 32x32 arrays)
    proxy_for: str | None = None  # the paper's dataset it stands in for (claims only, never the paper's numbers)


DATASETS = {
    d.name: d
    for d in (
        Dataset("cifar10", "CIFAR-10"),
        Dataset("fashion-mnist", "Fashion-MNIST", proxy_for="cifar10"),
        Dataset("imagenet", "ImageNet", class_folders=True),
    )
}
DEFAULT = "cifar10"  # the dataset a table names before any run says otherwise


def dataset_info(name: str) -> Dataset:
    """What `name` is; a name outside the table (never from a checked recipe) is a plain array dataset."""
    return DATASETS.get(name) or Dataset(name, name)
