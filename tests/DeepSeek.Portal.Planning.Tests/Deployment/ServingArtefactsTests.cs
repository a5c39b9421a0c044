using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Planning.Deployment;
using static DeepSeek.Portal.Planning.Tests.Deployment.GeneratedDocuments;

namespace DeepSeek.Portal.Planning.Tests.Deployment;

public class ServingArtefactsTests
{
    internal static readonly ServingSpec VllmOneNode = new(ServingEngine.Vllm, "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "r1-distill-32b",
        TensorParallel: 2, PipelineParallel: 1, GpusPerNode: 2, MaxModelLength: 32768, Quantization: null, Port: 8000,
        Image: "vllm/vllm-openai:v0.11.0", HostModelPath: "/srv/models/r1-distill-32b", ApiKeySecretName: "deepseek-api-key");

    internal static readonly ServingSpec SglangOneNode = new(ServingEngine.Sglang, "deepseek-ai/DeepSeek-V3", "deepseek-v3",
        TensorParallel: 8, PipelineParallel: 1, GpusPerNode: 8, MaxModelLength: 16384, Quantization: null, Port: 30000,
        Image: "lmsysorg/sglang:v0.5.4", HostModelPath: null, ApiKeySecretName: "deepseek-api-key");

    internal static readonly ServingSpec VllmTwoNodes = VllmOneNode with
    {
        Model = "deepseek-ai/DeepSeek-V3", ServedName = "deepseek-v3-pp", TensorParallel = 8, GpusPerNode = 8, PipelineParallel = 2,
        Quantization = "fp8", HostModelPath = "/srv/models/deepseek-v3",
    };

    internal static readonly ServingSpec SglangTwoNodes = SglangOneNode with { PipelineParallel = 2, ApiKeySecretName = null };

    public static TheoryData<string> SpecNames => new() { "vllm-1", "sglang-1", "vllm-2", "sglang-2" };

