"""Circuit builders, stimuli, the netlist writer and the simulator runner."""
