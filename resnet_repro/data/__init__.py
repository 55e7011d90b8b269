"""Datasets as uint8 arrays, and the device-resident pipeline that trains on them."""
