"""Linear-Gaussian CIDs with quadratic utilities: maximum expected utility in closed form.

Each chance node is ``X = intercept + sum_P weight[P, X] * P + noise``,
``noise ~ N(0, variance)``; each utility is a quadratic form of its parents,
``U = const + lin . p + p' quad p``; decisions are real-valued. For such
diagrams an optimal decision rule is affine in the observations: the expected
utility given the observations is a quadratic in the decision, whose
maximiser is linear in the Gaussian conditional mean. With sufficient recall,
backward induction along the relevance graph gives an optimal policy, and the
expected utility of the resulting jointly Gaussian model is exact:
``const + lin . m + m' A m + trace(A S)``.

References
----------
Koller & Milch (2003). Multi-agent influence diagrams for representing and
solving games. Games and Economic Behavior 45(1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from incentives.cid import CID
from incentives.errors import InsufficientRecallError, ParameterError
from incentives.recall import solve_order

__all__ = ["LinearGaussianParams", "Quadratic"]


@dataclass(frozen=True)
class Quadratic:
    """A utility ``const + lin . p + p' quad p`` over its parents ``p`` (``quad`` symmetrised)."""

    parents: tuple[str, ...]
    quad: np.ndarray
    lin: np.ndarray
    const: float

    @classmethod
    def make(
        cls,
        parents: Sequence[str],
        quad: ArrayLike | None = None,
        lin: ArrayLike | None = None,
        const: float = 0.0,
    ) -> Quadratic:
        parents = tuple(parents)
        k = len(parents)
        q = np.zeros((k, k)) if quad is None else np.array(quad, dtype=float)
        b = np.zeros(k) if lin is None else np.array(lin, dtype=float)
        if q.shape != (k, k) or b.shape != (k,):
            raise ParameterError(
                f"a quadratic utility over {k} parents needs quad ({k}, {k}) and lin ({k},); "
                f"got {q.shape} and {b.shape}"
            )
        if not (np.all(np.isfinite(q)) and np.all(np.isfinite(b)) and np.isfinite(const)):
            raise ParameterError("quadratic utility coefficients must be finite")
        q = (q + q.T) / 2
        q.setflags(write=False)
        b.setflags(write=False)
        return cls(parents, q, b, float(const))

    def supremum(self) -> float:
        """The largest value the utility can take (``inf`` when unbounded above)."""
        q, b = self.quad, self.lin
        if len(b) == 0:
            return self.const
        eig = np.linalg.eigvalsh(q)
        tol = 1e-10 * max(1.0, float(np.abs(q).max()))
        if eig.max() > tol:
            return np.inf
        p, *_ = np.linalg.lstsq(-2 * q, b, rcond=None)  # stationary point
        if not np.allclose(-2 * q @ p, b, atol=1e-8 * max(1.0, float(np.abs(b).max()))):
            return np.inf
        return float(self.const + b @ p + p @ q @ p)


@dataclass(frozen=True, init=False)
class LinearGaussianParams:
    """Parameters of a linear-Gaussian CID, given separately from its graph.

    Parameters
    ----------
    weights : mapping of (str, str) to float
        The coefficient of every edge ``(parent, child)`` into a chance node.
        Weights into decisions are ignored (the solver chooses decisions).
    utilities : mapping of str to tuple
        For every utility: ``(parents, quad, lin, const)`` (``quad``, ``lin``
        and ``const`` optional, zero by default) or a :class:`Quadratic`.
    intercepts : mapping of str to float, optional
        Intercept of each chance node (default 0).
    variances : mapping of str to float, optional
        Noise variance of each chance node (default 1; 0 makes it deterministic).

    Raises
    ------
    ParameterError
        On non-finite coefficients, a negative variance, or malformed utilities.

    Examples
    --------
    >>> params = LinearGaussianParams(
    ...     weights={("S", "X"): 1.0},
    ...     utilities={"U": (("S", "D"), [[-1, 1], [1, -1]])},  # -(D - S)^2
    ... )
    >>> params.utilities["U"].quad.tolist()
    [[-1.0, 1.0], [1.0, -1.0]]
    """

    weights: Mapping[tuple[str, str], float]
    utilities: Mapping[str, Quadratic]
    intercepts: Mapping[str, float]
    variances: Mapping[str, float]

    def __init__(
        self,
        weights: Mapping[tuple[str, str], float],
        utilities: Mapping[str, Quadratic | Sequence[object]],
        intercepts: Mapping[str, float] | None = None,
        variances: Mapping[str, float] | None = None,
    ) -> None:
        w = {(str(a), str(b)): float(v) for (a, b), v in weights.items()}
        icp = {str(k): float(v) for k, v in (intercepts or {}).items()}
        var = {str(k): float(v) for k, v in (variances or {}).items()}
        if not all(np.isfinite(v) for v in (*w.values(), *icp.values(), *var.values())):
            raise ParameterError("weights, intercepts and variances must be finite")
        bad = [k for k, v in var.items() if v < 0]
        if bad:
            raise ParameterError(f"variance of {bad[0]!r} is negative")
        utils = {
            u: spec if isinstance(spec, Quadratic) else Quadratic.make(*spec)  # type: ignore[arg-type]
            for u, spec in utilities.items()
        }
        object.__setattr__(self, "weights", MappingProxyType(w))
        object.__setattr__(self, "utilities", MappingProxyType(utils))
        object.__setattr__(self, "intercepts", MappingProxyType(icp))
        object.__setattr__(self, "variances", MappingProxyType(var))


