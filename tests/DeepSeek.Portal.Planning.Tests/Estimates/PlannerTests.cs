using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Estimates;

namespace DeepSeek.Portal.Planning.Tests.Estimates;

public class PlannerTests
{
    private static PlanRequest Request(string model, Precision precision = Precision.Bf16, int context = 4096, int sequences = 1,
        PlanMode mode = PlanMode.Inference, string gpu = "h200", int? gpus = null) => new(model, precision, context, sequences, mode, gpu, gpus);

    [Fact]
    public void Seven_billion_parameters_in_BF16_are_14_GB()
    {
        // 7e9 × 2 B = 14e9 B = 14 GB (GB = 10⁹ B).
        var seven = ModelCatalogue.Find("deepseek-llm-7b")! with { Id = "seven", TotalParameters = 7_000_000_000, ActiveParameters = 7_000_000_000 };
        var plan = Planner.Compute(Request("seven") with { GpuId = "a100-80" }, seven, GpuCatalogue.Find("a100-80")!);
        var weights = plan.Memory.Single(l => l.Key == "weights");
        Assert.Equal(14e9, weights.Bytes);
        Assert.Equal("7e9 params × 2 B = 14 GB", weights.Formula);
    }

    [Fact]
    public void DeepSeek_llm_7b_weights_in_BF16()
    {
        var plan = Planner.Compute(Request("deepseek-llm-7b", gpu: "a100-40"));
        Assert.Equal(6_910_365_696.0 * 2, plan.Memory.Single(l => l.Key == "weights").Bytes);
        Assert.Equal(1, plan.GpusNeeded);
    }

    [Fact]
    public void V3_MLA_caches_61_times_576_elements_per_token()
    {
        var v3 = ModelCatalogue.Find("deepseek-v3")!;
        Assert.Equal(61 * 576, Planner.KvElementsPerToken(v3));
        Assert.Equal(35_136, Planner.KvElementsPerToken(v3));
        // 35,136 × 2 B = 70,272 B/token; × 4,096 tokens × 1 sequence = 287,834,112 B — on one device.
        var one = Planner.Compute(Request("deepseek-v3", Precision.Fp8, gpu: "h200", gpus: 1));
        Assert.Equal(70_272.0 * 4096, one.Memory.Single(l => l.Key == "kvCache").Bytes);
        // At TP 8 each rank holds the whole latent: 8 copies.
        var plan = Planner.Compute(Request("deepseek-v3", Precision.Fp8));
        var kv = plan.Memory.Single(l => l.Key == "kvCache");
        Assert.Equal(70_272.0 * 4096 * 8, kv.Bytes);
        Assert.Contains("35,136 elements/token × 2 B = 70,272 B/token", kv.Formula);
        Assert.Contains("× 8 copies", kv.Formula);
    }

    [Fact]
    public void V2_Lite_and_V2_MLA_caches_match_the_paper()
    {
        // V2 paper Table 9: 15.6K and 34.6K elements per token.
        Assert.Equal(27 * 576, Planner.KvElementsPerToken(ModelCatalogue.Find("deepseek-v2-lite")!));
        Assert.Equal(15_552, Planner.KvElementsPerToken(ModelCatalogue.Find("deepseek-v2-lite")!));
        Assert.Equal(34_560, Planner.KvElementsPerToken(ModelCatalogue.Find("deepseek-v2")!));
    }

    [Fact]
    public void R1_distill_qwen_1_5b_GQA_cache_is_28672_bytes_per_token()
    {
        // 2 (k, v) × 2 KV heads × 128 × 28 layers = 14,336 elements × 2 B = 28,672 B.
        var m = ModelCatalogue.Find("r1-distill-qwen-1.5b")!;
        Assert.Equal(14_336, Planner.KvElementsPerToken(m));
        var plan = Planner.Compute(Request("r1-distill-qwen-1.5b", context: 1000, sequences: 3, gpu: "rtx-4090"));
        Assert.Equal(28_672.0 * 1000 * 3, plan.Memory.Single(l => l.Key == "kvCache").Bytes);
        // 2 KV heads over TP 4: each replicated twice.
        var tp4 = Planner.Compute(Request("r1-distill-qwen-1.5b", context: 1000, sequences: 3, gpu: "rtx-4090", gpus: 4));
        Assert.Equal(4, tp4.TensorParallel);
        Assert.Equal(28_672.0 * 1000 * 3 * 2, tp4.Memory.Single(l => l.Key == "kvCache").Bytes);
        // An FP8 KV cache halves it.
        var fp8 = Planner.Compute(Request("r1-distill-qwen-1.5b", context: 1000, sequences: 3, gpu: "rtx-4090") with { KvCachePrecision = Precision.Fp8 });
        Assert.Equal(14_336.0 * 1000 * 3, fp8.Memory.Single(l => l.Key == "kvCache").Bytes);
    }

