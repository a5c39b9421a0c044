using System.Globalization;
using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Estimates;

/// <summary>Computes a <see cref="Plan"/>: the memory breakdown with formulas, devices, parallelism and decode rate.</summary>
/// <remarks>
/// <para>Units: GB = 10⁹ bytes throughout (vendors state device memory that way), so 7e9 parameters × 2 B = 14 GB.</para>
/// <para>Each memory line is a total over every device; devices are assumed to share it evenly (tensor parallelism
/// splits weights, KV cache and most activations; pipeline stages split layers). A device may use
/// <see cref="Utilisation"/> of its memory (vLLM's <c>gpu_memory_utilization</c> default), the rest being left to
/// fragmentation and other processes; on top of the lines, each device holds <see cref="DeviceOverheadBytes"/>.</para>
/// </remarks>
public static partial class Planner
{
    /// <summary>Fraction of a device's memory a plan may fill: vLLM's <c>gpu_memory_utilization</c> default.</summary>
    public const double Utilisation = 0.9;

    /// <summary>Per GPU: the CUDA context with cuBLAS/cuDNN and NCCL workspaces (about 0.5–1 GB in practice; 1 GB taken).</summary>
    public const double DeviceOverheadBytes = 1e9;

    /// <summary>On the CPU device: the process runtime (.NET and libtorch) instead of a CUDA context.</summary>
    public const double CpuOverheadBytes = 0.5e9;

    /// <summary>Inference activations are sized for one prefill chunk of at most this many tokens (chunked prefill's budget; our assumption).</summary>
    public const int PrefillChunkTokens = 2048;

    /// <summary>FP8 weights as DeepSeek-V3 ships them: one fp32 scale per 128×128 block.</summary>
    internal const double Fp8ScaleBytesPerParameter = 4.0 / (128 * 128);

    /// <summary>INT4 group-128 (AWQ/GPTQ): an fp16 scale and an fp16 zero per 128 weights.</summary>
    internal const double Int4ScaleBytesPerParameter = 4.0 / 128;

    /// <summary>QLoRA NF4 with double quantisation: 0.127 bits of constants per parameter (arXiv 2305.14314).</summary>
    internal const double Nf4ConstantBytesPerParameter = 0.127 / 8;

    /// <summary>GPUs where FP8 checkpoints still run though the hardware has no FP8 (vLLM's W8A16 Marlin kernels, Ampere).</summary>
    private static readonly HashSet<string> Fp8AsW8A16 = new(StringComparer.OrdinalIgnoreCase) { "a100-40", "a100-80" };

    /// <summary>Plans <paramref name="request"/> with its model and GPU looked up in the catalogues.</summary>
    /// <exception cref="PlanValidationException">An unknown model or GPU id, or any error of <see cref="Compute(PlanRequest, ModelArchitecture, GpuSpec)"/>.</exception>
    public static Plan Compute(PlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = ModelCatalogue.Find(request.ModelId ?? "");
        var gpu = GpuCatalogue.Find(request.GpuId ?? "");
        var errors = new Dictionary<string, PlanNote[]>();
        if (model is null)
            errors[nameof(PlanRequest.ModelId)] = [PlanNote.Of("ErrUnknownModel", $"Unknown model '{request.ModelId}'; expected one of {string.Join(", ", ModelCatalogue.All.Select(m => m.Id))}.")];
        if (gpu is null)
            errors[nameof(PlanRequest.GpuId)] = [PlanNote.Of("ErrUnknownGpu", $"Unknown GPU '{request.GpuId}'; expected one of {string.Join(", ", GpuCatalogue.All.Select(g => g.Id))}.")];
        if (errors.Count > 0) throw new PlanValidationException(errors);
        return Compute(request, model!, gpu!);
    }

