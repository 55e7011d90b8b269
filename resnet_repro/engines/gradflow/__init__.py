"""The gradflow engine: engine.py (the Engine), measure.py and fc_weight_gradients.py (the gradient norms at
initialisation: torch), outputs.py (each net's verdict and the figure from gradflow.csv: no torch)."""
