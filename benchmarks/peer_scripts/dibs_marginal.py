"""Run DiBS (marginal BGe variant, SVGD) on a data file; write one JSON object.

Runs in DiBS's own virtual environment (dibs-lib with jax on CPU; never a causalpost
dependency), started by ``benchmarks/peers.py``:
``python dibs_marginal.py DATA.npy OUT.json SEED [steps=N] [max_seconds=S] [particles=P]``.

Settings are dibs-lib 1.3.3's defaults: ``MarginalDiBS`` with the ``BGe`` likelihood
(alpha_mu = 1, alpha_lambd = d + 2), an Erdos-Renyi graph prior with 2 expected edges
per node (``ErdosReniDAGDistribution``, matching the generating graphs), RMSprop step
0.005, kernel h = 5, 128 gradient MC samples, 20 particles (the README's example).
Bounded by ``steps`` and by ``max_seconds``, checked between chunks of 25 steps through
DiBS's own callback; the particles reached by then are returned.
Output: {"wall_s", "steps_done", "graphs": [[[i, j], ...] per particle],
"mixture_logp": [...] (DiBS+ weights), "params", "version"}.
"""

import json
import sys
import time


class _OutOfTime(Exception):
    pass


def main() -> None:
    data_path, out_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    params = {"steps": 1000, "max_seconds": 600.0, "particles": 20, "chunk": 25}
    for item in sys.argv[4:]:
        key, value = item.split("=", 1)
        params[key] = type(params[key])(value)
    start = time.perf_counter()
    import jax.numpy as jnp
    import numpy as np
    from dibs.inference import MarginalDiBS
    from dibs.models import BGe, ErdosReniDAGDistribution
    from jax import random

    x = np.load(data_path).astype(np.float32)
    d = x.shape[1]
    dibs = MarginalDiBS(x=jnp.asarray(x), interv_mask=None,
                        graph_model=ErdosReniDAGDistribution(n_vars=d, n_edges_per_node=2),
                        likelihood_model=BGe(n_vars=d))
    state = {"z": None, "t": 0, "first_chunk_s": None}

    def callback(dibs, t, zs):
        state["z"], state["t"] = zs, t
        if state["first_chunk_s"] is None:
            state["first_chunk_s"] = time.perf_counter() - start  # includes jit compile
        if time.perf_counter() - start > params["max_seconds"]:
            raise _OutOfTime

    finished = True
    try:
        gs = dibs.sample(key=random.PRNGKey(seed), n_particles=params["particles"],
                         steps=params["steps"], callback_every=params["chunk"],
                         callback=callback)
        steps_done = params["steps"]
    except _OutOfTime:
        finished = False
        gs = dibs.particle_to_g_lim(state["z"])
        steps_done = state["t"]
    gs = np.asarray(gs)
    mixture = np.asarray(dibs.get_mixture(jnp.asarray(gs)).logp)
    wall = time.perf_counter() - start
    graphs = [[[int(i), int(j)] for i, j in zip(*np.nonzero(g))] for g in gs]
    from importlib.metadata import version
    with open(out_path, "w") as fh:
        json.dump({"wall_s": wall, "steps_done": int(steps_done), "finished": finished,
                   "first_chunk_s": state["first_chunk_s"], "graphs": graphs,
                   "mixture_logp": mixture.tolist(), "n_nodes": d, "params": params,
                   "version": version("dibs-lib"), "jax": version("jax")}, fh)


if __name__ == "__main__":
    main()
