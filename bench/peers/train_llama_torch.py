"""The PyTorch peer of bench/LlmOps.Benchmarks training: the same Llama shape, loss, optimizer and step.

Prints key=value lines: tokens_per_s (measured after --warmup steps), matmul_params (every linear weight and the
LM head, not the embedding table), peak_rss_mb (VmHWM of this process, read before the GEMM measurement) and
gemm_gflops (best of --gemm-repeats products of two --gemm square F32 matrices). Needs python3-torch (Debian) with OpenBLAS
(libopenblas0-pthread): Debian's default reference BLAS is about 20x slower and would make the comparison unfair.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Block(nn.Module):
    def __init__(self, d, heads, inter, cos, sin):
        super().__init__()
        self.heads, self.hd = heads, d // heads
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.gate = nn.Linear(d, inter, bias=False)
        self.up = nn.Linear(d, inter, bias=False)
        self.down = nn.Linear(inter, d, bias=False)
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.cos, self.sin = cos, sin

    def forward(self, x):
        b, t, d = x.shape
        h = self.n1(x)
        q = self.q(h).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k(h).view(b, t, self.heads, self.hd).transpose(1, 2)
        v = self.v(h).view(b, t, self.heads, self.hd).transpose(1, 2)
        cos, sin = self.cos[:t], self.sin[:t]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if hasattr(F, "scaled_dot_product_attention"):
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch 1.13 (Debian 12) has no fused attention: the same math by hand.
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.hd)
            mask = torch.ones(t, t, dtype=torch.bool).triu(1)
            a = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        x = x + self.o(a.transpose(1, 2).reshape(b, t, d))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(nn.Module):
    def __init__(self, vocab, d, layers, heads, inter, ctx):
        super().__init__()
        hd = d // heads
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        freqs = torch.outer(torch.arange(ctx, dtype=torch.float64), inv)
        emb = torch.cat([freqs, freqs], -1)
        cos, sin = emb.cos().float(), emb.sin().float()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([Block(d, heads, inter, cos, sin) for _ in range(layers)])
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gemm", type=int, default=2048)
    p.add_argument("--gemm-repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    vocab = 512
    model = Llama(vocab, 256, 4, 4, 1024, a.seq)
    decay = [q for q in model.parameters() if q.dim() >= 2]
    other = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": other, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    data = torch.randint(0, vocab, (a.steps + a.warmup, a.batch, a.seq + 1))
    start = None
    for step in range(a.steps + a.warmup):
        if step == a.warmup:
            start = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = 3e-4 * 0.5 * (1 + math.cos(math.pi * step / (a.steps + a.warmup)))
        opt.zero_grad()
        x, y = data[step, :, :-1], data[step, :, 1:]
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    elapsed = time.perf_counter() - start
    matmul_params = sum(q.numel() for n, q in model.named_parameters() if q.dim() == 2 and not n.startswith("embed"))
    print(f"tokens_per_s={a.steps * a.batch * a.seq / elapsed:.1f}")
    print(f"matmul_params={matmul_params}")
    print(f"peak_rss_mb={peak_rss_mb():.1f}")
    print(f"gemm_gflops={gemm_gflops(a.gemm, a.gemm_repeats):.1f}")
    print(f"threads={torch.get_num_threads()}")
    print(f"torch={torch.__version__}")


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def gemm_gflops(n, repeats):
    """Best of several n x n F32 products after one untimed: 2 n^3 floating-point operations each."""
    with torch.no_grad():
        x, y = torch.randn(n, n), torch.randn(n, n)
        x @ y
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            x @ y
            best = min(best, time.perf_counter() - t)
    return 2.0 * n ** 3 / best / 1e9


if __name__ == "__main__":
    main()
