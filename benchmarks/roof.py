"The roof every CPU figure is read against: this machine's processor and its dense fp32 matmul rate (shared by the benchmarks that report them)."
import platform, time
from pathlib import Path
import torch

def cpu_name() -> str:
    "The processor's model name and its widest vector unit (AVX-512 or AVX2), from /proc/cpuinfo where there is one: 2-core machines differ."
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').is_file() else ''
    name = next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')), platform.processor() or platform.machine())
    flags = next((l.split(':', 1)[1].split() for l in info.splitlines() if l.startswith('flags')), [])
    vector = 'AVX-512' if 'avx512f' in flags else 'AVX2' if 'avx2' in flags else None
    return f'{name} ({vector})' if vector else name

def matmul_gflops(n:int=2048, # side of the square matrices
                  reps:int=10) -> float: # timed products, after 3 warm-up ones
    "Dense fp32 matmul rate of this machine (GFLOP/s) on torch's current threads."
    x, y = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3): x @ y
    t = time.perf_counter()
    for _ in range(reps): x @ y
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9
