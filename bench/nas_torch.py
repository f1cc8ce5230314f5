"""The peer of bench/nas.c speed: the same supernet path in PyTorch (one thread, float32).

Stem conv 3x3 (3 -> 16, bias), the NAS-Bench-201 cell
|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|
(nor_conv = ReLU then conv without bias, no batch norm, as saferl_nas.h; avg pool 3x3 stride 1
without the padding counted), global average pool, linear 16 -> 10, mean cross-entropy;
forward + backward of a batch, median over reps of the wall time and of the process's CPU
time (on a shared machine the CPU time leaves out the time other programs held the core).
Usage: nas_torch.py BATCH REPS"""
import sys, time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
batch, reps = int(sys.argv[1]), int(sys.argv[2])
g = torch.Generator().manual_seed(1)
x = torch.randn(batch, 3, 16, 16, generator=g)
y = torch.arange(batch) % 10
def p(*shape):
    return (0.1 * torch.randn(*shape, generator=g)).requires_grad_(True)
stem_w, stem_b = p(16, 3, 3, 3), p(16)
w10, w20, w31, w32 = p(16, 16, 3, 3), p(16, 16, 1, 1), p(16, 16, 3, 3), p(16, 16, 3, 3)
head_w, head_b = p(10, 16), p(10)
def step():
    n0 = F.conv2d(x, stem_w, stem_b, padding=1)
    n1 = F.conv2d(F.relu(n0), w10, padding=1)
    n2 = F.conv2d(F.relu(n0), w20) + F.avg_pool2d(n1, 3, 1, 1, count_include_pad=False)
    n3 = n0 + F.conv2d(F.relu(n1), w31, padding=1) + F.conv2d(F.relu(n2), w32, padding=1)
    loss = F.cross_entropy(F.linear(n3.mean(dim=(2, 3)), head_w, head_b), y)
    loss.backward()
times, cpu_times = [], []
for i in range(reps + 3):
    c0, t0 = time.process_time(), time.perf_counter()
    step()
    if i >= 3:
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
times.sort()
cpu_times.sort()
m, c = times[len(times) // 2], cpu_times[len(cpu_times) // 2]
print("torch %s forward+backward, batch %d: median %.3f ms (CPU %.3f ms), %.0f samples/s"
      % (torch.__version__, batch, 1e3 * m, 1e3 * c, batch / m))
