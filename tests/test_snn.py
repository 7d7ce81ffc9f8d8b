"""The Fig. 6 network: its neuron against the point-neuron simulator, its synapses against the TaOx model,
training, checkpoints, the conductance file, and how ``memspike run fig6`` fails (one line, exit 2)."""

from __future__ import annotations

import gzip
import json
import math
import shutil

import numba
import numpy as np
import pytest

from circuits.programming import PulseScheme, after_pulse
from networks import mnist
from networks.point import PointNeuron, simulate_drive
from networks.snn import Mapping, confusion, infer, neuron_step, neuron_vector, shared_argmax, theta, train_batch
from networks.snn_devices import FULL, IDEAL, Effects, PairArray, PulseResponse
from networks.snn_train import (
    TrainConfig,
    Training,
    data_from,
    load_conductances,
    progress_bar,
    read_checkpoint,
    save_conductances,
    save_npz_atomic,
)
from pyspice_models.params import ParameterError
from pyspice_models.taox import TaOxParams

# the point neuron memspike extracts from the Fig. 2d circuit (3.6 kohm, 30 pF, nbox_et), rounded
NEURON = PointNeuron(v_th=0.8255, v_reset=0.6574, tau_m=105.7e-9, t_ref=61.57e-9, gains=(9.244e6,), v_latch=1.381)


@pytest.fixture(scope="module")
def response():
    return PulseResponse.from_model()


@pytest.fixture(scope="module")
def digits():
    return data_from(mnist.load("train"), 1000, 0), data_from(mnist.load("test"), 200, 10**6)


# --------------------------------------------------------------------------- the neuron
@pytest.mark.parametrize("width", [150e-9, 400e-9, 900e-9])
def test_neuron_step_is_the_point_neuron(width):
    """Per step spike counts of the closed form = networks.point.simulate_drive on a 0.1 ns grid, over drives
    of both polarities, below and above the latch, carried membrane included.

    The latch is symmetric here (|D| >= v_latch: the device is symmetric); ``simulate_drive`` latches
    only positive drives, so a negative drive past the latch is compared with its mirror image."""
    m = Mapping(width=width)
    nv = neuron_vector(NEURON, m)
    rng = np.random.default_rng(3)
    drives = np.concatenate([rng.uniform(-1.6, 1.6, 40), [0.0, 0.9, 1.09, 1.2, 1.37, 1.5, -1.2]])
    h = 0.1e-9
    per = int(round(m.dt / h))
    on = int(round(width / h))
    grid = np.zeros(per * drives.size)
    for k, d in enumerate(drives):
        grid[k * per:k * per + on] = d
    ref, vref = {}, {}
    for name, g in (("signed", grid), ("mirror", np.abs(grid))):
        spikes, v = simulate_drive(NEURON, g, h)
        ref[name] = np.bincount((spikes / m.dt).astype(int), minlength=drives.size)
        vref[name] = v[per - 1::per]
    vk, ours, theirs = 0.0, [], []
    for k, d in enumerate(drives):
        n, vk = neuron_step(float(d), vk, nv)
        ours.append(abs(n))
        if n:
            assert np.sign(n) == np.sign(d)
        mirror = d <= -NEURON.v_latch
        theirs.append(int(ref["mirror" if mirror else "signed"][k]))
        assert (abs(vk) if mirror else vk) == pytest.approx(vref["mirror" if mirror else "signed"][k], abs=2e-3)
    assert ours == theirs
    if width == 150e-9:
        assert max(ours) == 1                       # the default pulse: at most one spike per step


def test_theta_is_where_a_pulse_fires():
    nv = neuron_vector(NEURON, Mapping())
    th = theta(NEURON, Mapping().width)
    assert th == pytest.approx(NEURON.v_th / (1 - math.exp(-150e-9 / NEURON.tau_m)))
    assert neuron_step(th * 0.999, 0.0, nv)[0] == 0
    assert neuron_step(th * 1.001, 0.0, nv)[0] == 1
    assert neuron_step(-th * 1.001, 0.0, nv)[0] == -1
    assert neuron_step(3.0, 0.0, nv)[0] == 1        # past the latch: one spike that lasts the pulse