    [Fact]
    public void V3_in_FP8_on_H200_takes_eight_GPUs_on_one_node()
    {
        // Weights: (671,026,419,200 − 2 × 129,280 × 7,168 = 669,173,061,120 linear params) × (1 + 4/16384) B
        //          + 1,853,358,080 embedding/head params × 2 B = 669,336,433,449 + 3,706,716,160 ≈ 673.04 GB.
        // KV: 70,272 B × 4,096 = 0.288 GB, × 8 tensor-parallel copies (MLA's latent is not split by heads) = 2.30 GB; activations: 2,048 tokens × 149,504 × 2 B + 129,280 × 4 B ≈ 0.613 GB.
        // Per H200: 141 GB × 0.9 − 1 GB overhead = 125.9 GB; (673.04 + 2.30 + 0.61) / 125.9 = 5.37 → 6 needed;
        // the smallest power of two ≥ 6 dividing 128 heads is 8 → TP 8, 8 GPUs, one node of 8.
        var plan = Planner.Compute(Request("deepseek-v3", Precision.Fp8));
        Assert.InRange(plan.Memory.Single(l => l.Key == "weights").Bytes, 673.04e9, 673.05e9);
        Assert.Equal(6, plan.GpusNeeded);
        Assert.Equal(8, plan.TensorParallel);
        Assert.Equal(1, plan.PipelineParallel);
        Assert.Equal(8, plan.GpuCount);
        Assert.Equal(1, plan.Nodes);
        Assert.True(plan.Fits);
        Assert.Equal(8e9, plan.Memory.Single(l => l.Key == "overhead").Bytes);
        Assert.Equal(plan.Memory.Sum(l => l.Bytes), plan.TotalBytes);
        Assert.Equal(plan.TotalBytes / 8, plan.PerGpuBytes);
        Assert.Equal(8, plan.Request.GpuCount);
    }

    [Fact]
    public void V3_in_BF16_on_H100_goes_beyond_one_node_with_pipeline_stages()
    {
        // 671e9 × 2 B ≈ 1.34 TB over 80 GB × 0.9 − 1 GB = 71 GB → 19 GPUs; TP 8 × 3 stages = 24 GPUs on 3 nodes.
        var plan = Planner.Compute(Request("deepseek-v3", Precision.Bf16, gpu: "h100-sxm"));
        Assert.Equal(19, plan.GpusNeeded);
        Assert.Equal(8, plan.TensorParallel);
        Assert.Equal(3, plan.PipelineParallel);
        Assert.Equal(3, plan.Nodes);
        Assert.Contains(plan.Warnings, w => w.Text.Contains("fp8_cast_bf16"));
    }

    [Fact]
    public void Too_few_GPUs_do_not_fit_and_say_why()
    {
        var plan = Planner.Compute(Request("deepseek-v3", Precision.Fp8, gpus: 4));
        Assert.False(plan.Fits);
        Assert.Equal(4, plan.TensorParallel);
        Assert.Contains(plan.Warnings, w => w.Text.StartsWith("Does not fit: it needs 6 ×", StringComparison.Ordinal) && w.Text.Contains("the request gives 4"));
    }

    [Fact]
    public void Tensor_parallelism_divides_the_heads()
    {
        // R1-Distill-Qwen-7B has 28 heads: 4 is the largest power of two dividing them; 8 GPUs become 4 × 2 stages.
        var plan = Planner.Compute(Request("r1-distill-qwen-7b", gpu: "rtx-4090", gpus: 8));
        Assert.Equal(4, plan.TensorParallel);
        Assert.Equal(2, plan.PipelineParallel);
    }

