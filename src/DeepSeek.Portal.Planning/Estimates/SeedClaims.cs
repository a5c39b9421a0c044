using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Estimates;

public static partial class Planner
{
    /// <summary>A percentage claim holds when the computation lands within this many percentage points of it.</summary>
    public const double ClaimTolerancePoints = 5;

    /// <summary>The seed document's hardware statements, each checked by computation.</summary>
    /// <remarks>
    /// Every figure comes from the catalogues and <see cref="Compute(PlanRequest)"/>, so a change to a formula shows
    /// here too. The seed's own example model (DeepSeek-V2, §1.1) is used where it names one; for §3.1, which names
    /// none, DeepSeek-LLM 7B full fine-tuning in BF16 at 4,096 tokens × micro-batch 1 is the stated example.
    /// </remarks>
    public static IReadOnlyList<ClaimVerdict> SeedClaims() =>
    [
        Int8Quarter(),
        FourA100Hold13B(),
        XeonMemory(),
        TensorParallelSaving(),
        CheckpointingSaving(),
        JetsonEdge(),
    ];

    private static ClaimVerdict Int8Quarter()
    {
        var v2 = ModelCatalogue.Find("deepseek-v2")!;
        double fp16 = WeightBytes(v2, Precision.Fp16, PlanMode.Inference).Bytes;
        double int8 = WeightBytes(v2, Precision.Int8, PlanMode.Inference).Bytes;
        double int4 = WeightBytes(v2, Precision.Int4, PlanMode.Inference).Bytes;
        double ratio8 = int8 / fp16, ratio4 = int4 / fp16;
        return new ClaimVerdict("int8-quarter",
            "通过8位整数量化,可将显存占用降低至FP16的1/4",
            "8-bit integer quantisation cuts (weight) memory to 1/4 of FP16.",
            Math.Abs(ratio8 - 0.25) <= 0.05,
            PlanNote.Of("ClaimInt8QuarterComputation", $"DeepSeek-V2 ({Count(v2.TotalParameters)} params): FP16 {Size(fp16)}; INT8 (1 B + per-channel scales, embeddings 16-bit) {Size(int8)} = {ratio8:0.###} of FP16; INT4 (0.5 B + group-128 scale and zero) {Size(int4)} = {ratio4:0.###} of FP16."),
            PlanNote.Of("ClaimInt8QuarterVerdict", $"INT8 halves the weights ({ratio8 * 100:0.0}% of FP16); it is INT4 that comes near a quarter ({ratio4 * 100:0.0}%)."));
    }

    private static ClaimVerdict FourA100Hold13B()
    {
        var a100 = GpuCatalogue.Find("a100-80")!;
        double usable = 4 * a100.MemoryGB * 1e9 * Utilisation;
        double paramsHeld = usable / 2;
        double thirteen = 13e9 * 2;
        int forThirteen = (int)Math.Ceiling(thirteen / (a100.MemoryGB * 1e9 * Utilisation - DeviceOverheadBytes));
        var v2 = Compute(new PlanRequest("deepseek-v2", Precision.Fp16, 4096, 1, PlanMode.Inference, "a100-80"));
        var v2OnFour = Compute(new PlanRequest("deepseek-v2", Precision.Fp16, 4096, 1, PlanMode.Inference, "a100-80", GpuCount: 4));
        return new ClaimVerdict("a100x4-13b",
            "GPU方案:NVIDIA A100 80GB ×4(FP16精度下可加载约130亿参数)",
            "Four A100 80GB hold about 13B parameters in FP16 (as the setup for DeepSeek-V2).",
            false,
            PlanNote.Of("ClaimFourA100Computation", $"4 × 80 GB × {Utilisation} = {Size(usable)} usable ÷ 2 B = {Count(paramsHeld)} params of FP16 weights. 13B × 2 B = {Size(thirteen)}: {forThirteen} A100 80GB. DeepSeek-V2 ({Count(v2.Model.TotalParameters)} params) in FP16: weights {Size(v2.Memory[0].Bytes)}, total {Size(v2.TotalBytes)} at 4,096 tokens → {v2.GpusNeeded} GPUs needed, planned as TP {v2.TensorParallel} × PP {v2.PipelineParallel}; on 4 it would need {Size(v2OnFour.PerGpuBytes)} per GPU (fits: {v2OnFour.Fits})."),
            PlanNote.Of("ClaimFourA100Verdict", $"Four A100 80GB hold about {paramsHeld / 1e9:0}B parameters of FP16 weights, not 13B (one A100 holds 13B); and DeepSeek-V2 in FP16 does not fit on four — it needs {v2.GpusNeeded} (TP {v2.TensorParallel})."));
    }

