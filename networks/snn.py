"""The memristive spiking network of Fig. 6: 784-100-10, TaOx crossbars, NbOx point neurons, Poisson inputs.

One time step (``dt``, 1 µs: the paper's "10 time steps, which is 10 µs") of one layer::

    pixel x in 0..255 -> an input event with probability p_max x / 255 (Poisson encoding, Fig. 6a)
    event on row i    -> a read pulse of v_read (1 V) and width ``width`` on row i of the crossbar
    column current    I_j = v_read sum_i s_i (G+_ij - G-_ij)       (differential pair, G in S)
    transimpedance    u_j = clip(R_f I_j, -u_max, u_max)           (the paper's (-2, 2) V)
    neuron            the extracted point neuron (networks.point) driven by u_j during the pulse

so with ``W = (G+ - G-)/(g_max - g_min)`` the column voltage is ``u = R_f v_read (g_max - g_min) sum_i s_i W_ij``
(``kappa`` V per unit weight per event). The neuron is the LIF of :class:`networks.point.PointNeuron`
extracted from the NbOx circuit (Fig. 2d, 3.6 kohm, 30 pF): drive ``D = tau_m gain u`` held for the pulse,
``|v| >= v_th`` fires, ``v`` held at ``sign(v) v_reset`` for ``t_ref``, a spike lasts while
``|D| >= v_latch`` (either polarity: the device is symmetric; ``networks.point``'s own simulator latches
positive drives only); between pulses ``v`` relaxes to 0 with ``tau_m``. :func:`neuron_step` integrates
that exactly over a step (the same model ``networks.point.simulate_drive`` integrates on a fine grid;
``tests/test_snn.py`` checks the two agree). The device is symmetric (both polarities fire, Fig. 3i),
so a negative column voltage gives spikes of negative polarity, which the next crossbar receives as
read pulses of ``-v_read``: a hidden neuron's event is ``sign(D)`` when it fired in the step.

Time scales: ``tau_m`` (~106 ns) is much shorter than the step, so the membrane keeps ~1e-4 of its
voltage from one step to the next (carried exactly all the same): each step's response depends on
that step's column current (a spike must be over before the next step: ``width + t_ref <= dt``).
With the default 150 ns pulse a neuron fires at most once per pulse
(first spike ~100-150 ns after the pulse starts, then ``t_ref`` + the interval), so it fires in a
step exactly when ``|D| >= theta = v_th / (1 - exp(-width/tau_m))`` (1.09 V): the step function the
paper replaces by a sigmoid in the backward pass. Output: each output neuron's spike count over the
steps (signed by polarity); the prediction is the neuron that fired most, ties shared (an image whose
top count is shared by ``k`` neurons, one of them right, counts ``1/k``: a random tie-break's mean).

Training (:func:`train_batch`): the network unrolled over ``T`` steps, the spiking forward pass as
above on the array's conductances as they are (in situ), softmax cross-entropy on the output counts
(rates times ``scale``), and backpropagation with the step function's derivative replaced by the
derivative of a sigmoid of width ``beta`` (V) around ``theta`` (the paper's sigmoid surrogate). The
wanted weight changes become programming pulses in :mod:`networks.snn_devices`.

Kernels are numba (two cores: samples split into chunks, each with its own gradient buffer); input
events are drawn from a counter-based generator keyed on (seed, image, step), so a result does not
depend on the number of threads and a resumed run draws what an uninterrupted one would.

References:
  Duan et al., Nat. Commun. 11, 3399 (2020): Fig. 6, Supp. Fig. 14, Supp. Note 7, Methods.
  Neftci, Mostafa, Zenke, IEEE Signal Process. Mag. 36, 51 (2019): surrogate gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numba import prange

from pyspice_models.params import ParameterError

from .point import PointNeuron

N_IN = 784
N_OUT = 10


@dataclass(frozen=True)
class Mapping:
    """How the crossbars, transimpedance stages and neurons connect (SI units)."""

    dt: float = 1e-6              # s: one time step
    width: float = 150e-9         # s: read pulse of an event (row pulse; column current lasts as long)
    v_read: float = 1.0           # V: read amplitude of an event
    r_tia: tuple[float, float] = (1500.0, 1500.0)    # ohm: transimpedance per layer
    u_max: float = 2.0            # V: the transimpedance output's range (-u_max, u_max)
    window: float = 190e-6        # S: g_max - g_min of the nominal TaOx synapse
    p_max: float = 1.0            # input event probability per step of a white pixel
    beta: float = 0.1             # V: width of the sigmoid surrogate (in drive)
    scale: float = 8.0            # softmax logits per unit output rate

    def kappa(self, layer: int) -> float:
        """V of transimpedance output per unit weight per event."""
        return self.r_tia[layer] * self.v_read * self.window


def theta(neuron: PointNeuron, width: float) -> float:
    """The drive (V) at which a pulse of ``width`` from rest fires: ``v_th / (1 - exp(-width/tau_m))``."""
    return neuron.v_th / -math.expm1(-width / neuron.tau_m)


def neuron_vector(neuron: PointNeuron, m: Mapping) -> np.ndarray:
    """The numbers the kernels need: tau_m, v_th, v_reset, t_ref, v_latch (inf: none), tau_m gain,
    width, gap (dt - width). A step must leave the neuron time to end a spike before the next one:
    ``width + t_ref <= dt`` (else :class:`ParameterError`)."""
    if not m.width + neuron.t_ref <= m.dt:
        raise ParameterError("width", m.width, f"a read pulse <= dt - t_ref = {m.dt - neuron.t_ref:g} s (a spike at "
                             f"the pulse's end must be over, t_ref = {neuron.t_ref:g} s, before the next step)")
    latch = math.inf if neuron.v_latch is None else neuron.v_latch
    return np.array([neuron.tau_m, neuron.v_th, neuron.v_reset, neuron.t_ref, latch,
                     neuron.tau_m * neuron.gains[0], m.width, m.dt - m.width], np.float64)


def layer_vector(neuron: PointNeuron, m: Mapping) -> np.ndarray:
    """kappa_1, kappa_2, u_max, theta, beta, scale."""
    return np.array([m.kappa(0), m.kappa(1), m.u_max, theta(neuron, m.width), m.beta, m.scale], np.float64)


# --------------------------------------------------------------------------- the neuron over one step
@numba.njit(cache=True, inline="always")
def neuron_step(D, v0, nv):  # pragma: no cover - compiled
    """One step of the point neuron: drive ``D`` (V) for ``width``, 0 for the gap, from membrane ``v0``.

    Returns (spikes (signed by polarity), membrane at the end of the step). Exact for the LIF of
    :class:`networks.point.PointNeuron` (piecewise-constant drive; intervals in closed form)."""
    tau, v_th, v_reset, t_ref, v_latch, _, width, gap = nv[0], nv[1], nv[2], nv[3], nv[4], nv[5], nv[6], nv[7]
    s = 1.0 if D > 0.0 or (D == 0.0 and v0 >= 0.0) else -1.0
    Dp = abs(D)
    vp = s * v0                               # the frame in which the drive is positive
    n = 0
    t_free = 0.0                              # when integration resumes (end of the last spike)
    v_free = vp                               # the membrane there
    if Dp > v_th:
        t1 = tau * math.log((Dp - vp) / (Dp - v_th))
        if t1 <= width:
            if Dp >= v_latch:
                n = 1
                t_free = max(t1 + t_ref, width)
            else:
                isi = t_ref + tau * math.log((Dp - v_reset) / (Dp - v_th))
                n = 1 + int(math.floor((width - t1) / isi))
                t_free = t1 + (n - 1) * isi + t_ref
            v_free = v_reset
    if t_free < width:
        v_end = Dp + (v_free - Dp) * math.exp(-(width - t_free) / tau)
        v_next = v_end * math.exp(-gap / tau)
    else:
        v_next = v_free * math.exp(-max(width + gap - t_free, 0.0) / tau)
    return s * n, s * v_next


# --------------------------------------------------------------------------- random numbers
@numba.njit(cache=True, inline="always")
def _mix(x):  # pragma: no cover - compiled
    """splitmix64's finaliser: a well-mixed 64-bit value from a counter."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def _seed(seed, sample):  # pragma: no cover - compiled
    s = _mix(np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(sample) + np.uint64(1))
    return s if s != np.uint64(0) else np.uint64(1)


