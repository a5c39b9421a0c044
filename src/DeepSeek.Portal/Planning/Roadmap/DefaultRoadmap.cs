using DeepSeek.Portal.Evaluation.Scoring;
using DeepSeek.Portal.Evaluations.Reports;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>
/// The roadmap the portal starts with, from the seed guide's plan: its conclusion asks for a phased implementation
/// roadmap run by a cross-functional team (technical team, business departments, data engineers), and its sections give
/// the phases — a pilot on the recommended hardware (§1), domain data feeding (§2), private deployment (§4.1), edge
/// rollout (§4.2) and the data–model closed loop of continuous optimisation (§5). Gates use the three-tier evaluation of
/// §3.2 (perplexity and BLEU; domain F1 and accuracy; NPS and task completion) with the portal's default targets
/// (<see cref="MetricTargetDefaults"/>): the seed names the metrics but gives no target for them. Its other numbers
/// (latency &lt; 150 ms, ≥ 120 QPS, INT8 accuracy loss ≤ 3 %) are not evaluation metrics and stay in the notes.
/// Dates are weeks from the first start; everything is an ordinary row, editable and deletable like any other.
/// </summary>
public static class DefaultRoadmap
{
    /// <summary>Who the default roadmap's change records name.</summary>
    public const string SystemUser = "system";

    private const string MlTeam = "ML engineering 算法团队";
    private const string DataTeam = "Data engineering 数据工程";
    private const string TechTeam = "Technical team 技术团队";
    private const string Business = "Business 业务部门";

    internal sealed record GateSeed(string Metric, string Scope = "all");
    internal sealed record MilestoneSeed(string Title, string TitleZh, string Owner, int StartWeek, int Weeks, string? Notes, string? NotesZh, params GateSeed[] Gates);
    internal sealed record PhaseSeed(string Name, string NameZh, string Description, string DescriptionZh, params MilestoneSeed[] Milestones);

    internal static readonly PhaseSeed[] Phases =
    [
        new("Pilot validation", "试点验证", "Prove one business scenario on a single server before committing hardware (seed §1, conclusion).",
            "在投入硬件之前，先在单台服务器上验证一个业务场景（原文第 1 节、结论）。",
            new("Pilot environment ready", "试点环境就绪", TechTeam, 0, 3,
                "Hardware from the planner's estimate (the seed's \"4×A100 80 GB ≈ 13B in FP16\" is checked there); serving stack installed.",
                "硬件按部署规划的估算配置（原文“4×A100 80GB 以 FP16 约可加载 13B 参数”的说法在那里核对）；推理服务栈已安装。"),
            new("Pilot model baseline evaluated", "试点模型基线评估", MlTeam, 3, 3, "Three-tier evaluation of the base model on the pilot suite (seed §3.2).", "在试点评估集上对基座模型做三层评估（原文第 3.2 节）。",
                new GateSeed(MetricNames.Perplexity), new GateSeed(MetricNames.Bleu)),
            new("Pilot sign-off by the business", "业务部门试点验收", Business, 6, 2, "Business owners try the pilot and decide on the next phase.", "业务负责人试用试点系统，并决定是否进入下一阶段。",
                new GateSeed(MetricNames.TaskCompletion))),
        new("Domain data feeding", "领域数据投喂", "Collect, clean and feed domain data; fine-tune with dynamic source weighting (seed §2).", "采集、清洗并投喂领域数据；按数据源动态加权进行微调（原文第 2 节）。",
            new("Domain corpus collected and cleaned", "领域语料采集与清洗", DataTeam, 8, 4,
                "Seed §2.1: domain relevance, entropy and noise filters; versioned datasets in the portal.",
                "原文第 2.1 节：领域相关度、信息熵与噪声过滤；在门户中形成带版本的数据集。"),
            new("Domain fine-tune", "领域微调", MlTeam, 12, 4, "Seed §2.2: dynamic weights over sources; compare against the pilot baseline.", "原文第 2.2 节：多数据源动态加权；与试点基线对比。",
                new GateSeed(MetricNames.F1, "slice:domain"), new GateSeed(MetricNames.Accuracy, "slice:domain")),
            new("Robustness on the adversarial set", "对抗测试集鲁棒性", MlTeam, 16, 2, "Seed §3.2: 20 % adversarial items with noise and abnormal inputs.", "原文第 3.2 节：20% 的对抗样本，包含噪声与异常输入。",
                new GateSeed(MetricNames.RobustnessDrop))),
        new("Private deployment", "私有化部署", "Serve the tuned model on the organisation's own cluster (seed §4.1).", "在组织自有集群上部署调优后的模型（原文第 4.1 节）。",
            new("Production cluster and security hardening", "生产集群与安全加固", TechTeam, 18, 4,
                "Seed §4.1: multi-GPU nodes, RoCE, SM4 encryption, TEE; latency < 150 ms and ≥ 120 QPS are load-test targets, not evaluation metrics.",
                "原文第 4.1 节：多 GPU 节点、RoCE、SM4 加密、TEE；延迟 < 150 毫秒与 ≥ 120 QPS 是压测目标，不是评估指标。"),
            new("Model served at the planned tensor-parallel size", "按规划张量并行度上线服务", TechTeam, 22, 3,
                "vLLM or SGLang from the planner's files; the endpoint registered for evaluation.", "按部署规划生成的文件以 vLLM 或 SGLang 提供服务；端点已注册用于评估。",
                new GateSeed(MetricNames.Bleu), new GateSeed(MetricNames.F1, "slice:domain")),
            new("Production acceptance", "生产验收", Business, 25, 2, "Business departments accept the private deployment.", "业务部门验收私有化部署。",
                new GateSeed(MetricNames.TaskCompletion))),
        new("Edge rollout", "边缘部署", "Distil and quantise for edge devices (seed §4.2).", "面向边缘设备进行蒸馏与量化（原文第 4.2 节）。",
            new("Distilled INT4 edge model", "蒸馏与INT4量化边缘模型", MlTeam, 27, 4,
                "Seed §4.2: knowledge distillation and INT4 with dynamic range; quality measured, not assumed.",
                "原文第 4.2 节：知识蒸馏与动态范围 INT4 量化；质量以实测为准，而非假定。",
                new GateSeed(MetricNames.Perplexity), new GateSeed(MetricNames.F1, "slice:domain")),
            new("Field trial on Jetson AGX Orin", "Jetson AGX Orin 现场试运行", TechTeam, 31, 4, "Power and speed on the device against the server model.", "在设备上对比服务器模型的功耗与速度。",
                new GateSeed(MetricNames.TaskCompletion))),
        new("Continuous optimisation", "持续优化", "The data–model closed loop: monitoring, explanation, new data, weekly incremental training (seed §5).",
            "数据-模型闭环：监控、解释、新数据、每周增量训练（原文第 5 节）。",
            new("Data–model closed loop running", "数据-模型闭环运行", DataTeam, 35, 4,
                "Seed §5: quality monitoring, SHAP-based analysis, generated optimisation datasets, weekly incremental updates.",
                "原文第 5 节：质量监控、基于 SHAP 的分析、生成优化数据集、每周增量更新。"),
            new("User satisfaction targets met", "用户满意度达标", Business, 39, 6, "Seed §3.2 business metrics from user feedback.", "原文第 3.2 节中来自用户反馈的业务指标。",
                new GateSeed(MetricNames.Nps, "feedback"), new GateSeed(MetricNames.TaskCompletion, "feedback"))),
    ];