    private static ClaimVerdict XeonMemory()
    {
        var cpu = GpuCatalogue.Cpu(512, 409.6, "2 × Xeon Platinum 8380: 2 sockets × 8 channels of DDR4-3200 (25.6 GB/s each) = 409.6 GB/s, 512 GB");
        var v2 = ModelCatalogue.Find("deepseek-v2")!;
        var bf16 = Compute(new PlanRequest("deepseek-v2", Precision.Bf16, 4096, 1, PlanMode.Inference, "cpu", GpuCount: 1), v2, cpu);
        var int8 = Compute(new PlanRequest("deepseek-v2", Precision.Int8, 4096, 1, PlanMode.Inference, "cpu", GpuCount: 1), v2, cpu);
        return new ClaimVerdict("xeon-512gb",
            "CPU方案:Intel Xeon Platinum 8380 ×2(需配合至少512GB内存)",
            "For DeepSeek-V2 on two Xeon Platinum 8380, at least 512 GB of memory is needed.",
            bf16.Fits,
            PlanNote.Of("ClaimXeonMemoryComputation", $"DeepSeek-V2 at 4,096 tokens, 1 sequence: BF16 total {Size(bf16.TotalBytes)} (weights {Size(bf16.Memory[0].Bytes)}) against 512 GB × {Utilisation} = {Size(512e9 * Utilisation)} usable → fits: {bf16.Fits}; INT8 total {Size(int8.TotalBytes)} → fits: {int8.Fits}. Decode bound at 409.6 GB/s: BF16 {bf16.DecodeTokensPerSecond:0.#} tokens/s, INT8 {int8.DecodeTokensPerSecond:0.#} tokens/s ({Count(v2.ActiveParameters)} active params per token)."),
            PlanNote.Of("ClaimXeonMemoryVerdict", $"512 GB is too little for V2's 16-bit weights ({Size(bf16.Memory[0].Bytes)}; with the OS and runtime about {Math.Ceiling(bf16.TotalBytes / Utilisation / 1e9):0} GB, in practice 768 GB); it is enough for INT8 (or INT4), at a bandwidth-bound {int8.DecodeTokensPerSecond:0.#} tokens/s at best."));
    }

    /// <summary>The §3.1 example: DeepSeek-LLM 7B, full fine-tune, BF16, 4,096 tokens × micro-batch 1, full checkpointing.</summary>
    private static PlanRequest Section31Example(int gpus, bool checkpointing = true) =>
        new("deepseek-llm-7b", Precision.Bf16, 4096, 1, PlanMode.FullFineTune, "a100-80", GpuCount: gpus, ActivationCheckpointing: checkpointing);

    private static ClaimVerdict TensorParallelSaving()
    {
        var one = Compute(Section31Example(1));
        var m = one.Model;
        double s = 4096, b = 1, h = m.HiddenSize, a = m.AttentionHeads, l = m.Layers, t = 4;
        double states = one.Memory.Where(x => x.Key is "weights" or "gradients" or "optimizer").Sum(x => x.Bytes);
        double logits = s * b * m.VocabSize * 8;
        // Megatron tensor parallelism without sequence parallelism (Korthikanti et al. §4.2): weights, gradients, optimizer
        // state and the vocabulary-parallel logits split t ways; a layer's activations become sbh(10 + 24/t + 5as/(ht)); the
        // checkpointed layer inputs (2sbh each) stay whole on every GPU.
        double recomputed = s * b * h * (10 + 24 / t + 5 * a * s / (h * t));
        double perGpu4 = states / t + l * 2 * s * b * h + recomputed + logits / t + DeviceOverheadBytes;
        double saving = 1 - perGpu4 / one.PerGpuBytes;
        return new ClaimVerdict("tp4-58",
            "张量并行:将矩阵乘法拆分为多个子操作,实测在4卡环境下显存占用降低58%",
            "Tensor parallelism over 4 GPUs cuts memory per GPU by 58%.",
            Math.Abs(saving * 100 - 58) <= ClaimTolerancePoints,
            PlanNote.Of("ClaimTensorParallelComputation", $"DeepSeek-LLM 7B full fine-tune, BF16, 4,096 × 1 tokens, full checkpointing: 1 GPU holds {Size(one.PerGpuBytes)}. TP 4 (no sequence parallelism): weights+gradients+AdamW {Size(states)} ÷ 4 = {Size(states / t)} + layer inputs {l} × 2sbh = {Size(l * 2 * s * b * h)} (not split) + one recomputed layer sbh(10 + 24/4 + 5as/4h) = {Size(recomputed)} + logits ÷ 4 = {Size(logits / t)} + {Size(DeviceOverheadBytes)} = {Size(perGpu4)} per GPU → {saving * 100:0.0}% less."),
            PlanNote.Of("ClaimTensorParallelVerdict", $"Four-way tensor parallelism cuts per-GPU memory by about {saving * 100:0}% here (up to 75% for the model states, less for activations), not a fixed 58%; the saving depends on the model and the batch."));
    }

