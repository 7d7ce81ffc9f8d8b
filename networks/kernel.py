"""The batched integrator: every circuit of a batch with its own adaptive, implicit time steps.

Why this integrator. The electro-thermal NbOx device is stiff far beyond what an explicit
method can take: its core voltage ``vc`` relaxes in ``R_s C_p`` = 35 ps (and in under a
picosecond through the core conductance during a spike), its temperature in ``R_th C_th`` =
2.5 ns, while the membrane charges over 0.1-10 us and a run lasts 20 us. Between spikes
nothing moves faster than the membrane; during a spike (10-40 ns) everything does. So:

* **implicit** (backward Euler, then variable-step BDF2, the method ngspice runs with
  ``method=gear``), solved by Newton's method on the whole circuit state ``(v_mem, states)``
  with the model's exact Jacobian (:mod:`networks.compile`): L-stable for the picosecond
  modes, so the step is set by accuracy alone, never by stability. Nothing model-specific is
  assumed (eliminating ``vc`` quasi-statically would need a per-model solve; the implicit step
  handles any compact model, the behavioural ``nbox_ts`` too);
* **adaptive per circuit**: the local truncation error is estimated from the difference
  between the corrector and a predictor (the quadratic through the last two points and the
  last derivative), weighed against ``atol + rtol |y - y_rest|`` per component (a state's
  error against its excursion from rest: ``T - T0`` decides a run-away near threshold), and the
  step grows (at most x2) or shrinks with it: a tenth of a nanosecond inside a spike, tens to
  hundreds of nanoseconds between spikes and in a silent neuron, where SPICE's ``tmax`` keeps
  ngspice at 2 ns. A Newton failure quarters the step. (A variable-order BDF, scipy's, takes
  about 1.6 times fewer steps here at the same tolerance but does more per step; BDF2 is the
  simpler loop at the same cost.)
* **breakpoints**: the step lands on every corner of every PWL source (pulse edges, gate
  ramps) and the next step restarts at first order, as SPICE does; between corners each source
  is a straight line, evaluated exactly;
* **operating point**: the run starts at the DC state of the sources' values at t = 0, found by
  pseudo-transient backward-Euler steps of growing length (1 ps to 1e4 s), like SPICE's ``.op``
  for a circuit at rest.

Synapse devices (the TaOx devices of a crossbar column, :mod:`networks.circuit`) join the same
implicit system: their states are unknowns beside the neuron's, their currents enter the membrane's
equation, and the Jacobian carries their coupling through the membrane voltage.

Each circuit keeps its own step (a population that steps in lock-step would move at the pace
of whichever circuit is spiking), so circuits are independent compiled loops: ``run_list`` runs a
list of them without the GIL, and :mod:`networks.simulate` runs lists on every core at once.

This file is compiled once per compact model in a generated module (:func:`networks.compile.compiled`)
that provides ``N`` (the unknowns: node voltage and states, so the small loops unroll), ``prep``,
``full`` and ``current`` in place of the stubs imported below.
"""

import math

from numba import njit

# MODEL FUNCTIONS: the generated module defines these in place of the next line
from networks._stub import NA, NB, NS, N, current, full, prep, syn_current, syn_full, syn_prep  # noqa: E501

OK, TOO_SMALL, FULL, TOO_MANY, NO_OP = 0, 1, 2, 3, 4


@njit(cache=True, error_model="numpy", inline="always")
def pwl_at(k, t, off, pt, pv, cur):
    """Value at ``t`` of PWL ``k`` (points ``off[k]:off[k+1]``; constant outside them). ``cur[k]`` remembers
    the segment last used: time moves forward a step at a time, so the search is a step or two."""
    a = off[k]
    b = off[k + 1] - 1
    if t <= pt[a]:
        return pv[a]
    if t >= pt[b]:
        return pv[b]
    lo = cur[k]
    if lo < a or lo >= b:
        lo = a
    while pt[lo + 1] < t:
        lo += 1
    while pt[lo] > t:
        lo -= 1
    cur[k] = lo
    return pv[lo] + (pv[lo + 1] - pv[lo]) * (t - pt[lo]) / (pt[lo + 1] - pt[lo])


