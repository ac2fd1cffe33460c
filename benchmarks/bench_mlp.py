"""Case 4: one epoch of a 784-256-10 ReLU MLP (batch 200, 60,000 rows, float32, SGD) in
bayesreg's numpy network and in PyTorch on the CPU, both on one thread; and the network's
achieved GFLOP/s against a plain numpy float32 matmul."""

from __future__ import annotations

import time

import numpy as np
from common import alternate, row

N, D, H, K, B = 60_000, 784, 256, 10, 200


def run(repeats: int) -> list[dict]:
    import torch

    from bayesreg.mlp import FeedForwardNetwork, SoftmaxCrossEntropy

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D)).astype(np.float32) * 0.5
    y = rng.integers(0, K, N)
    net = FeedForwardNetwork(D, K, H, 2, "relu", seed=0, dtype=np.float32)
    loss = SoftmaxCrossEntropy()
    tnet = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, K))
    opt = torch.optim.SGD(tnet.parameters(), lr=0.01)
    tloss = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def numpy_epoch(rep):
        order = np.random.default_rng(rep).permutation(N)
        for i in range(0, N, B):
            idx = order[i:i + B]
            loss.forward(net.forward(X[idx]), y[idx])
            net.backward(loss.backward())
            net.step(0.01)

    def torch_epoch(rep):
        order = torch.from_numpy(np.random.default_rng(rep).permutation(N))
        for i in range(0, N, B):
            idx = order[i:i + B]
            opt.zero_grad(set_to_none=True)
            tloss(tnet(Xt[idx]), yt[idx]).backward()
            opt.step()

    numpy_epoch(0)
    torch_epoch(0)
    t = alternate({"numpy": numpy_epoch, "torch": torch_epoch}, repeats)
    # forward 2ND(H + H K / D); backward: weight gradients as much again, plus dL/dX of layer 2 only
    flops = 2 * N * (D * H + H * K) * 2 + 2 * N * H * K
    gflops = flops / t["numpy"] / 1e9
    A, W = rng.standard_normal((B, D)).astype(np.float32), rng.standard_normal((D, H)).astype(np.float32)
    reps = 2000
    start = time.perf_counter()
    for _ in range(reps):
        A @ W
    matmul = 2 * B * D * H * reps / (time.perf_counter() - start) / 1e9
    return [
        row("MLP 784-256-10 ReLU, one epoch (60k rows, batch 200, float32, 1 thread)", "bayesreg numpy",
            t["numpy"], "PyTorch 2.13 CPU", t["torch"], unit="s", higher_is_better=False),
        row("MLP achieved GFLOP/s vs numpy float32 matmul (200x784 @ 784x256)", "bayesreg numpy", gflops,
            "numpy matmul", matmul, unit="GFLOP/s", higher_is_better=True),
    ]