    [Fact]
    public void Decode_rate_is_bandwidth_bound()
    {
        // DeepSeek-LLM 7B BF16 on one H200, 1 sequence of 4,096 tokens: (13.82 GB + KV 2 × 32 × 128 × 30 × 2 B × 4,096 = 2.01 GB)
        // ÷ 4,800 GB/s = 3.30 ms → 303 tokens/s.
        var plan = Planner.Compute(Request("deepseek-llm-7b"));
        double bytes = 6_910_365_696.0 * 2 + 491_520.0 * 4096;
        Assert.Equal(1 / (bytes / 4800e9), plan.DecodeTokensPerSecond!.Value, 6);
        Assert.Contains("4800 GB/s", plan.DecodeFormula);
        // Training has no decode rate.
        Assert.Null(Planner.Compute(Request("deepseek-llm-7b", mode: PlanMode.Lora)).DecodeTokensPerSecond);
    }

    [Fact]
    public void Quantised_weights_keep_embeddings_in_16_bit()
    {
        var m = ModelCatalogue.Find("deepseek-llm-7b")!;
        double embeddings = 2.0 * 102400 * 4096, linear = m.TotalParameters - embeddings;
        Assert.Equal(linear * (0.5 + 4.0 / 128) + embeddings * 2, Planner.Compute(Request(m.Id, Precision.Int4)).Memory[0].Bytes, 0);
        Assert.Equal(linear * (1 + 2.0 / 4096) + embeddings * 2, Planner.Compute(Request(m.Id, Precision.Int8)).Memory[0].Bytes, 0);
        Assert.Equal(linear * (0.5 + 0.127 / 8) + embeddings * 2, Planner.Compute(Request(m.Id, Precision.Int4, mode: PlanMode.QLora)).Memory[0].Bytes, 0);
        Assert.Equal(m.TotalParameters * 4.0, Planner.Compute(Request(m.Id, Precision.Fp32)).Memory[0].Bytes);
    }

    [Fact]
    public void Full_fine_tune_is_16_bytes_per_parameter_plus_activations()
    {
        // BF16 weights 2 + gradients 2 + fp32 master, m, v 12 = 16 B/param (ZeRO).
        var m = ModelCatalogue.Find("deepseek-llm-7b")!;
        var plan = Planner.Compute(Request(m.Id, context: 2048, mode: PlanMode.FullFineTune, gpu: "a100-80"));
        double states = plan.Memory.Where(l => l.Key is "weights" or "gradients" or "optimizer").Sum(l => l.Bytes);
        Assert.Equal(16.0 * m.TotalParameters, states);
        Assert.Contains("18", plan.Memory.Single(l => l.Key == "optimizer").Note);
        // Activations, Korthikanti: per layer s·b·h·(34 + 5as/h) = 2048 × 4096 × (34 + 5 × 32 × 2048/4096) = 8,388,608 × 114 B;
        // checkpointed: 30 × 2sbh + one layer; logits s·b·V × 8 B.
        double perLayer = 2048.0 * 4096 * (34 + 5 * 32 * 2048 / 4096.0), logits = 2048.0 * 102400 * 8;
        Assert.Equal(30 * 2 * 2048.0 * 4096 + perLayer + logits, plan.Memory.Single(l => l.Key == "activations").Bytes);
        var without = Planner.Compute(Request(m.Id, context: 2048, mode: PlanMode.FullFineTune, gpu: "a100-80") with { ActivationCheckpointing = false });
        Assert.Equal(30 * perLayer + logits, without.Memory.Single(l => l.Key == "activations").Bytes);
        Assert.Contains("activationsWithoutCheckpointing", plan.Formulas.Keys);
        Assert.Contains("without it", plan.Memory.Single(l => l.Key == "activations").Note);
        Assert.Equal(0, plan.Memory.Single(l => l.Key == "kvCache").Bytes);
    }