@njit(cache=True, error_model="numpy", inline="always")
def inputs(c, t, ref, br_off, br_src, br_G, br_gate, br_gon, br_goff, br_kind, off, pt, pv, cur):
    """``(a, b, vx)``: the current into the membrane from its branches is ``a - b v``; ``vx`` is the
    voltage of the device's other terminal. A branch's conductance is ``br_G`` (1 / its resistance), or
    with a gate ``1 / (1 / br_G + 1 / (g_on v_gate + g_off))``; a current source (kind 1) injects its value."""
    a = 0.0
    b = 0.0
    for k in range(br_off[c], br_off[c + 1]):
        vs = pwl_at(br_src[k], t, off, pt, pv, cur)
        if br_kind[k] == 1:
            a += vs
            continue
        G = br_G[k]
        if br_gate[k] >= 0:
            g = br_gon[k] * pwl_at(br_gate[k], t, off, pt, pv, cur) + br_goff[k]
            if g <= 0.0:
                continue
            G = 1.0 / (1.0 / G + 1.0 / g)
        a += vs * G
        b += G
    vx = pwl_at(ref[c], t, off, pt, pv, cur) if ref[c] >= 0 else 0.0
    return a, b, vx


@njit(cache=True, error_model="numpy", inline="always")
def evaluate(y, vx, a, b, C, sgn, p, d, F, J, n, vs, ps, ssg):
    """Right-hand side ``F = dy/dt`` of the circuit and its Jacobian ``J`` at state ``y``.

    ``y``: the membrane voltage, the neuron's ``NA`` states, then each synapse device's ``NB`` states.
    Synapse device ``s`` (parameters ``ps[s]``) joins driven node ``s`` (at ``vs[s]``) and the membrane,
    its ``p`` terminal at the driven node when ``ssg[s]`` is +1 (at the membrane when -1)."""
    na1 = 1 + NA
    if NS > 0:
        for i in range(n):
            for k in range(n):
                J[i, k] = 0.0
    V = sgn * (y[0] - vx)
    full(V, y, p, d)
    F[0] = (a - b * y[0] - sgn * d[0, 0]) / C
    J[0, 0] = (-b - d[0, 1]) / C
    for j in range(1, na1):
        J[0, j] = -sgn * d[0, 1 + j] / C
        F[j] = d[j, 0]
        J[j, 0] = sgn * d[j, 1]
        for k in range(1, na1):
            J[j, k] = d[j, 1 + k]
    for s in range(NS):
        o = na1 + s * NB
        g = ssg[s]
        syn_full(g * (vs[s] - y[0]), y, o, ps[s], d)
        F[0] += g * d[0, 0] / C                 # into the membrane
        J[0, 0] -= d[0, 1] / C
        for j in range(NB):
            J[0, o + j] = g * d[0, 2 + j] / C
            F[o + j] = d[1 + j, 0]
            J[o + j, 0] = -g * d[1 + j, 1]
            for k in range(NB):
                J[o + j, o + k] = d[1 + j, 2 + k]


@njit(cache=True, error_model="numpy", inline="always")
def synapse_volts(c, t, syn_src, off, pt, pv, cur, vs):
    """The driven-node voltage of each synapse device of circuit ``c`` at ``t``, into ``vs``."""
    for s in range(NS):
        vs[s] = pwl_at(syn_src[c, s], t, off, pt, pv, cur)


@njit(cache=True, error_model="numpy", inline="always")
def store(out, o, t, y, vx, sgn, p, vs, ps, ssg, n):
    """Output row ``o``: ``t``, ``y``, the neuron's current (p to n) and each synapse device's (into the
    membrane)."""
    out[o, 0] = t
    for i in range(n):
        out[o, 1 + i] = y[i]
    out[o, 1 + n] = current(sgn * (y[0] - vx), y, p)
    for s in range(NS):
        g = ssg[s]
        out[o, 2 + n + s] = g * syn_current(g * (vs[s] - y[0]), y, 1 + NA + s * NB, ps[s])


