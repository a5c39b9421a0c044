namespace DeepSeek.Portal.Planning.Catalogue;

/// <summary>Number formats a model's weights (and, separately, its KV cache) can be held in.</summary>
public enum Precision
{
    /// <summary>32-bit float, 4 B per value.</summary>
    Fp32,
    /// <summary>bfloat16, 2 B.</summary>
    Bf16,
    /// <summary>IEEE half, 2 B.</summary>
    Fp16,
    /// <summary>8-bit float (E4M3, block-scaled as DeepSeek-V3 ships), 1 B plus scales.</summary>
    Fp8,
    /// <summary>8-bit integer (per-channel or block scales), 1 B plus scales.</summary>
    Int8,
    /// <summary>4-bit integer (group 128, AWQ/GPTQ style; NF4 under QLoRA), 0.5 B plus scales.</summary>
    Int4,
}

/// <summary>What the hardware is planned for.</summary>
public enum PlanMode
{
    /// <summary>Serving: weights, KV cache for the concurrent sequences, a forward pass's activations.</summary>
    Inference,
    /// <summary>Full fine-tune with mixed-precision AdamW (fp32 master weights, gradients, two moments).</summary>
    FullFineTune,
    /// <summary>LoRA: frozen 16-bit base, trainable low-rank adapters with their AdamW state.</summary>
    Lora,
    /// <summary>QLoRA: frozen 4-bit NF4 base (double-quantised constants), 16-bit adapters.</summary>
    QLora,
}

/// <summary>How a model's attention caches keys and values (DeepSeek-V2 paper, Table 1).</summary>
public enum AttentionKind
{
    /// <summary>Multi-head: 2 · n_h · d_h per layer and token.</summary>
    Mha,
    /// <summary>Grouped-query: 2 · n_g · d_h.</summary>
    Gqa,
    /// <summary>Multi-head latent attention: (d_c + d_h^R) per layer and token, shared by all heads.</summary>
    Mla,
}
