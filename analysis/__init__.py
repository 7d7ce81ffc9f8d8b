"""Pure numpy/scipy analysis: spikes, rates, I-V thresholds, switching times, fits.

Nothing here imports PySpice or runs a simulator: inputs are arrays, so the
same functions serve simulated and measured waveforms.
"""