@njit(cache=True, error_model="numpy", inline="always")
def solve(M, r, n):
    """Solve ``M x = r`` in place (``r`` becomes ``x``) by Gaussian elimination with partial pivoting."""
    for i in range(n):
        piv = i
        big = abs(M[i, i])
        for k in range(i + 1, n):
            if abs(M[k, i]) > big:
                big = abs(M[k, i])
                piv = k
        if big == 0.0 or not math.isfinite(big):
            return False
        if piv != i:
            for k in range(n):
                M[i, k], M[piv, k] = M[piv, k], M[i, k]
            r[i], r[piv] = r[piv], r[i]
        inv = 1.0 / M[i, i]
        for k in range(i + 1, n):
            f = M[k, i] * inv
            if f != 0.0:
                for m in range(i + 1, n):
                    M[k, m] -= f * M[i, m]
                r[k] -= f * r[i]
        M[i, i] = inv                   # kept for the back substitution
    for i in range(n - 1, -1, -1):
        s = r[i]
        for k in range(i + 1, n):
            s -= M[i, k] * r[k]
        r[i] = s * M[i, i]
    return True


@njit(cache=True, error_model="numpy", _nrt=False, nogil=True, fastmath={"contract", "arcp", "nsz", "afn"})
def newton(y, psi, gam, vx, a, b, C, sgn, p, d, F, J, M, r, ewt, n, maxit, tol, vs, ps, ssg):
    """Solve ``y - gam F(y) = psi`` from the guess in ``y`` (updated in place) until an update is below
    ``tol`` error tolerances (``ewt``: 1 / each component's tolerance). Returns the number of iterations,
    or -1 when it does not converge."""
    for it in range(maxit):
        evaluate(y, vx, a, b, C, sgn, p, d, F, J, n, vs, ps, ssg)
        for i in range(n):
            r[i] = -(y[i] - psi[i] - gam * F[i])
            for k in range(n):
                M[i, k] = -gam * J[i, k]
            M[i, i] += 1.0
        if not solve(M, r, n):
            return -1
        nrm = 0.0
        for i in range(n):
            y[i] += r[i]
            e = abs(r[i]) * ewt[i]
            if not e < 1e300:
                return -1
            if e > nrm:
                nrm = e
        if nrm <= tol:
            return it + 1
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def step_factor(err, order):
    """``err ** (-1 / (order + 1))``: the step change that brings the error estimate to 1."""
    if order == 1:
        return 1.0 / math.sqrt(err)
    return math.exp(-math.log(err) / 3.0)


