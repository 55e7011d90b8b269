"""The paper's claims as data, and the noise-aware verdicts on them. No torch, no files: pure arithmetic.

`base.py` holds `Claim` (an ordering between nets) and what every kind shares (the verdict words, the noise rule);
`claim.py` the claim's keys and their parsing, the rules between keys included; one module per other kind (`level`,
`gap`, `bound`, `curve`: subclasses of `Claim`) its own measuring, judging and words; `numbers.py` the paper's
numbers against ours.
Callers import each name from the module that defines it.
"""
