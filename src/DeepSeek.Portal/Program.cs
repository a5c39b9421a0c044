using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Platform;
using DeepSeek.Portal.Training;

var builder = WebApplication.CreateBuilder(args);

// Platform: settings, data directory, database.
builder.AddPortalConfiguration();
builder.AddPortalEdge();
builder.AddPortalPersistence();
// Features, each a folder with its endpoints, service, jobs and start-up work.
builder.AddPortalAccounts();
builder.AddPortalDatasets();
builder.AddPortalTraining();
// After the features: the scheduler composes their jobs' settings; the UI hosts their pages.
builder.AddPortalScheduler();
builder.AddPortalUi();

var app = builder.Build();
app.UsePortalPipeline();
app.MapPortalAccounts();
app.MapPortalDatasets();
app.MapPortalTraining();
app.MapPortalUi();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
