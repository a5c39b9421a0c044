using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Platform;

var builder = WebApplication.CreateBuilder(args);

builder.AddPortalConfiguration();
builder.AddPortalEdge();
builder.AddPortalData();
builder.AddPortalAccounts();
builder.AddPortalTraining();
builder.AddPortalUi();

var app = builder.Build();
app.MapPortal();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
