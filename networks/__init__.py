"""Beyond SPICE: the device equations stepped over whole populations of circuits, and the networks built on them.

The device-level vector engine (``--engine vector``):

* :mod:`networks.compile` turns a :class:`~pyspice_models.equations.CompactModel`'s expression strings (the
  same ones the ngspice subcircuit and the Verilog-A module are rendered from) into numba code: the branch
  current, every ``ddt(state)`` and their exact Jacobian, compiled once per model and cached on disk;
* :mod:`networks.circuit` reads the circuit a typed :class:`~circuits.netlist.Netlist` describes (one neuron
  device on a membrane node fed through resistive branches and synapse devices: every circuit of ``neuron``,
  ``dendrite``, Figs. 2-4 and Fig. 7b-d's 2 x 1 TaOx array) and refuses, naming the element, any other;
* :mod:`networks.kernel` is the integrator (implicit BDF2 with per-circuit adaptive steps; its docstring
  says why), :mod:`networks.simulate` runs batches of netlists through it on every core;
* :mod:`networks.engine` registers it as the engine ``vector``; :mod:`networks.deck` and
  :mod:`networks.run` are its standalone deck (JSON) and runner (``python -m networks.run DECK.json``).

``benchmarks/vector.py`` measures it against ngspice (agreement of spike counts, speed). Beside it: the
point neuron extracted from the circuit (:mod:`networks.point`) and the Fig. 6 network
(:mod:`networks.snn`, :mod:`networks.snn_devices`, :mod:`networks.mnist`).
"""
