"""Online training of the Fig. 6 network on its TaOx arrays, checkpoints, and the trained-conductance file.

:class:`Training` runs epochs of mini-batches: the spiking forward and surrogate backward pass
(:func:`networks.snn.train_batch`) on the arrays' present conductances, then the wanted weight change
(SGD, or Adam's normalised step, times the epoch's learning rate) goes to the arrays as programming
pulses (:class:`networks.snn_devices.PairArray`). After each epoch the test images (or a part of
them) are classified in a short spiking inference, and a checkpoint is written.

Checkpoints (:meth:`Training.save` / :meth:`Training.resume`): one ``.npz`` per training, written
atomically (a temporary file renamed over the old one), holding every array state (device states,
per-device variation, accumulators, optimiser moments), the history, and a fingerprint of everything
that made the training (parameters, devices, neuron, data). Every random draw is keyed on (seed,
epoch, ...), so a resumed training continues exactly as an uninterrupted one would. A checkpoint with
another fingerprint, or one that cannot be read, is refused with a :class:`ParameterError`, and left
as it is.

The conductance file (:func:`save_conductances` / :func:`load_conductances`): ``.npz`` with, per
layer, ``G1_plus``, ``G1_minus`` (784 x hidden, S) and ``G2_plus``, ``G2_minus`` (hidden x 10), the
states ``w1``, ``w2`` (2 x rows x columns, 0..1, the programming targets) and ``meta``, a JSON text
saying what the rows and columns are (row ``i`` of layer 1 is pixel ``i`` of the row-major 28 x 28
image), the units, the transimpedances and read pulses, the neuron, the accuracy reached. A designer
maps each pair onto two columns of an array; :meth:`Conductances.weights` gives the network's weights
back, and ``networks.snn.infer`` runs them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from pyspice_models.params import ParameterError

from .point import PointNeuron
from .snn import N_IN, N_OUT, Mapping, infer, layer_vector, neuron_vector, train_batch
from .snn_devices import Effects, PairArray, PulseResponse

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "memspike fig6 checkpoint"
CONDUCTANCE_FORMAT = "memspike crossbar conductances"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class TrainConfig:
    """One training: the optimiser, the controller, the device effects and the schedule."""

    name: str
    effects: Effects
    controller: str = "closed_loop"        # or "open_loop"
    optimizer: str = "adam"                # or "sgd"
    lr: float = 0.01                       # first epoch's learning rate (weight units per batch)
    lr_final: float = 0.0005               # last epoch's (cosine between them); equal to lr: constant
    epochs: int = 10
    batch: int = 100
    steps: int = 10                        # time steps per image in training
    init_std: tuple[float, float] = (0.3, 0.3)
    max_pulses: int = 8
    seed: int = 2020

    def lr_at(self, epoch: int) -> float:
        if self.epochs <= 1:
            return self.lr
        c = 0.5 * (1 + math.cos(math.pi * epoch / (self.epochs - 1)))
        return self.lr_final + (self.lr - self.lr_final) * c

    def as_dict(self) -> dict:
        d = asdict(self)
        d["effects"] = asdict(self.effects)
        d["init_std"] = list(self.init_std)
        return d


@dataclass
class Data:
    """Images (n, 784) uint8 and labels; ``ids`` key the input draws (train and test apart)."""

    images: np.ndarray
    labels: np.ndarray
    ids: np.ndarray

    def __len__(self):
        return len(self.labels)

    def take(self, n: int) -> Data:
        return Data(self.images[:n], self.labels[:n], self.ids[:n])


def data_from(digits, n: int, id_offset: int) -> Data:
    images = np.ascontiguousarray(digits.images[:n].reshape(-1, N_IN))
    labels = digits.labels[:n].astype(np.int64)
    return Data(images, labels, np.arange(len(labels), dtype=np.int64) + id_offset)


class Adam:
    """Adam's normalised step per weight (state in checkpoints)."""

    def __init__(self, shape, b1=0.9, b2=0.999, eps=1e-8):
        self.m = np.zeros(shape, np.float32)
        self.v = np.zeros(shape, np.float32)
        self.t = 0
        self.b1, self.b2, self.eps = b1, b2, eps

    def step(self, g: np.ndarray, lr: float) -> np.ndarray:
        self.t += 1
        self.m *= self.b1
        self.m += (1 - self.b1) * g
        self.v *= self.b2
        self.v += (1 - self.b2) * g * g
        mh = self.m / (1 - self.b1 ** self.t)
        vh = self.v / (1 - self.b2 ** self.t)
        return (-lr * mh / (np.sqrt(vh) + self.eps)).astype(np.float32)