@numba.njit(cache=True, inline="always")
def _next(s):  # pragma: no cover - compiled
    """xorshift64*: (new state, uniform in [0, 1))."""
    s ^= s >> np.uint64(12)
    s ^= s << np.uint64(25)
    s ^= s >> np.uint64(27)
    r = s * np.uint64(0x2545F4914F6CDD1D)
    return s, float(r >> np.uint64(11)) * (1.0 / 9007199254740992.0)


# --------------------------------------------------------------------------- kernels
@numba.njit(cache=True)
def _events(img, p_max, nz, pr):  # pragma: no cover - compiled
    """The pixels that can spike (nonzero) and their event probabilities per step."""
    m = 0
    for i in range(img.size):
        if img[i] != 0:
            nz[m] = i
            pr[m] = p_max * img[i] / 255.0
            m += 1
    return m


@numba.njit(cache=True)
def _draw(rng, m, nz, pr, ev):  # pragma: no cover - compiled
    k = 0
    for q in range(m):
        rng, u = _next(rng)
        if u < pr[q]:
            ev[k] = nz[q]
            k += 1
    return rng, k


@numba.njit(parallel=True, cache=True, fastmath=True)
def _train_kernel(images, labels, ids, W1, W2, nv, lv, p_max, T, seed, gW1, gW2, out):  # pragma: no cover
    B = images.shape[0]
    H = W1.shape[1]
    C = W2.shape[1]
    n_chunks = gW1.shape[0]
    k1, k2, u_max, th, beta, scale = lv[0], lv[1], lv[2], lv[3], lv[4], lv[5]
    dg = nv[5]
    for c in prange(n_chunks):
        g1 = gW1[c]
        g2 = gW2[c]
        g1[:, :] = 0.0
        g2[:, :] = 0.0
        nz = np.empty(N_IN, np.int32)
        pr = np.empty(N_IN, np.float64)
        ev = np.empty((T, N_IN), np.int32)
        nev = np.empty(T, np.int32)
        a1 = np.empty(H, np.float32)
        o1 = np.empty((T, H), np.float32)
        s1 = np.empty((T, H), np.float32)
        s2 = np.empty((T, C), np.float32)
        v1 = np.empty(H)
        v2 = np.empty(C)
        cnt = np.empty(C)
        ga2 = np.empty(C, np.float32)
        ga1 = np.empty(H, np.float32)
        for b in range(c, B, n_chunks):
            rng = _seed(seed, ids[b])
            m = _events(images[b], p_max, nz, pr)
            v1[:] = 0.0
            v2[:] = 0.0
            cnt[:] = 0.0
            for t in range(T):
                rng, k = _draw(rng, m, nz, pr, ev[t])
                nev[t] = k
                a1[:] = 0.0
                for e in range(k):
                    row = W1[ev[t, e]]
                    for j in range(H):
                        a1[j] += row[j]
                for j in range(H):
                    u = k1 * a1[j]
                    inside = abs(u) < u_max
                    u = min(max(u, -u_max), u_max)
                    D = dg * u
                    n, v1[j] = neuron_step(D, v1[j], nv)
                    o1[t, j] = 1.0 if n > 0 else (-1.0 if n < 0 else 0.0)
                    x = min(max((abs(D) - th) / beta, -30.0), 30.0)
                    sg = 1.0 / (1.0 + math.exp(-x))
                    s1[t, j] = sg * (1.0 - sg) / beta * dg * k1 if inside else 0.0
                for q in range(C):
                    a = 0.0
                    for j in range(H):
                        if o1[t, j] != 0.0:
                            a += o1[t, j] * W2[j, q]
                    u = k2 * a
                    inside = abs(u) < u_max
                    u = min(max(u, -u_max), u_max)
                    D = dg * u
                    n, v2[q] = neuron_step(D, v2[q], nv)
                    cnt[q] += n
                    x = min(max((abs(D) - th) / beta, -30.0), 30.0)
                    sg = 1.0 / (1.0 + math.exp(-x))
                    s2[t, q] = sg * (1.0 - sg) / beta * dg * k2 if inside else 0.0
            # softmax cross-entropy on the output rates
            lab = labels[b]
            zmax = -1e30
            for q in range(C):
                zmax = max(zmax, scale * cnt[q] / T)
            zs = 0.0
            for q in range(C):
                zs += math.exp(scale * cnt[q] / T - zmax)
            out[b, 0] = -(scale * cnt[lab] / T - zmax - math.log(zs))
            top = cnt.max()
            nt = 0
            for q in range(C):
                if cnt[q] == top:
                    nt += 1
            out[b, 1] = 1.0 / nt if cnt[lab] == top else 0.0
            for t in range(T):
                for q in range(C):
                    pq = math.exp(scale * cnt[q] / T - zmax) / zs
                    gq = scale / T * (pq - (1.0 if q == lab else 0.0))
                    ga2[q] = gq * s2[t, q]
                for j in range(H):
                    acc = 0.0
                    oj = o1[t, j]
                    for q in range(C):
                        if oj != 0.0:
                            g2[j, q] += oj * ga2[q]
                        acc += W2[j, q] * ga2[q]
                    ga1[j] = acc * s1[t, j]
                for e in range(nev[t]):
                    row = g1[ev[t, e]]
                    for j in range(H):
                        row[j] += ga1[j]


