"""One module per engine: what `run TARGET` does once its runs are trained (or instead of training)."""
