"""The gradflow engine: engine.py, measure.py and fc_weight_gradients.py (torch), outputs.py and figure.py (no torch)."""