    private static ClaimVerdict CheckpointingSaving()
    {
        var with = Compute(Section31Example(1));
        var without = Compute(Section31Example(1, checkpointing: false));
        double saving = 1 - with.TotalBytes / without.TotalBytes;
        double activationSaving = 1 - with.Memory.First(x => x.Key == "activations").Bytes / without.Memory.First(x => x.Key == "activations").Bytes;
        return new ClaimVerdict("checkpointing-35",
            "激活检查点:选择性保存中间层输出,可减少35%的显存需求,但会增加12%的计算时间",
            "Activation checkpointing cuts memory needs by 35% (at 12% more compute).",
            Math.Abs(saving * 100 - 35) <= ClaimTolerancePoints,
            PlanNote.Of("ClaimCheckpointingComputation", $"DeepSeek-LLM 7B full fine-tune, BF16, 4,096 × 1 tokens: without checkpointing {Size(without.TotalBytes)} (activations {Size(without.Memory.First(x => x.Key == "activations").Bytes)}), with full checkpointing {Size(with.TotalBytes)} (activations {Size(with.Memory.First(x => x.Key == "activations").Bytes)}) → {saving * 100:0.0}% less in total, {activationSaving * 100:0.0}% less activation memory. Full recompute costs one extra forward pass, about 33% more compute (forward ≈ 1/3 of a training step)."),
            PlanNote.Of("ClaimCheckpointingVerdict", $"The saving is not a constant: here {saving * 100:0}% of the total ({activationSaving * 100:0}% of the activations), growing with sequence length and batch; full recompute costs about 33% more compute, selective recompute much less."));
    }

    private static ClaimVerdict JetsonEdge()
    {
        var jetson = GpuCatalogue.Find("jetson-agx-orin-64")!;
        double small = 0.8e9 * (0.5 + Int4ScaleBytesPerParameter);
        double smallRate = jetson.BandwidthGBps * 1e9 / small;
        var seven = Compute(new PlanRequest("deepseek-llm-7b", Precision.Int4, 4096, 1, PlanMode.Inference, "jetson-agx-orin-64"));
        return new ClaimVerdict("jetson-int4-0.8b",
            "模型压缩:采用知识蒸馏将参数量从67亿降至8亿\n量化策略:INT4量化配合动态范围调整\n硬件适配:NVIDIA Jetson AGX Orin开发套件",
            "A model distilled from 6.7B to 0.8B parameters and quantised to INT4 runs on a Jetson AGX Orin.",
            small + DeviceOverheadBytes <= jetson.MemoryGB * 1e9 * Utilisation,
            PlanNote.Of("ClaimJetsonComputation", $"0.8e9 params × (0.5 + 4/128) B = {Size(small)} of INT4 weights against {jetson.MemoryGB} GB × {Utilisation} = {Size(jetson.MemoryGB * 1e9 * Utilisation)}; decode bound {jetson.BandwidthGBps} GB/s ÷ {Size(small)} = {smallRate:0} tokens/s. Undistilled DeepSeek-LLM 7B in INT4 at 4,096 tokens: {Size(seven.TotalBytes)} in all, fits: {seven.Fits}, decode bound {seven.DecodeTokensPerSecond:0.#} tokens/s."),
            PlanNote.Of("ClaimJetsonVerdict", $"It fits easily ({Size(small)} of weights), but so does the undistilled 7B in INT4 ({Size(seven.TotalBytes)}, ≤ {seven.DecodeTokensPerSecond:0} tokens/s): distillation buys speed (≤ {smallRate:0} tokens/s), not fit; the seed's −82% power and −37% speed cannot be checked by computation."));
    }
}