@numba.njit(parallel=True, cache=True, fastmath=True)
def _infer_kernel(images, labels, ids, W1, W2, nv, lv, p_max, T, seed, n_chunks, credit, rec_steps, counts_at,
                  negative_at, hidden):  # pragma: no cover
    B = images.shape[0]
    H = W1.shape[1]
    C = W2.shape[1]
    k1, k2, u_max = lv[0], lv[1], lv[2]
    dg = nv[5]
    n_rec = rec_steps.size
    for c in prange(n_chunks):
        nz = np.empty(N_IN, np.int32)
        pr = np.empty(N_IN, np.float64)
        ev = np.empty(N_IN, np.int32)
        a1 = np.empty(H, np.float32)
        o1 = np.empty(H, np.float32)
        v1 = np.empty(H)
        v2 = np.empty(C)
        cnt = np.empty(C, np.int64)
        neg = np.empty(C, np.int64)
        cr = credit[c]
        for b in range(c, B, n_chunks):
            rng = _seed(seed, ids[b])
            m = _events(images[b], p_max, nz, pr)
            v1[:] = 0.0
            v2[:] = 0.0
            cnt[:] = 0
            neg[:] = 0
            r = 0
            nh = 0
            lab = labels[b]
            for t in range(T):
                rng, k = _draw(rng, m, nz, pr, ev)
                a1[:] = 0.0
                for e in range(k):
                    row = W1[ev[e]]
                    for j in range(H):
                        a1[j] += row[j]
                for j in range(H):
                    u = min(max(k1 * a1[j], -u_max), u_max)
                    n, v1[j] = neuron_step(dg * u, v1[j], nv)
                    o1[j] = 1.0 if n > 0 else (-1.0 if n < 0 else 0.0)
                    nh += abs(n)
                for q in range(C):
                    a = 0.0
                    for j in range(H):
                        if o1[j] != 0.0:
                            a += o1[j] * W2[j, q]
                    u = min(max(k2 * a, -u_max), u_max)
                    n, v2[q] = neuron_step(dg * u, v2[q], nv)
                    cnt[q] += n
                    if n < 0:
                        neg[q] -= n
                top = cnt.max()
                if cnt[lab] == top:
                    nt = 0
                    for q in range(C):
                        if cnt[q] == top:
                            nt += 1
                    cr[t] += 1.0 / nt
                if r < n_rec and rec_steps[r] == t + 1:
                    for q in range(C):
                        counts_at[b, r, q] = cnt[q]
                        negative_at[b, r, q] = neg[q]
                    r += 1
            hidden[b] = nh


