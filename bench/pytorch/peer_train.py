"""PyTorch eager peer of the engine's DeepSeek-V2 training step, for `bench -- peer` (docs/PERFORMANCE.md §1).

Mirrors src/DeepSeek.Portal.Engine/Models (MLA without q-LoRA, interleaved RoPE, DeepSeekMoE with softmax greedy
top-k routing, fused shared experts, sequence-wise balance loss, untied lm_head) and the trainer's step (micro-batches
accumulated, loss + aux / accumulation, clip_grad_norm_, AdamW betas 0.9/0.95, eps 1e-8, weight decay on matrices).
Written by us against Debian's python3-torch 1.13.1, which has no scaled_dot_product_attention: attention is the
explicit softmax(QKᵀ·scale + causal mask)·V.

Reads one JSON object (the config and the run) as the first argument, prints one JSON object on stdout.
Run with /usr/bin/python3; the bench sets OMP_NUM_THREADS, OPENBLAS_CORETYPE and LD_LIBRARY_PATH (OpenBLAS) for it.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, hidden, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return h.to(dtype) * self.weight


def rope_frequencies(dim, theta, seq):
    inv = torch.tensor([1.0 / theta ** (2 * i / dim) for i in range(dim // 2)], dtype=torch.float64)
    angles = (torch.arange(seq, dtype=torch.float64).unsqueeze(-1) * inv).float()  # [S, d/2]
    return angles.cos(), angles.sin()


def rope_interleaved(x, cos, sin):
    shape = x.shape
    pairs = x.float().reshape(*shape[:-1], shape[-1] // 2, 2)
    even, odd = pairs[..., 0], pairs[..., 1]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], -1).reshape(shape).to(x.dtype)


class SwiGluMlp(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, inter, bias=False)
        self.up_proj = nn.Linear(hidden, inter, bias=False)
        self.down_proj = nn.Linear(inter, hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class MultiHeadLatentAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh, self.nope, self.rope, self.v, self.kv_lora = (
            c["num_attention_heads"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"], c["kv_lora_rank"])
        h = c["hidden_size"]
        self.q_proj = nn.Linear(h, self.nh * (self.nope + self.rope), bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(h, self.kv_lora + self.rope, bias=False)
        self.kv_a_layernorm = RMSNorm(self.kv_lora, 1e-6)
        self.kv_b_proj = nn.Linear(self.kv_lora, self.nh * (self.nope + self.v), bias=False)
        self.o_proj = nn.Linear(self.nh * self.v, h, bias=False)
        self.scale = (self.nope + self.rope) ** -0.5

    def forward(self, x, cos, sin, mask):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.nh, self.nope + self.rope).transpose(1, 2)  # [B, nh, S, nope+rope]
        q_nope, q_pe = q.split([self.nope, self.rope], -1)
        kv_nope_latent, k_pe = self.kv_a_proj_with_mqa(x).split([self.kv_lora, self.rope], -1)
        latent = self.kv_a_layernorm(kv_nope_latent)
        q_pe = rope_interleaved(q_pe, cos, sin)
        k_pe = rope_interleaved(k_pe.unsqueeze(1), cos, sin).squeeze(1)  # [B, S, rope]
        kv = self.kv_b_proj(latent).view(b, s, self.nh, self.nope + self.v).transpose(1, 2)
        k_nope, value = kv.split([self.nope, self.v], -1)
        query = torch.cat([q_nope, q_pe], -1)
        key = torch.cat([k_nope, k_pe.unsqueeze(1).expand(b, self.nh, s, self.rope)], -1)
        scores = torch.matmul(query, key.transpose(-1, -2)) * self.scale
        probs = scores.masked_fill(mask, float("-inf")).softmax(-1)
        attended = torch.matmul(probs, value)  # [B, nh, S, v]
        return self.o_proj(attended.transpose(1, 2).reshape(b, s, self.nh * self.v))


class DeepSeekMoE(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.e, self.k, self.alpha = c["n_routed_experts"], c["num_experts_per_tok"], c["aux_loss_alpha"]
        self.scaling = c["routed_scaling_factor"]
        self.experts = nn.ModuleList([SwiGluMlp(h, c["moe_intermediate_size"]) for _ in range(self.e)])
        self.shared_experts = (SwiGluMlp(h, c["moe_intermediate_size"] * c["n_shared_experts"])
                               if c["n_shared_experts"] > 0 else None)
        self.gate_weight = nn.Parameter(torch.empty(self.e, h))  # mlp.gate.weight
        self.last_aux = None

    def forward(self, x):
        b, s, h = x.shape
        flat = x.reshape(-1, h)
        t = flat.shape[0]
        scores = F.linear(flat.float(), self.gate_weight.float()).softmax(-1)  # [T, E]
        weights, chosen = scores.topk(self.k, dim=-1, largest=True, sorted=True)
        weights = weights * self.scaling  # norm_topk_prob off (the demo config)
        n = t * self.k
        flat_experts = chosen.reshape(-1)
        order = (flat_experts * n + torch.arange(n)).argsort()
        counts = flat_experts.bincount(minlength=self.e).tolist()
        token_of = torch.div(order, self.k, rounding_mode="floor")
        weight_of = weights.reshape(-1).index_select(0, order)
        out = torch.zeros_like(flat)
        start = 0
        for e, count in enumerate(counts):
            if count == 0:
                continue
            ids = token_of.narrow(0, start, count)
            y = self.experts[e](flat.index_select(0, ids))
            out = out.index_add(0, ids, y * weight_of.narrow(0, start, count).unsqueeze(-1).to(y.dtype))
            start += count
        if self.shared_experts is not None:
            out = out + self.shared_experts(flat)
        if self.training and self.alpha > 0:
            with torch.no_grad():
                c = torch.zeros(b, self.e).scatter_add_(1, chosen.view(b, s * self.k), torch.ones(b, s * self.k))
                fraction = c * (self.e / (s * self.k))
            self.last_aux = (fraction * scores.view(b, s, self.e).mean(1)).sum(1).mean() * self.alpha
        else:
            self.last_aux = None
        return out.view(b, s, h)


class DecoderLayer(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = MultiHeadLatentAttention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        moe = c["n_routed_experts"] > 0 and i >= c["first_k_dense_replace"] and i % c.get("moe_layer_freq", 1) == 0
        self.mlp = DeepSeekMoE(c) if moe else SwiGluMlp(c["hidden_size"], c["intermediate_size"])

    def forward(self, x, cos, sin, mask):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return h + self.mlp(self.post_attention_layernorm(h))


class DeepSeekForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([DecoderLayer(c, i) for i in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)

    def init_weights(self, seed):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() == 1:
                    p.fill_(1.0)
                else:
                    p.normal_(0.0, 0.02, generator=g)

    def forward(self, ids, labels):
        s = ids.shape[1]
        cos, sin = rope_frequencies(self.c["qk_rope_head_dim"], self.c["rope_theta"], s)
        mask = torch.ones(s, s, dtype=torch.bool).triu(1)
        h = self.embed_tokens(ids)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        logits = self.lm_head(self.norm(h)).float()
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        aux = None
        for layer in self.layers:
            a = getattr(layer.mlp, "last_aux", None)
            if a is not None:
                aux = a if aux is None else aux + a
        return loss, aux


def matmul_gflops(n=1024, seconds=0.5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        a @ b
    best, start, i = float("inf"), time.perf_counter(), 0
    while i < 5 or (time.perf_counter() - start < seconds and i < 50):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
        i += 1
    return 2.0 * n ** 3 / best / 1e9


def main():
    run = json.loads(sys.argv[1])
    c, threads = run["config"], run["threads"]
    torch.set_num_threads(threads)
    torch.manual_seed(run["seed"])
    model = DeepSeekForCausalLM(c)
    model.init_weights(run["seed"])
    model.train()
    decayed = [p for p in model.parameters() if p.dim() >= 2]
    undecayed = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([
        {"params": decayed, "weight_decay": run["weight_decay"]},
        {"params": undecayed, "weight_decay": 0.0},
    ], lr=run["learning_rate"], betas=(0.9, 0.95), eps=1e-8)
    b, s, acc, v = run["micro_batch"], run["seq"], run["accumulation"], c["vocab_size"]
    g = torch.Generator().manual_seed(run["seed"])
    pool = torch.randint(0, v, (8 * acc, b, s + 1), generator=g)
    params = list(model.parameters())
    times, losses, phases = [], [], []
    for step in range(run["warmup"] + run["steps"]):
        t = time.perf_counter()
        loss_sum, forward, backward = 0.0, 0.0, 0.0
        for micro in range(acc):
            batch = pool[(step * acc + micro) % pool.shape[0]]
            f = time.perf_counter()
            loss, aux = model(batch[:, :-1], batch[:, 1:])
            total = loss if aux is None else loss + aux
            k = time.perf_counter()
            (total / acc).backward()
            loss_sum += loss.item()
            if aux is not None:
                aux.item()
            forward += k - f
            backward += time.perf_counter() - k
        o = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, run["max_grad_norm"])
        opt.step()
        opt.zero_grad()
        if step >= run["warmup"]:
            times.append(time.perf_counter() - t)
            phases.append([forward, backward, time.perf_counter() - o])
        losses.append(loss_sum / acc)
    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "parameter_count": sum(p.numel() for p in params),
        "step_seconds": times,
        "phase_seconds": phases,
        "losses": losses,
        "matmul_gflops_1024": matmul_gflops(),
    }))


if __name__ == "__main__":
    main()
