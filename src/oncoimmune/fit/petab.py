r"""Read and check a PEtab problem; build its objective (negative log-likelihood) with exact gradients.

A PEtab problem [1]_ is a YAML file naming a model and four tables:
parameters (ids, scales, bounds, nominal values, which to estimate, priors),
conditions (parameter and initial-value overrides per experiment),
observables (formula, noise formula, transformation, noise distribution) and
measurements (observable, condition, time, value, observable and noise
parameter overrides). The model is an SBML file (``sbml_files``, read with
:func:`oncoimmune.io.sbml.from_sbml`) or a library model named by the
extension key ``oncoimmune_model: <id>`` in the YAML.

Every table is checked when read; a problem is reported as one
:class:`PetabInputError` naming the file, the line (header = line 1) and the
column, with the fix.

Objective
---------
For measurement ``y`` of observable ``h`` with noise ``sigma`` and
transformation ``tau`` (``lin``, ``log``, ``log10``), the PEtab v1
negative log-likelihood is

.. math::

    \text{normal:}\quad \tfrac12 \log(2\pi\sigma^2) + \tfrac12 \left(\frac{\tau(y) - \tau(h)}{\sigma}\right)^2
    + J_\tau(y), \qquad
    \text{laplace:}\quad \log(2\sigma) + \frac{|\tau(y) - \tau(h)|}{\sigma} + J_\tau(y)

with ``J_log(y) = log y`` and ``J_log10(y) = log(y ln 10)`` (the densities of the
untransformed data), plus the negative log priors. Gradients come from forward
sensitivities: the model's symbolic Jacobian and parameter derivatives are
integrated with the states (``dS/dt = J S + df/dp dp/dtheta``), and chained
through the observable and noise formulas and the parameter scales.

References
----------
.. [1] Schmiester L, Schälte Y, Bergmann FT, et al. (2021). PEtab -- Interoperable
   specification of parameter estimation problems in systems biology. PLoS
   Comput Biol 17:e1008646. doi:10.1371/journal.pcbi.1008646
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import OncoimmuneError
from ..model.expr import Expr, compile_expr, diff, evaluate, free_symbols, substitute
from ._formula import FormulaError, parse_formula

__all__ = ["PetabInputError", "PetabProblem", "load_problem"]

SCALES = ("lin", "log", "log10")
TRANSFORMS = ("lin", "log", "log10")
DISTRIBUTIONS = ("normal", "laplace")
PRIORS = ("normal", "laplace", "logNormal", "logLaplace", "parameterScaleNormal", "parameterScaleLaplace",
          "uniform", "parameterScaleUniform")


class PetabInputError(OncoimmuneError, ValueError):
    """A PEtab file is invalid; the message names the file, line and column and the fix."""


def _where(path: Path, row: int | None, column: str | None) -> str:
    parts = [path.name]
    if row is not None:
        parts.append(f"line {row + 2}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def _err(path: Path, row: int | None, column: str | None, msg: str) -> PetabInputError:
    return PetabInputError(f"{_where(path, row, column)}: {msg}")


def _read_table(path: Path, what: str) -> Any:
    import pandas as pd

    if not path.is_file():
        raise PetabInputError(f"{path}: the {what} table does not exist; check the path in the problem YAML")
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure is bad input
        raise PetabInputError(f"{path.name}: cannot read as a tab-separated table: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _need(df: Any, path: Path, cols: tuple[str, ...]) -> None:
    for c in cols:
        if c not in df.columns:
            raise _err(path, None, c, f"required column {c!r} is missing (header: {', '.join(df.columns)})")


def _number(path: Path, row: int, col: str, text: str, *, allow_inf: bool = False) -> float:
    s = str(text).strip()
    try:
        v = float(s)
    except ValueError:
        raise _err(path, row, col, f"{s!r} is not a number") from None
    if math.isnan(v):
        raise _err(path, row, col, "NaN is not allowed; give a number or remove the row")
    if math.isinf(v) and not allow_inf:
        raise _err(path, row, col, f"{s} is not finite; give a finite number")
    return v


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class _Observable:
    id: str
    formula: Expr
    noise: Expr
    transform: str
    distribution: str
    n_obs_pars: int
    n_noise_pars: int


@dataclass
class _Condition:
    id: str
    p_src: list  # per model parameter: ("const", v) | ("par", id)
    y_src: list  # per state: ("const", v) | ("par", id) | ("init", v): the model's initial assignment (v at p0)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    time_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


@dataclass(eq=False)
class PetabProblem:
    """A checked PEtab problem with its objective (see the module docstring).

    Attributes
    ----------
    path : Path
        The problem YAML.
    model : Model
    compiled : CompiledModel
    parameter_ids : tuple of str
        Every id of the parameter table.
    estimated : tuple of str
        Ids with ``estimate = 1``, in table order (the optimisation vector).
    scales : tuple of str
        Their ``parameterScale``.
    lower, upper : ndarray
        Their bounds on the linear scale.
    nominal : dict
        ``nominalValue`` of every parameter-table id (linear scale).
    measurements : pandas.DataFrame
        The measurement table (as read).
    """

    path: Path
    model: Any
    compiled: Any
    parameter_ids: tuple[str, ...]
    estimated: tuple[str, ...]
    scales: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    nominal: dict[str, float]
    priors: dict[str, tuple[str, float, float]]
    observables: dict[str, _Observable]
    conditions: dict[str, _Condition]
    measurements: Any
    y: np.ndarray
    obs_of_row: list[str]
    ext_names: tuple[str, ...]
    row_ext_src: list[list[tuple[str, Any]]]
    model_label: str
    rtol: float = 1e-8
    atol: float = 1e-10
    #: batched-engine method; load_problem pins "rosenbrock" when "auto" fails at the nominal parameters
    method: str = "auto"
    _cache: dict = field(default_factory=dict, repr=False)

    # scales ------------------------------------------------------------------------------
    @property
    def n_par(self) -> int:
        return len(self.estimated)

    def to_scaled(self, lin: Any) -> np.ndarray:
        v = np.asarray(lin, dtype=float)
        out = v.copy()
        for i, s in enumerate(self.scales):
            out[..., i] = np.log(v[..., i]) if s == "log" else (np.log10(v[..., i]) if s == "log10" else v[..., i])
        return out

    def to_linear(self, x: Any) -> np.ndarray:
        v = np.asarray(x, dtype=float)
        out = v.copy()
        for i, s in enumerate(self.scales):
            out[..., i] = np.exp(v[..., i]) if s == "log" else (10.0 ** v[..., i] if s == "log10" else v[..., i])
        return out

    @property
    def bounds_scaled(self) -> np.ndarray:
        return np.stack([self.to_scaled(self.lower), self.to_scaled(self.upper)], axis=1)

    def nominal_scaled(self) -> np.ndarray:
        return self.to_scaled(np.array([self.nominal[p] for p in self.estimated]))

    # simulation --------------------------------------------------------------------------
    def _values(self, theta_lin: np.ndarray) -> dict[str, float]:
        vals = dict(self.nominal)
        vals.update(zip(self.estimated, map(float, theta_lin)))
        return vals

    def _src_value(self, src: tuple[str, Any], vals: dict[str, float]) -> float:
        return float(src[1]) if src[0] in ("const", "init") else vals[src[1]]

    def _initial_assignments(self, P: np.ndarray, y0: np.ndarray, c: _Condition, q: list[str] | None = None
                             ) -> tuple[np.ndarray, np.ndarray | None]:
        """``y0`` with the model's initial assignments evaluated at the condition's parameters ``P``
        (states the condition or parameter table sets keep their values), and, for the model parameters
        ``q``, ``d y0 / d q`` (shape ``(len(q), n_states)``) by the chain rule through the assignments."""
        cm = self.compiled
        todo = [(i, ex) for i, ex in cm.initial_exprs if c.y_src[i][0] == "init"]
        if not todo:
            return y0, (np.zeros((len(q), cm.n_states)) if q is not None else None)
        values = dict(zip(cm.param_names, map(float, P)))
        values.update(zip(cm.state_names, map(float, y0)))
        values["t"] = 0.0
        y = np.array(y0, dtype=float)
        dy = np.zeros((len(q), cm.n_states)) if q is not None else None
        memo = self._cache.setdefault("ia_diff", {})
        for i, ex in todo:
            y[i] = evaluate(ex, values)
            values[cm.state_names[i]] = y[i]
            if dy is not None:
                for a, qn in enumerate(q):
                    key = (i, qn)
                    if key not in memo:
                        memo[key] = (diff(ex, qn), [(cm.state_index(sn), diff(ex, sn))
                                                     for sn in sorted(free_symbols(ex)) if sn in cm.state_names])
                    d_q, d_states = memo[key]
                    dy[a, i] = evaluate(d_q, values) + sum(evaluate(d, values) * dy[a, j] for j, d in d_states)
        return y, dy

    def _augmented(self) -> Any:
        """The model with forward-sensitivity states, compiled once (see :func:`sensitivity_model`)."""
        if "aug" not in self._cache:
            q = sorted({self.compiled.param_names[j] for c in self.conditions.values()
                        for j, s in enumerate(c.p_src) if s[0] == "par" and s[1] in self.estimated},
                       key=self.compiled.param_names.index)
            z = sorted({self.compiled.state_names[i] for c in self.conditions.values()
                        for i, s in enumerate(c.y_src) if s[0] == "par" and s[1] in self.estimated},
                       key=self.compiled.state_names.index)
            self._cache["aug"] = (sensitivity_model(self.compiled, q, z), q, z)
        return self._cache["aug"]

    def simulate(self, theta_lin: np.ndarray, *, sensitivities: bool = False) -> dict[str, Any]:
        """States (and sensitivities to the estimated parameters) at every measurement time, per condition.

        All conditions are integrated as one cohort of the batched engine
        (:func:`oncoimmune.engines.batched.solve_batch`); with ``sensitivities``
        the model is the forward-sensitivity system of :func:`sensitivity_model`.
        Returns ``{condition: (Y (n_times, n_states), S (n_times, n_states, n_est) or None, P)}``.
        """
        from ..engines.batched import solve_batch

        cm = self.compiled
        vals = self._values(theta_lin)
        est_index = {p: i for i, p in enumerate(self.estimated)}
        ns, k = cm.n_states, self.n_par
        cids = list(self.conditions)
        Ps = np.array([[self._src_value(s, vals) for s in self.conditions[c].p_src] for c in cids])
        Y0 = np.array([[self._src_value(s, vals) for s in self.conditions[c].y_src] for c in cids])
        q_sens = list(self._augmented()[1]) if sensitivities else None
        dY0 = []
        for r, c in enumerate(cids):  # SBML initialAssignments depend on the (estimated) parameters
            Y0[r], d = self._initial_assignments(Ps[r], Y0[r], self.conditions[c], q_sens)
            dY0.append(d)
        grid = np.unique(np.concatenate([self.conditions[c].times for c in cids] + [np.zeros(1)]))
        t1 = float(grid[-1]) if grid[-1] > 0 else 1.0
        if sensitivities:
            acm, q, z = self._augmented()
            nq, nz = len(q), len(z)
            Ya = np.zeros((len(cids), acm.n_states))
            Ya[:, :ns] = Y0
            for b, sname in enumerate(z):  # d y(0) / d y_s(0) = e_s
                Ya[:, ns + (nq + b) * ns + cm.state_index(sname)] = 1.0
            for r in range(len(cids)):  # d y(0) / d q through the initial assignments
                Ya[r, ns: ns + nq * ns] = dY0[r].reshape(-1)
            run_cm, Yrun = acm, Ya
        else:
            run_cm, Yrun = cm, Y0
        sol = solve_batch(run_cm, Yrun, Ps, t1=t1, saveat=grid, rtol=self.rtol, atol=self.atol,
                          method=self.method, threads=1)
        if not bool(sol.ok.all()) and self.method == "auto":  # "auto" may exhaust its budget where Rodas4 won't
            sol = solve_batch(run_cm, Yrun, Ps, t1=t1, saveat=grid, rtol=self.rtol, atol=self.atol,
                              method="rosenbrock", threads=1)
        if not bool(sol.ok.all()):
            bad = int(np.argmin(sol.ok))
            raise _SimulationFailed(f"condition {cids[bad]!r}: {sol.reason(bad)}")
        out: dict[str, Any] = {}
        for r, cid in enumerate(cids):
            c = self.conditions[cid]
            idx = np.searchsorted(grid, c.times)
            Yc = sol.y[r][idx][:, :ns]
            S = None
            if sensitivities:
                raw = sol.y[r][idx][:, ns:].reshape(idx.size, nq + nz, ns)  # (t, source, state)
                S = np.zeros((idx.size, ns, k))
                for a, pname in enumerate(q):
                    src = c.p_src[cm.param_index(pname)]
                    if src[0] == "par" and src[1] in est_index:
                        S[:, :, est_index[src[1]]] += raw[:, a, :]
                for b, sname in enumerate(z):
                    src = c.y_src[cm.state_index(sname)]
                    if src[0] == "par" and src[1] in est_index:
                        S[:, :, est_index[src[1]]] += raw[:, nq + b, :]
            out[cid] = (Yc, S, Ps[r])
        return out

    # objective ---------------------------------------------------------------------------
    def _obs_setup(self) -> Any:
        if "obs" in self._cache:
            return self._cache["obs"]
        cm = self.compiled
        index = {n: ("y", i) for i, n in enumerate(cm.state_names)}
        index.update({n: ("p", j) for j, n in enumerate(self.ext_names)})
        comp = {}
        for oid, o in self.observables.items():
            fh = compile_expr(o.formula, index, np)
            fs = compile_expr(o.noise, index, np)
            dh = [compile_expr(diff(o.formula, n), index, np) for n in cm.state_names + self.ext_names]
            ds = [compile_expr(diff(o.noise, n), index, np) for n in cm.state_names + self.ext_names]
            comp[oid] = (fh, fs, dh, ds)
        self._cache["obs"] = comp
        return comp

    def _row_ext(self, r: int, vals: dict[str, float], P_cond: np.ndarray) -> np.ndarray:
        out = np.empty(len(self.ext_names))
        for j, src in enumerate(self.row_ext_src[r]):
            kind, v = src
            out[j] = P_cond[v] if kind == "model" else (float(v) if kind == "const" else vals[v])
        return out

    def predictions(self, theta_lin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Simulated observable ``h`` and noise ``sigma`` for every measurement row."""
        sim = self.simulate(theta_lin)
        vals = self._values(theta_lin)
        comp = self._obs_setup()
        h = np.empty(len(self.y))
        s = np.empty(len(self.y))
        for cid, c in self.conditions.items():
            Y, _, P = sim[cid]
            for r, ti in zip(c.rows, c.time_index):
                fh, fs, _, _ = comp[self.obs_of_row[r]]
                e = self._row_ext(r, vals, P)
                t = float(self.measurements["time"].iloc[r])
                h[r] = fh(t, Y[ti], e)
                s[r] = fs(t, Y[ti], e)
        return h, s

    def objective(self, x: np.ndarray, *, gradient: bool = True) -> tuple[float, np.ndarray]:
        """Negative log-likelihood (plus priors) at scaled parameters ``x`` and its gradient.

        A failed simulation gives ``inf`` (the optimiser then backs off).
        """
        x = np.asarray(x, dtype=float)
        th = self.to_linear(x)
        k = self.n_par
        try:
            with np.errstate(all="ignore"):
                sim = self.simulate(th, sensitivities=gradient)
        except _SimulationFailed:
            return math.inf, np.full(k, np.nan)
        vals = self._values(th)
        est_index = {p: i for i, p in enumerate(self.estimated)}
        comp = self._obs_setup()
        cm = self.compiled
        ns = cm.n_states
        f = 0.0
        g = np.zeros(k)
        for cid, c in self.conditions.items():
            Y, S, P = sim[cid]
            for r, ti in zip(c.rows, c.time_index):
                obs = self.observables[self.obs_of_row[r]]
                fh, fs, dh, ds = comp[obs.id]
                e = self._row_ext(r, vals, P)
                t = float(self.measurements["time"].iloc[r])
                y_t = Y[ti]
                h = float(fh(t, y_t, e))
                sig = float(fs(t, y_t, e))
                ym = self.y[r]
                if not (math.isfinite(h) and math.isfinite(sig)) or sig <= 0:
                    return math.inf, np.full(k, np.nan)
                tr = obs.transform
                if tr == "lin":
                    yt, ht, dht_dh, jac_term = ym, h, 1.0, 0.0
                else:
                    floored = h <= self.atol
                    if floored:  # a population numerically at zero: floor at atol (no gradient through it)
                        h = self.atol
                    ln10 = math.log(10.0)
                    if tr == "log":
                        yt, ht, dht_dh, jac_term = math.log(ym), math.log(h), 1.0 / h, math.log(ym)
                    else:
                        yt, ht, dht_dh, jac_term = math.log10(ym), math.log10(h), 1.0 / (h * ln10), math.log(ym * ln10)
                d = yt - ht
                if obs.distribution == "normal":
                    f += 0.5 * math.log(2 * math.pi * sig * sig) + 0.5 * (d / sig) ** 2 + jac_term
                else:
                    f += math.log(2 * sig) + abs(d) / sig + jac_term
                if not gradient:
                    continue
                # dh/dtheta and dsigma/dtheta (linear parameters)
                dh_dy = np.array([float(dh[i](t, y_t, e)) for i in range(ns)])
                ds_dy = np.array([float(ds[i](t, y_t, e)) for i in range(ns)])
                dh_dth = dh_dy @ S[ti] if S is not None else np.zeros(k)
                ds_dth = ds_dy @ S[ti] if S is not None else np.zeros(k)
                for j, (kind, v) in enumerate(self.row_ext_src[r]):
                    if kind == "model":  # a model parameter: estimated if its condition maps it to one
                        srcp = c.p_src[v]
                        pid = srcp[1] if srcp[0] == "par" else None
                    else:
                        pid = v if kind == "par" else None
                    if pid is None or pid not in est_index:
                        continue
                    dhj = float(dh[ns + j](t, y_t, e))
                    dsj = float(ds[ns + j](t, y_t, e))
                    dh_dth[est_index[pid]] += dhj
                    ds_dth[est_index[pid]] += dsj
                dht = dht_dh * dh_dth if tr == "lin" or not floored else np.zeros(k)
                if obs.distribution == "normal":
                    rr = d / sig
                    g += ds_dth / sig * (1.0 - rr * rr) - rr * dht / sig
                else:
                    g += ds_dth / sig - np.sign(d) * dht / sig - abs(d) * ds_dth / sig**2
        pf, pg = self._prior(x, th)
        f += pf
        g += pg
        if gradient:
            # chain rule to the parameter scales
            for i, s in enumerate(self.scales):
                if s == "log":
                    g[i] *= th[i]
                elif s == "log10":
                    g[i] *= th[i] * math.log(10.0)
        return f, g

    def _prior(self, x: np.ndarray, th: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative log priors (PEtab objectivePriorType) on the estimated parameters; gradient on the
        linear scale except for parameterScale* priors, whose gradient is returned pre-divided so that the
        scale chain rule applied afterwards gives the derivative in x."""
        f = 0.0
        g = np.zeros(self.n_par)
        for i, pid in enumerate(self.estimated):
            if pid not in self.priors:
                continue
            kind, a, b = self.priors[pid]
            v = th[i]
            if kind in ("uniform", "parameterScaleUniform"):
                continue
            if kind.startswith("parameterScale"):
                z = x[i]
                dz = self._dlin_dx(i, th)  # d th / d x
                if kind == "parameterScaleNormal":
                    f += 0.5 * math.log(2 * math.pi * b * b) + 0.5 * ((z - a) / b) ** 2
                    g[i] += ((z - a) / b**2) / dz
                else:
                    f += math.log(2 * b) + abs(z - a) / b
                    g[i] += (np.sign(z - a) / b) / dz
            elif kind == "normal":
                f += 0.5 * math.log(2 * math.pi * b * b) + 0.5 * ((v - a) / b) ** 2
                g[i] += (v - a) / b**2
            elif kind == "laplace":
                f += math.log(2 * b) + abs(v - a) / b
                g[i] += np.sign(v - a) / b
            elif kind == "logNormal":
                lv = math.log(v)
                f += 0.5 * math.log(2 * math.pi * b * b) + lv + 0.5 * ((lv - a) / b) ** 2
                g[i] += (1.0 + (lv - a) / b**2) / v
            elif kind == "logLaplace":
                lv = math.log(v)
                f += math.log(2 * b) + lv + abs(lv - a) / b
                g[i] += (1.0 + np.sign(lv - a) / b) / v
        return f, g

    def _dlin_dx(self, i: int, th: np.ndarray) -> float:
        s = self.scales[i]
        return 1.0 if s == "lin" else (th[i] if s == "log" else th[i] * math.log(10.0))

    def simulation_table(self, theta_lin: np.ndarray) -> Any:
        """The PEtab simulation table: the measurement table with ``simulation`` in place of ``measurement``."""
        h, _ = self.predictions(theta_lin)
        df = self.measurements.copy()
        df = df.rename(columns={"measurement": "simulation"})
        df["simulation"] = h
        return df


class _SimulationFailed(Exception):
    pass


def sensitivity_model(cm: Any, params: list[str], states: list[str]) -> Any:
    """A :class:`~oncoimmune.model.compile.CompiledModel` of the states and their forward sensitivities.

    For each model parameter ``q`` in ``params`` the states ``S_q_i = d y_i / d q``
    obey ``dS_q/dt = J S_q + df/dq``; for each state ``s`` in ``states`` (its
    initial value) ``dS_s/dt = J S_s``. The sensitivity states follow the
    model's states in the order (source, state); they may be negative.
    """
    from ..model.compile import CompiledModel
    from ..model.expr import Num, Sym

    names = list(cm.state_names)
    sens_names, derivs = [], list(cm.derivatives)
    J = cm.jacobian_exprs
    sources = [("p", q) for q in params] + [("y", s) for s in states]
    taken = set(names) | set(cm.param_names)
    for kind, src in sources:
        syms = []
        for sn in names:
            nm = f"S__{src}__{sn}"
            while nm in taken:
                nm += "_"
            taken.add(nm)
            syms.append(nm)
        sens_names.extend(syms)
        for i, f in enumerate(cm.derivatives):
            e: Expr = diff(f, src) if kind == "p" else Num(0.0)
            for kk, sn in enumerate(names):
                if not (isinstance(J[i][kk], Num) and J[i][kk].value == 0.0):
                    e = e + J[i][kk] * Sym(syms[kk])
            derivs.append(e)
    n_s = len(sens_names)
    return CompiledModel(
        model_id=f"{cm.model_id}+sensitivities",
        state_names=tuple(names + sens_names),
        param_names=cm.param_names,
        observable_names=(),
        y0=np.concatenate([cm.y0, np.zeros(n_s)]),
        p0=cm.p0,
        nonnegative=np.concatenate([cm.nonnegative, np.zeros(n_s, dtype=bool)]),
        derivatives=tuple(derivs),
        observable_exprs=(),
        stiff=cm.stiff,
    )


# reading -----------------------------------------------------------------------------------------
def _load_model(doc: dict, base: Path, yaml_path: Path) -> tuple[Any, str]:
    lib = doc.get("oncoimmune_model")
    probs = doc.get("problems") or [{}]
    sbml = list((probs[0] or {}).get("sbml_files") or [])
    if lib:
        from ..library import get_model

        try:
            return get_model(str(lib)), f"library model {lib}"
        except OncoimmuneError as exc:
            raise PetabInputError(f"{yaml_path.name}: oncoimmune_model: {exc}") from None
    if len(sbml) != 1:
        raise PetabInputError(
            f"{yaml_path.name}: problems[0].sbml_files must name exactly one SBML file (or give "
            f"'oncoimmune_model: <library id>'); got {sbml}"
        )
    p = base / sbml[0]
    if not p.is_file():
        raise PetabInputError(f"{yaml_path.name}: sbml_files: {sbml[0]!r} does not exist next to the YAML")
    try:
        from ..io.sbml import from_sbml  # type: ignore[attr-defined]
    except ImportError:
        raise PetabInputError(
            f"{yaml_path.name}: reading SBML models needs oncoimmune.io.sbml.from_sbml (python-libsbml); "
            "install oncoimmune[sbml]"
        ) from None
    try:
        return from_sbml(p), f"SBML {sbml[0]}"
    except OncoimmuneError as exc:
        raise PetabInputError(f"{sbml[0]}: {exc}") from None


def load_problem(path: str | os.PathLike[str]) -> PetabProblem:
    """Read a PEtab problem YAML and check every table (see the module docstring).

    Raises
    ------
    PetabInputError
        Naming the file, line and column of the first problem found.
    """
    import yaml

    yp = Path(path)
    if not yp.is_file():
        raise PetabInputError(f"{yp}: the problem YAML does not exist")
    try:
        doc = yaml.safe_load(yp.read_text())
    except yaml.YAMLError as exc:
        raise PetabInputError(f"{yp.name}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(doc, dict):
        raise PetabInputError(f"{yp.name}: expected a mapping with parameter_file and problems")
    base = yp.parent
    if "parameter_file" not in doc or not doc.get("problems"):
        raise PetabInputError(f"{yp.name}: needs 'parameter_file' and 'problems' (PEtab v1 YAML)")
    prob = doc["problems"][0] or {}
    files = {}
    for key in ("condition_files", "measurement_files", "observable_files"):
        v = prob.get(key) or []
        if len(v) != 1:
            raise PetabInputError(f"{yp.name}: problems[0].{key} must list exactly one file; got {v}")
        files[key] = base / v[0]
    pf = doc["parameter_file"]
    files["parameter_file"] = base / (pf[0] if isinstance(pf, list) else pf)
    model, label = _load_model(doc, base, yp)
    cm = model.compile()
    if cm.events:
        raise PetabInputError(
            f"{label.split(' ', 1)[-1]}: the model has {len(cm.events)} SBML event(s) "
            f"(e.g. {cm.events[0].name!r}); "
            "fitting integrates on the batched engine, which does not handle state-dependent events; "
            "remove the events or write them as PEtab conditions"
        )

    par = _read_table(files["parameter_file"], "parameter")
    cond = _read_table(files["condition_files"], "condition")
    obs = _read_table(files["observable_files"], "observable")
    meas = _read_table(files["measurement_files"], "measurement")
    pp, cp, op, mp = (files[k] for k in ("parameter_file", "condition_files", "observable_files", "measurement_files"))

    # parameters
    _need(par, pp, ("parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"))
    ids: list[str] = []
    est, scales, lo, hi = [], [], [], []
    nominal: dict[str, float] = {}
    priors: dict[str, tuple[str, float, float]] = {}
    for r, row in par.iterrows():
        pid = row["parameterId"].strip()
        if not pid.isidentifier():
            raise _err(pp, r, "parameterId", f"{pid!r} is not a valid id (letters, digits, underscores)")
        if pid in ids:
            raise _err(pp, r, "parameterId", f"{pid!r} appears twice; give each parameter one row")
        ids.append(pid)
        scale = row["parameterScale"].strip()
        if scale not in SCALES:
            raise _err(pp, r, "parameterScale",
                       f"{scale!r} is not a scale; give one of {', '.join(SCALES)}" if scale else
                       f"parameter {pid!r} has no scale; give one of {', '.join(SCALES)}")
        e = row["estimate"].strip()
        if e not in ("0", "1"):
            raise _err(pp, r, "estimate", f"{e!r}: estimate must be 0 or 1")
        nv = _number(pp, r, "nominalValue", row["nominalValue"]) if row["nominalValue"].strip() else None
        if e == "1":
            lb = _number(pp, r, "lowerBound", row["lowerBound"], allow_inf=True)
            ub = _number(pp, r, "upperBound", row["upperBound"], allow_inf=True)
            if not lb < ub:
                raise _err(pp, r, "lowerBound", f"lowerBound {lb:g} is not below upperBound {ub:g}; swap them")
            if not (math.isfinite(lb) and math.isfinite(ub)):
                raise _err(pp, r, "upperBound", "estimated parameters need finite bounds")
            if scale in ("log", "log10") and lb <= 0:
                raise _err(pp, r, "lowerBound", f"a {scale}-scaled parameter needs lowerBound > 0; got {lb:g}")
            est.append(pid)
            scales.append(scale)
            lo.append(lb)
            hi.append(ub)
            if nv is None:
                nv = math.sqrt(lb * ub) if scale != "lin" else 0.5 * (lb + ub)
        if nv is None:
            raise _err(pp, r, "nominalValue", f"fixed parameter {pid!r} needs a nominalValue")
        nominal[pid] = nv
        if "objectivePriorType" in par.columns and row["objectivePriorType"].strip() and e == "1":
            kind = row["objectivePriorType"].strip()
            if kind not in PRIORS:
                raise _err(pp, r, "objectivePriorType", f"{kind!r} is not a PEtab prior; give one of {', '.join(PRIORS)}")
            if "objectivePriorParameters" not in par.columns:
                raise _err(pp, r, "objectivePriorParameters", "a prior needs objectivePriorParameters 'a;b'")
            parts = row["objectivePriorParameters"].split(";")
            if len(parts) != 2:
                raise _err(pp, r, "objectivePriorParameters", "give two numbers separated by ';'")
            a = _number(pp, r, "objectivePriorParameters", parts[0])
            b = _number(pp, r, "objectivePriorParameters", parts[1])
            priors[pid] = (kind, a, b)
    if not est:
        raise PetabInputError(f"{pp.name}: no parameter has estimate = 1; nothing to fit")

    known_pars = set(ids)
    model_pars = set(cm.param_names)
    states = set(cm.state_names)

    # observables
    _need(obs, op, ("observableId", "observableFormula", "noiseFormula"))
    observables: dict[str, _Observable] = {}
    inl = dict(zip(cm.observable_names, cm.observable_exprs))
    for r, row in obs.iterrows():
        oid = row["observableId"].strip()
        if not oid.isidentifier():
            raise _err(op, r, "observableId", f"{oid!r} is not a valid id")
        if oid in observables:
            raise _err(op, r, "observableId", f"{oid!r} appears twice")
        exprs = {}
        for col in ("observableFormula", "noiseFormula"):
            try:
                ex = parse_formula(row[col])
            except FormulaError as exc:
                raise _err(op, r, col, str(exc)) from None
            ex = substitute(ex, {n: e for n, e in inl.items()})
            allowed = states | model_pars | known_pars | {"t"}
            for s in sorted(free_symbols(ex)):
                if s.startswith(("observableParameter", "noiseParameter")) and s.endswith(f"_{oid}"):
                    continue
                if s not in allowed:
                    raise _err(op, r, col, f"unknown id {s!r}: not a state, model parameter, observable or "
                                           f"parameter-table id (states: {', '.join(cm.state_names)})")
            exprs[col] = ex
        tr = row.get("observableTransformation", "").strip() or "lin"
        if tr not in TRANSFORMS:
            raise _err(op, r, "observableTransformation", f"{tr!r}; give one of {', '.join(TRANSFORMS)}")
        dist = row.get("noiseDistribution", "").strip() or "normal"
        if dist not in DISTRIBUTIONS:
            raise _err(op, r, "noiseDistribution", f"{dist!r}; give one of {', '.join(DISTRIBUTIONS)}")
        def _count(ex: Expr, stem: str) -> int:
            ns_ = [s for s in free_symbols(ex) if s.startswith(stem) and s.endswith(f"_{oid}")]
            return max((int(s[len(stem):-len(oid) - 1]) for s in ns_), default=0)
        observables[oid] = _Observable(
            oid, exprs["observableFormula"], exprs["noiseFormula"], tr, dist,
            max(_count(exprs["observableFormula"], "observableParameter"), _count(exprs["noiseFormula"], "observableParameter")),
            max(_count(exprs["noiseFormula"], "noiseParameter"), _count(exprs["observableFormula"], "noiseParameter")),
        )

    # conditions
    _need(cond, cp, ("conditionId",))
    conditions: dict[str, _Condition] = {}
    for col in cond.columns:
        if col in ("conditionId", "conditionName"):
            continue
        if col not in model_pars and col not in states:
            raise _err(cp, None, col, f"{col!r} is not a parameter or state of the model "
                                      f"(parameters: {', '.join(cm.param_names)}; states: {', '.join(cm.state_names)})")
    for r, row in cond.iterrows():
        cid = row["conditionId"].strip()
        if not cid:
            raise _err(cp, r, "conditionId", "empty conditionId")
        if cid in conditions:
            raise _err(cp, r, "conditionId", f"{cid!r} appears twice")
        p_src: list = []
        for j, pn in enumerate(cm.param_names):
            if pn in cond.columns and row[pn].strip():
                p_src.append(_override(cp, r, pn, row[pn], known_pars))
            elif pn in known_pars:
                p_src.append(("par", pn))
            else:
                p_src.append(("const", float(cm.p0[j])))
        y_src: list = []
        assigned = {i for i, _ in cm.initial_exprs}
        for i, sn in enumerate(cm.state_names):
            if sn in cond.columns and row[sn].strip():
                y_src.append(_override(cp, r, sn, row[sn], known_pars))
            elif sn in known_pars:
                y_src.append(("par", sn))
            elif i in assigned:
                y_src.append(("init", float(cm.y0[i])))
            else:
                y_src.append(("const", float(cm.y0[i])))
        conditions[cid] = _Condition(cid, p_src, y_src)

    # measurements
    _need(meas, mp, ("observableId", "simulationConditionId", "time", "measurement"))
    for c in ("preequilibrationConditionId",):
        if c in meas.columns and meas[c].str.strip().ne("").any():
            r = int(np.argmax(meas[c].str.strip().ne("").to_numpy()))
            raise _err(mp, r, c, "pre-equilibration is not supported; leave the column empty")
    ext_extra = sorted(known_pars - model_pars)
    placeholders = sorted(
        {f"observableParameter{i}_{o.id}" for o in observables.values() for i in range(1, o.n_obs_pars + 1)}
        | {f"noiseParameter{i}_{o.id}" for o in observables.values() for i in range(1, o.n_noise_pars + 1)}
    )
    ext_names = tuple(cm.param_names) + tuple(ext_extra) + tuple(placeholders)
    pos = {n: j for j, n in enumerate(ext_names)}
    yv = np.empty(len(meas))
    obs_of_row: list[str] = []
    row_src: list[list[tuple[str, Any]]] = []
    times = np.empty(len(meas))
    for r, row in meas.iterrows():
        oid = row["observableId"].strip()
        if oid not in observables:
            raise _err(mp, r, "observableId", f"unknown observable {oid!r}; valid: {', '.join(observables)}")
        cid = row["simulationConditionId"].strip()
        if cid not in conditions:
            raise _err(mp, r, "simulationConditionId", f"unknown condition {cid!r}; valid: {', '.join(conditions)}")
        t = _number(mp, r, "time", row["time"], allow_inf=True)
        if not math.isfinite(t):
            raise _err(mp, r, "time", "steady-state measurements (time inf) are not supported")
        if t < 0:
            raise _err(mp, r, "time", f"time {t:g} is negative")
        times[r] = t
        y = _number(mp, r, "measurement", row["measurement"])
        o = observables[oid]
        if o.transform != "lin" and y <= 0:
            raise _err(mp, r, "measurement", f"{y:g} <= 0 with a {o.transform} transformation")
        yv[r] = y
        obs_of_row.append(oid)
        src: list[tuple[str, Any]] = [("model", j) for j in range(cm.n_params)]
        for pid in ext_extra:
            src.append(("par", pid))
        for _ in placeholders:
            src.append(("const", math.nan))
        for col, stem, n in (("observableParameters", "observableParameter", o.n_obs_pars),
                             ("noiseParameters", "noiseParameter", o.n_noise_pars)):
            text = row[col].strip() if col in meas.columns else ""
            parts = [s.strip() for s in text.split(";")] if text else []
            if len(parts) != n:
                raise _err(mp, r, col if col in meas.columns else col,
                           f"observable {oid!r} needs {n} value(s) separated by ';'; got {len(parts)}")
            for i, s in enumerate(parts, start=1):
                name = f"{stem}{i}_{oid}"
                if _is_number(s):
                    src[pos[name]] = ("const", _number(mp, r, col, s))
                elif s in known_pars:
                    src[pos[name]] = ("par", s)
                else:
                    raise _err(mp, r, col, f"{s!r} is neither a number nor a parameter-table id")
        row_src.append(src)
    used = model_pars | states
    for o in observables.values():
        used |= free_symbols(o.formula) | free_symbols(o.noise)
    for c in conditions.values():
        used |= {v for k, v in (*c.p_src, *c.y_src) if k == "par"}
    first_placeholder = cm.n_params + len(ext_extra)
    for src in row_src:  # measurement overrides (the placeholders' sources)
        used |= {v for k, v in src[first_placeholder:] if k == "par"}
    for r, pid in enumerate(ids):
        if pid not in used:
            raise _err(pp, r, "parameterId", f"{pid!r} is not a model parameter or state and no observable, noise "
                                             "formula, condition or measurement uses it; remove the row or fix the id")
    for cid, c in conditions.items():
        rows = np.array([r for r in range(len(meas)) if meas["simulationConditionId"].iloc[r].strip() == cid], dtype=int)
        ut = np.unique(times[rows]) if rows.size else np.zeros(0)
        c.rows = rows
        c.times = ut
        c.time_index = np.searchsorted(ut, times[rows]) if rows.size else np.zeros(0, dtype=int)
    conditions = {k: v for k, v in conditions.items() if v.rows.size}
    meas = meas.copy()
    meas["time"] = times
    meas["measurement"] = yv
    pb = PetabProblem(
        path=yp, model=model, compiled=cm, parameter_ids=tuple(ids), estimated=tuple(est), scales=tuple(scales),
        lower=np.array(lo), upper=np.array(hi), nominal=nominal, priors=priors, observables=observables,
        conditions=conditions, measurements=meas, y=yv, obs_of_row=obs_of_row, ext_names=ext_names,
        row_ext_src=row_src, model_label=label,
    )
    _pin_method(pb)
    return pb


def _pin_method(pb: PetabProblem) -> None:
    """Use Rodas4 throughout when the batched engine's ``auto`` fails at the nominal parameters and Rodas4
    does not (Fujita 2010: ``auto`` exhausts 100,000 steps by t = 5.4 s; each gradient then cost 16 s of failed
    ``auto`` before the Rodas4 retry). Decided once, from the nominal values only, so results do not depend on
    the order of evaluations."""
    from ..engines.batched import solve_batch

    cm = pb.compiled
    cids = list(pb.conditions)
    if not cids:
        return
    b = pb.bounds_scaled
    vals = pb._values(pb.to_linear(np.clip(pb.nominal_scaled(), b[:, 0], b[:, 1])))
    Ps = np.array([[pb._src_value(s, vals) for s in pb.conditions[c].p_src] for c in cids])
    Y0 = np.array([[pb._src_value(s, vals) for s in pb.conditions[c].y_src] for c in cids])
    for r, c in enumerate(cids):
        Y0[r], _ = pb._initial_assignments(Ps[r], Y0[r], pb.conditions[c])
    grid = np.unique(np.concatenate([pb.conditions[c].times for c in cids] + [np.zeros(1)]))
    t1 = float(grid[-1]) if grid[-1] > 0 else 1.0
    kw = dict(t1=t1, saveat=grid, rtol=pb.rtol, atol=pb.atol, threads=1)
    with np.errstate(all="ignore"):
        if bool(solve_batch(cm, Y0, Ps, method="auto", **kw).ok.all()):
            return
        if bool(solve_batch(cm, Y0, Ps, method="rosenbrock", **kw).ok.all()):
            pb.method = "rosenbrock"


def _override(path: Path, r: int, col: str, text: str, known: set[str]) -> tuple[str, Any]:
    s = text.strip()
    if _is_number(s):
        return ("const", _number(path, r, col, s))
    if s in known:
        return ("par", s)
    raise _err(path, r, col, f"{s!r} is neither a number nor a parameter-table id")

