"The roof every CPU figure is read against: this machine's dense fp32 matmul rate (shared by the benchmarks that report it)."
import time
import torch

def matmul_gflops(n:int=2048, # side of the square matrices
                  reps:int=10) -> float: # timed products, after 3 warm-up ones
    "Dense fp32 matmul rate of this machine (GFLOP/s) on torch's current threads."
    x, y = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3): x @ y
    t = time.perf_counter()
    for _ in range(reps): x @ y
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9
