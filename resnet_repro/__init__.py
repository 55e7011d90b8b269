"""resnet-repro: reproduce He et al., Deep Residual Learning for Image Recognition (2015)."""

__version__ = "0.1.0"