def chunks() -> int:
    """Work chunks per batch: the number of numba threads (two on a two-core machine)."""
    return max(numba.get_num_threads(), 1)


def train_batch(images: np.ndarray, labels: np.ndarray, ids: np.ndarray, W1: np.ndarray, W2: np.ndarray,
                nv: np.ndarray, lv: np.ndarray, p_max: float, T: int, seed: int, buffers=None):
    """Forward and backward pass of a batch over ``T`` steps: (dL/dW1, dL/dW2, losses, credits), the
    gradients of the batch's mean loss. ``images`` (B, 784) uint8; ``ids`` the images' global indices
    (they key the input draws with ``seed``)."""
    n_chunks = min(chunks(), len(images))
    if buffers is None or buffers[0].shape[0] != n_chunks:
        buffers = (np.empty((n_chunks, *W1.shape), np.float32), np.empty((n_chunks, *W2.shape), np.float32))
    gW1, gW2 = buffers
    out = np.empty((len(images), 2))
    _train_kernel(images, labels.astype(np.int64), ids.astype(np.int64), W1, W2, nv, lv, float(p_max), int(T),
                  int(seed), gW1, gW2, out)
    B = len(images)
    return gW1.sum(0) / B, gW2.sum(0) / B, out[:, 0], out[:, 1]


