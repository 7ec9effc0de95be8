"""One module per loss: its Numba kernels, their NumPy twins, its registration."""
