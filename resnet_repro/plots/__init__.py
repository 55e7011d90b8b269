"""Figures from CSVs alone. Nothing here imports torch."""