class _Model:
    """The jointly Gaussian model of a CID's chance and decision nodes under affine policies."""

    def __init__(self, cid: CID, params: LinearGaussianParams) -> None:
        self.cid = cid
        self.nodes = [v for v in cid.topological_order if v not in cid.utilities]
        self.pos = {v: i for i, v in enumerate(self.nodes)}
        n = len(self.nodes)
        self.B = np.zeros((n, n))  # B[i, j]: coefficient of node i in node j's equation
        self.c = np.zeros(n)
        self.var = np.zeros(n)
        edges = set(cid.edges)
        for (a, b), w in params.weights.items():
            if (a, b) not in edges:
                raise ParameterError(
                    f"weight given for {a!r} -> {b!r}, which is not an edge of the CID"
                )
            if b in cid.chance:
                self.B[self.pos[a], self.pos[b]] = w
        for v in cid.chance:
            missing = [p for p in cid.parents(v) if (p, v) not in params.weights]
            if missing:
                raise ParameterError(f"no weight for the edge {missing[0]!r} -> {v!r}")
            self.c[self.pos[v]] = params.intercepts.get(v, 0.0)
            self.var[self.pos[v]] = params.variances.get(v, 1.0)
        for v in cid.decisions:
            # until solved, a decision is independent noise: full support, so a rule
            # fitted for a later decision that observes it holds for any policy of it
            self.var[self.pos[v]] = 1.0
        self.A = np.zeros((n, n))
        self.b = np.zeros(n)
        self.c0 = 0.0
        for u in cid.utilities:
            spec = params.utilities.get(u)
            if spec is None:
                raise ParameterError(f"no quadratic utility for {u!r}")
            if sorted(spec.parents) != sorted(cid.parents(u)):
                raise ParameterError(
                    f"the utility of {u!r} is over {list(spec.parents)}; "
                    f"its parents are {list(cid.parents(u))}"
                )
            idx = [self.pos[p] for p in spec.parents]
            self.A[np.ix_(idx, idx)] += spec.quad
            self.b[idx] += spec.lin
            self.c0 += spec.const
        for name in (*params.intercepts, *params.variances, *params.utilities):
            if name not in cid:
                raise ParameterError(
                    f"parameters given for {name!r}, which is not a node of the CID"
                )

    def moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, covariance and total-effect matrix ``L`` (``x = L (c + noise)``)."""
        n = len(self.nodes)
        L = np.linalg.solve(np.eye(n) - self.B.T, np.eye(n))
        return L @ self.c, (L * self.var) @ L.T, L

    def expected_utility(self) -> float:
        m, S, _ = self.moments()
        return float(self.c0 + self.b @ m + m @ self.A @ m + np.sum(self.A * S))

    def best_response(self, d: str) -> None:
        """Set the affine rule of ``d`` that is optimal given the other rules."""
        j = self.pos[d]
        obs = [self.pos[p] for p in self.cid.parents(d)]
        self.B[:, j] = 0.0
        self.c[j] = 0.0
        self.var[j] = 0.0
        m, S, L = self.moments()  # the model with d fixed at 0
        t = L[:, j]
        alpha = float(t @ self.A @ t)
        beta0 = float(2 * t @ self.A @ m + self.b @ t)
        s_oo = S[np.ix_(obs, obs)]
        kappa = 2 * np.linalg.pinv(s_oo) @ S[obs, :] @ self.A @ t if obs else np.zeros(0)
        scale = 1.0 + float(np.abs(self.A).max() * (t @ t) + np.abs(self.b).max() * np.abs(t).max())
        tol = 1e-9 * scale
        if alpha < -tol:
            self.B[obs, j] = -kappa / (2 * alpha)
            self.c[j] = -(beta0 - kappa @ m[obs]) / (2 * alpha)
        elif abs(alpha) <= tol and abs(beta0) <= tol and float(kappa @ s_oo @ kappa) <= tol**2:
            return  # the decision does not matter: keep it at 0
        else:
            raise ParameterError(
                f"the expected utility is unbounded in decision {d!r}: utilities must be "
                f"strictly concave in it"
            )

    def rule(self, d: str) -> tuple[float, dict[str, float]]:
        j = self.pos[d]
        return float(self.c[j]), {p: float(self.B[self.pos[p], j]) for p in self.cid.parents(d)}


def solve_gaussian(
    cid: CID, params: LinearGaussianParams
) -> tuple[float, dict[str, tuple[float, dict[str, float]]]]:
    """MEU and the optimal affine rule ``(offset, {parent: gain})`` of every decision."""
    order = solve_order(cid)
    model = _Model(cid, params)
    if order is not None:
        for d in order:
            model.best_response(d)
    elif _static(cid):
        _team_ascent(model)
    else:
        raise InsufficientRecallError(
            "linear-Gaussian MEU needs sufficient recall, or decisions that never influence "
            "one another's observations; this CID has neither"
        )
    return model.expected_utility(), {d: model.rule(d) for d in cid.decisions}


def _static(cid: CID) -> bool:
    """No decision is an ancestor of another decision's observation (a static team)."""
    decisions = set(cid.decisions)
    return not any(
        (cid.ancestors(p) | {p}) & decisions for d in cid.decisions for p in cid.parents(d)
    )


def _team_ascent(model: _Model, max_sweeps: int = 10_000) -> None:
    """Best responses in turn until the expected utility stops improving.

    In a static team with jointly Gaussian observations and a concave quadratic
    utility, the expected utility is a concave quadratic in the affine rules,
    so this converges to the optimum, and affine rules are optimal (Radner
    1962, Team decision problems, Ann. Math. Stat. 33(3)).
    """
    value = -np.inf
    for _ in range(max_sweeps):
        for d in model.cid.decisions:
            model.best_response(d)
        new = model.expected_utility()
        if new - value <= 1e-13 * max(1.0, abs(new)):
            return
        value = new
    raise ParameterError("best responses did not converge: is the utility jointly concave?")
