"""Datasets as uint8 arrays, and the device-resident pipeline that trains on them."""

from .sources import ImageSet, load_image_sets, resolve_data_dir

__all__ = ["ImageSet", "load_image_sets", "resolve_data_dir"]
