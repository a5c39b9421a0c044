using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Datasets.Cli;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Evaluations.Cli;
using DeepSeek.Portal.Evaluations.Reports;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Planning;
using DeepSeek.Portal.Planning.Planner.Cli;
using DeepSeek.Portal.Platform;
using DeepSeek.Portal.Training;

// `data …` is the command line over the same services and database (Datasets/Cli); `eval …` scores files and runs
// suites over the evaluation libraries (Evaluations/Cli); `plan …` is the deployment planner (Planning/Planner/Cli);
// anything else starts the portal.
if (DataCommandLine.Handles(args))
    return await DataCommandLine.RunAsync(args);
if (EvaluationCommandLine.Handles(args))
    return await EvaluationCommandLine.RunAsync(args);
if (PlanCommandLine.Handles(args))
    return await PlanCommandLine.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);

// Platform: settings, data directory, database.
builder.AddPortalConfiguration();
builder.AddPortalEdge();
builder.AddPortalPersistence();
// Features, each a folder with its endpoints, service, jobs and start-up work.
builder.AddPortalAccounts();
builder.AddPortalDatasets();
builder.AddPortalTraining();
builder.AddPortalModels();
builder.AddPortalEvaluations();
builder.AddPortalEvaluationReports();
builder.AddPortalPlanning();
// After the features: the scheduler composes their jobs' settings; the UI hosts their pages.
builder.AddPortalScheduler();
builder.AddPortalUi();

var app = builder.Build();
app.UsePortalPipeline();
app.MapPortalAccounts();
app.MapPortalDatasets();
app.MapPortalTraining();
app.MapPortalModels();
app.MapPortalEvaluations();
app.MapPortalEvaluationReports();
app.MapPortalPlanning();
app.MapPortalUi();
app.Run();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
