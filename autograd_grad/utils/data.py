"""Same as `torch.utils.data`: `Dataset`, `TensorDataset`, `DataLoader` (batches stacked by
the default collate; `shuffle` draws from our seeded generator, so the order differs from
torch's, reproducibly)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .._tensor import Tensor

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]


class Dataset:
    """Same as `torch.utils.data.Dataset`."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class TensorDataset(Dataset):
    """Same as `torch.utils.data.TensorDataset`: the i-th rows of equally long tensors."""

    def __init__(self, *tensors: Tensor) -> None:
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


def default_collate(batch: Sequence[Any]) -> Any:
    """Same as torch's default collate for tensors, numbers and tuples of them."""
    import autograd_grad as torch

    first = batch[0]
    if isinstance(first, Tensor):
        return torch.stack(list(batch), 0)
    if isinstance(first, (int, float, bool)):
        return torch.tensor(list(batch))
    if isinstance(first, (tuple, list)):
        return [default_collate(list(items)) for items in zip(*batch)]
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    return list(batch)


class DataLoader:
    """Same as `torch.utils.data.DataLoader` (single process: `num_workers` is ignored)."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Any = None, pin_memory: bool = False, drop_last: bool = False,
                 generator: Any = None, **_: Any) -> None:  # fmt: skip
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator
        self.collate_fn = collate_fn or default_collate

    def _order(self) -> list[int]:
        n = len(self.dataset)
        if not self.shuffle:
            return list(range(n))
        from .._creation import randperm

        return randperm(n, generator=self.generator).tolist()

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[i]
            return
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            if len(chunk) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn([self.dataset[i] for i in chunk])

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
