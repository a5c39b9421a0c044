using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Deployment;
using DeepSeek.Portal.Planning.Estimates;
using PlanEstimator = DeepSeek.Portal.Planning.Estimates.Planner;

namespace DeepSeek.Portal.Planning.Tests.Notes;

/// <summary>
/// Every sentence the planning library can say, found by planning: each catalogue model × precision × mode × device
/// (the GPU catalogue and a CPU) × GPU count (fewest, 3, 1024) × checkpointing (training), 4 sequences, the requests it refuses, and the seed
/// claims. Shared with the portal's tests (linked there), which check a translation exists for each code.
/// </summary>
public static class PlanNoteSweep
{
    /// <summary>A CPU device as the portal describes this machine.</summary>
    public static GpuSpec Cpu { get; } = GpuCatalogue.Cpu(24, 20, "test");

    private static readonly Lazy<IReadOnlyList<PlanNote>> Swept = new(() => [.. Sweep()]);

    /// <summary>Every note of every plan and refusal of the sweep, and of the seed claims (computed once).</summary>
    public static IReadOnlyList<PlanNote> All() => Swept.Value;

    private static IEnumerable<PlanNote> Sweep()
    {
        foreach (var model in ModelCatalogue.All)
        foreach (var gpu in GpuCatalogue.All.Append(Cpu))
        foreach (var precision in Enum.GetValues<Precision>())
        foreach (var mode in Enum.GetValues<PlanMode>())
        foreach (int? count in new int?[] { null, 3, 1024 })
        foreach (var checkpointing in mode == PlanMode.Inference ? [true] : new[] { true, false })
        {
            var request = new PlanRequest(model.Id, precision, 4096, 4, mode, gpu.Id, count, checkpointing,
                precision == Precision.Fp8 ? Precision.Fp8 : null);
            foreach (var note in NotesOf(() => PlanEstimator.Compute(request, model, gpu)))
                yield return note;
        }

        var seven = ModelCatalogue.Find("deepseek-llm-7b")!;
        var h200 = GpuCatalogue.Find("h200")!;
        PlanRequest Bad(Func<PlanRequest, PlanRequest> change) => change(new PlanRequest(seven.Id, Precision.Bf16, 4096, 1, PlanMode.Inference, h200.Id));
        PlanRequest[] refused =
        [
            Bad(r => r with { ModelId = "deepseek-v2", GpuId = "h20" }),
            Bad(r => r with { ContextLength = 0, ConcurrentSequences = 0, GpuCount = 0 }),
            Bad(r => r with { ContextLength = seven.MaxContext + 1 }),
            Bad(r => r with { Precision = (Precision)42, Mode = (PlanMode)42, KvCachePrecision = (Precision)42 }),
            Bad(r => r with { Mode = PlanMode.Lora, LoraRank = 0, Precision = Precision.Int4 }),
            Bad(r => r with { Mode = PlanMode.QLora }),
        ];
        foreach (var request in refused)
        foreach (var note in NotesOf(() => PlanEstimator.Compute(request, seven, h200)))
            yield return note;
        foreach (var note in NotesOf(() => PlanEstimator.Compute(new PlanRequest("no-such-model", Precision.Bf16, 4096, 1, PlanMode.Inference, "no-such-gpu"))))
            yield return note;

        // The deployment library's shared field checks, through the serving files.
        var spec = new ServingSpec(ServingEngine.Vllm, "deepseek-ai/DeepSeek-V3", "v3", 8, 1, 8, 4096, null, 8000, "vllm/vllm-openai:v0.10.2", null, null);
        ServingSpec[] badSpecs =
        [
            spec with { Port = 0 },
            spec with { Image = "" },
            spec with { Image = "vllm latest" },
            spec with { HostModelPath = "/srv/../etc" },
            spec with { HostModelPath = "/srv/models:rw" },
            spec with { ServedName = "" },
            spec with { ServedName = "Not A Label" },
            spec with { ServedName = "7b" },
        ];
        foreach (var bad in badSpecs)
        {
            PlanNote? note = null;
            try
            {
                ServingArtefacts.Compose(bad);
            }
            catch (SpecFieldException e)
            {
                note = e.Note;
            }
            yield return note ?? throw new InvalidOperationException($"{bad} was not refused by a shared check.");
        }

        // The training launch's master address, which the planner page's training form lets people type.
        SpecFieldException? masterAddress = null;
        try
        {
            TrainingLaunch.Bundle(new TrainingLaunchSpec(TrainingFramework.DeepSpeed, "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
                Nodes: 2, GpusPerNode: 8, MasterAddress: "10.0.0.1; rm -rf /", MasterPort: 29500, SocketInterface: null, InfiniBand: false,
                ZeroStage: 3, Lora: false, LoraRank: 16, LoraAlpha: 32, LearningRate: 2e-5, Epochs: 3, MicroBatchSize: 8,
                GradientAccumulationSteps: 4, SequenceLength: 4096, Bf16: true, DatasetName: "support", DatasetFile: "support.json",
                DatasetFormat: "alpaca", Image: "deepspeed/deepspeed:v0.16.4-torch2.4-cuda12.1"));
        }
        catch (SpecFieldException e)
        {
            masterAddress = e;
        }
        yield return masterAddress?.Note ?? throw new InvalidOperationException("A bad master address was not refused.");

        foreach (var claim in PlanEstimator.SeedClaims())
        {
            yield return claim.Computation;
            yield return claim.Verdict;
        }
    }

    /// <summary>The notes of a plan (warnings, memory notes) or of its refusal (field errors).</summary>
    public static IEnumerable<PlanNote> NotesOf(Func<Plan> plan)
    {
        Plan computed;
        try
        {
            computed = plan();
        }
        catch (PlanValidationException e)
        {
            return e.Notes.Values.SelectMany(v => v).ToList();
        }
        return [.. computed.Warnings, .. computed.Memory.SelectMany(l => l.Notes)];
    }
}