@dataclass
class History:
    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)     # online, during the epoch, at `steps`
    test_accuracy: list[float] = field(default_factory=list)      # after the epoch (eval_n images, eval_steps)
    lr: list[float] = field(default_factory=list)
    pulses: list[int] = field(default_factory=list)               # programming pulses so far (both layers)
    wall_s: list[float] = field(default_factory=list)             # training time of the epoch


class Training:
    """A network (two :class:`PairArray` layers) and its training by ``cfg``."""

    def __init__(self, cfg: TrainConfig, neuron: PointNeuron, mapping: Mapping, response: PulseResponse,
                 n_hidden: int, fingerprint: dict):
        self.cfg, self.neuron, self.mapping, self.response = cfg, neuron, mapping, response
        self.n_hidden = n_hidden
        self.fingerprint = fingerprint
        rng = np.random.default_rng([cfg.seed, 1])
        self.layers = [PairArray((N_IN, n_hidden), response, cfg.effects, rng, cfg.init_std[0]),
                       PairArray((n_hidden, N_OUT), response, cfg.effects, rng, cfg.init_std[1])]
        self.opt = [Adam(layer.shape) for layer in self.layers]
        self.history = History()
        self.epoch = 0                     # epochs done
        self.nv = neuron_vector(neuron, mapping)
        self.lv = layer_vector(neuron, mapping)
        self.resumed_from: int | None = None

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.layers[0].weights(), self.layers[1].weights()

    @property
    def done(self) -> bool:
        return self.epoch >= self.cfg.epochs

    def run(self, train: Data, test: Data, *, eval_steps: int, eval_seed: int, checkpoint: Path | None = None,
            progress: Callable | None = None) -> History:
        """The remaining epochs; after each, a test inference of ``eval_steps`` steps and a checkpoint."""
        cfg = self.cfg
        buffers = None
        while not self.done:
            e = self.epoch
            lr = cfg.lr_at(e)
            perm = np.random.default_rng([cfg.seed, 2, e]).permutation(len(train))
            rng = np.random.default_rng([cfg.seed, 3, e])
            t0 = time.perf_counter()
            losses, credit = [], []
            batches = range(0, len(train), cfg.batch)
            bar = progress(batches, f"{cfg.name}: epoch {e + 1}/{cfg.epochs}") if progress else batches
            for s in bar:
                idx = perm[s:s + cfg.batch]
                W1, W2 = self.weights()
                g1, g2, loss, cr = train_batch(train.images[idx], train.labels[idx], train.ids[idx], W1, W2, self.nv,
                                               self.lv, self.mapping.p_max, cfg.steps,
                                               seed=cfg.seed * 1000 + e, buffers=buffers)
                losses.append(loss)
                credit.append(cr)
                for layer, opt, g in zip(self.layers, self.opt, (g1, g2), strict=True):
                    delta = opt.step(g, lr) if cfg.optimizer == "adam" else (-lr * g).astype(np.float32)
                    layer.update(delta, rng, cfg.controller, cfg.max_pulses)
            wall = time.perf_counter() - t0
            W1, W2 = self.weights()
            r = infer(test.images, test.labels, test.ids, W1, W2, self.nv, self.lv, self.mapping.p_max, eval_steps,
                      eval_seed)
            h = self.history
            h.epoch.append(e + 1)
            h.loss.append(float(np.concatenate(losses).mean()))
            h.train_accuracy.append(float(np.concatenate(credit).mean()))
            h.test_accuracy.append(float(r.accuracy_vs_steps[-1]))
            h.lr.append(lr)
            h.pulses.append(sum(layer.pulses for layer in self.layers))
            h.wall_s.append(wall)
            self.epoch += 1
            log.info("%s epoch %d: loss %.3f, train %.4f, test %.4f (%d steps), %.1f s", cfg.name, e + 1, h.loss[-1],
                     h.train_accuracy[-1], h.test_accuracy[-1], eval_steps, wall)
            if checkpoint is not None:
                self.save(checkpoint)
        return self.history

    # ------------------------------------------------------------ checkpoints
    def save(self, path: Path) -> None:
        arrays = {}
        for k, (layer, opt) in enumerate(zip(self.layers, self.opt, strict=True)):
            for name, arr in layer.state().items():
                arrays[f"l{k}_{name}"] = arr
            arrays[f"l{k}_adam_m"], arrays[f"l{k}_adam_v"] = opt.m, opt.v
            arrays[f"l{k}_adam_t"] = np.array(opt.t, np.int64)
        meta = {"format": CHECKPOINT_FORMAT, "format_version": FORMAT_VERSION, "fingerprint": self.fingerprint,
                "epoch": self.epoch, "history": asdict(self.history)}
        arrays["meta"] = np.array(json.dumps(meta))
        save_npz_atomic(path, arrays)

    def resume(self, path: Path) -> bool:
        """Load ``path`` if it exists: True when it held this training's state (fingerprint checked first)."""
        st = read_checkpoint(path, self.fingerprint)
        if st is None:
            return False
        meta, arrays = st
        try:
            for k, (layer, opt) in enumerate(zip(self.layers, self.opt, strict=True)):
                layer.load_state({name: arrays[f"l{k}_{name}"] for name in layer.state()})
                opt.m, opt.v = arrays[f"l{k}_adam_m"].copy(), arrays[f"l{k}_adam_v"].copy()
                opt.t = int(arrays[f"l{k}_adam_t"])
            self.history = History(**meta["history"])
            self.epoch = int(meta["epoch"])
        except (KeyError, ValueError, TypeError) as e:
            raise ParameterError("checkpoint", str(path), f"a complete checkpoint of this training ({e}); remove it "
                                 "to start afresh") from None
        self.resumed_from = self.epoch
        return True