# --------------------------------------------------------------------------- the synapses
def test_pulse_response_is_the_taox_model(response):
    """One SET pulse: 1 - w' = (1 - w) q_set, as circuits.programming integrates the model; bounded."""
    syn, s = TaOxParams(), PulseScheme()
    for w in (0.0, 0.3, 0.9):
        assert 1 - after_pulse(syn, w, s.set_amplitude, s.width, s.edge) == pytest.approx((1 - w) * response.q_set,
                                                                                          rel=1e-6)
        assert after_pulse(syn, w, s.reset_amplitude, s.width, s.edge) == pytest.approx(w * response.q_reset,
                                                                                        rel=1e-6, abs=1e-12)
    d = response.as_dict()
    assert 0.9 < response.q_set < 0.99 and 20 < d["pulses_to_95pct_of_window"] < 200
    assert 0.2 < d["k_set_d2d"]["rel_std"] < 0.5 and 0.05 < response.c2c_rel < 0.2


def _pairs(response, fx, shape=(50, 40), seed=0):
    return PairArray(shape, response, fx, np.random.default_rng(seed), 0.2)


def test_pairs_nonlinear_steps_without_variation(response):
    a = _pairs(response, Effects(True, True, False))
    w0 = a.w.copy()
    W0 = a.weights()
    a.update(np.full(a.shape, 3 * response.step, np.float32), np.random.default_rng(1), "open_loop")
    # three pulses on the device with the larger step: SET on G+ or RESET on G-, geometric
    q = response.q_set
    up_p = 1 - (1 - w0[0]) * q ** 3
    down_m = w0[1] * response.q_reset ** 3
    moved_p = ~np.isclose(a.w[0], w0[0])
    assert np.allclose(a.w[0][moved_p], up_p[moved_p], atol=1e-6)
    assert np.allclose(a.w[1][~moved_p], down_m[~moved_p], atol=1e-6)
    assert (a.weights() > W0).all() and a.pulses == 3 * a.w[0].size
    # a thousand pulses: the states stay in [0, 1], the conductances in [g_min, g_max]
    for _ in range(150):
        a.update(np.full(a.shape, 8 * response.step, np.float32), np.random.default_rng(2), "open_loop")
    g = a.conductances()
    assert (a.w >= 0).all() and (a.w <= 1).all() and g.min() >= response.g_min and g.max() <= response.g_max
    assert a.weights().min() > 0.95


def test_pairs_open_loop_drops_small_updates_closed_loop_keeps_them(response):
    small = np.full((50, 40), 0.2 * response.step, np.float32)
    op, cl = _pairs(response, FULL), _pairs(response, FULL)
    W0 = op.weights().copy()
    rng = np.random.default_rng(4)
    for _ in range(20):                            # 4 steps' worth, in fifths of a step
        op.update(small, rng, "open_loop")
        cl.update(small, rng, "closed_loop")
    assert op.pulses == 0 and np.array_equal(op.weights(), W0)
    delivered = cl.weights() - W0
    # the accumulator keeps what the pulses have not delivered: delivered + kept = wanted
    assert np.allclose(delivered + cl.acc, 20 * small, atol=1e-5)
    assert abs(float(delivered.mean()) - 4 * response.step) < response.step


def test_pairs_ideal_and_variation(response):
    a = _pairs(response, IDEAL)
    W0 = a.weights().copy()
    d = np.random.default_rng(5).normal(0, 0.01, a.shape).astype(np.float32)
    a.update(d, np.random.default_rng(0), "closed_loop")
    assert np.allclose(a.weights(), W0 + d, atol=1e-5) and a.pulses == 0
    v = _pairs(response, FULL, shape=(100, 100))
    assert 0.05 < v.g_lo0.std() / v.g_lo0.mean() < 0.15 and v.k_set.std() > 0.1 * v.k_set.mean()