@dataclass
class Inference:
    """What :func:`infer` measured: ``credit[t]`` the images right after ``t + 1`` steps (ties shared),
    ``counts[b, r, k]`` output neuron ``k``'s signed spike count (positive minus negative spikes) for image
    ``b`` after ``rec_steps[r]`` steps, ``negative[b, r, k]`` its negative spikes alone, ``hidden_spikes[b]``
    the hidden layer's spikes over all steps."""

    credit: np.ndarray
    counts: np.ndarray
    rec_steps: np.ndarray
    hidden_spikes: np.ndarray
    n: int
    negative: np.ndarray | None = None

    @property
    def positive(self) -> np.ndarray:
        return self.counts + self.negative

    @property
    def accuracy_vs_steps(self) -> np.ndarray:
        return self.credit / self.n


def infer(images: np.ndarray, labels: np.ndarray, ids: np.ndarray, W1: np.ndarray, W2: np.ndarray, nv: np.ndarray,
          lv: np.ndarray, p_max: float, T: int, seed: int, rec_steps=()) -> Inference:
    """Spiking inference over ``T`` steps (see the module doc); output counts kept at ``rec_steps``."""
    n_chunks = max(1, min(chunks(), len(images)))
    rec = np.array(sorted({int(s) for s in rec_steps if 1 <= s <= T}), np.int64)
    credit = np.zeros((n_chunks, T))
    counts = np.zeros((len(images), rec.size, W2.shape[1]), np.int32)
    negative = np.zeros_like(counts)
    hidden = np.zeros(len(images), np.int64)
    _infer_kernel(images, labels.astype(np.int64), ids.astype(np.int64), np.ascontiguousarray(W1, np.float32),
                  np.ascontiguousarray(W2, np.float32), nv, lv, float(p_max), int(T), int(seed), n_chunks, credit, rec,
                  counts, negative, hidden)
    return Inference(credit.sum(0), counts, rec, hidden, len(images), negative)


def shared_argmax(counts: np.ndarray) -> np.ndarray:
    """(n, k) weights: 1/m on each of the m classes with the top count of an image (ties shared)."""
    top = counts == counts.max(axis=1, keepdims=True)
    return top / top.sum(axis=1, keepdims=True)


def confusion(counts: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """10 x 10: row = true digit, column = predicted (ties shared, so entries may be fractional)."""
    w = shared_argmax(counts)
    out = np.zeros((N_OUT, N_OUT))
    np.add.at(out, labels.astype(np.int64), w)
    return out


__all__ = ["Inference", "Mapping", "N_IN", "N_OUT", "chunks", "confusion", "infer", "layer_vector", "neuron_step",
           "neuron_vector", "shared_argmax", "theta", "train_batch"]
