"""The reference integrator the model tests compare ngspice with: scipy's Radau, piece by piece between
the breakpoints of a PWL stimulus (a kink in the input is never stepped over)."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp


def integrate_piecewise(rhs, points: np.ndarray, y0, **kw) -> tuple[np.ndarray, np.ndarray]:
    """Integrate ``rhs(t, y)`` from ``y0`` over every segment of ``points[:, 0]``; returns (t, Y[state, t])."""
    y, ts, ys = list(y0), [], []
    for a, b in zip(points[:-1, 0], points[1:, 0], strict=True):
        if b <= a:
            continue
        sol = solve_ivp(rhs, (a, b), y, method="Radau", **kw)
        assert sol.success, sol.message
        ts.append(sol.t)
        ys.append(sol.y)
        y = sol.y[:, -1]
    return np.concatenate(ts), np.concatenate(ys, axis=1)