@njit(cache=True, error_model="numpy", _nrt=False, nogil=True, fastmath={"contract", "arcp", "nsz", "afn"})
def integrate(c, P, Cm, sgn_a, ref, br_off, br_src, br_G, br_gate, br_gon, br_goff, br_kind, off, pt, pv, cur,
              bp_off, bp, tstop_a, hmax_a, y0, tolv, ctl, max_steps, out, out_start, cap, counts, stats, st, wv, wm,
              PS, syn_src, syn_sgn):
    """Integrate circuit ``c`` towards its stop time, storing ``(t, y..., device current, synapse currents)`` at every
    accepted step in the ``cap`` rows of ``out`` from ``out_start[c]``. When those are full it saves where it
    is in ``st[c]`` and returns ``FULL``: called again (with fresh rows) it goes on from there. Returns
    ``OK`` at the stop time, or an error code. ``stats[c]``: time of a failure, accepted and rejected
    steps, Newton failures and iterations (accumulated over the calls). ``wv[c]`` and ``wm[c]`` are its
    scratch vectors and matrices. ``PS[c, s]``, ``syn_src[c, s]``, ``syn_sgn[c, s]``: synapse device ``s``'s
    parameters, the PWL of its driven node and its orientation (see :func:`evaluate`).

    Compiled without numba's reference counting (``_nrt=False``): nothing here allocates, and the
    counting of every array handed to the helpers inlined below would cost more than the physics."""
    n = N                    # 1 + the model's states: a constant of the generated module, loops unroll
    p = P[c]
    C = Cm[c]
    sgn = sgn_a[c]
    tstop = tstop_a[c]
    hmax = hmax_a[c]
    vecs = wv[c]
    y = vecs[0]
    yn = vecs[1]
    yp = vecs[2]
    yprev = vecs[3]
    ydot = vecs[4]
    psi = vecs[5]
    F = vecs[6]
    r = vecs[7]
    ewt = vecs[8]
    vs = vecs[9]
    ps = PS[c]
    ssg = syn_sgn[c]
    m = wm[c]
    J = m[0]
    M = m[1]
    d = m[2]
    row0 = out_start[c]
    tol = ctl[1]
    grow_max = ctl[2]
    safety = ctl[3]
    maxit = 8
    rows = 0
    if st[c, 5] == 0.0:
        # ---- operating point: backward-Euler steps of growing length, the sources frozen at t = 0
        for i in range(n):
            y[i] = y0[c, i]
        a, b, vx = inputs(c, 0.0, ref, br_off, br_src, br_G, br_gate, br_gon, br_goff, br_kind, off, pt, pv, cur)
        synapse_volts(c, 0.0, syn_src, off, pt, pv, cur, vs)
        h = 1e-12
        ok = False
        for i in range(n):
            ewt[i] = 1.0 / tolv[0, i]
        for _ in range(200):
            for i in range(n):
                psi[i] = y[i]
                yn[i] = y[i]
            if newton(yn, psi, h, vx, a, b, C, sgn, p, d, F, J, M, r, ewt, n, 20, 1e-3, vs, ps, ssg) < 0:
                h *= 0.1
                if h < 1e-24:
                    break
                continue
            for i in range(n):
                y[i] = yn[i]
            if h >= 1e4:
                ok = True
                break
            h *= 10.0
        if not ok:
            counts[c] = 0
            return NO_OP
        evaluate(y, vx, a, b, C, sgn, p, d, F, J, n, vs, ps, ssg)
        for i in range(n):
            ydot[i] = F[i]
            yprev[i] = y[i]
        t = 0.0
        store(out, row0, 0.0, y, vx, sgn, p, vs, ps, ssg, n)
        rows = 1
        ib = bp_off[c]
        h = min(hmax, 1e-10)
        hprev = 0.0
        order = 1
        st[c, 5] = 1.0
    else:
        t = st[c, 0]
        h = st[c, 1]
        hprev = st[c, 2]
        order = int(st[c, 3])
        ib = int(st[c, 4])
        for i in range(n):
            y[i] = st[c, 6 + i]
            yprev[i] = st[c, 6 + n + i]
            ydot[i] = st[c, 6 + 2 * n + i]
    ib_end = bp_off[c + 1]
    n_acc = 0
    n_rej = 0
    n_fail = 0
    n_newton = 0
    status = OK
    while t < tstop:
        if rows >= cap:
            status = FULL
            break
        if stats[c, 1] + stats[c, 2] + stats[c, 3] + n_acc + n_rej + n_fail > max_steps:
            status = TOO_MANY
            break
        while ib < ib_end - 1 and bp[ib] <= t:
            ib += 1
        tb = bp[ib]
        hh = min(h, hmax)
        hit = False
        if t + hh >= tb:
            hh = tb - t
            hit = True
        elif t + 1.25 * hh > tb:
            hh = 0.5 * (tb - t)             # two even steps rather than a long one and a sliver
        if hh < 1e-18 or hh < 1e-15 * t:
            stats[c, 0] = t
            status = TOO_SMALL
            break
        tn = tb if hit else t + hh
        a, b, vx = inputs(c, tn, ref, br_off, br_src, br_G, br_gate, br_gon, br_goff, br_kind, off, pt, pv, cur)
        synapse_volts(c, tn, syn_src, off, pt, pv, cur, vs)
        for i in range(n):
            ewt[i] = 1.0 / (tolv[0, i] + tolv[1, i] * abs(y[i] - tolv[2, i]))
        if order == 2:
            q = hh / hprev                  # variable-step BDF2 (Gear) coefficients
            beta = (1.0 + q) / (1.0 + 2.0 * q)
            ca = (1.0 + q) * (1.0 + q) / (1.0 + 2.0 * q)
            cb = q * q / (1.0 + 2.0 * q)
            cc = hh * hh * (hh + hprev) * (hh + hprev) / (6.0 * (2.0 * hh + hprev))     # BDF2's error constant
            cp = hh * hh * (hh + hprev) / 6.0                                 # the predictor's
            est = cc / (cc + cp)
            hq = hh * hh / (hprev * hprev)
            for i in range(n):
                psi[i] = ca * y[i] - cb * yprev[i]
                yp[i] = y[i] + ydot[i] * hh + (yprev[i] - y[i] + ydot[i] * hprev) * hq
        else:
            beta = 1.0
            est = 0.5
            for i in range(n):
                psi[i] = y[i]
                yp[i] = y[i] + ydot[i] * hh
        gam = beta * hh
        for i in range(n):
            yn[i] = yp[i]
        its = newton(yn, psi, gam, vx, a, b, C, sgn, p, d, F, J, M, r, ewt, n, maxit, tol, vs, ps, ssg)
        if its < 0:
            # the predictor can be far off at a sharp turn: retry from the last point before shrinking
            for i in range(n):
                yn[i] = y[i]
            its = newton(yn, psi, gam, vx, a, b, C, sgn, p, d, F, J, M, r, ewt, n, maxit, tol, vs, ps, ssg)
        if its < 0:
            n_fail += 1
            h = 0.25 * hh
            continue
        n_newton += its
        err = 0.0
        for i in range(n):
            e = est * abs(yn[i] - yp[i]) * ewt[i]
            if e > err:
                err = e
        if err > 1.0:
            n_rej += 1
            h = hh * max(0.2, safety * step_factor(err, order))
            continue
        # ---- accept
        ig = 1.0 / gam
        for i in range(n):
            yprev[i] = y[i]
            ydot[i] = (yn[i] - psi[i]) * ig
            y[i] = yn[i]
        t = tn
        hprev = hh
        n_acc += 1
        store(out, row0 + rows, t, y, vx, sgn, p, vs, ps, ssg, n)
        rows += 1
        grow = grow_max if err < 1e-6 else min(grow_max, max(0.2, safety * step_factor(err, order)))
        h = hh * grow
        order = 1 if hit else 2
    st[c, 0] = t
    st[c, 1] = h
    st[c, 2] = hprev
    st[c, 3] = order
    st[c, 4] = ib
    for i in range(n):
        st[c, 6 + i] = y[i]
        st[c, 6 + n + i] = yprev[i]
        st[c, 6 + 2 * n + i] = ydot[i]
    counts[c] = rows
    stats[c, 1] += n_acc
    stats[c, 2] += n_rej
    stats[c, 3] += n_fail
    stats[c, 4] += n_newton
    return status


