"""Off-policy training of the DAG-GFlowNet policy: replay buffer, exploration, stopping.

Each iteration advances ``n_envs`` environments by one action drawn from the
current policy, mixed with a uniform choice among the valid actions with
probability ``epsilon`` (annealed linearly from 1 to ``epsilon_min`` over the
first half of training; the learning rate decays linearly to 2% of its
value over training); environments that stop restart from the start
state. Every edge-adding transition ``(G, action, delta log-reward)`` goes
into a fixed-size replay buffer, and one Adam step is taken on the modified
detailed-balance loss of a batch drawn uniformly from the buffer. Training
stops after ``n_steps`` iterations, after ``max_seconds`` of training time,
or when an exponential moving average of the loss has not improved by 1% for
``patience`` iterations.

References
----------
Deleu, T., Gois, A., Emezue, C., Rankawat, M., Lacoste-Julien, S., Bauer, S.
& Bengio, Y. (2022). Bayesian structure learning with generative flow
networks. UAI. https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from causalpost.samplers.gflownet.env import DAGEnv, DAGStates
from causalpost.samplers.gflownet.losses import modified_db_loss
from causalpost.samplers.gflownet.policy import NodePolicy

__all__ = ["ReplayBuffer", "TrainOptions", "sample_actions", "train"]


@dataclass(frozen=True)
class TrainOptions:
    """Hyperparameters of :func:`train` (see :class:`GFlowNetSampler`)."""

    n_steps: int = 20_000
    max_seconds: float | None = None
    patience: int | None = None
    batch_size: int = 128
    n_envs: int = 16
    lr: float = 1e-3
    epsilon_min: float = 0.1
    buffer_size: int = 100_000
    loss: str = "huber"
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
    """Train ``policy`` in place; returns the training history (JSON-ready lists)."""
    opt = torch.optim.Adam(policy.parameters(), lr=options.lr)
    buffer = ReplayBuffer(options.buffer_size, env.n_nodes, env.device)
    states = env.reset(options.n_envs)
    history = {"step": [], "loss": [], "epsilon": [], "seconds": []}
    ema, best, last_better, elapsed = None, float("inf"), 0, 0.0
    bar = tqdm(total=options.n_steps, disable=quiet, desc="GFlowNet", leave=False)
    step = 0
    for step in range(1, options.n_steps + 1):
        tic = time.perf_counter()
        frac = step / options.n_steps
        if options.max_seconds:
            frac = max(frac, elapsed / options.max_seconds)
        epsilon = max(options.epsilon_min, 1.0 - (1.0 - options.epsilon_min) * 2.0 * frac)
        for group in opt.param_groups:  # linear decay to lr / 50 over training
            group["lr"] = options.lr * max(0.02, 1.0 - 0.98 * frac)
        states = _explore(policy, env, states, buffer, epsilon, generator)
        if buffer.size >= options.batch_size:
            loss = _update(policy, env, buffer, opt, options, generator)
            ema = loss if ema is None else 0.99 * ema + 0.01 * loss
        elapsed += time.perf_counter() - tic
        bar.update(1)
        if ema is not None and step % options.log_every == 0:
            for key, value in zip(history, (step, ema, epsilon, elapsed)):
                history[key].append(value)
            bar.set_postfix(loss=f"{ema:.4f}")
        if callback is not None and callback_every and step % callback_every == 0:
            callback(step)
        if ema is not None and ema < 0.99 * best:
            best, last_better = ema, step
        elif ema is not None and options.patience and step - last_better >= options.patience:
            break
        if options.max_seconds and elapsed >= options.max_seconds:
            break
    bar.close()
    history["n_steps"] = step
    history["train_seconds"] = elapsed
    return history


def _explore(policy: NodePolicy, env: DAGEnv, states: DAGStates, buffer: ReplayBuffer,
             epsilon: float, generator: torch.Generator) -> DAGStates:
    """One exploration step of every environment; stores edge transitions."""
    with torch.no_grad():
        mask = env.valid_actions(states)
        actions = sample_actions(policy(states.adj, states.closure, mask), mask, epsilon,
                                 generator)
    is_edge = actions < env.n_nodes**2
    delta = env.delta_scores(states, actions)
    buffer.add(states.adj[is_edge], states.closure[is_edge], actions[is_edge], delta[is_edge])
    nxt = env.step(states, actions)
    stopped = ~is_edge
    nxt.adj[stopped] = env.start
    nxt.closure[stopped] = env.start_closure
    return nxt


def _update(policy: NodePolicy, env: DAGEnv, buffer: ReplayBuffer, opt: torch.optim.Optimizer,
            options: TrainOptions, generator: torch.Generator) -> float:
    """One gradient step on a replayed batch; returns the loss."""
    states, actions, delta = buffer.sample(options.batch_size, generator)
    nxt = env.step(states, actions)
    adj = torch.cat([states.adj, nxt.adj])
    closure = torch.cat([states.closure, nxt.closure])
    mask = torch.cat([env.valid_actions(states), env.valid_actions(nxt)])
    log_probs = policy(adj, closure, mask)
    n = actions.shape[0]
    loss = modified_db_loss(log_probs[:n], log_probs[n:], actions, delta,
                            env.n_removable(nxt.adj), kind=options.loss)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach())
