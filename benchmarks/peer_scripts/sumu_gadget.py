"""Run sumu's Gadget (partition MCMC) on a data file; print one JSON object.

Runs in sumu's own virtual environment (never a causalpost dependency), started by
``benchmarks/peers.py``: ``python sumu_gadget.py DATA.npy OUT.json SEED [KEY=VALUE ...]``.
The parameters default to sumu 0.1.2's README "Getting started" values (BGe, K = 15
candidate parents from "greedy-lite", complement parent sets up to d = 3 parents,
16 Metropolis-coupled chains, burn-in / iterations 10,000, thinning 10); the structure
prior is sumu's hard-coded "fair" one (``LocalScore(prior="fair")``). Sumu 0.1.2 has
no time budget: the run is bounded by ``burn_in`` and ``iterations``.
Output: {"wall_s", "graphs": [[[i, j], ...] per draw], "params", "version", "phases"}.
"""

import json
import sys
import time

import numpy as np


def main() -> None:
    data_path, out_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    params = {"scoref": "bge", "ess": 10, "max_id": -1, "K": 15, "d": 3,
              "cp_algo": "greedy-lite", "mc3_chains": 16, "burn_in": 10000,
              "iterations": 10000, "thinning": 10}
    for item in sys.argv[4:]:
        key, value = item.split("=", 1)
        params[key] = type(params[key])(value) if key in params else value
    start = time.perf_counter()
    import sumu  # imported inside the timed region: a user's run pays for it too

    np.random.seed(seed)  # noqa: NPY002 (Gadget draws from numpy's global generator)
    x = np.load(data_path).astype(np.float64)
    d = x.shape[1]
    params["K"] = min(params["K"], d - 1)
    g = sumu.Gadget(data=sumu.Data(x, discrete=False), **params)
    phases = {}
    t = time.perf_counter()
    for name in ("_find_candidate_parents", "_precompute_scores_for_all_candidate_psets",
                 "_precompute_candidate_restricted_scoring",
                 "_precompute_candidate_complement_scoring", "_init_mcmc", "_run_mcmc",
                 "_sample_dags"):
        getattr(g, name)()  # the steps of Gadget.sample(), timed one by one
        now = time.perf_counter()
        phases[name.strip("_")] = round(now - t, 3)
        t = now
    dags = g.dags
    wall = time.perf_counter() - start
    graphs = []
    for dag in dags:
        edges = []
        for family in dag:  # (v,) or (v, (parents...))
            if len(family) > 1:
                edges.extend([int(p), int(family[0])] for p in family[1])
        graphs.append(edges)
    version = getattr(sumu, "__version__", None)
    if version is None:
        from importlib.metadata import version as _v
        version = _v("sumu")
    with open(out_path, "w") as fh:
        json.dump({"wall_s": wall, "graphs": graphs, "n_nodes": d, "params": params,
                   "version": version, "phases": phases}, fh)


if __name__ == "__main__":
    main()
