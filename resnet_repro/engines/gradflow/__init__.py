"""The gradflow engine: engine.py, gradient_norms.py and fc_weight_gradients.py (torch), verdicts.py and figure.py (no torch)."""
