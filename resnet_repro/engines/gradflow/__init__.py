"""The gradflow engine: engine.py (the Engine), measure.py (the gradient norms at initialisation, of the conv nets
and of the demo's fully connected nets: torch), outputs.py (each net's verdict and the figure from gradflow.csv:
no torch)."""
