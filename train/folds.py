"""The claims of the "train on" files that the stance model never sees.

The judge's aggregator (train/fit_judge.py) is fitted on them: stacking needs
the model's scores as they are on claims it was not trained on, or the
aggregator learns to trust the model more than it deserves on new claims.
One claim in five, chosen by a hash of its text, so every script agrees.
"""
import hashlib


def for_judge(claim: str) -> bool:
    """True for the claims kept out of the stance model's training."""
    digest = hashlib.sha256(claim.strip().lower().encode()).hexdigest()
    return int(digest[:8], 16) % 5 == 0