# --------------------------------------------------------------------------- the network
def test_inference_is_reproducible_and_thread_independent(digits):
    _, test = digits
    t = Training(TrainConfig("t", FULL), NEURON, Mapping(), PulseResponse.from_model(), 30, {})
    W1, W2 = t.weights()
    runs = []
    threads = numba.get_num_threads()
    try:
        for n in sorted({1, threads}):
            numba.set_num_threads(n)
            runs.append(infer(test.images, test.labels, test.ids, W1, W2, t.nv, t.lv, 1.0, 30, 7, rec_steps=(10, 30)))
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(runs[0].counts, runs[-1].counts) and np.array_equal(runs[0].hidden_spikes,
                                                                              runs[-1].hidden_spikes)
    assert np.allclose(runs[0].credit, runs[-1].credit, rtol=1e-12)      # sums of 1/k in another order
    r = runs[0]
    assert (r.negative >= 0).all() and (r.positive >= 0).all() and (r.positive[:, 0] <= 10).all()
    # credit after the last step = the shared-argmax readout of the recorded counts
    w = shared_argmax(r.counts[:, -1, :].astype(float))
    assert r.credit[-1] == pytest.approx(w[np.arange(len(test)), test.labels].sum())
    assert confusion(r.counts[:, -1, :], test.labels).sum() == pytest.approx(len(test))


def test_surrogate_gradient_descends(digits):
    """A step against the surrogate gradient lowers the loss of the batch (same input draws)."""
    train, _ = digits
    t = Training(TrainConfig("t", IDEAL, init_std=(0.3, 0.5)), NEURON, Mapping(), PulseResponse.from_model(), 50, {})
    W1, W2 = t.weights()
    x, y, ids = train.images[:200], train.labels[:200], train.ids[:200]
    g1, g2, loss0, _ = train_batch(x, y, ids, W1, W2, t.nv, t.lv, 1.0, 20, 1)
    norm = math.sqrt(float((g1 ** 2).sum() + (g2 ** 2).sum()))
    assert norm > 0
    losses = [train_batch(x, y, ids, W1 - s * g1 / norm, W2 - s * g2 / norm, t.nv, t.lv, 1.0, 20, 1)[2].mean()
              for s in (0.1, 0.2, 0.5)]
    assert loss0.mean() > losses[0] > losses[1] > losses[2]


def _training(name="t", epochs=2, fx=FULL, fp=None):
    cfg = TrainConfig(name, fx, lr=0.02, lr_final=0.005, epochs=epochs, batch=10, steps=10)
    return Training(cfg, NEURON, Mapping(), PulseResponse.from_model(), 30, fp or {"config": name})


def test_training_learns_and_resumes_exactly(digits, tmp_path):
    train, test = digits
    whole = _training(epochs=3)
    whole.run(train, test, eval_steps=10, eval_seed=1)
    assert whole.history.train_accuracy[-1] > 0.4 and whole.history.test_accuracy[-1] > 0.35      # chance: 0.1
    # interrupted in the third epoch; a new process resumes from the checkpoint: the same network
    ck = tmp_path / "ck" / "t.npz"

    def interrupt(batches, desc):
        for k, b in enumerate(batches):
            if "epoch 3/" in desc and k == 3:
                raise KeyboardInterrupt
            yield b

    with pytest.raises(KeyboardInterrupt):
        _training(epochs=3).run(train, test, eval_steps=10, eval_seed=1, checkpoint=ck, progress=interrupt)
    again = _training(epochs=3)
    assert again.resume(ck) and again.epoch == 2
    again.run(train, test, eval_steps=10, eval_seed=1, checkpoint=ck)
    assert np.array_equal(again.layers[0].w, whole.layers[0].w) and np.array_equal(again.weights()[1],
                                                                                    whole.weights()[1])
    assert again.history.test_accuracy == whole.history.test_accuracy
    assert not list(ck.parent.glob(".*")), "temporary files left behind"


def test_checkpoint_refused_when_mismatched_or_corrupt(tmp_path):
    ck = tmp_path / "t.npz"
    t = _training(fp={"lr": 0.01})
    t.save(ck)
    before = ck.read_bytes()
    with pytest.raises(ParameterError, match="other lr"):
        _training(fp={"lr": 0.02}).resume(ck)
    assert ck.read_bytes() == before                 # refused, kept
    ck.write_bytes(before[:100])
    with pytest.raises(ParameterError, match="readable"):
        read_checkpoint(ck, {"lr": 0.01})
    assert read_checkpoint(tmp_path / "none.npz", {}) is None


