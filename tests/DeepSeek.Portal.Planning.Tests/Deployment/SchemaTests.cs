using System.Text.Json.Nodes;
using DeepSeek.Portal.Planning.Deployment;
using static DeepSeek.Portal.Planning.Tests.Deployment.GeneratedDocuments;

namespace DeepSeek.Portal.Planning.Tests.Deployment;

/// <summary>The schemas must be able to fail: each breakage of a generated (valid) document is rejected.</summary>
public class SchemaTests
{
    public static TheoryData<string> ComposeBreakages => new()
    {
        "no image", "command as a string", "port with a bad address", "gpu device without capabilities",
        "device count zero", "ports on host networking", "bad restart policy", "healthcheck interval without unit",
        "unknown service key", "read_only as a string",
    };

    [Theory]
    [MemberData(nameof(ComposeBreakages))]
    public void A_broken_compose_file_fails_the_schema(string breakage)
    {
        var spec = ServingArtefactsTests.VllmOneNode;
        var doc = ParseSingleYaml(ServingArtefacts.Compose(spec).Content);
        AssertValid(ComposeSchema, doc);
        var service = doc["services"]![spec.ServedName]!.AsObject();
        switch (breakage)
        {
            case "no image": service.Remove("image"); break;
            case "command as a string": service["command"] = "vllm serve x"; break;
            case "port with a bad address": service["ports"] = new JsonArray("localhost:8000:8000"); break;
            case "gpu device without capabilities": service["deploy"]!["resources"]!["reservations"]!["devices"]![0]!.AsObject().Remove("capabilities"); break;
            case "device count zero": service["deploy"]!["resources"]!["reservations"]!["devices"]![0]!["count"] = 0; break;
            case "ports on host networking": service["network_mode"] = "host"; break;
            case "bad restart policy": service["restart"] = "sometimes"; break;
            case "healthcheck interval without unit": service["healthcheck"]!["interval"] = "30"; break;
            case "unknown service key": service["gpus_count"] = 2; break;
            case "read_only as a string": service["volumes"]![0]!["read_only"] = "yes"; break;
        }
        Assert.NotEmpty(Violations(ComposeSchema, doc));
    }

    public static TheoryData<string> KubernetesBreakages => new()
    {
        "upper-case name", "service name starting with a digit", "gpu limit missing", "gpu limit as text",
        "container without image", "env with value and valueFrom", "secretKeyRef without key", "probe path without slash",
        "emptyDir medium typo", "statefulset without serviceName", "wrong apiVersion", "unknown container key", "port too high",
        "volume with two sources",
    };

    [Theory]
    [MemberData(nameof(KubernetesBreakages))]
    public void A_broken_kubernetes_document_fails_the_schema(string breakage)
    {
        var docs = ParseYaml(ServingArtefacts.Kubernetes(breakage == "statefulset without serviceName"
            ? ServingArtefactsTests.VllmTwoNodes : ServingArtefactsTests.VllmOneNode).Content);
        foreach (var d in docs) AssertValid(KubernetesSchema, d);
        var workload = docs.First(d => (string)d["kind"]! != "Service");
        var service = docs.Last();
        var container = workload["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();
        JsonObject target = workload;
        switch (breakage)
        {
            case "upper-case name": workload["metadata"]!["name"] = "R1-Distill"; break;
            case "service name starting with a digit": service["metadata"]!["name"] = "7b-model"; target = service; break;
            case "gpu limit missing": container["resources"]!["limits"]!.AsObject().Remove("nvidia.com/gpu"); break;
            case "gpu limit as text": container["resources"]!["limits"]!["nvidia.com/gpu"] = "two"; break;
            case "container without image": container.Remove("image"); break;
            case "env with value and valueFrom": container["env"]!.AsArray().Last()!["value"] = "sk-literal"; break;
            case "secretKeyRef without key": container["env"]!.AsArray().Last()!["valueFrom"]!["secretKeyRef"]!.AsObject().Remove("key"); break;
            case "probe path without slash": container["readinessProbe"]!["httpGet"]!["path"] = "health"; break;
            case "emptyDir medium typo": workload["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Last()!["emptyDir"]!["medium"] = "memory"; break;
            case "statefulset without serviceName": workload["spec"]!.AsObject().Remove("serviceName"); break;
            case "wrong apiVersion": workload["apiVersion"] = "v1"; break;
            case "unknown container key": container["gpus"] = 2; break;
            case "port too high": service["spec"]!["ports"]![0]!["port"] = 70000; target = service; break;
            case "volume with two sources":
                workload["spec"]!["template"]!["spec"]!["volumes"]![0]!["emptyDir"] = new JsonObject(); break;
        }
        Assert.NotEmpty(Violations(KubernetesSchema, target));
    }
}
