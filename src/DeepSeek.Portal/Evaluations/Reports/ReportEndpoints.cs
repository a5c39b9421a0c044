using System.Security.Claims;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Evaluation.Explanations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>REST for dashboards, comparisons, reports (JSON, CSV, XLSX), targets and explanations: everyone reads; engineers, admins and managers set targets.</summary>
public static class ReportEndpoints
{
    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var evaluations = app.MapGroup("/api/evaluations").WithTags("Evaluation reports").RequireAuthorization(PortalPolicies.Read);

        evaluations.MapGet("/dashboards/{tier:int}", async Task<Results<Ok<DashboardView>, ProblemHttpResult>> (int tier, EvaluationReadService reads, CancellationToken ct) =>
                tier is < 1 or > 3
                    ? Problem("tier", "Expected 1 (basic), 2 (domain) or 3 (business).")
                    : TypedResults.Ok(await reads.DashboardAsync(tier, ct)))
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("GetEvaluationDashboard")
            .WithSummary("A tier's figures over time per target label (scope 'all', finished evaluations), the latest per label against its target, and for tier 3 NPS and task completion from feedback by label and month.");

        evaluations.MapGet("/compare", async Task<Results<Ok<EvaluationComparison>, ProblemHttpResult>> (string? ids, EvaluationReadService reads, CancellationToken ct) =>
            {
                var parsed = ParseIds(ids);
                if (parsed is null)
                    return Problem("ids", $"Expected 2 to {EvaluationReadService.MaxCompared} comma-separated evaluation ids, for example ids=3,5.");
                try
                {
                    return TypedResults.Ok(await reads.CompareAsync(parsed, ct));
                }
                catch (ArgumentException e)
                {
                    return Problem("ids", e.Message[..(e.Message.IndexOf(" (Parameter", StringComparison.Ordinal) is var i and >= 0 ? i : e.Message.Length)]);
                }
            })
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("CompareEvaluations")
            .WithSummary("Evaluations side by side, the first as baseline: each metric and scope with values, deltas and significance (paired bootstrap / exact McNemar when they share a suite version, two-proportion z-test otherwise), and the items whose score changed most.");

        evaluations.MapGet("/{id:int}/report", async Task<Results<Ok<EvaluationReport>, NotFound>> (int id, EvaluationReadService reads, CancellationToken ct) =>
                await reads.ReportAsync(id, ct) is { } report ? TypedResults.Ok(report) : TypedResults.NotFound())
            .WithName("GetEvaluationReport")
            .WithSummary("The stakeholder report: targets met of those judged, each figure with its target, met or missed, and the trend against the previous evaluation of the same target label and suite; NPS and task completion from feedback for the label.");

        evaluations.MapGet("/{id:int}/report.csv", async Task<Results<FileContentHttpResult, NotFound>> (int id, EvaluationReadService reads, ReportText text, CancellationToken ct) =>
                await reads.ReportAsync(id, ct) is { } report
                    ? TypedResults.File(ReportExport.Csv(report, text), "text/csv; charset=utf-8", $"evaluation-{id}-report.csv")
                    : TypedResults.NotFound())
            .WithName("GetEvaluationReportCsv")
            .WithSummary("The report's figures as CSV, UTF-8 with a byte-order mark (Excel opens Chinese correctly); words in the request's language (?culture=zh-Hans), numbers invariant.");

        evaluations.MapGet("/{id:int}/report.xlsx", async Task<Results<FileContentHttpResult, NotFound>> (int id, EvaluationReadService reads, ReportText text, CancellationToken ct) =>
            {
                if (await reads.ReportAsync(id, ct) is not { } report) return TypedResults.NotFound();
                var items = await reads.ItemsAsync(id, ct);
                return TypedResults.File(ReportExport.Xlsx(report, items, text), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"evaluation-{id}-report.xlsx");
            })
            .WithName("GetEvaluationReportXlsx")
            .WithSummary("The report as an Excel workbook: Summary, Metrics (numeric cells) and Items (input, output, references and each score).");

        var targets = app.MapGroup("/api/evaluation-targets").WithTags("Evaluation reports").RequireAuthorization(PortalPolicies.Read);
        targets.MapGet("/", (MetricTargetService service, CancellationToken ct) => service.ListAsync(ct))
            .WithName("ListMetricTargets").WithSummary("Every metric's target (the portal's defaults until changed), with whether lower is better.");
        targets.MapPut("/", async Task<Results<Ok<IReadOnlyList<MetricTargetView>>, ProblemHttpResult>> ([FromBody] Dictionary<string, double>? values, MetricTargetService service, ClaimsPrincipal user, CancellationToken ct) =>
            {
                var (updated, problem) = await service.UpdateAsync(values, user.Identity?.Name, ct);
                return problem is null ? TypedResults.Ok(updated!) : Problem(problem.Field, problem.Message);
            })
            .RequireAuthorization(EvaluationReportsFeature.EditTargetsPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("UpdateMetricTargets")
            .WithSummary("Sets targets: a JSON object of metric → value ({\"bleu\": 35}); others keep theirs. Engineers, admins and managers. A bad entry changes nothing.");

        app.MapPost("/api/explanations", async Task<Results<Ok<TextExplanation>, ProblemHttpResult>> (ExplainRequest? request, CancellationToken ct) =>
            {
                // KernelSHAP evaluates the scorer thousands of times: off the request thread, cancellable before it starts.
                var (explanation, problem) = await Task.Run(() => TextExplainer.Explain(request), ct);
                return problem is null ? TypedResults.Ok(explanation!) : Problem(problem.Field, problem.Message);
            })
            .RequireAuthorization(PortalPolicies.Read)
            .WithTags("Evaluation reports")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("ExplainText")
            .WithSummary("KernelSHAP attributions of a text's score over its characters (Chinese) or words (others), for an in-process scorer: noise_rules (rules fired) or entropy (bits per character).");
        return app;
    }

    private static ProblemHttpResult Problem(string field, string message) =>
        TypedResults.Problem(title: $"Invalid {field}.", detail: message, statusCode: StatusCodes.Status400BadRequest,
            extensions: new Dictionary<string, object?> { ["field"] = field });

    /// <summary>"1,2,3" → [1, 2, 3]; null when empty or not whole numbers.</summary>
    public static IReadOnlyList<int>? ParseIds(string? ids)
    {
        if (string.IsNullOrWhiteSpace(ids)) return null;
        var parts = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var parsed = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id < 1) return null;
            parsed.Add(id);
        }
        return parsed.Count is >= 2 and <= EvaluationReadService.MaxCompared ? parsed : null;
    }
}