def fingerprint_digest(fp: dict) -> str:
    return hashlib.sha256(json.dumps(fp, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_checkpoint(path: Path, fingerprint: dict | None):
    """(meta, arrays) of a checkpoint, None if there is none; :class:`ParameterError` if it is unreadable or
    (``fingerprint`` given) was written by another configuration."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as e:
        raise ParameterError("checkpoint", str(path), f"a readable {CHECKPOINT_FORMAT} ({type(e).__name__}); remove "
                             "it to start afresh") from None
    if meta.get("format") != CHECKPOINT_FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ParameterError("checkpoint", str(path), f"a {CHECKPOINT_FORMAT}, version {FORMAT_VERSION}")
    if fingerprint is not None and meta.get("fingerprint") != fingerprint:
        old = meta.get("fingerprint") or {}
        diff = sorted(k for k in set(old) | set(fingerprint) if old.get(k) != fingerprint.get(k))
        raise ParameterError("checkpoint", str(path), "a checkpoint of this run's configuration (it was written with "
                             f"other {', '.join(diff) or 'values'}): remove it, or run with another --out")
    return meta, arrays


def save_npz_atomic(path: Path, arrays: dict) -> None:
    from memspike.io import write_atomic

    def savez(f):
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())

    write_atomic(path, savez, binary=True, suffix=".npz")


def progress_bar(enabled: bool):
    """A tqdm factory for the batches of an epoch, or None: only with ``enabled`` and on a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    def bar(it, desc):
        return tqdm(it, desc=desc, unit="batch", leave=False, file=sys.stderr)
    return bar


# --------------------------------------------------------------------------- the conductance file
@dataclass
class Conductances:
    """Trained arrays read back from a file: ``G[layer]`` (2, rows, columns) in S (G+, G-), ``w[layer]``
    the device states, ``meta`` the file's description."""

    G: list[np.ndarray]
    w: list[np.ndarray]
    meta: dict

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        window = self.meta["mapping"]["window"]
        return tuple(((g[0] - g[1]) / window).astype(np.float32) for g in self.G)

    def mapping(self) -> Mapping:
        m = dict(self.meta["mapping"])
        m["r_tia"] = tuple(m["r_tia"])
        return Mapping(**m)

    def neuron(self) -> PointNeuron:
        return PointNeuron(**self.meta["neuron"])


def save_conductances(path: Path, training: Training, extra: dict | None = None) -> Path:
    """Write the trained arrays of ``training`` (see the module doc)."""
    m = training.mapping
    arrays = {}
    for k, layer in enumerate(training.layers):
        g = layer.conductances().astype(np.float32)
        arrays[f"G{k + 1}_plus"], arrays[f"G{k + 1}_minus"] = g[0], g[1]
        arrays[f"w{k + 1}"] = layer.w.astype(np.float32)
    meta = {
        "format": CONDUCTANCE_FORMAT, "format_version": FORMAT_VERSION,
        "network": f"{N_IN}-{training.n_hidden}-{N_OUT} spiking network (memspike fig6, Duan et al. 2020 Fig. 6)",
        "layout": {
            "G1_plus/G1_minus": f"({N_IN}, {training.n_hidden}): row i = input pixel i of the 28 x 28 image, row-major "
                                "(i = 28 r + c); column j = hidden neuron j; one pair per weight, G+ and G- on two "
                                "columns whose currents the transimpedance stage subtracts",
            "G2_plus/G2_minus": f"({training.n_hidden}, {N_OUT}): row j = hidden neuron j, column k = output neuron "
                                "(digit) k",
            "w1/w2": "(2, rows, columns): the TaOx states (0: g_min, 1: g_max) of G+ ([0]) and G- ([1]): the "
                     "programming targets of the default synapse",
            "weight": "W = (G+ - G-) / window (window = g_max - g_min of the nominal synapse)",
        },
        "units": {"G*": "S", "w*": "1", "mapping.dt": "s", "mapping.width": "s", "mapping.v_read": "V",
                  "mapping.r_tia": "ohm", "mapping.u_max": "V", "mapping.window": "S", "mapping.beta": "V"},
        "mapping": {**asdict(m), "r_tia": list(m.r_tia)},
        "neuron": training.neuron.values(),
        "training": training.cfg.as_dict(),
        "epochs_done": training.epoch,
        **(extra or {}),
    }
    arrays["meta"] = np.array(json.dumps(meta, default=float))
    save_npz_atomic(path, arrays)
    return Path(path)


def load_conductances(path) -> Conductances:
    """Read a conductance file; :class:`ParameterError` (one line) if it is not one."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays["meta"]))
        if meta.get("format") != CONDUCTANCE_FORMAT:
            raise ValueError("not a conductance file")
        G = [np.stack([arrays[f"G{k}_plus"], arrays[f"G{k}_minus"]]) for k in (1, 2)]
        w = [arrays[f"w{k}"] for k in (1, 2)]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as e:
        raise ParameterError("conductances", str(path), f"a {CONDUCTANCE_FORMAT} file ({e})") from None
    if G[0].shape[1] != N_IN or G[0].shape[2] != G[1].shape[1] or G[1].shape[2] != N_OUT:
        raise ParameterError("conductances", str(path), f"arrays of {N_IN} x hidden and hidden x {N_OUT} pairs")
    return Conductances(G, w, meta)


__all__ = ["Adam", "Conductances", "Data", "History", "TrainConfig", "Training", "data_from", "fingerprint_digest",
           "load_conductances", "progress_bar", "read_checkpoint", "save_conductances", "save_npz_atomic"]