    /// <summary>
    /// Plans <paramref name="request"/> for <paramref name="model"/> on <paramref name="gpu"/>. Throws
    /// <see cref="PlanValidationException"/> for impossible requests (context beyond the model's maximum, zero GPUs, a
    /// precision the family or device cannot use, …), each error on its field.
    /// </summary>
    public static Plan Compute(PlanRequest request, ModelArchitecture model, GpuSpec gpu)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gpu);
        Validate(request, model, gpu);

        var warnings = new List<PlanNote>();
        var formulas = new Dictionary<string, string>();
        bool training = request.Mode != PlanMode.Inference;
        var lines = new List<MemoryLine>
        {
            Weights(request, model, formulas),
            KvCache(request, model),
            Activations(request, model, formulas),
        };
        lines.AddRange(TrainingState(request, model));

        // Devices: each holds its share of the lines plus its own overhead, within Utilisation of its memory. The KV
        // cache is copied on tensor-parallel ranks that cannot split it (see KvCopies), so the parallel degree and the
        // memory are settled together: tensor parallelism only grows, so this ends within a few rounds.
        double capacity = gpu.MemoryGB * 1e9 * Utilisation;
        bool cpu = gpu.Id == "cpu";
        double perDevice = cpu ? CpuOverheadBytes : DeviceOverheadBytes;
        var kvLine = lines[1];
        int maxTp = LargestPowerOfTwoDividing(model.AttentionHeads, gpu.GpusPerNode);
        int tp = request.GpuCount is int asked0 ? LargestPowerOfTwoDividing(model.AttentionHeads, Math.Min(asked0, gpu.GpusPerNode)) : 1;
        int needed;
        double baseBytes;
        while (true)
        {
            lines[1] = WithCopies(kvLine, KvCopies(model, tp), model, tp);
            baseBytes = lines.Sum(l => l.Bytes);
            needed = (int)Math.Min(int.MaxValue / 16, Math.Max(1, Math.Ceiling(baseBytes / (capacity - perDevice))));
            if (request.GpuCount is not null) break;
            int next = 1;
            while (next < needed && next * 2 <= maxTp) next *= 2;
            if (next <= tp) break;
            tp = next;
        }
        formulas["gpusNeeded"] = I($"ceil({Size(baseBytes)} ÷ ({gpu.MemoryGB:0.###} GB × {Utilisation} − {Size(perDevice)} overhead)) = {needed}");

        int pp, count;
        if (request.GpuCount is int asked)
        {
            count = asked;
            pp = Math.Max(1, asked / tp);
            if (tp * pp < asked)
                warnings.Add(PlanNote.Of("GpusIdle", $"{asked} GPUs do not split as tensor × pipeline parallel ({tp} × {pp} = {tp * pp}); {asked - tp * pp} would stay idle."));
            formulas["tensorParallel"] = I($"largest power of two ≤ min({asked} GPUs, {gpu.GpusPerNode} per node) dividing {model.AttentionHeads} heads = {tp}");
        }
        else
        {
            pp = (int)Math.Ceiling(needed / (double)tp);
            count = tp * pp;
            formulas["tensorParallel"] = I($"smallest power of two ≥ {needed} dividing {model.AttentionHeads} heads, at most {gpu.GpusPerNode} per node = {tp}");
        }
        int used = tp * pp;
        int nodes = (int)Math.Ceiling(count / (double)gpu.GpusPerNode);
        formulas["pipelineParallel"] = I($"{pp} stage(s) of {tp} GPUs") + (pp > 1 ? " (layers split across stages)" : "");
        formulas["nodes"] = I($"ceil({count} GPUs ÷ {gpu.GpusPerNode} per node) = {nodes}");
        if (pp > 1 && nodes == 1 && !cpu)
            warnings.Add(PlanNote.Of("HeadsLimitTensorParallel", $"{model.AttentionHeads} attention heads allow tensor parallelism up to {maxTp} here; the other devices become pipeline stages."));
        if (pp > model.Layers)
            warnings.Add(PlanNote.Of("StagesExceedLayers", $"{pp} pipeline stages exceed the model's {model.Layers} layers."));

        double overhead = used * perDevice;
        lines.Add(new MemoryLine("overhead", overhead,
            I($"{used} device(s) × {Size(perDevice)} = {Size(overhead)}"),
            [cpu ? PlanNote.Of("NoteOverheadCpu", $"The process runtime (.NET and libtorch) on the CPU.")
                 : PlanNote.Of("NoteOverheadGpu", $"Per GPU: CUDA context, cuBLAS and NCCL workspaces; fragmentation slack is what the {Utilisation * 100:0}% utilisation leaves.")]));
        double total = lines.Sum(l => l.Bytes);
        double perGpu = total / used;
        bool fits = perGpu <= capacity;
        formulas["perGpu"] = I($"{Size(total)} ÷ {used} = {Size(perGpu)} per device (limit {gpu.MemoryGB:0.###} GB × {Utilisation} = {Size(capacity)})");
        if (!fits)
            warnings.Add(PlanNote.Of("DoesNotFit", $"Does not fit: it needs {needed} × {gpu.Name} (at {Utilisation * 100:0}% of {gpu.MemoryGB:0.###} GB each) and the request gives {count}; each would hold {Size(perGpu)} of {Size(capacity)} usable."));

        double? tokensPerSecond = null;
        string? decodeFormula = null;
        if (!training)
        {
            var weights = lines[0].Bytes;
            var kv = lines[1].Bytes;
            double activeWeights = weights * ((double)model.ActiveParameters / model.TotalParameters);
            double stepBytes = activeWeights + kv;
            double bandwidth = tp * gpu.BandwidthGBps * 1e9;
            double stepSeconds = stepBytes / bandwidth;
            tokensPerSecond = request.ConcurrentSequences / stepSeconds;
            decodeFormula = I($"per step: active weights {Size(activeWeights)}") + (model.IsMixtureOfExperts ? I($" ({Count(model.ActiveParameters)} of {Count(model.TotalParameters)} params)") : "")
                + I($" + KV cache {Size(kv)} = {Size(stepBytes)} read ÷ ({tp} × {gpu.BandwidthGBps:0.###} GB/s) = {stepSeconds * 1000:0.###} ms; {request.ConcurrentSequences} sequence(s) ÷ {stepSeconds * 1000:0.###} ms = {tokensPerSecond:0.#} tokens/s")
                + " (an upper bound: every weight and the whole KV cache, at full context, read once per step at peak bandwidth; pipeline stages run one after another).";
            if (model.IsMixtureOfExperts && request.ConcurrentSequences > 1)
                warnings.Add(PlanNote.Of("MoeDecodeOptimistic", $"With several sequences a decode step routes to more experts than one token's top-k, so it reads more than the active weights: the decode bound is optimistic."));
        }

        if (training && used > 1)
            warnings.Add(PlanNote.Of("TrainingSharded", $"Training memory is split evenly across the devices, which assumes the model states are sharded (DeepSpeed ZeRO-3 / FSDP, or tensor parallelism); plain data parallelism keeps a full copy on every GPU."));
        if (gpu.Uncertain.Count > 0)
            warnings.Add(PlanNote.Of("GpuFiguresUncertain", $"{gpu.Name}: figures from third-party or conflicting sources ({string.Join(", ", gpu.Uncertain)}); see the source."));
        if ((request.Precision == Precision.Fp8 || request.KvCachePrecision == Precision.Fp8) && !gpu.Fp8 && Fp8AsW8A16.Contains(gpu.Id))
            warnings.Add(PlanNote.Of("Fp8AsW8A16", $"{gpu.Name} has no FP8 units: vLLM runs FP8 checkpoints as W8A16 (Marlin), weights in 1 byte and compute in 16-bit, slower than on Hopper or Ada."));
        if (model.NativePrecision == Precision.Fp8 && request.Precision is Precision.Bf16 or Precision.Fp16 or Precision.Fp32)
            warnings.Add(PlanNote.Of("Fp8CheckpointConversion", $"{model.Name} ships FP8 weights: {request.Precision} needs a converted checkpoint (fp8_cast_bf16.py)."));
        if (request.Mode == PlanMode.Inference && request.Precision is Precision.Int8 or Precision.Int4)
            warnings.Add(PlanNote.Of("QuantisedCheckpointNeeded", $"{request.Precision} serving needs a quantised checkpoint (AWQ/GPTQ for 4-bit, W8A8 or per-channel INT8 for 8-bit); expect some accuracy loss."));
        if (gpu.Id.StartsWith("jetson", StringComparison.Ordinal))
            warnings.Add(PlanNote.Of("JetsonSharedMemory", $"The Jetson's {gpu.MemoryGB:0.###} GB are shared by the operating system, the CPU and the GPU."));

        var planned = request with { GpuCount = count };
        return new Plan(planned, model, gpu, lines, total, perGpu, needed, count, tp, pp, nodes, fits, tokensPerSecond, decodeFormula, warnings, formulas);
    }

    /// <summary>
    /// Copies of the KV cache that <paramref name="tensorParallel"/> ranks hold together: MLA's latent is shared by all
    /// heads, so every rank holds all of it (vLLM and SGLang; why they offer data-parallel attention for DeepSeek);
    /// with fewer KV heads than ranks each KV head is replicated on tensor-parallel ÷ KV-heads ranks; otherwise one.
    /// </summary>
    public static int KvCopies(ModelArchitecture model, int tensorParallel) => model.Attention switch
    {
        AttentionKind.Mla => tensorParallel,
        _ when tensorParallel > model.KeyValueHeads => tensorParallel / model.KeyValueHeads,
        _ => 1,
    };

    private static MemoryLine WithCopies(MemoryLine line, int copies, ModelArchitecture model, int tp) => copies == 1 ? line : line with
    {
        Bytes = line.Bytes * copies,
        Formula = line.Formula + I($" × {copies} copies = {Size(line.Bytes * copies)}"),
        Notes = [.. line.Notes, model.Attention == AttentionKind.Mla
            ? PlanNote.Of("NoteKvCopiesMla", $"MLA's latent is shared by all heads, so each of the {tp} tensor-parallel ranks holds all of it (data-parallel attention avoids the copies).")
            : PlanNote.Of("NoteKvCopiesHeads", $"{model.KeyValueHeads} KV heads over {tp} tensor-parallel ranks: each KV head is replicated {copies}×.")],
    };

    /// <summary>Elements one token adds to the KV cache over all layers (DeepSeek-V2 paper, Table 1).</summary>
    public static long KvElementsPerToken(ModelArchitecture model) => model.Attention switch
    {
        AttentionKind.Mla => (long)(model.KvLoraRank!.Value + (model.QkRopeHeadDim ?? 0)) * model.Layers,
        _ => 2L * model.KeyValueHeads * model.HeadDim * model.Layers,
    };

    /// <summary>Bytes one stored value of <paramref name="precision"/> takes, scales not included.</summary>
    public static double ElementBytes(Precision precision) => precision switch
    {
        Precision.Fp32 => 4,
        Precision.Bf16 or Precision.Fp16 => 2,
        Precision.Fp8 or Precision.Int8 => 1,
        Precision.Int4 => 0.5,
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    /// <summary>Parameters of the embedding table and the output head (2·V·h), which quantised formats keep in 16-bit.</summary>
    internal static double EmbeddingParameters(ModelArchitecture model) =>
        Math.Min((double)model.TotalParameters, 2.0 * model.VocabSize * model.HiddenSize);

    /// <summary>Weight bytes of <paramref name="model"/> at <paramref name="precision"/> (QLoRA: NF4) and the formula.</summary>
    internal static (double Bytes, string Formula, PlanNote? Note) WeightBytes(ModelArchitecture model, Precision precision, PlanMode mode)
    {
        double p = model.TotalParameters;
        if (mode == PlanMode.QLora)
        {
            double e = EmbeddingParameters(model), quantised = p - e;
            double perParam = 0.5 + Nf4ConstantBytesPerParameter;
            double bytes = quantised * perParam + e * 2;
            return (bytes, I($"({Count(quantised)} params × (0.5 + 0.127/8) B NF4 with double-quantised constants) + {Count(e)} embedding/head params × 2 B = {Size(bytes)}"),
                PlanNote.Of("NoteWeightsNf4", $"QLoRA (arXiv 2305.14314): NF4 base, the embeddings and head stay 16-bit."));
        }
        switch (precision)
        {
            case Precision.Fp32 or Precision.Bf16 or Precision.Fp16:
            {
                double b = ElementBytes(precision), bytes = p * b;
                return (bytes, I($"{Count(p)} params × {b} B = {Size(bytes)}"), null);
            }
            default:
            {
                double e = EmbeddingParameters(model), quantised = p - e;
                (double perParam, string text, PlanNote note) = precision switch
                {
                    Precision.Fp8 => (1 + Fp8ScaleBytesPerParameter, "(1 + 4/16384) B (FP8 with one fp32 scale per 128×128 block)", PlanNote.Of("NoteWeightsFp8", $"FP8 as DeepSeek-V3 ships it: block-scaled linear layers, BF16 embeddings and head.")),
                    Precision.Int8 => (1 + 2.0 / model.HiddenSize, I($"(1 + 2/{model.HiddenSize}) B (INT8 with an fp16 scale per output channel)"), PlanNote.Of("NoteWeightsInt8", $"Per-channel INT8 linear layers; embeddings and head stay 16-bit.")),
                    _ => (0.5 + Int4ScaleBytesPerParameter, "(0.5 + 4/128) B (INT4 with an fp16 scale and zero per group of 128)", PlanNote.Of("NoteWeightsInt4", $"Group-128 INT4 (AWQ/GPTQ) linear layers; embeddings and head stay 16-bit.")),
                };
                double bytes = quantised * perParam + e * 2;
                return (bytes, I($"{Count(quantised)} params × {text} + {Count(e)} embedding/head params × 2 B = {Size(bytes)}"), note);
            }
        }
    }

    private static MemoryLine Weights(PlanRequest request, ModelArchitecture model, Dictionary<string, string> formulas)
    {
        var (bytes, formula, note) = WeightBytes(model, request.Precision, request.Mode);
        formulas["parameters"] = I($"{model.TotalParameters:N0} total, {model.ActiveParameters:N0} active per token") + (model.ParametersApproximate ? " (published rounding)" : " (counted from the config)");
        return new MemoryLine("weights", bytes, formula, note is null ? null : [note]);
    }

    private static MemoryLine KvCache(PlanRequest request, ModelArchitecture model)
    {
        if (request.Mode != PlanMode.Inference)
            return new MemoryLine("kvCache", 0, "training keeps no KV cache: 0 B", [PlanNote.Of("NoteKvTraining", $"Keys and values of a training step are part of the activations.")]);
        long elements = KvElementsPerToken(model);
        var precision = request.KvCachePrecision ?? Precision.Bf16;
        double b = ElementBytes(precision);
        double bytes = elements * b * request.ContextLength * (double)request.ConcurrentSequences;
        string perToken = model.Attention switch
        {
            AttentionKind.Mla => I($"MLA (d_c {model.KvLoraRank} + d_h^R {model.QkRopeHeadDim}) × {model.Layers} layers"),
            AttentionKind.Gqa => I($"GQA 2 × {model.KeyValueHeads} KV heads × {model.HeadDim} × {model.Layers} layers"),
            _ => I($"MHA 2 × {model.KeyValueHeads} heads × {model.HeadDim} × {model.Layers} layers"),
        };
        return new MemoryLine("kvCache", bytes,
            I($"{perToken} = {elements:N0} elements/token × {b} B = {elements * b:N0} B/token × {request.ContextLength:N0} tokens × {request.ConcurrentSequences} sequence(s) = {Size(bytes)}"),
            [PlanNote.Of("NoteKvPrecision", $"KV cache in {precision}; every sequence at its full context.")]);
    }

    /// <summary>Inference: one layer's transient working set for a prefill chunk, plus the logits; training: Korthikanti et al.</summary>
    private static MemoryLine Activations(PlanRequest request, ModelArchitecture model, Dictionary<string, string> formulas)
    {
        double h = model.HiddenSize, v = model.VocabSize;
        if (request.Mode == PlanMode.Inference)
        {
            double tokens = Math.Min((double)request.ContextLength * request.ConcurrentSequences, PrefillChunkTokens);
            double qWidth = model.AttentionHeads * (model.HeadDim + (model.QkRopeHeadDim ?? 0));
            double kvWidth = model.Attention == AttentionKind.Mla
                ? model.AttentionHeads * (2.0 * model.HeadDim + (model.QkRopeHeadDim ?? 0))
                : 2.0 * model.KeyValueHeads * model.HeadDim;
            double perToken = 4 * h + qWidth + kvWidth + 3.0 * model.IntermediateSize;
            double layer = tokens * perToken * 2;
            double logits = request.ConcurrentSequences * v * 4;
            double bytes = layer + logits;
            return new MemoryLine("activations", bytes,
                I($"{tokens:N0} prefill tokens × (4 × {h} + q {qWidth} + k,v {kvWidth} + 3 × {model.IntermediateSize} MLP) × 2 B = {Size(layer)} + logits {request.ConcurrentSequences} × {v:N0} × 4 B = {Size(logits)}; total {Size(bytes)}"),
                [PlanNote.Of("NoteActivationsInference", $"One layer's transient working set (residual, norm, q/k/v, attention output, gate/up/product of the MLP) for a prefill chunk of at most {PrefillChunkTokens} tokens, with flash attention (no score matrix), plus fp32 logits of each sequence's last position; layers run one after another, so only one layer's is live.")]);
        }

        double s = request.ContextLength, b = request.ConcurrentSequences, a = model.AttentionHeads, l = model.Layers;
        double perLayer = s * b * h * (34 + 5 * a * s / h);
        double logitsBytes = s * b * v * 8;
        double without = l * perLayer + logitsBytes;
        double with = l * 2 * s * b * h + perLayer + logitsBytes;
        string withoutText = I($"{l} layers × s·b·h·(34 + 5·a·s/h) = {l} × {s} × {b} × {h} × (34 + 5 × {a} × {s}/{h}) B = {Size(l * perLayer)} + logits s·b·V × 8 B = {Size(logitsBytes)}; total {Size(without)}");
        string withText = I($"{l} layers × 2·s·b·h = {Size(l * 2 * s * b * h)} + one layer recomputed {Size(perLayer)} + logits {Size(logitsBytes)}; total {Size(with)}");
        formulas["activationsWithoutCheckpointing"] = withoutText;
        formulas["activationsWithCheckpointing"] = withText;
        PlanNote[] note =
        [
            PlanNote.Of("NoteActivationsTraining", $"Korthikanti et al. 2022 (arXiv 2205.05198), 16-bit activations, GPT block with a 4h MLP; logits and their gradient in fp32."),
            request.ActivationCheckpointing
                ? PlanNote.Of("NoteActivationsWithoutCheckpointing", $"Full checkpointing keeps each layer's input; without it: {Size(without)}.")
                : PlanNote.Of("NoteActivationsWithCheckpointing", $"With full checkpointing it would be {Size(with)}."),
            PlanNote.Of("NoteActivationsFlashBound", $"Flash attention does not store the 5·a·s/h score term, so this is an upper bound for long contexts."),
        ];
        return new MemoryLine("activations", request.ActivationCheckpointing ? with : without, request.ActivationCheckpointing ? withText : withoutText, note);
    }

    private static IEnumerable<MemoryLine> TrainingState(PlanRequest request, ModelArchitecture model)
    {
        double p = model.TotalParameters;
        switch (request.Mode)
        {
            case PlanMode.FullFineTune:
            {
                bool fp32 = request.Precision == Precision.Fp32;
                double gradientBytes = fp32 ? 4 : 2, optimizerBytes = fp32 ? 8 : 12;
                yield return new MemoryLine("gradients", p * gradientBytes, I($"{Count(p)} params × {gradientBytes} B = {Size(p * gradientBytes)}"),
                    [fp32 ? PlanNote.Of("NoteGradientsFp32", $"fp32 gradients.") : PlanNote.Of("NoteGradients16", $"16-bit gradients (mixed precision, ZeRO's accounting).")]);
                yield return new MemoryLine("optimizer", p * optimizerBytes,
                    fp32 ? I($"{Count(p)} params × (m 4 + v 4) B = {Size(p * optimizerBytes)}")
                         : I($"{Count(p)} params × (fp32 master 4 + m 4 + v 4) B = {Size(p * optimizerBytes)}"),
                    [PlanNote.Of("NoteOptimizerAdamW", $"AdamW, mixed precision: 16 B/param in all with the weights and gradients (ZeRO, arXiv 1910.02054); Hugging Face's \"Anatomy of Model's Memory\" counts 18 (fp32 gradients and both weight copies).")]);
                yield break;
            }
            case PlanMode.Lora or PlanMode.QLora:
            {
                var (perLayer, text) = AdapterWidthPerLayer(model);
                double r = request.LoraRank;
                double adapterParams = r * perLayer * model.Layers;
                double bytes = adapterParams * 16;
                yield return new MemoryLine("adapters", bytes,
                    I($"r {r} × ({text}) × {model.Layers} layers = {Count(adapterParams)} params × (fp32 weight 4 + gradient 4 + AdamW 8) B = {Size(bytes)}"),
                    [PlanNote.Of("NoteAdaptersLora", $"LoRA (arXiv 2106.09685) on every attention and MLP projection: r·(in + out) each; MoE layers counted as one MLP of the dense width (routed experts get no adapters). The frozen base has no gradients or optimizer state.")]);
                yield break;
            }
        }
    }

    /// <summary>Σ (in + out) over a layer's attention and MLP projections.</summary>
    private static (double Width, string Text) AdapterWidthPerLayer(ModelArchitecture m)
    {
        double h = m.HiddenSize, i = m.IntermediateSize, d = m.HeadDim, heads = m.AttentionHeads, mlp = 3 * (h + i);
        if (m.Attention == AttentionKind.Mla)
        {
            double rope = m.QkRopeHeadDim ?? 0, c = m.KvLoraRank ?? 0;
            double q = h + heads * (d + rope), kvA = h + c + rope, kvB = c + heads * 2 * d, o = heads * d + h;
            return (q + kvA + kvB + o + mlp, I($"q {q} + kv_a {kvA} + kv_b {kvB} + o {o} + MLP 3 × {h + i}"));
        }
        double qo = h + heads * d, kv = h + m.KeyValueHeads * d;
        return (2 * qo + 2 * kv + mlp, I($"q,o 2 × {qo} + k,v 2 × {kv} + MLP 3 × {h + i}"));
    }

    private static void Validate(PlanRequest request, ModelArchitecture model, GpuSpec gpu)
    {
        var errors = new Dictionary<string, List<PlanNote>>();
        void Fail(string field, PlanNote message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (!string.Equals(request.ModelId, model.Id, StringComparison.OrdinalIgnoreCase))
            Fail(nameof(PlanRequest.ModelId), PlanNote.Of("ErrModelIdMismatch", $"ModelId '{request.ModelId}' does not name the model planned ('{model.Id}')."));
        if (!string.Equals(request.GpuId, gpu.Id, StringComparison.OrdinalIgnoreCase))
            Fail(nameof(PlanRequest.GpuId), PlanNote.Of("ErrGpuIdMismatch", $"GpuId '{request.GpuId}' does not name the device planned ('{gpu.Id}')."));
        if (request.ContextLength <= 0)
            Fail(nameof(PlanRequest.ContextLength), PlanNote.Of("ErrContextTooShort", $"ContextLength must be at least 1 token (was {request.ContextLength}); {model.Name} allows up to {model.MaxContext:N0}."));
        else if (request.ContextLength > model.MaxContext)
            Fail(nameof(PlanRequest.ContextLength), PlanNote.Of("ErrContextTooLong", $"ContextLength {request.ContextLength:N0} exceeds {model.Name}'s maximum context of {model.MaxContext:N0} tokens; expected 1 … {model.MaxContext:N0}."));
        if (request.ConcurrentSequences <= 0)
            Fail(nameof(PlanRequest.ConcurrentSequences), PlanNote.Of("ErrSequencesTooFew", $"ConcurrentSequences must be at least 1 (was {request.ConcurrentSequences})."));
        if (request.GpuCount is int count && count <= 0)
            Fail(nameof(PlanRequest.GpuCount), PlanNote.Of("ErrGpuCountTooFew", $"GpuCount must be at least 1, or empty for the fewest devices that hold the plan (was {count})."));
        if (!Enum.IsDefined(request.Precision))
            Fail(nameof(PlanRequest.Precision), PlanNote.Of("ErrPrecisionUnknown", $"Precision {(int)request.Precision} is not one of FP32, BF16, FP16, FP8, INT8, INT4."));
        if (!Enum.IsDefined(request.Mode))
            Fail(nameof(PlanRequest.Mode), PlanNote.Of("ErrModeUnknown", $"Mode {(int)request.Mode} is not one of Inference, FullFineTune, Lora, QLora."));
        if (request.KvCachePrecision is Precision kv && !Enum.IsDefined(kv))
            Fail(nameof(PlanRequest.KvCachePrecision), PlanNote.Of("ErrKvPrecisionUnknown", $"KvCachePrecision {(int)kv} is not one of FP32, BF16, FP16, FP8, INT8, INT4."));

        if (request.Mode is (PlanMode.FullFineTune or PlanMode.Lora) && request.Precision is (Precision.Fp8 or Precision.Int8 or Precision.Int4))
            Fail(nameof(PlanRequest.Precision),
                PlanNote.Of("ErrTrainingPrecision", $"{request.Mode} trains on FP32, BF16 or FP16 weights, not {request.Precision} (the usual training frameworks have no {request.Precision} training path); for a 4-bit base use QLoRA."));
        if (request.Mode == PlanMode.QLora && request.Precision != Precision.Int4)
            Fail(nameof(PlanRequest.Precision), PlanNote.Of("ErrQLoraNeedsInt4", $"QLoRA keeps the base model in 4-bit NF4: choose Int4 (was {request.Precision}); for a 16-bit base use LoRA."));
        if (request.Mode is (PlanMode.Lora or PlanMode.QLora) && request.LoraRank is (< 1 or > 1024))
            Fail(nameof(PlanRequest.LoraRank), PlanNote.Of("ErrLoraRank", $"LoraRank must be between 1 and 1024 (was {request.LoraRank})."));

        if (!gpu.Fp8 && !Fp8AsW8A16.Contains(gpu.Id))
        {
            if (request.Precision == Precision.Fp8)
                Fail(nameof(PlanRequest.Precision), PlanNote.Of("ErrNoFp8", $"{gpu.Name} has no FP8 path (no FP8 units and no W8A16 FP8 kernels); choose BF16, INT8 or INT4, or a GPU with FP8 (H100, H200, H20, L40S, RTX 4090)."));
            if (request.KvCachePrecision == Precision.Fp8)
                Fail(nameof(PlanRequest.KvCachePrecision), PlanNote.Of("ErrNoFp8KvCache", $"{gpu.Name} has no FP8 path for an FP8 KV cache; choose BF16 or FP16."));
        }

        if (errors.Count > 0)
            throw new PlanValidationException(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    /// <summary>The largest power of two ≤ <paramref name="limit"/> that divides <paramref name="heads"/> (at least 1).</summary>
    internal static int LargestPowerOfTwoDividing(int heads, int limit)
    {
        int tp = 1;
        while (tp * 2 <= limit && heads % (tp * 2) == 0) tp *= 2;
        return tp;
    }

    /// <summary>"13.8 GB", "288 MB": decimal units, three significant digits.</summary>
    public static string Size(double bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        int unit = 0;
        double value = bytes;
        while (Math.Abs(value) >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        return Significant(value) + " " + units[unit];
    }

    /// <summary>"6.91e9", "1.1e6", "512": parameter counts as people write them.</summary>
    public static string Count(double value) => value switch
    {
        >= 1e9 => Significant(value / 1e9) + "e9",
        >= 1e6 => Significant(value / 1e6) + "e6",
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };

    private static string Significant(double value)
    {
        if (value == 0) return "0";
        var digits = Math.Max(0, 2 - (int)Math.Floor(Math.Log10(Math.Abs(value))));
        return Math.Round(value, digits).ToString(digits == 0 ? "0" : "0." + new string('#', digits), CultureInfo.InvariantCulture);
    }

    internal static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
