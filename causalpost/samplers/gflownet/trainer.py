"""Off-policy training of the DAG-GFlowNet policy: replay buffer, exploration, stopping.

Each iteration advances ``n_envs`` environments by one action drawn from the
current policy, mixed with a uniform choice among the valid actions with
probability ``epsilon``; environments that stop restart from the start state.
With probability ``guide``, an
environment's action is instead drawn from the *reward-guided* proposal, which
adds edge ``e`` with probability proportional to ``R(G + e) / R(G)`` and stops
with probability proportional to 1 (a noisy greedy ascent of the score that
leads exploration to the high-reward graphs a sharp posterior concentrates on;
the loss is off-policy, so any behaviour policy keeps its fixed point).
Every edge-adding transition ``(G, action, delta log-reward)`` goes into a
fixed-size replay buffer, and one Adam step is taken on the modified
detailed-balance loss of a batch drawn uniformly from the buffer.

Schedules (``schedule``):

``"plateau"`` (default; independent of the budget, so a longer budget never
changes the first steps)
    ``epsilon`` falls linearly from 1 to ``epsilon_min`` over the first
    ``explore_steps`` steps; the reward exponent rises linearly from
    ``temper_start`` to 1 over the first ``temper_steps`` steps (reward
    tempering, off when ``temper_steps`` is 0). After that warm-up, the loss
    is averaged over windows of ``patience`` steps; a window whose mean is not
    below ``0.95 x`` the best window so far (nor at least 0.001 lower) is a
    *plateau*: the learning rate is multiplied by ``lr_decay``, and the
    ``n_decays + 1``-th plateau stops training.
``"budget"`` (the first implementation, kept for comparison)
    ``epsilon`` annealed linearly from 1 to ``epsilon_min`` over the first half
    of the budget and the learning rate linearly to 2% of its value over the
    budget, where the budget fraction is the larger of ``step / n_steps`` and
    ``seconds / max_seconds``; no plateau rule.

Training also stops after ``n_steps`` iterations or ``max_seconds`` of
training time, whichever comes first; ``stop_reason`` in the history says
which rule stopped it (``"plateau"``, ``"n_steps"`` or ``"max_seconds"``).

References
----------
Deleu, T., Gois, A., Emezue, C., Rankawat, M., Lacoste-Julien, S., Bauer, S.
& Bengio, Y. (2022). Bayesian structure learning with generative flow
networks. UAI. https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from tqdm.auto import tqdm

from causalpost.samplers.gflownet.env import DAGEnv, DAGStates
from causalpost.samplers.gflownet.losses import modified_db_loss
from causalpost.samplers.gflownet.policy import NodePolicy

__all__ = ["Plateau", "ReplayBuffer", "TrainOptions", "budget_fraction", "sample_actions",
           "train"]

REL_TOL = 0.05  # a window must lower the best window mean by 5% ...
ABS_TOL = 1e-3  # ... and by at least this much, to count as progress
BAR_UNITS = 1000  # the progress bar counts thousandths of the budget


@dataclass(frozen=True)
class TrainOptions:
    """Hyperparameters of :func:`train` (see :class:`GFlowNetSampler`)."""

    n_steps: int = 100_000
    max_seconds: float | None = 60.0
    patience: int | None = 500
    batch_size: int = 128
    n_envs: int = 16
    lr: float = 1e-3
    epsilon_min: float = 0.1
    buffer_size: int = 100_000
    loss: Literal["huber", "squared"] = "huber"
    schedule: str = "plateau"
    explore_steps: int = 500
    temper_steps: int = 0
    temper_start: float = 0.1
    lr_decay: float = 0.3
    n_decays: int = 3
    guide: float = 0.0
    log_every: int = 100


class ReplayBuffer:
    """A ring buffer of edge-adding transitions, all tensors on one device."""

    def __init__(self, capacity: int, n_nodes: int, device: torch.device) -> None:
        self.capacity = capacity
        self.adj = torch.zeros(capacity, n_nodes, n_nodes, dtype=torch.bool, device=device)
        self.closure = torch.zeros_like(self.adj)
        self.actions = torch.zeros(capacity, dtype=torch.int64, device=device)
        self.delta = torch.zeros(capacity, device=device)
        self.size = 0
        self._pos = 0

    def add(self, adj: torch.Tensor, closure: torch.Tensor, actions: torch.Tensor,
            delta: torch.Tensor) -> None:
        """Append transitions, overwriting the oldest when full."""
        n = actions.shape[0]
        idx = (self._pos + torch.arange(n, device=actions.device)) % self.capacity
        self.adj[idx], self.closure[idx] = adj, closure
        self.actions[idx], self.delta[idx] = actions, delta
        self._pos = (self._pos + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, n: int, generator: torch.Generator):
        """A uniform batch ``(states, actions, delta)`` (with replacement)."""
        idx = torch.randint(self.size, (n,), generator=generator, device=self.actions.device)
        return DAGStates(self.adj[idx], self.closure[idx]), self.actions[idx], self.delta[idx]


class Plateau:
    """The plateau rule: window means of the loss that stop improving.

    Parameters
    ----------
    window : int
        Losses per window (``patience`` steps).

    Examples
    --------
    >>> rule = Plateau(2)
    >>> [rule.update(x) for x in (1.0, 1.0, 0.5, 0.5, 0.49, 0.5)]
    [False, False, False, False, False, True]
    >>> rule.last_mean
    0.495
    """

    def __init__(self, window: int) -> None:
        self.window = window
        self.best = math.inf
        self.last_mean: float | None = None
        self._sum, self._n = 0.0, 0

    def update(self, loss: float) -> bool:
        """Add one loss; True when a window closes without progress."""
        self._sum += loss
        self._n += 1
        if self._n < self.window:
            return False
        mean, self._sum, self._n = self._sum / self._n, 0.0, 0
        self.last_mean = mean
        if mean < self.best * (1 - REL_TOL) and self.best - mean > ABS_TOL:
            self.best = mean
            return False
        self.best = min(self.best, mean)
        return True


def budget_fraction(step: int, seconds: float, n_steps: int, max_seconds: float | None) -> float:
    """How much of the budget is spent: the larger of the step and the time fractions.

    Examples
    --------
    >>> budget_fraction(500, 30.0, 1000, 60.0), budget_fraction(100, 45.0, 1000, 60.0)
    (0.5, 0.75)
    """
    frac = step / n_steps
    if max_seconds:
        frac = max(frac, seconds / max_seconds)
    return min(frac, 1.0)


def sample_actions(log_probs: torch.Tensor, mask: torch.Tensor, epsilon: float,
                   generator: torch.Generator) -> torch.Tensor:
    """Gumbel-max draws from the policy, uniform over valid actions with prob. ``epsilon``."""
    shape, device = log_probs.shape, log_probs.device
    gumbel = -torch.log(-torch.log(torch.rand(shape, generator=generator, device=device)
                                   .clamp_min(1e-20)))
    chosen = (log_probs + gumbel).argmax(1)
    if epsilon > 0:
        uniform = torch.where(mask, gumbel, -torch.inf).argmax(1)
        explore = torch.rand(shape[0], generator=generator, device=device) < epsilon
        chosen = torch.where(explore, uniform, chosen)
    return chosen


def _schedule(options: TrainOptions, step: int, frac: float) -> tuple[float, float, float]:
    """``(epsilon, lr factor from the budget, reward exponent)`` at ``step``."""
    lo = options.epsilon_min
    if options.schedule == "budget":
        return max(lo, 1.0 - (1.0 - lo) * 2.0 * frac), max(0.02, 1.0 - 0.98 * frac), 1.0
    explore = min(1.0, step / options.explore_steps) if options.explore_steps else 1.0
    beta = 1.0
    if options.temper_steps:
        beta = min(1.0, options.temper_start + (1 - options.temper_start)
                   * step / options.temper_steps)
    return 1.0 - (1.0 - lo) * explore, 1.0, beta


def train(
    policy: NodePolicy,
    env: DAGEnv,
    options: TrainOptions,
    generator: torch.Generator,
    *,
    quiet: bool = False,
    callback: Callable[[int], None] | None = None,
    callback_every: int = 0,
) -> dict:
    """Train ``policy`` in place; returns the training history (JSON-ready).

    The history holds the curve (``step``, ``loss`` as a moving average,
    ``epsilon``, ``lr``, ``seconds``, every ``log_every`` steps) and the summary:
    ``n_steps``, ``train_seconds``, ``final_loss`` (mean loss of the last
    plateau window, else the moving average), ``stop_reason``, ``n_decays``,
    ``final_lr`` (under the plateau schedule), ``reward_exponent`` (below 1 when
    a budget stopped training before tempering ended: the policy then targets
    the tempered posterior).
    """
    opt = torch.optim.Adam(policy.parameters(), lr=options.lr)
    buffer = ReplayBuffer(options.buffer_size, env.n_nodes, env.device)
    states = env.reset(options.n_envs)
    history: dict[str, Any] = {"step": [], "loss": [], "epsilon": [], "lr": [],
                               "seconds": []}
    warmup = max(options.explore_steps, options.temper_steps)
    plateau = Plateau(options.patience) if options.patience else None
    ema, elapsed, lr_scale, n_decays, reason, step, beta = None, 0.0, 1.0, 0, "n_steps", 0, 1.0
    bar = tqdm(total=BAR_UNITS, disable=quiet, desc="GFlowNet", leave=False,
               bar_format="{desc}: {percentage:3.0f}% of budget|{bar}| {elapsed}<{remaining}"
                          "{postfix}")
    for step in range(1, options.n_steps + 1):
        tic = time.perf_counter()
        frac = budget_fraction(step, elapsed, options.n_steps, options.max_seconds)
        epsilon, lr_budget, beta = _schedule(options, step, frac)
        lr = options.lr * lr_budget * lr_scale
        for group in opt.param_groups:
            group["lr"] = lr
        states = _explore(policy, env, states, buffer, epsilon, options.guide, generator)
        loss = None
        if buffer.size >= options.batch_size:
            loss = _update(policy, env, buffer, opt, options, beta, generator)
            ema = loss if ema is None else 0.99 * ema + 0.01 * loss
        elapsed += time.perf_counter() - tic
        bar.update(round(BAR_UNITS * budget_fraction(step, elapsed, options.n_steps,
                                                     options.max_seconds)) - bar.n)
        if ema is not None and step % options.log_every == 0:
            for key, value in zip(history, (step, ema, epsilon, lr, elapsed)):
                history[key].append(value)
            bar.set_postfix_str(f"step {step}, loss {ema:.4f}")
        if callback is not None and callback_every and step % callback_every == 0:
            callback(step)
        if (plateau is not None and loss is not None and step > warmup
                and options.schedule == "plateau" and plateau.update(loss)):
            if n_decays >= options.n_decays:
                reason = "plateau"
                break
            n_decays, lr_scale = n_decays + 1, lr_scale * options.lr_decay
        if options.max_seconds and elapsed >= options.max_seconds:
            reason = "max_seconds"
            break
    bar.refresh()  # the final state (throttled updates may have skipped it)
    bar.close()
    final = plateau.last_mean if plateau is not None and plateau.last_mean is not None else ema
    history.update(n_steps=step, train_seconds=elapsed, final_loss=final, stop_reason=reason,
                   n_decays=n_decays, final_lr=options.lr * lr_scale, reward_exponent=beta)
    return history


def _explore(policy: NodePolicy, env: DAGEnv, states: DAGStates, buffer: ReplayBuffer,
             epsilon: float, guide: float, generator: torch.Generator) -> DAGStates:
    """One exploration step of every environment; stores edge transitions."""
    with torch.no_grad():
        mask = env.valid_actions(states)
        actions = sample_actions(policy(states.adj, states.closure, mask), mask, epsilon,
                                 generator)
        if guide > 0:
            edges = torch.where(mask[:, :-1], env.edge_deltas(states), -torch.inf)
            logits = torch.cat([edges, torch.zeros_like(edges[:, :1])], dim=1)
            guided = sample_actions(logits, mask, 0.0, generator)
            use = torch.rand(len(states), generator=generator, device=env.device) < guide
            actions = torch.where(use, guided, actions)
    is_edge = actions < env.n_nodes**2
    delta = env.delta_scores(states, actions)
    buffer.add(states.adj[is_edge], states.closure[is_edge], actions[is_edge], delta[is_edge])
    nxt = env.step(states, actions)
    stopped = ~is_edge
    nxt.adj[stopped] = env.start
    nxt.closure[stopped] = env.start_closure
    return nxt


def _update(policy: NodePolicy, env: DAGEnv, buffer: ReplayBuffer, opt: torch.optim.Optimizer,
            options: TrainOptions, beta: float, generator: torch.Generator) -> float:
    """One gradient step on a replayed batch (rewards to the power ``beta``); the loss."""
    states, actions, delta = buffer.sample(options.batch_size, generator)
    nxt = env.step(states, actions)
    adj = torch.cat([states.adj, nxt.adj])
    closure = torch.cat([states.closure, nxt.closure])
    mask = torch.cat([env.valid_actions(states), env.valid_actions(nxt)])
    log_probs = policy(adj, closure, mask)
    n = actions.shape[0]
    loss = modified_db_loss(log_probs[:n], log_probs[n:], actions, beta * delta,
                            env.n_removable(nxt.adj), kind=options.loss)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach())