    internal static ServingSpec Spec(string name) => name switch
    {
        "vllm-1" => VllmOneNode,
        "sglang-1" => SglangOneNode,
        "vllm-2" => VllmTwoNodes,
        "sglang-2" => SglangTwoNodes,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(SpecNames))]
    public void Compose_parses_and_matches_the_compose_schema(string name)
    {
        var file = ServingArtefacts.Compose(Spec(name));
        Assert.Equal("compose.yaml", file.Path);
        var doc = ParseSingleYaml(file.Content);
        AssertValid(ComposeSchema, doc);
        Assert.StartsWith("# Docker Compose file generated", file.Content);
    }

    [Theory]
    [MemberData(nameof(SpecNames))]
    public void Kubernetes_documents_parse_and_match_the_kubernetes_schema(string name)
    {
        var spec = Spec(name);
        var docs = ParseYaml(ServingArtefacts.Kubernetes(spec).Content);
        var kinds = docs.Select(d => (string)d["kind"]!).ToList();
        Assert.Equal(spec.PipelineParallel == 1 ? ["Deployment", "Service"] : ["Service", "StatefulSet", "StatefulSet", "Service"], kinds);
        foreach (var doc in docs)
        {
            AssertValid(KubernetesSchema, doc);
            if ((string)doc["kind"]! == "Service") continue;
            // What the API server checks beyond the schema: the selector picks the template, every mount has a volume.
            var selector = doc["spec"]!["selector"]!["matchLabels"]!.AsObject();
            var labels = doc["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
            foreach (var (k, v) in selector) Assert.Equal((string)v!, (string)labels[k]!);
            var volumes = doc["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Select(v => (string)v!["name"]!).ToHashSet();
            foreach (var mount in doc["spec"]!["template"]!["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray())
                Assert.Contains((string)mount!["name"]!, volumes);
        }
        var apiService = docs.Last();
        var served = docs.Single(d => (string)d["kind"]! != "Service" && (string)d["metadata"]!["labels"]!["app.kubernetes.io/component"]! != "worker");
        foreach (var (k, v) in apiService["spec"]!["selector"]!.AsObject())
            Assert.Equal((string)v!, (string)served["spec"]!["template"]!["metadata"]!["labels"]![k]!);
    }

    [Fact]
    public void Vllm_compose_serves_at_the_planned_tensor_parallel_size_without_an_inline_key()
    {
        var spec = VllmOneNode;
        var file = ServingArtefacts.Compose(spec);
        var service = ParseSingleYaml(file.Content)["services"]![spec.ServedName]!.AsObject();
        var argv = Argv(service, "entrypoint", "command");

        Assert.Equal(["vllm", "serve", "/models/r1-distill-32b"], argv.Take(3));
        Assert.Equal(spec.TensorParallel.ToString(), Flag(argv, "--tensor-parallel-size"));
        Assert.Equal(spec.ServedName, Flag(argv, "--served-model-name"));
        Assert.Equal("32768", Flag(argv, "--max-model-len"));
        Assert.Equal("0.0.0.0", Flag(argv, "--host"));
        Assert.Equal("8000", Flag(argv, "--port"));
        Assert.Contains("--trust-remote-code", argv);
        Assert.DoesNotContain("--quantization", argv);
        Assert.DoesNotContain("--pipeline-parallel-size", argv);
        Assert.DoesNotContain("--api-key", argv);

        var device = service["deploy"]!["resources"]!["reservations"]!["devices"]![0]!;
        Assert.Equal(spec.TensorParallel, (long)device["count"]!);
        Assert.Equal("nvidia", (string)device["driver"]!);
        Assert.Equal(["gpu"], device["capabilities"]!.AsArray().Select(n => (string)n!));

        Assert.Equal(["127.0.0.1:8000:8000"], service["ports"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("host", (string)service["ipc"]!);
        Assert.NotNull(service["shm_size"]);
        Assert.Equal("unless-stopped", (string)service["restart"]!);
        Assert.Contains("/health", string.Join(' ', service["healthcheck"]!["test"]!.AsArray().Select(n => (string)n!)));

        var mount = service["volumes"]![0]!;
        Assert.Equal(("bind", "/srv/models/r1-distill-32b", "/models/r1-distill-32b", true),
            ((string)mount["type"]!, (string)mount["source"]!, (string)mount["target"]!, (bool)mount["read_only"]!));
        Assert.Equal("1", (string)service["environment"]!["HF_HUB_OFFLINE"]!);
        // The key is compose interpolation of an env var that must be set, never a value.
        Assert.Equal("${DEEPSEEK_API_KEY:?set DEEPSEEK_API_KEY to the API key (shell or .env)}", (string)service["environment"]!["VLLM_API_KEY"]!);
        Assert.Contains("export DEEPSEEK_API_KEY=<key>", file.Content);
        Assert.Contains("http://<host>:8000/v1", file.Content);
    }

    [Fact]
    public void Sglang_compose_uses_the_hf_cache_volume_offline_and_takes_the_key_from_the_environment()
    {
        var spec = SglangOneNode;
        var doc = ParseSingleYaml(ServingArtefacts.Compose(spec).Content);
        var service = doc["services"]![spec.ServedName]!.AsObject();
        var argv = Argv(service, "entrypoint", "command");

        Assert.Equal(["python3", "-m", "sglang.launch_server"], argv.Take(3));
        Assert.Equal("deepseek-ai/DeepSeek-V3", Flag(argv, "--model-path"));
        Assert.Equal("8", Flag(argv, "--tp"));
        Assert.Equal("0.0.0.0", Flag(argv, "--host"));
        Assert.Equal("30000", Flag(argv, "--port"));
        Assert.Equal("deepseek-v3", Flag(argv, "--served-model-name"));
        Assert.Equal("16384", Flag(argv, "--context-length"));
        Assert.Equal("${DEEPSEEK_API_KEY:?set DEEPSEEK_API_KEY to the API key (shell or .env)}", Flag(argv, "--api-key"));
        Assert.DoesNotContain("--dist-init-addr", argv);
        Assert.Equal(8, (long)service["deploy"]!["resources"]!["reservations"]!["devices"]![0]!["count"]!);

        var mount = service["volumes"]![0]!;
        Assert.Equal(("volume", "hf-cache", "/root/.cache/huggingface"), ((string)mount["type"]!, (string)mount["source"]!, (string)mount["target"]!));
        Assert.True(doc["volumes"]!.AsObject().ContainsKey("hf-cache"));
        Assert.Equal("1", (string)service["environment"]!["HF_HUB_OFFLINE"]!);
    }

    [Fact]
    public void Quantization_is_passed_only_when_the_plan_sets_one()
    {
        foreach (var engine in new[] { ServingEngine.Vllm, ServingEngine.Sglang })
        {
            var spec = VllmOneNode with { Engine = engine, Quantization = "awq" };
            var service = ParseSingleYaml(ServingArtefacts.Compose(spec).Content)["services"]![spec.ServedName]!.AsObject();
            Assert.Equal("awq", Flag(Argv(service, "entrypoint", "command"), "--quantization"));
        }
    }

    [Fact]
    public void A_container_path_model_is_served_from_its_host_mount()
    {
        var spec = VllmOneNode with { Model = "/models/demo", HostModelPath = "/srv/demo" };
        var service = ParseSingleYaml(ServingArtefacts.Compose(spec).Content)["services"]![spec.ServedName]!.AsObject();
        Assert.Equal("/models/demo", Argv(service, "entrypoint", "command")[2]);
        Assert.Equal(("/srv/demo", "/models/demo"), ((string)service["volumes"]![0]!["source"]!, (string)service["volumes"]![0]!["target"]!));
        Assert.DoesNotContain("--trust-remote-code", Argv(service, "entrypoint", "command"));
    }

    [Fact]
    public void Trust_remote_code_is_for_deepseek_models_only()
    {
        var spec = VllmOneNode with { Model = "Qwen/Qwen2.5-7B-Instruct", HostModelPath = null };
        var service = ParseSingleYaml(ServingArtefacts.Compose(spec).Content)["services"]![spec.ServedName]!.AsObject();
        var argv = Argv(service, "entrypoint", "command");
        Assert.DoesNotContain("--trust-remote-code", argv);
        Assert.Equal("Qwen/Qwen2.5-7B-Instruct", argv[2]);
    }

    [Fact]
    public void Vllm_two_node_compose_has_leader_and_headless_worker_profiles_on_host_networking()
    {
        var spec = VllmTwoNodes;
        var services = ParseSingleYaml(ServingArtefacts.Compose(spec).Content)["services"]!.AsObject();
        var leader = services["deepseek-v3-pp-leader"]!.AsObject();
        var worker = services["deepseek-v3-pp-worker"]!.AsObject();
        foreach (var (service, profile) in new[] { (leader, "leader"), (worker, "worker") })
        {
            var argv = Argv(service, "entrypoint", "command");
            Assert.Equal([profile], service["profiles"]!.AsArray().Select(n => (string)n!));
            Assert.Equal("host", (string)service["network_mode"]!);
            Assert.Null(service["ports"]);
            Assert.Equal("8", Flag(argv, "--tensor-parallel-size"));
            Assert.Equal("2", Flag(argv, "--pipeline-parallel-size"));
            Assert.Equal("2", Flag(argv, "--nnodes"));
            Assert.Equal("fp8", Flag(argv, "--quantization"));
            Assert.Equal("mp", Flag(argv, "--distributed-executor-backend"));
            Assert.StartsWith("${MASTER_ADDR:?", Flag(argv, "--master-addr"));
            Assert.Equal(8, (long)service["deploy"]!["resources"]!["reservations"]!["devices"]![0]!["count"]!);
        }
        Assert.Equal("0", Flag(Argv(leader, "entrypoint", "command"), "--node-rank"));
        Assert.StartsWith("${NODE_RANK:?", Flag(Argv(worker, "entrypoint", "command"), "--node-rank"));
        Assert.Contains("--headless", Argv(worker, "entrypoint", "command"));
        Assert.DoesNotContain("--headless", Argv(leader, "entrypoint", "command"));
        Assert.True((bool)worker["healthcheck"]!["disable"]!);
        Assert.Null(worker["environment"]!["VLLM_API_KEY"]);
        Assert.NotNull(leader["environment"]!["VLLM_API_KEY"]);
    }

    [Fact]
    public void Sglang_two_node_compose_spans_tensor_parallelism_over_the_nodes()
    {
        var spec = SglangTwoNodes;
        var services = ParseSingleYaml(ServingArtefacts.Compose(spec).Content)["services"]!.AsObject();
        var leader = Argv(services["deepseek-v3-leader"]!.AsObject(), "entrypoint", "command");
        var worker = Argv(services["deepseek-v3-worker"]!.AsObject(), "entrypoint", "command");
        Assert.Equal("16", Flag(leader, "--tp"));
        Assert.Equal("2", Flag(leader, "--nnodes"));
        Assert.Equal("0", Flag(leader, "--node-rank"));
        Assert.EndsWith(":5000", Flag(leader, "--dist-init-addr"));
        Assert.Equal(Flag(leader, "--dist-init-addr"), Flag(worker, "--dist-init-addr"));
        Assert.StartsWith("${NODE_RANK:?", Flag(worker, "--node-rank"));
        Assert.DoesNotContain("--api-key", leader);
    }

    [Fact]
    public void Kubernetes_deployment_requests_the_planned_gpus_and_reads_the_key_from_a_secret()
    {
        var spec = VllmOneNode;
        var file = ServingArtefacts.Kubernetes(spec);
        var docs = ParseYaml(file.Content);
        var deployment = docs[0];
        Assert.Equal(spec.ServedName, (string)deployment["metadata"]!["name"]!);
        Assert.Equal("Recreate", (string)deployment["spec"]!["strategy"]!["type"]!);
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!.AsObject();
        var argv = Argv(container, "command", "args");
        Assert.Equal(spec.TensorParallel.ToString(), Flag(argv, "--tensor-parallel-size"));
        Assert.Equal(spec.TensorParallel, (long)container["resources"]!["limits"]!["nvidia.com/gpu"]!);
        Assert.DoesNotContain("--api-key", argv);

        var keyEnv = container["env"]!.AsArray().Single(e => (string)e!["name"]! == "VLLM_API_KEY")!;
        Assert.Null(keyEnv["value"]);
        Assert.Equal("deepseek-api-key", (string)keyEnv["valueFrom"]!["secretKeyRef"]!["name"]!);
        Assert.Equal("api-key", (string)keyEnv["valueFrom"]!["secretKeyRef"]!["key"]!);

        var volumes = pod["volumes"]!.AsArray();
        var shm = volumes.Single(v => (string)v!["name"]! == "dshm")!;
        Assert.Equal("Memory", (string)shm["emptyDir"]!["medium"]!);
        Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string)m!["mountPath"]! == "/dev/shm");
        var model = volumes.Single(v => (string)v!["name"]! == "model")!;
        Assert.Equal("/srv/models/r1-distill-32b", (string)model["hostPath"]!["path"]!);
        Assert.True((bool)container["volumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "model")!["readOnly"]!);
        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
            Assert.Equal("/health", (string)container[probe]!["httpGet"]!["path"]!);

        var service = docs[1];
        Assert.Equal("ClusterIP", (string)service["spec"]!["type"]!);
        Assert.Equal(8000, (long)service["spec"]!["ports"]![0]!["port"]!);
        Assert.Contains("kubectl create secret generic deepseek-api-key", file.Content);
        Assert.Contains("Weights: hostPath /srv/models/r1-distill-32b", file.Content);
    }

    [Fact]
    public void Kubernetes_sglang_expands_the_secret_into_its_api_key_argument_and_mounts_the_cache_claim()
    {
        var spec = SglangOneNode;
        var container = ParseYaml(ServingArtefacts.Kubernetes(spec).Content)[0]["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();
        var argv = Argv(container, "command", "args");
        Assert.Equal("$(SGLANG_API_KEY)", Flag(argv, "--api-key"));
        Assert.Equal("8", Flag(argv, "--tp"));
        var keyEnv = container["env"]!.AsArray().Single(e => (string)e!["name"]! == "SGLANG_API_KEY")!;
        Assert.Equal("deepseek-api-key", (string)keyEnv["valueFrom"]!["secretKeyRef"]!["name"]!);
        var pod = ParseYaml(ServingArtefacts.Kubernetes(spec).Content)[0]["spec"]!["template"]!["spec"]!;
        Assert.Equal("deepseek-v3-hf-cache", (string)pod["volumes"]![0]!["persistentVolumeClaim"]!["claimName"]!);
    }

    [Fact]
    public void Kubernetes_without_a_secret_has_no_key_env()
    {
        var spec = VllmOneNode with { ApiKeySecretName = null };
        var file = ServingArtefacts.Kubernetes(spec);
        Assert.DoesNotContain("secretKeyRef", file.Content);
        Assert.DoesNotContain("VLLM_API_KEY", file.Content);
    }

    [Theory]
    [InlineData(ServingEngine.Vllm)]
    [InlineData(ServingEngine.Sglang)]
    public void Kubernetes_multi_node_is_a_statefulset_pair_whose_worker_script_derives_its_rank_from_the_ordinal(ServingEngine engine)
    {
        var spec = (engine == ServingEngine.Vllm ? VllmTwoNodes : SglangTwoNodes) with { PipelineParallel = 3 };
        var docs = ParseYaml(ServingArtefacts.Kubernetes(spec).Content);
        var headless = docs[0];
        Assert.Equal("None", (string)headless["spec"]!["clusterIP"]!);
        Assert.True((bool)headless["spec"]!["publishNotReadyAddresses"]!);
        var leader = docs[1];
        var worker = docs[2];
        Assert.Equal(1, (long)leader["spec"]!["replicas"]!);
        Assert.Equal(2, (long)worker["spec"]!["replicas"]!);
        foreach (var sts in new[] { leader, worker })
        {
            Assert.Equal($"{spec.ServedName}-headless", (string)sts["spec"]!["serviceName"]!);
            Assert.Equal("Parallel", (string)sts["spec"]!["podManagementPolicy"]!);
            Assert.Equal(spec.GpusPerNode, (long)sts["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"]!);
        }
        var leaderArgv = Argv(leader["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject(), "command", "args");
        Assert.Equal("0", Flag(leaderArgv, "--node-rank"));
        Assert.Equal("3", Flag(leaderArgv, "--nnodes"));

        // Run the worker's script the way the pod would: Kubernetes turns $$ into $, then sh runs it with the pod's
        // hostname; a stand-in for the engine prints the argv it was given.
        var container = worker["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal(["/bin/sh", "-c"], container["command"]!.AsArray().Select(n => (string)n!));
        var script = ((string)container["args"]![0]!).Replace("$$", "$");
        var argv = RunWithStandIn(script, $"{spec.ServedName}-worker-1", engine == ServingEngine.Vllm ? "vllm" : "python3");
        Assert.Equal("2", Flag(argv, "--node-rank")); // worker ordinal 1 → rank 2 (the leader is rank 0)
        Assert.Equal("3", Flag(argv, "--nnodes"));
        if (engine == ServingEngine.Vllm)
        {
            Assert.Contains("--headless", argv);
            Assert.Equal("status.podIP", (string)container["env"]!.AsArray().Single(e => (string)e!["name"]! == "VLLM_HOST_IP")!["valueFrom"]!["fieldRef"]!["fieldPath"]!);
        }
        Assert.Equal(Flag(leaderArgv, engine == ServingEngine.Vllm ? "--master-addr" : "--dist-init-addr"),
            Flag(argv, engine == ServingEngine.Vllm ? "--master-addr" : "--dist-init-addr"));
    }

    /// <summary>Runs <paramref name="script"/> under /bin/sh with a fake <paramref name="program"/> that prints its arguments.</summary>
    internal static List<string> RunWithStandIn(string script, string hostname, string program)
    {
        var dir = Directory.CreateTempSubdirectory("deploy-test-");
        try
        {
            var fake = Path.Combine(dir.FullName, program);
            File.WriteAllText(fake, "#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            psi.Environment["PATH"] = dir.FullName + ":/usr/bin:/bin";
            psi.Environment["HOSTNAME"] = hostname;
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {error}");
            var lines = output.Split('\n', StringSplitOptions.None).ToList();
            if (lines.Count > 0 && lines[^1] == "") lines.RemoveAt(lines.Count - 1);
            lines[0] = Path.GetFileName(lines[0]);
            return lines;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public static TheoryData<string, ServingSpec> BadSpecs => new()
    {
        { "TensorParallel", VllmOneNode with { TensorParallel = 0, GpusPerNode = 0 } },
        { "PipelineParallel", VllmOneNode with { PipelineParallel = 0 } },
        { "GpusPerNode", VllmOneNode with { GpusPerNode = 4 } },
        { "Port", VllmOneNode with { Port = 0 } },
        { "Port", VllmOneNode with { Port = 65536 } },
        { "ServedName", VllmOneNode with { ServedName = "R1_Distill" } },
        { "ServedName", VllmOneNode with { ServedName = "7b-model" } },
        { "ServedName", VllmOneNode with { ServedName = "x" + new string('a', 40) } },
        { "ServedName", VllmOneNode with { ServedName = "" } },
        { "MaxModelLength", VllmOneNode with { MaxModelLength = 0 } },
        { "Quantization", VllmOneNode with { Quantization = "fp8 --api-key x" } },
        { "Model", VllmOneNode with { Model = "deepseek ai/model" } },
        { "Model", VllmOneNode with { Model = "$(whoami)" } },
        { "Image", VllmOneNode with { Image = "" } },
        { "HostModelPath", VllmOneNode with { HostModelPath = "models/r1" } },
        { "HostModelPath", VllmOneNode with { HostModelPath = "/srv/../etc" } },
        { "ApiKeySecretName", VllmOneNode with { ApiKeySecretName = "API_KEY" } },
        { "HostModelPath", VllmOneNode with { Model = "/models/demo", HostModelPath = null } },
        { "Model", VllmOneNode with { Model = "/models/../demo" } },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void A_bad_field_is_refused_by_name(string field, ServingSpec spec)
    {
        var compose = Assert.ThrowsAny<ArgumentException>(() => ServingArtefacts.Compose(spec));
        Assert.Equal(field, compose.ParamName);
        Assert.StartsWith(field + ": expected", compose.Message);
        var k8s = Assert.ThrowsAny<ArgumentException>(() => ServingArtefacts.Kubernetes(spec));
        Assert.Equal(field, k8s.ParamName);
    }
}