    [Fact]
    public void LoRA_adapters_are_rank_times_in_plus_out_at_16_bytes()
    {
        // DeepSeek-LLM 7B, r 8: per layer q,o 2 × (4096 + 4096) + k,v 2 × (4096 + 4096) + MLP 3 × (4096 + 11008) = 78,080;
        // × 8 × 30 layers = 18,739,200 params × 16 B.
        var plan = Planner.Compute(Request("deepseek-llm-7b", mode: PlanMode.Lora, gpu: "rtx-4090") with { LoraRank = 8 });
        Assert.Equal(18_739_200.0 * 16, plan.Memory.Single(l => l.Key == "adapters").Bytes);
        Assert.DoesNotContain(plan.Memory, l => l.Key is "gradients" or "optimizer");
    }

    [Fact]
    public void A100_runs_FP8_with_a_warning()
    {
        var plan = Planner.Compute(Request("deepseek-v3", Precision.Fp8, gpu: "a100-80"));
        Assert.Contains(plan.Warnings, w => w.Text.Contains("W8A16"));
    }

    [Fact]
    public void Uncertain_figures_are_warned_about()
    {
        var plan = Planner.Compute(Request("deepseek-llm-7b", gpu: "h20"));
        Assert.Contains(plan.Warnings, w => w.Text.Contains("third-party") && w.Text.Contains("BandwidthGBps"));
    }