@njit(cache=True, error_model="numpy", nogil=True)
def run_list(order, P, Cm, sgn, ref, br_off, br_src, br_G, br_gate, br_gon, br_goff, br_kind, off, pt, pv, cur,
             bp_off, bp, tstop, hmax, y0, tolv, ctl, max_steps, out, out_start, cap, counts, stats, st, wv, wm,
             status, PS, syn_src, syn_sgn):
    """Every circuit ``order[k]``, one after the other, without the GIL: threads run lists side by side."""
    for k in range(order.shape[0]):
        c = order[k]
        status[c] = integrate(c, P, Cm, sgn, ref, br_off, br_src, br_G, br_gate, br_gon, br_goff, br_kind, off,
                              pt, pv, cur, bp_off, bp, tstop, hmax, y0, tolv, ctl, max_steps, out, out_start, cap,
                              counts, stats, st, wv, wm, PS, syn_src, syn_sgn)


@njit(cache=True, error_model="numpy")
def prepare(P):
    """Fill the derived constants of every row of ``P`` (one device parameter set per row)."""
    for c in range(P.shape[0]):
        prep(P[c])


@njit(cache=True, error_model="numpy")
def prepare_synapses(PS):
    """Fill the derived constants of every synapse device's parameters ``PS[c, s]``."""
    for c in range(PS.shape[0]):
        for s in range(NS):
            syn_prep(PS[c, s])