    /// <summary>
    /// Writes the default roadmap in one transaction when the roadmap has never been written: no phases and no change
    /// records. A roadmap whose owners deleted everything keeps its history, so it is never filled again behind them.
    /// </summary>
    /// <returns>Whether it was written.</returns>
    public static async Task<bool> EnsureAsync(PortalDbContext db, IRoadmapService roadmap, DateOnly today, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await db.RoadmapPhases.AnyAsync(ct) || await db.RoadmapChanges.AnyAsync(ct))
            return false;
        int? previous = null;
        for (var p = 0; p < Phases.Length; p++)
        {
            var seed = Phases[p];
            var phase = await roadmap.CreatePhaseAsync(new PhaseInput(seed.Name, seed.NameZh, p, seed.Description, seed.DescriptionZh), SystemUser, ct);
            foreach (var m in seed.Milestones)
            {
                var start = today.AddDays(7 * m.StartWeek);
                var milestone = await roadmap.CreateMilestoneAsync(
                    new MilestoneInput(phase.Id, m.Title, m.Owner, start, start.AddDays(7 * m.Weeks - 1), TitleZh: m.TitleZh, Notes: m.Notes, NotesZh: m.NotesZh,
                        DependsOn: previous is { } d ? [d] : []), SystemUser, ct);
                foreach (var g in m.Gates)
                    await roadmap.AddGateAsync(milestone.Id, new GateInput(g.Metric, MetricTargetDefaults.Values[g.Metric], g.Scope), SystemUser, ct);
                previous = milestone.Id;
            }
        }
        await transaction.CommitAsync(ct);
        return true;
    }
}

/// <summary>At start-up: the default roadmap on first start, then every gate re-checked (evaluations may have finished while the portal was down).</summary>
internal sealed class RoadmapStartup(IServiceScopeFactory scopes, TimeProvider clock, ILogger<RoadmapStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        // The roadmap is not worth refusing to start over: a failure here is logged and the portal serves the rest.
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var roadmap = scope.ServiceProvider.GetRequiredService<IRoadmapService>();
            if (await DefaultRoadmap.EnsureAsync(db, roadmap, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), ct))
                logger.LogInformation("Roadmap: the default roadmap ({Phases} phases) was created", DefaultRoadmap.Phases.Length);
            await roadmap.RefreshGatesAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Roadmap: the start-up work (default roadmap, gate check) failed");
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
