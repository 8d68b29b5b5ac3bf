"""Write the dosing tables (``dosing.csv``, ``dosing_trial.csv``) from their SEM.

Run from the repository root: ``python datasets/dosing/make_dosing.py``. The
SEM (see ``CARD.md``) is linear-Gaussian; the observational rows follow it as
is, the trial rows replace the dose by a randomized one (a perfect
intervention on ``Dose``; in the true graph the dose has no parents, so only
its distribution changes). Deterministic: seed 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from causalpost.synthetic import _linear_sem

NAMES = ["Age", "Dose", "Level", "Toxicity"]
N_OBS, N_TRIAL, SEED, DECIMALS = 500, 150, 1, 3
HERE = Path(__file__).resolve().parent


def sem(dose_mean: float = 2.0, dose_sd: float = 0.6):
    """Adjacency, weights, intercepts and noise sds; ``weights[i, j]`` of i -> j."""
    weights = np.zeros((4, 4))
    weights[1, 2] = 0.9    # Dose -> Level
    weights[2, 3] = 1.0    # Level -> Toxicity
    weights[0, 3] = 0.03   # Age -> Toxicity
    intercept = np.array([60.0, dose_mean, 0.2, -3.8])
    noise_sd = np.array([10.0, dose_sd, 0.4, 0.4])
    return weights != 0, weights, intercept, noise_sd


def simulate(n_obs: int, rng: np.random.Generator, **dose) -> pd.DataFrame:
    adj, weights, intercept, noise_sd = sem(**dose)
    mean = np.linalg.solve(np.eye(4) - weights.T, intercept)  # intercepts, propagated
    values = _linear_sem(adj, weights, noise_sd, n_obs, rng) + mean
    return pd.DataFrame(np.round(values, DECIMALS), columns=NAMES)


def make() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The observational table and the trial table (with its ``intervened`` column)."""
    rng = np.random.default_rng(SEED)
    observational = simulate(N_OBS, rng)
    trial = simulate(N_TRIAL, rng, dose_mean=2.5, dose_sd=1.0)
    trial["intervened"] = "Dose"
    return observational, trial


if __name__ == "__main__":
    observational, trial = make()
    observational.to_csv(HERE / "dosing.csv", index=False)
    trial.to_csv(HERE / "dosing_trial.csv", index=False)
    print(f"wrote {len(observational)} + {len(trial)} rows to {HERE}")
