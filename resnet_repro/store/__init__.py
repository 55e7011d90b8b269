"""The results folder on disk: its layout, its lock, and reading runs back into tables (no torch here).

Named `store` so it is never confused with the `./results/` folder it manages."""
