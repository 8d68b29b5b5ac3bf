"""DAG-GFlowNet as a causalpost sampler: train, draw, save and reload.

:class:`GFlowNetSampler` builds the cached score table, trains a node-level
policy (:mod:`.policy`) with the modified detailed-balance loss
(:mod:`.losses`) off-policy (:mod:`.trainer`) in the DAG environment
(:mod:`.env`), then draws ``n_draws`` DAGs in one batched pass and attaches
one conjugate parameter draw to each. The trained sampler is *amortized*:
:meth:`~GFlowNetSampler.save` writes its weights and a JSON-ready config
(:mod:`.checkpoint`), :meth:`~GFlowNetSampler.load` restores it and :meth:`~GFlowNetSampler.sample`
draws new graphs without retraining.

References
----------
Deleu, T., Gois, A., Emezue, C., Rankawat, M., Lacoste-Julien, S., Bauer, S.
& Bengio, Y. (2022). Bayesian structure learning with generative flow
networks. UAI. https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from causalpost.data import Dataset
from causalpost.diagnostics import Diagnostics
from causalpost.errors import CausalpostError, GraphTooLargeError, NotFittedError
from causalpost.knowledge import BackgroundKnowledge
from causalpost.posterior import Posterior
from causalpost.samplers._base import Sampler, documented, in_range, integer, one_of, param
from causalpost.samplers._common import Problem, make_posterior, prepare_problem
from causalpost.samplers.gflownet.checkpoint import load_trained, save_trained
from causalpost.samplers.gflownet.env import DAGEnv
from causalpost.samplers.gflownet.importance import importance_diagnostics
from causalpost.samplers.gflownet.options import check_budget, check_device
from causalpost.samplers.gflownet.policy import NodePolicy
from causalpost.samplers.gflownet.trainer import TrainOptions, sample_actions, train
from causalpost.scores import GraphPrior

__all__ = ["GFlowNetSampler"]

_SAMPLE_CHUNK = 4096


@documented
@dataclass(kw_only=True, eq=False, repr=False)
class GFlowNetSampler(Sampler):
    """Amortized sampler of DAGs trained as a GFlowNet (DAG-GFlowNet).

    Required edges are honoured by starting every trajectory from the graph
    of required edges; forbidden edges, tiers and ``max_parents`` by masking
    every action that would leave the score table. Every draw is acyclic.

    Attributes
    ----------
    posterior_ : Posterior
        Its ``diagnostics`` hold the training summary (``n_steps``,
        ``train_seconds``, ``final_loss``, ``stop_reason``, ``n_lr_decays``,
        ``reward_exponent``: below 1 if a budget cut tempering short),
        ``targets``, and the keys every sampler reports: ``converged`` (the
        plateau rule stopped training with ``final_loss <= loss_target``),
        ``rhat_log_score`` 1 and ``max_chain_disagreement`` 0 (no chains),
        ``ess_log_score`` ``n_draws`` (independent draws from the policy),
        ``seconds`` (the whole fit) and the policy's own error
        (:mod:`.importance`, unless ``ess_orders=0``): ``ess``, the
        importance-sampling effective sample size of the draws against the
        unnormalised posterior (at most ``n_draws``; audit and guard intervals
        use it through :attr:`Posterior.effective_sample_size`),
        ``ess_importance`` (the same, unclipped), ``ess_orders`` (edge orders
        per graph used) and ``ess_max_weight`` (the largest normalised weight
        of a draw). The draws keep equal weights: the ESS only widens intervals.
    history_ : dict
        Training curve: ``step``, ``loss`` (moving average), ``epsilon``,
        ``lr``, ``seconds``; and the summary (see :func:`.trainer.train`).
    policy_ : NodePolicy
    env_ : DAGEnv

    References
    ----------
    Deleu, T. et al. (2022). Bayesian structure learning with generative flow
    networks. UAI. https://arxiv.org/abs/2202.13903

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=100); y = x + 0.5 * rng.normal(size=100)
    >>> gfn = GFlowNetSampler(n_steps=20, batch_size=16, n_envs=4, n_draws=20, width=16,
    ...                       n_heads=2, seed=0, quiet=True)
    >>> gfn.fit(from_numpy(np.c_[x, y], ["X", "Y"])).posterior_.n_draws
    20
    >>> gfn.sample(5, seed=1).shape
    (5, 2, 2)
    """

    name = "gfn"

    n_draws: int = param(1000, "Graphs drawn by ``fit`` from the trained policy.", kind="int",
                         check=integer(1))
    n_steps: int = param(100_000, "Training iterations (one gradient step each), at most.",
                         kind="int", check=integer(1))
    max_seconds: float | None = param(
        60.0, "Training time budget in seconds (default 60: a 5-node fit ends within about a "
        "minute on two cores); None trains until ``n_steps`` or the plateau rule stops it.",
        kind="float or None", check=check_budget)
    patience: int | None = param(
        500, "Steps per window of the plateau rule (see :mod:`.trainer`): after the warm-up, "
        "a window whose mean loss does not improve on the best one by 5% (and by at least "
        "0.001) multiplies the learning rate by ``lr_decay``; the ``n_decays + 1``-th such "
        "window stops training. None: no plateau rule.", kind="int or None",
        check=integer(1, optional=True))
    loss_target: float = param(
        0.1, "The posterior counts as ``converged`` when training stopped on the plateau rule "
        "with a final loss (mean Huber detailed-balance loss of the last window) at most this.",
        kind="float", check=in_range(0, np.inf, noun="a number "))
    schedule: str = param(
        "plateau", '``"plateau"``: exploration, tempering and learning-rate schedules in steps, '
        'independent of the budget; ``"budget"``: the first implementation\'s schedules '
        "stretched over the budget, no plateau rule.", kind='{"plateau", "budget"}',
        check=one_of("plateau", "budget"))
    explore_steps: int = param(
        500, "Steps over which the exploration rate falls from 1 to ``epsilon_min``.",
        kind="int", check=integer(0))
    temper_steps: int = param(
        0, "Reward tempering: the log-reward is multiplied by an exponent rising linearly from "
        "``temper_start`` to 1 over this many steps (0: off).", kind="int", check=integer(0))
    temper_start: float = param(0.1, "The tempering exponent's start.", kind="float",
                                check=in_range(0, 1, noun="a number "))
    lr_decay: float = param(0.3, "Learning-rate factor on each plateau.", kind="float",
                            check=in_range(0, 1, noun="a number "))
    n_decays: int = param(3, "Plateaus that decay the learning rate before the next one "
                          "stops training.", kind="int", check=integer(0))
    guide: float = param(
        0.0, "Probability that an exploration step follows the reward-guided proposal (an "
        "edge with probability proportional to ``R(G + e) / R(G)``, stop proportional to 1) "
        "instead of the policy; 0: never.", kind="float", check=in_range(0, 1, "[]"))
    batch_size: int = param(128, "Replayed transitions per step.", kind="int", check=integer(1))
    n_envs: int = param(16, "Parallel exploring environments.", kind="int", check=integer(1))
    lr: float = param(1e-3, "Adam learning rate.", kind="float",
                      check=in_range(0, np.inf, noun="a number "))
    epsilon_min: float = param(0.1, "Final exploration rate.", kind="float",
                               check=in_range(0, 1, "[]"))
    buffer_size: int = param(100_000, "Replay-buffer capacity.", kind="int", check=integer(1))
    loss: Literal["huber", "squared"] = param(
        "huber", "The detailed-balance loss.", kind='{"huber", "squared"}',
        check=one_of("huber", "squared"))
    width: int = param(
        32, "Width of the node-level transformer policy (width 32 and one layer are as "
        "accurate per step as 64 / 2 at d = 5, at a third of the cost on a CPU; "
        "``benchmarks/RESULTS_gflownet.md``).", kind="int", check=integer(1))
    n_layers: int = param(1, "Transformer layers of the policy.", kind="int", check=integer(1))
    n_heads: int = param(4, "Attention heads (``width`` a multiple of it).", kind="int",
                         check=integer(1))
    device: str = param('cpu', 'Torch device, e.g. ``"cpu"`` or ``"cuda"``.', kind="str",
                        check=check_device)
    n_threads: int | None = param(
        1, "Torch CPU threads during ``fit`` / ``sample`` (restored afterwards; not "
        "thread-safe). Default 1: the policy is small, and on a busy 2-core machine two "
        "threads made training about 30 times slower. None keeps torch's own setting.",
        kind="int, optional", check=integer(1, optional=True))
    ess_orders: int = param(
        16, "Random edge-removal orders per distinct drawn graph for the estimate of its "
        "terminating probability (:mod:`.importance`; a graph with at most this many orders "
        "gets all of them, exactly), from which the draws' importance-sampling ESS against "
        "the posterior is recorded as ``diagnostics['ess']``; 0: not computed.", kind="int",
        check=integer(0))
    ess_max_steps: int = param(
        100_000, "Most policy evaluations the ESS may take (one per edge and one per stop of "
        "each walked order): the orders per graph are reduced to fit, never below one (at "
        "d = 20 with 1,000 draws of ~75 edges: one order, a few seconds on one CPU thread).",
        kind="int", check=integer(1))
    callback: Callable[[int, GFlowNetSampler], None] | None = param(
        None, "Called as ``callback(step, sampler)`` every ``callback_every`` steps during "
        "training (for training curves); its time is not counted.", kind="callable, optional")
    callback_every: int = param(0, "Steps between callbacks.", kind="int")

    _trained: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def _check_params(self) -> None:
        super()._check_params()
        if self.width % self.n_heads:
            raise CausalpostError(f"width={self.width} must be a multiple of "
                                  f"n_heads={self.n_heads}")

    @property
    def history_(self) -> dict[str, Any]:
        """The training history."""
        history: dict[str, Any] = self._require_trained()["history"]
        return history

    @property
    def policy_(self) -> NodePolicy:
        """The trained policy network."""
        policy: NodePolicy = self._require_trained()["policy"]
        return policy

    @property
    def env_(self) -> DAGEnv:
        """The environment (with the score table after ``fit``)."""
        env: DAGEnv = self._require_trained()["env"]
        return env

    def _fit(self, data: Dataset, begin: float) -> Posterior:
        """Train the policy on the score table of ``data`` and draw ``n_draws`` graphs."""
        with _torch_threads(self.n_threads):
            return self._train(data, begin)

    def _train(self, data: Dataset, begin: float) -> Posterior:
        problem = prepare_problem(data, self.score, self.score_options, self.prior,
                                  self.knowledge, self.max_parents)
        _check_table_size(problem)
        rng = np.random.default_rng(self.seed)
        torch_seed = int(rng.integers(2**62))
        device = torch.device(self.device)
        policy = NodePolicy(data.n_nodes, self.width, self.n_layers, self.n_heads,
                            generator=torch.Generator().manual_seed(torch_seed)).to(device)
        env = DAGEnv.from_table(problem.table(), problem.required, device)
        options = TrainOptions(
            n_steps=self.n_steps, max_seconds=self.max_seconds, patience=self.patience,
            batch_size=self.batch_size, n_envs=self.n_envs, lr=self.lr,
            epsilon_min=self.epsilon_min, buffer_size=self.buffer_size, loss=self.loss,
            schedule=self.schedule, explore_steps=self.explore_steps,
            temper_steps=self.temper_steps, temper_start=self.temper_start,
            lr_decay=self.lr_decay, n_decays=self.n_decays, guide=self.guide)
        self._trained = {"policy": policy, "env": env, "history": {},
                         "nodes": list(data.names), "problem": _problem_json(problem)}
        callback = None
        user_callback = self.callback
        if user_callback is not None:
            def callback(step: int) -> None:
                policy.eval()
                user_callback(step, self)
                policy.train()
        generator = torch.Generator(device=device).manual_seed(torch_seed + 1)
        policy.train()
        history = train(policy, env, options, generator, quiet=self.quiet, callback=callback,
                        callback_every=self.callback_every)
        policy.eval()
        self._trained["history"] = history
        draw_seed = int(rng.integers(2**62))
        draws = self.sample(self.n_draws, seed=draw_seed)
        diagnostics = self._diagnostics(history).replace(
            **self._importance(problem, draws, draw_seed + 1))
        posterior = make_posterior(problem, draws, None, rng, sampler=self.name,
                                   diagnostics=diagnostics, parameters=self.parameters)
        posterior.diagnostics = posterior.diagnostics.replace(seconds=time.monotonic() - begin)
        return posterior

    def _diagnostics(self, history: dict[str, Any]) -> Diagnostics:
        """The training summary and the convergence keys every sampler reports."""
        final = history["final_loss"]
        converged = (history["stop_reason"] == "plateau" and final is not None
                     and final <= self.loss_target)
        targets = {"loss": self.loss_target, "n_steps": self.n_steps}
        if self.max_seconds is not None:
            targets["max_seconds"] = float(self.max_seconds)
        return Diagnostics.from_mapping({
            "converged": bool(converged), "rhat_log_score": 1.0,
            "max_chain_disagreement": 0.0, "ess_log_score": float(self.n_draws),
            "n_steps": history["n_steps"], "train_seconds": history["train_seconds"],
            "final_loss": final, "stop_reason": history["stop_reason"],
            "n_lr_decays": history["n_decays"], "reward_exponent": history["reward_exponent"],
            "targets": targets})  # final_loss kept when None (no full window yet)

    def _importance(self, problem: Problem, draws: np.ndarray, seed: int) -> dict[str, Any]:
        """The importance-sampling ESS of the draws (:mod:`.importance`), if asked for."""
        if not self.ess_orders:
            return {}
        trained = self._require_trained()
        with _torch_threads(self.n_threads):
            return importance_diagnostics(trained["policy"], trained["env"], problem.table(),
                                          draws, self.ess_orders, seed, self.ess_max_steps)

    def sample(self, n_draws: int, seed: int | None = None) -> np.ndarray:
        """Draw DAGs from the trained policy in batched passes (no retraining).

        Parameters
        ----------
        n_draws : int
        seed : int, optional

        Returns
        -------
        numpy.ndarray of uint8, shape (n_draws, n_nodes, n_nodes)
        """
        trained = self._require_trained()
        policy, env = trained["policy"], trained["env"]
        if n_draws < 1:
            raise CausalpostError(f"n_draws must be >= 1, got {n_draws}")
        generator = torch.Generator(device=env.device)
        if seed is None:  # fresh entropy, no global random state touched
            seed = int(np.random.default_rng().integers(2**62))
        generator.manual_seed(seed)
        with _torch_threads(self.n_threads):
            chunks = [_draw(policy, env, min(_SAMPLE_CHUNK, n_draws - lo), generator)
                      for lo in range(0, n_draws, _SAMPLE_CHUNK)]
        return np.concatenate(chunks).astype(np.uint8)

    def draw_posterior(self, data: Dataset, n_draws: int | None = None,
                       seed: int | np.random.Generator | None = None) -> Posterior:
        """A :class:`Posterior` of new draws for ``data``, e.g. after :meth:`load`.

        The score, prior, knowledge and ``max_parents`` are those the policy was
        trained with; ``data`` supplies the conjugate parameter posteriors and
        must have the same node names. Its diagnostics hold the draws'
        importance-sampling ESS as in ``fit`` (unless ``ess_orders=0``).
        """
        trained = self._require_trained()
        if list(data.names) != trained["nodes"]:
            raise CausalpostError(f"the sampler was trained on nodes {trained['nodes']}, "
                                  f"the data has {list(data.names)}")
        spec = dict(trained["problem"])
        score = dict(spec["score"])
        problem = prepare_problem(data, score.pop("name"), score, GraphPrior(**spec["prior"]),
                                  BackgroundKnowledge.from_json(spec["knowledge"]),
                                  spec["max_parents"])
        rng = np.random.default_rng(seed)
        draw_seed = int(rng.integers(2**62))
        draws = self.sample(n_draws or self.n_draws, seed=draw_seed)
        return make_posterior(problem, draws, None, rng, sampler=self.name,
                              diagnostics=self._importance(problem, draws, draw_seed + 1),
                              parameters=self.parameters)

    def save(self, path: str | Path) -> None:
        """Write the trained policy (:mod:`.checkpoint`: ``torch.save``, no pickle)."""
        save_trained(path, self._require_trained(),
                     {"n_draws": self.n_draws, "parameters": self.parameters})

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu", quiet: bool = False,
             n_threads: int | None = 1) -> GFlowNetSampler:
        """A sampler restored by :meth:`save`, ready to :meth:`sample` (no ``posterior_``).

        Raises
        ------
        CausalpostError
            If the file is not a saved GFlowNet sampler.
        """
        trained, config = load_trained(path, device)
        net = config["policy"]
        sampler = cls(device=device, width=net["width"], n_layers=net["n_layers"],
                      n_heads=net["n_heads"], quiet=quiet, n_threads=n_threads,
                      **config["options"])
        sampler._trained = trained
        return sampler

    def _require_trained(self) -> dict[str, Any]:
        if self._trained is None:
            raise NotFittedError(f"{type(self).__name__} is not trained yet; call fit(data) "
                                 "or load(path) first")
        return self._trained


# parent sets over all nodes: seconds to score, not hours (333,280 sets, d = 20 with at
# most 5 parents: 0.6 s of BGe, 12 s of BDeu on 2,000 rows of child)
MAX_GFN_TABLE_SETS = 1_000_000


def _check_table_size(problem: Problem) -> None:
    """Refuse, before the work, a full score table too large to build within a budget.

    The GFlowNet scores every allowed parent set of every node up front (its
    reward); at 20 discrete nodes with unrestricted parents that is ~10^7 sets,
    hours of scoring before the first training step. Say so instead of hanging.
    """
    from math import comb

    d = problem.data.n_nodes
    total = 0
    for j in range(d):
        pool = d - 1 - int(problem.forbidden[:, j].sum() - problem.forbidden[j, j])
        must = int(problem.required[:, j].sum())
        total += sum(comb(pool - must, k) for k in range(problem.max_parents - must + 1))
    if total > MAX_GFN_TABLE_SETS:
        raise GraphTooLargeError(
            f"the GFlowNet's score table would hold {total:,} parent sets over {d} nodes "
            f"(limit {MAX_GFN_TABLE_SETS:,}); cap the parents (--max-parents 3 or 4) or use the "
            "default sampler (auto), which restricts the candidate parents")


@contextmanager
def _torch_threads(n_threads: int | None) -> Iterator[None]:
    """Temporarily set torch's intra-op CPU threads."""
    before = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _draw(policy: NodePolicy, env: DAGEnv, n: int, generator: torch.Generator) -> np.ndarray:
    """One batched pass: every trajectory runs until it stops."""
    states = env.reset(n)
    active = torch.arange(n, device=env.device)
    with torch.no_grad():
        while active.numel():
            sub = states.index(active)
            mask = env.valid_actions(sub)
            actions = sample_actions(policy(sub.adj, sub.closure, mask), mask, 0.0, generator)
            nxt = env.step(sub, actions)
            states.adj[active], states.closure[active] = nxt.adj, nxt.closure
            active = active[actions < env.n_nodes**2]
    return states.adj.cpu().numpy()


def _problem_json(problem: Problem) -> dict[str, Any]:
    """What :meth:`GFlowNetSampler.draw_posterior` needs to rebuild the problem."""
    return {"score": dict(problem.score_info), "prior": problem.prior.to_json(),
            "knowledge": problem.knowledge.to_json(), "max_parents": problem.max_parents}
