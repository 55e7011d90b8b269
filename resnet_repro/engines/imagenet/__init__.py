"""The imagenet engine (Fig. 4, Tables 2-4): engine.py and tables.py (no torch), protocol.py (the 10-crop and multi-scale tests: torch)."""