def test_conductance_file_round_trip(tmp_path, digits):
    _, test = digits
    t = _training(epochs=1)
    path = save_conductances(tmp_path / "g.npz", t, {"test_accuracy": 0.5})
    back = load_conductances(path)
    assert back.G[0].shape == (2, 784, 30) and back.G[1].shape == (2, 30, 10)
    assert all(np.array_equal(a, b) for a, b in zip(back.weights(), t.weights(), strict=True))
    assert back.mapping() == t.mapping and back.neuron() == NEURON
    assert "row-major" in back.meta["layout"]["G1_plus/G1_minus"] and back.meta["units"]["G*"] == "S"
    (tmp_path / "bad.npz").write_text("not a file of conductances")
    with pytest.raises(ParameterError, match="conductances"):
        load_conductances(tmp_path / "bad.npz")


def test_progress_bar_only_on_a_terminal():
    assert progress_bar(False) is None
    assert progress_bar(True) is None              # pytest captures stderr: not a terminal


# --------------------------------------------------------------------------- the experiment's failures
def _run(args, capsys):
    from memspike.cli import main

    rc = main(args)
    return rc, capsys.readouterr().err.strip().splitlines()


def _earlier_result(out):
    out.mkdir()
    (out / "fig6.json").write_text('{"earlier": true}\n')
    return (out / "fig6.json").read_bytes()


def test_run_refuses_a_wrong_data_directory(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    before = _earlier_result(out)
    monkeypatch.setenv("MEMSPIKE_MNIST_DIR", str(tmp_path / "nowhere"))
    rc, err = _run(["run", "fig6", "--quick", "--out", str(out)], capsys)
    assert rc == 2 and len(err) == 1 and "MEMSPIKE_MNIST_DIR" in err[0], err
    assert (out / "fig6.json").read_bytes() == before and not list(out.glob(".*"))


def test_run_refuses_a_corrupted_data_file(tmp_path, monkeypatch, capsys):
    data = tmp_path / "mnist"
    shutil.copytree(mnist.DATA, data)
    path = data / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.open(path).read())
    raw[100] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(raw)))
    out = tmp_path / "out"
    before = _earlier_result(out)
    monkeypatch.setenv("MEMSPIKE_MNIST_DIR", str(data))
    rc, err = _run(["run", "fig6", "--quick", "--out", str(out)], capsys)
    assert rc == 2 and len(err) == 1 and "MD5" in err[0] and "t10k-labels" in err[0], err
    assert (out / "fig6.json").read_bytes() == before


def test_run_refuses_a_mismatched_checkpoint(tmp_path, capsys):
    out = tmp_path / "out"
    before = _earlier_result(out)
    ck = out / "fig6.checkpoints" / "memspike.npz"
    meta = {"format": "memspike fig6 checkpoint", "format_version": 1, "fingerprint": {"params": {"lr": 1}},
            "epoch": 1, "history": {}}
    save_npz_atomic(ck, {"meta": np.array(json.dumps(meta))})
    kept = ck.read_bytes()
    rc, err = _run(["run", "fig6", "--quick", "--out", str(out)], capsys)
    assert rc == 2 and len(err) == 1 and "checkpoint" in err[0] and "remove it" in err[0], err
    assert ck.read_bytes() == kept and (out / "fig6.json").read_bytes() == before


def test_benchmark_runs(tmp_path, capsys):
    from benchmarks.mnist import main

    NEURON.save(tmp_path / "neuron.json")
    out = tmp_path / "bench.json"
    assert main(["--n-train", "300", "--n-test", "50", "--steps-test", "20", "--neuron", str(tmp_path / "neuron.json"),
                 "--json", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "images/s" and len(lines) == 5
    res = json.loads(out.read_text())
    assert res["train"]["images_per_s"] > 0 and res["infer_20"]["steps"] == 20 and res["infer_10"]["images"] == 50