    public static TheoryData<PlanRequest, string, string> Invalid => new()
    {
        { Request("nope"), "ModelId", "Unknown model 'nope'; expected one of deepseek-llm-7b," },
        { Request("deepseek-llm-7b", gpu: "tpu"), "GpuId", "Unknown GPU 'tpu'; expected one of a100-40," },
        { Request("deepseek-llm-7b", context: 0), "ContextLength", "ContextLength must be at least 1 token (was 0); DeepSeek-LLM 7B allows up to 4,096." },
        { Request("deepseek-llm-7b", context: 8192), "ContextLength", "ContextLength 8,192 exceeds DeepSeek-LLM 7B's maximum context of 4,096 tokens; expected 1 … 4,096." },
        { Request("deepseek-llm-7b", sequences: 0), "ConcurrentSequences", "ConcurrentSequences must be at least 1 (was 0)." },
        { Request("deepseek-llm-7b", gpus: 0), "GpuCount", "GpuCount must be at least 1, or empty for the fewest devices that hold the plan (was 0)." },
        { Request("deepseek-llm-7b", Precision.Int4, mode: PlanMode.Lora), "Precision", "Lora trains on FP32, BF16 or FP16 weights, not Int4 (the usual training frameworks have no Int4 training path); for a 4-bit base use QLoRA." },
        { Request("deepseek-llm-7b", Precision.Fp8, mode: PlanMode.FullFineTune), "Precision", "FullFineTune trains on FP32, BF16 or FP16 weights, not Fp8" },
        { Request("deepseek-llm-7b", Precision.Int8, mode: PlanMode.FullFineTune), "Precision", "FullFineTune trains on FP32, BF16 or FP16 weights, not Int8" },
        { Request("deepseek-llm-7b", Precision.Bf16, mode: PlanMode.QLora), "Precision", "QLoRA keeps the base model in 4-bit NF4: choose Int4 (was Bf16); for a 16-bit base use LoRA." },
        { Request("deepseek-llm-7b", Precision.Fp8, gpu: "ascend-910b"), "Precision", "Huawei Ascend 910B 64GB has no FP8 path (no FP8 units and no W8A16 FP8 kernels); choose BF16, INT8 or INT4, or a GPU with FP8 (H100, H200, H20, L40S, RTX 4090)." },
        { Request("deepseek-llm-7b", Precision.Fp8, gpu: "jetson-agx-orin-64"), "Precision", "NVIDIA Jetson AGX Orin 64GB has no FP8 path" },
        { Request("deepseek-llm-7b", gpu: "ascend-910b") with { KvCachePrecision = Precision.Fp8 }, "KvCachePrecision", "Huawei Ascend 910B 64GB has no FP8 path for an FP8 KV cache; choose BF16 or FP16." },
        { Request("deepseek-llm-7b", mode: PlanMode.Lora) with { LoraRank = 0 }, "LoraRank", "LoraRank must be between 1 and 1024 (was 0)." },
        { Request("deepseek-llm-7b", Precision.Int4, mode: PlanMode.QLora) with { LoraRank = 2048 }, "LoraRank", "LoraRank must be between 1 and 1024 (was 2048)." },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Impossible_requests_get_a_specific_message_on_their_field(PlanRequest request, string field, string message)
    {
        var e = Assert.Throws<PlanValidationException>(() => Planner.Compute(request));
        Assert.True(e.Errors.ContainsKey(field), $"errors on {string.Join(", ", e.Errors.Keys)}");
        Assert.Contains(e.Errors[field], m => m.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void FP8_on_the_CPU_is_refused_and_several_errors_come_together()
    {
        var cpu = GpuCatalogue.Cpu(24, 20, "test");
        var e = Assert.Throws<PlanValidationException>(() => Planner.Compute(
            new PlanRequest("deepseek-llm-7b", Precision.Fp8, -1, 0, PlanMode.Inference, "cpu"), ModelCatalogue.Find("deepseek-llm-7b")!, cpu));
        Assert.Equal(["ConcurrentSequences", "ContextLength", "Precision"], e.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("CPU (this machine) has no FP8 path", e.Errors["Precision"][0]);
        Assert.Equal(3, e.Errors.Count);
        // LoRA rank is only checked where adapters are trained.
        Planner.Compute(Request("deepseek-llm-7b") with { LoraRank = 0 });
    }

    [Fact]
    public void The_request_must_name_the_model_and_device_planned()
    {
        var e = Assert.Throws<PlanValidationException>(() => Planner.Compute(Request("deepseek-v2", gpu: "h20"), ModelCatalogue.Find("deepseek-v3")!, GpuCatalogue.Find("h200")!));
        Assert.Equal("ModelId 'deepseek-v2' does not name the model planned ('deepseek-v3').", e.Errors["ModelId"].Single());
        Assert.Equal("GpuId 'h20' does not name the device planned ('h200').", e.Errors["GpuId"].Single());
    }

    [Fact]
    public void A_CPU_device_plans_with_its_runtime_overhead()
    {
        // R1-Distill-Qwen-1.5B in INT4 on a 24 GB, 20 GB/s machine: one device, 0.5 GB runtime overhead.
        var cpu = GpuCatalogue.Cpu(24, 20, "test machine");
        var plan = Planner.Compute(new PlanRequest("r1-distill-qwen-1.5b", Precision.Int4, 2048, 1, PlanMode.Inference, "cpu"), ModelCatalogue.Find("r1-distill-qwen-1.5b")!, cpu);
        Assert.Equal(0.5e9, plan.Memory.Single(l => l.Key == "overhead").Bytes);
        Assert.Equal(1, plan.GpuCount);
        Assert.True(plan.Fits);
        double step = plan.Memory[0].Bytes + plan.Memory[1].Bytes;
        Assert.Equal(20e9 / step, plan.DecodeTokensPerSecond!.Value, 6);
    }

    [Fact]
    public void Every_valid_combination_of_the_catalogue_plans_without_throwing()
    {
        int plans = 0;
        foreach (var model in ModelCatalogue.All)
        foreach (var gpu in GpuCatalogue.All)
        foreach (var mode in Enum.GetValues<PlanMode>())
        foreach (var precision in Enum.GetValues<Precision>())
        {
            if (mode == PlanMode.QLora && precision != Precision.Int4) continue;
            if (mode is PlanMode.FullFineTune or PlanMode.Lora && precision is Precision.Fp8 or Precision.Int8 or Precision.Int4) continue;
            if (precision == Precision.Fp8 && !gpu.Fp8 && !gpu.Id.StartsWith("a100", StringComparison.Ordinal)) continue;
            foreach (var context in new[] { 1, Math.Min(4096, model.MaxContext), model.MaxContext })
            {
                var plan = Planner.Compute(new PlanRequest(model.Id, precision, context, 4, mode, gpu.Id));
                Assert.True(plan.Fits, $"{model.Id} {precision} {mode} on {gpu.Id}");
                Assert.True(plan.TotalBytes > 0 && double.IsFinite(plan.TotalBytes));
                Assert.True(plan.GpuCount >= plan.GpusNeeded);
                Assert.Equal(0, model.AttentionHeads % plan.TensorParallel);
                Assert.All(plan.Memory, l => Assert.False(string.IsNullOrEmpty(l.Formula)));
                plans++;
            }
        }
        Assert.True(plans > 1000, $"{plans} plans");
    }
}
