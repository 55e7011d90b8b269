"""Unpickle a CIFAR-10 batch without letting the file run code.

A pickle names the functions the loader must call to rebuild it; plain `pickle.load` calls whatever
the file names (`os.system` included). The official batches, and CIFAR-format files written by
numpy, need only dicts, lists, strings, bytes, ints and numpy arrays, so those are all that is
admitted: an array is rebuilt through numpy's own reconstructor and its dtype must be an integer
type (uint8 images, int labels). Anything else stops the load before it can do harm.
"""

from __future__ import annotations

import codecs
import pickle
from typing import BinaryIO

import numpy as np

# numpy's array reconstructors under their old (numpy < 2) and new module names.
_RECONSTRUCTORS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


class ForbiddenPickle(pickle.UnpicklingError):
    """The file asks for something a CIFAR-10 batch never holds."""


def _integer_dtype(*args):
    dtype = np.dtype(*args)
    if dtype.kind not in "ui":
        raise ForbiddenPickle(f"a numpy array of dtype {dtype}, where CIFAR-10 holds only uint8/int arrays")
    return dtype


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """How protocol-2 pickles written by Python 3 spell bytes: codecs.encode(text, 'latin1')."""
    if encoding not in ("latin1", "latin-1"):
        raise ForbiddenPickle(f"bytes in the encoding {encoding!r}")
    return codecs.encode(text, "latin1")


def _empty_bytes() -> bytes:
    """How protocol-2 pickles spell b'': bytes()."""
    return b""


class _CifarUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _RECONSTRUCTORS:
            return getattr(__import__(module, fromlist=[name]), name)
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        if (module, name) == ("numpy", "dtype"):
            return _integer_dtype
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if (module, name) in (("builtins", "bytes"), ("__builtin__", "bytes")):
            return _empty_bytes
        raise ForbiddenPickle(f"{module}.{name}, which a CIFAR-10 batch never holds (it could run code)")


def load_cifar_pickle(handle: BinaryIO):
    """The unpickled batch; ForbiddenPickle if it names anything beyond plain data and integer arrays."""
    return _CifarUnpickler(handle, encoding="bytes").load()
