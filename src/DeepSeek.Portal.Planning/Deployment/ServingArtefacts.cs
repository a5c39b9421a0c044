using System.Globalization;

namespace DeepSeek.Portal.Planning.Deployment;

/// <summary>Compose files and Kubernetes manifests that serve a model with vLLM or SGLang at a planned parallel size.</summary>
/// <remarks>
/// Multi-node layout (PipelineParallel &gt; 1), chosen after the engines' own multi-node recipes (reference §4):
/// <list type="bullet">
/// <item>vLLM: tensor parallel inside a node, pipeline stages across nodes, started with vLLM's multiprocessing multi-node
/// launcher (<c>--distributed-executor-backend mp --nnodes/--node-rank/--master-addr/--master-port</c>; ranks above 0 run
/// <c>--headless</c>, only rank 0 serves HTTP; in Kubernetes each rank announces its pod IP as <c>VLLM_HOST_IP</c>). vLLM
/// images older than that launcher need a Ray cluster instead.</item>
/// <item>SGLang: its DeepSeek recipes span tensor parallelism over the nodes (<c>--tp 16 --nnodes 2</c> on 2×8 GPUs), so
/// <c>--tp</c> is TensorParallel × nodes with <c>--dist-init-addr/--nnodes/--node-rank</c>; rank 0 serves HTTP.</item>
/// <item>API keys: vLLM reads <c>VLLM_API_KEY</c>; SGLang only takes <c>--api-key</c>, filled by compose interpolation or
/// Kubernetes' <c>$(VAR)</c> expansion of a secret-backed env var. Both engines leave <c>/health</c> open, so probes need no key.</item>
/// </list>
/// Compose gets one file with a <c>leader</c> and a <c>worker</c> profile on host networking; Kubernetes gets a StatefulSet
/// pair (leader ×1, workers × nodes−1) behind a headless Service, rank taken from the pod ordinal — no LeaderWorkerSet CRD.
/// </remarks>
public static class ServingArtefacts
{
    /// <summary>Port rank 0 listens on for vLLM's multi-node rendezvous (vLLM's default master port).</summary>
    public const int VllmMasterPort = 29501;

    /// <summary>Port of SGLang's <c>--dist-init-addr</c> on rank 0 (as in SGLang's DeepSeek recipes).</summary>
    public const int SglangDistInitPort = 5000;

    /// <summary>The key inside the Kubernetes Secret that holds the API key.</summary>
    public const string SecretKey = "api-key";

    /// <summary>A <c>compose.yaml</c> (Compose Specification) with GPU reservations, shm, health check and a read-only model mount.</summary>
    public static GeneratedFile Compose(ServingSpec spec)
    {
        Validate(spec);
        var multi = spec.PipelineParallel > 1;
        var header = Header(spec, "Docker Compose");
        header.Add("");
        if (!multi)
        {
            header.Add("Start:   docker compose -f compose.yaml up -d      (needs the NVIDIA Container Toolkit)");
            header.Add("Watch:   docker compose -f compose.yaml logs -f    (healthy once /health answers; loading takes minutes)");
        }
        else
        {
            header.Add($"Start on the rank-0 node first: MASTER_ADDR=<this node's IP> docker compose -f compose.yaml --profile leader up -d");
            header.Add($"then on node k = 1..{spec.PipelineParallel - 1}: MASTER_ADDR=<rank-0 IP> NODE_RANK=k docker compose -f compose.yaml --profile worker up -d");
            header.Add("Host networking (NCCL between nodes): the API port is the node's own, bound to SERVE_HOST (default 127.0.0.1).");
        }
        if (spec.ApiKeySecretName is { } secret)
            header.Add($"API key: export {SpecChecks.EnvVarFor(secret)}=<key> (or put it in a .env file beside this one); it is never written here.");
        else
            header.Add("No API key is set: anyone who can reach the port can use the model.");
        header.Add(spec.HostModelPath is null
            ? $"Weights: read from the '{VolumeName(spec)}' volume (HF cache) with HF_HUB_OFFLINE=1; fill it once first:"
              + $"\n  {(multi ? "MASTER_ADDR=x " : "")}docker compose -f compose.yaml run --rm --no-deps -e HF_HUB_OFFLINE=0 --entrypoint huggingface-cli {ServiceName(spec, multi ? "leader" : null)} download {spec.Model}"
              + (spec.ApiKeySecretName is null ? "" : $"\n  (with {SpecChecks.EnvVarFor(spec.ApiKeySecretName)} set: compose checks every variable the file names)")
            : $"Weights: {spec.HostModelPath} on the host, mounted read-only at {ContainerModel(spec)}; nothing is downloaded at run time.");
        header.Add($"Register with the portal as an OpenAI-compatible endpoint: base URL http://<host>:{spec.Port}/v1, model \"{spec.ServedName}\""
                   + (spec.ApiKeySecretName is null ? "." : ", with the same API key."));

        var services = new YamlMap();
        if (!multi)
            services.Add(ServiceName(spec, null), ComposeService(spec, Role.Single));
        else
        {
            services.Add(ServiceName(spec, "leader"), ComposeService(spec, Role.Leader));
            services.Add(ServiceName(spec, "worker"), ComposeService(spec, Role.Worker));
        }
        var root = new YamlMap { { "name", spec.ServedName }, { "services", services } };
        if (spec.HostModelPath is null)
            root.Add("volumes", new YamlMap { { VolumeName(spec), new YamlMap() } });
        return new GeneratedFile("compose.yaml", YamlWriter.Document(root, header), "application/yaml");
    }

    /// <summary>A Kubernetes manifest (Deployment + Service; a LeaderWorkerSet-free StatefulSet pair for multi-node) requesting <c>nvidia.com/gpu</c>.</summary>
    public static GeneratedFile Kubernetes(ServingSpec spec)
    {
        Validate(spec);
        var multi = spec.PipelineParallel > 1;
        var header = Header(spec, "Kubernetes");
        header.Add("");
        header.Add("Apply:   kubectl apply -f deployment.yaml   (needs the NVIDIA device plugin or GPU operator for nvidia.com/gpu)");
        if (spec.ApiKeySecretName is { } secret)
            header.Add($"API key: kubectl create secret generic {secret} --from-literal={SecretKey}=<key>   (read through secretKeyRef, never written here)");
        else
            header.Add("No API key is set: anything that can reach the Service can use the model.");
        header.Add(spec.HostModelPath is null
            ? $"Weights: PersistentVolumeClaim '{ClaimName(spec)}' (create it and fill it with the HF cache of {spec.Model} first); HF_HUB_OFFLINE=1, no download at run time."
            : $"Weights: hostPath {spec.HostModelPath} (must exist on every GPU node; swap for a ReadOnlyMany PVC on shared storage), mounted read-only.");
        if (multi)
        {
            header.Add($"Multi-node: StatefulSet {spec.ServedName}-leader (rank 0, serves HTTP) and {spec.ServedName}-worker ({spec.PipelineParallel - 1} pod(s), rank = ordinal + 1),");
            header.Add($"found through the headless Service {spec.ServedName}-headless; podManagementPolicy Parallel so all ranks start together.");
        }
        header.Add($"Register with the portal as an OpenAI-compatible endpoint: base URL http://{spec.ServedName}.<namespace>.svc:{spec.Port}/v1, model \"{spec.ServedName}\".");
        header.Add($"From outside the cluster: kubectl port-forward svc/{spec.ServedName} {spec.Port}:{spec.Port}, then http://127.0.0.1:{spec.Port}/v1.");

        var docs = new List<YamlMap>();
        if (!multi)
        {
            docs.Add(new YamlMap
            {
                { "apiVersion", "apps/v1" },
                { "kind", "Deployment" },
                { "metadata", Metadata(spec.ServedName, spec, "server") },
                { "spec", new YamlMap
                    {
                        { "replicas", 1 },
                        // Recreate: a rolling update would need twice the GPUs while both pods hold the model.
                        { "strategy", new YamlMap { { "type", "Recreate" } } },
                        { "selector", new YamlMap { { "matchLabels", SelectorLabels(spec, "server") } } },
                        { "template", PodTemplate(spec, Role.Single) },
                    } },
            });
        }
        else
        {
            docs.Add(HeadlessService(spec));
            docs.Add(StatefulSet(spec, Role.Leader));
            docs.Add(StatefulSet(spec, Role.Worker));
        }
        docs.Add(new YamlMap
        {
            { "apiVersion", "v1" },
            { "kind", "Service" },
            { "metadata", Metadata(spec.ServedName, spec, multi ? "leader" : "server") },
            { "spec", new YamlMap
                {
                    { "type", "ClusterIP" },
                    { "selector", SelectorLabels(spec, multi ? "leader" : "server") },
                    { "ports", new YamlSeq { new YamlMap { { "name", "http" }, { "port", spec.Port }, { "targetPort", "http" }, { "protocol", "TCP" } } } },
                } },
        });
        return new GeneratedFile("deployment.yaml", YamlWriter.Documents(docs, header), "application/yaml");
    }

    internal enum Role { Single, Leader, Worker }

    /// <summary>Checks every field; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    internal static void Validate(ServingSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        SpecChecks.Require(Enum.IsDefined(spec.Engine), nameof(spec.Engine), $"expected Vllm or Sglang, got {(int)spec.Engine}.");
        SpecChecks.Word(spec.Model, nameof(spec.Model), "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B or /models/demo");
        SpecChecks.Dns1035(spec.ServedName, nameof(spec.ServedName), SpecChecks.MaxServedNameLength);
        SpecChecks.Range(spec.TensorParallel, 1, 1024, nameof(spec.TensorParallel));
        SpecChecks.Range(spec.PipelineParallel, 1, 1024, nameof(spec.PipelineParallel));
        SpecChecks.Require(spec.GpusPerNode == spec.TensorParallel, nameof(spec.GpusPerNode),
            $"expected the tensor-parallel size ({spec.TensorParallel}) GPUs per node, got {spec.GpusPerNode}.");
        SpecChecks.Range(spec.MaxModelLength, 16, 16_777_216, nameof(spec.MaxModelLength));
        if (spec.Quantization is not null)
            SpecChecks.Require(SpecChecks.QuantizationName().IsMatch(spec.Quantization), nameof(spec.Quantization),
                $"expected an engine quantisation name such as fp8, awq or w8a8_int8 (lower-case letters, digits, '_'), got \"{SpecChecks.Printable(spec.Quantization)}\".");
        SpecChecks.Port(spec.Port, nameof(spec.Port));
        SpecChecks.Word(spec.Image, nameof(spec.Image), "vllm/vllm-openai:v0.11.0");
        if (spec.HostModelPath is not null)
            SpecChecks.AbsolutePath(spec.HostModelPath, nameof(spec.HostModelPath));
        if (spec.Model.StartsWith('/'))
        {
            SpecChecks.AbsolutePath(spec.Model, nameof(spec.Model));
            SpecChecks.Require(spec.HostModelPath is not null, nameof(spec.HostModelPath),
                $"expected the host folder to mount read-only at {spec.Model} (a container path is empty without it), got nothing.");
        }
        if (spec.ApiKeySecretName is not null)
            SpecChecks.DnsLabel(spec.ApiKeySecretName, nameof(spec.ApiKeySecretName), 63);
    }

    /// <summary>Where the engine reads the model: the mount of <see cref="ServingSpec.HostModelPath"/> when set, else the repo id.</summary>
    internal static string ContainerModel(ServingSpec spec) =>
        spec.HostModelPath is null ? spec.Model : spec.Model.StartsWith('/') ? spec.Model : $"/models/{spec.ServedName}";

    /// <summary>DeepSeek checkpoints (V2/V3 MLA and MoE code) ship custom modelling code; harmless for the distilled ones.</summary>
    internal static bool TrustRemoteCode(ServingSpec spec) => spec.Model.Contains("deepseek", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The server's argv: entrypoint and arguments. <paramref name="rank"/>, <paramref name="masterAddress"/>,
    /// <paramref name="host"/> and <paramref name="apiKey"/> are text the caller's format expands (compose <c>${…}</c>,
    /// Kubernetes <c>$(…)</c>, shell <c>"$…"</c>).
    /// </summary>
    internal static (string[] Entrypoint, List<string> Args) ServerArgv(ServingSpec spec, Role role, string rank, string masterAddress, string host, string? apiKey)
    {
        var inv = CultureInfo.InvariantCulture;
        var multi = role != Role.Single;
        var model = ContainerModel(spec);
        if (spec.Engine == ServingEngine.Vllm)
        {
            var args = new List<string>
            {
                model,
                "--served-model-name", spec.ServedName,
                "--tensor-parallel-size", spec.TensorParallel.ToString(inv),
            };
            if (spec.PipelineParallel > 1) args.AddRange(["--pipeline-parallel-size", spec.PipelineParallel.ToString(inv)]);
            args.AddRange(["--max-model-len", spec.MaxModelLength.ToString(inv), "--host", host, "--port", spec.Port.ToString(inv)]);
            if (TrustRemoteCode(spec)) args.Add("--trust-remote-code");
            if (spec.Quantization is not null) args.AddRange(["--quantization", spec.Quantization]);
            if (multi)
            {
                args.AddRange(["--distributed-executor-backend", "mp", "--nnodes", spec.PipelineParallel.ToString(inv), "--node-rank", rank,
                    "--master-addr", masterAddress, "--master-port", VllmMasterPort.ToString(inv)]);
                if (role == Role.Worker) args.Add("--headless");
            }
            // vLLM reads its key from VLLM_API_KEY, so no key ever appears on the command line.
            return (["vllm", "serve"], args);
        }
        else
        {
            var args = new List<string>
            {
                "--model-path", model,
                "--tp", (spec.TensorParallel * spec.PipelineParallel).ToString(inv),
                "--host", host,
                "--port", spec.Port.ToString(inv),
                "--served-model-name", spec.ServedName,
                "--context-length", spec.MaxModelLength.ToString(inv),
            };
            if (TrustRemoteCode(spec)) args.Add("--trust-remote-code");
            if (spec.Quantization is not null) args.AddRange(["--quantization", spec.Quantization]);
            if (multi)
                args.AddRange(["--dist-init-addr", $"{masterAddress}:{SglangDistInitPort.ToString(inv)}",
                    "--nnodes", spec.PipelineParallel.ToString(inv), "--node-rank", rank]);
            if (apiKey is not null && role != Role.Worker) args.AddRange(["--api-key", apiKey]);
            return (["python3", "-m", "sglang.launch_server"], args);
        }
    }

    private static List<string> Header(ServingSpec spec, string target)
    {
        var engine = spec.Engine == ServingEngine.Vllm ? "vLLM" : "SGLang";
        var gpus = spec.TensorParallel * spec.PipelineParallel;
        return
        [
            $"{target} file generated by DeepSeek Portal's deployment planner — {engine}, OpenAI-compatible API.",
            $"Plan: {spec.Model} served as \"{spec.ServedName}\"; tensor-parallel {spec.TensorParallel} × {spec.PipelineParallel} node(s) = {gpus} GPU(s); context {spec.MaxModelLength} tokens"
            + (spec.Quantization is null ? "; checkpoint's own precision." : $"; quantization {spec.Quantization}."),
            $"Image: {spec.Image}.",
        ];
    }

    private static string ServiceName(ServingSpec spec, string? role) => role is null ? spec.ServedName : $"{spec.ServedName}-{role}";

    private static string VolumeName(ServingSpec spec) => "hf-cache";

    private static string ClaimName(ServingSpec spec) => $"{spec.ServedName}-hf-cache";

    private const string HfCache = "/root/.cache/huggingface";

    private static string HealthProbe(string host, int port) =>
        $"import urllib.request; urllib.request.urlopen('http://{host}:{port.ToString(CultureInfo.InvariantCulture)}/health', timeout=5)";

    private static YamlMap ComposeService(ServingSpec spec, Role role)
    {
        var multi = role != Role.Single;
        var inv = CultureInfo.InvariantCulture;
        var apiEnv = spec.ApiKeySecretName is null ? null : SpecChecks.EnvVarFor(spec.ApiKeySecretName);
        var interpolatedKey = apiEnv is null ? null : $"${{{apiEnv}:?set {apiEnv} to the API key (shell or .env)}}";
        var host = multi ? "${SERVE_HOST:-127.0.0.1}" : "0.0.0.0";
        var (entrypoint, args) = ServerArgv(spec, role,
            rank: role == Role.Worker ? "${NODE_RANK:?set NODE_RANK to this node's rank (1.." + (spec.PipelineParallel - 1).ToString(inv) + ")}" : "0",
            masterAddress: "${MASTER_ADDR:?set MASTER_ADDR to the rank-0 node's address}",
            host: host,
            apiKey: spec.Engine == ServingEngine.Sglang ? interpolatedKey : null);

        var service = new YamlMap
        {
            { "image", spec.Image },
        };
        if (multi) service.Add("profiles", new YamlSeq { role == Role.Leader ? "leader" : "worker" });
        service.Add("entrypoint", new YamlSeq(entrypoint));
        service.Add("command", new YamlSeq(args));
        var env = new YamlMap { { "HF_HUB_OFFLINE", "1" } };
        if (spec.Engine == ServingEngine.Vllm && interpolatedKey is not null && role != Role.Worker)
            env.Add("VLLM_API_KEY", interpolatedKey);
        service.Add("environment", env);
        if (!multi)
        {
            service.Comment("Published on the loopback only. To expose it on the network, change to \"" + spec.Port.ToString(inv) + ":" + spec.Port.ToString(inv) + "\" (and set an API key).");
            service.Add("ports", new YamlSeq { $"127.0.0.1:{spec.Port.ToString(inv)}:{spec.Port.ToString(inv)}" });
        }
        else
        {
            service.Comment("Host networking: NCCL and the rendezvous need the nodes' own addresses (ports: does not apply).");
            service.Add("network_mode", "host");
        }
        service.Add("volumes", new YamlSeq { spec.HostModelPath is null
            ? new YamlMap { { "type", "volume" }, { "source", VolumeName(spec) }, { "target", HfCache } }
            : new YamlMap { { "type", "bind" }, { "source", spec.HostModelPath }, { "target", ContainerModel(spec) }, { "read_only", true } } });
        service.Comment("ipc: host shares the host's /dev/shm (NCCL, CUDA graphs); shm_size applies if ipc: host is removed.");
        service.Add("ipc", "host");
        service.Add("shm_size", "32gb");
        service.Add("deploy", new YamlMap
        {
            { "resources", new YamlMap
                {
                    { "reservations", new YamlMap
                        {
                            { "devices", new YamlSeq
                                {
                                    new YamlMap { { "driver", "nvidia" }, { "count", spec.GpusPerNode }, { "capabilities", new YamlSeq { "gpu" } } },
                                } },
                        } },
                } },
        });
        if (role == Role.Worker)
        {
            service.Comment("A headless worker serves no HTTP; its health is the leader's.");
            service.Add("healthcheck", new YamlMap { { "disable", true } });
        }
        else
        {
            service.Add("healthcheck", new YamlMap
            {
                { "test", new YamlSeq { "CMD", "python3", "-c", HealthProbe(multi ? "${SERVE_HOST:-127.0.0.1}" : "127.0.0.1", spec.Port) } },
                { "interval", "30s" },
                { "timeout", "10s" },
                { "retries", 5 },
                { "start_period", "20m" },
            });
        }
        service.Add("restart", "unless-stopped");
        return service;
    }

    private static YamlMap Labels(ServingSpec spec, string component) => new()
    {
        { "app.kubernetes.io/name", spec.ServedName },
        { "app.kubernetes.io/component", component },
        { "app.kubernetes.io/managed-by", "deepseek-portal" },
    };

    private static YamlMap SelectorLabels(ServingSpec spec, string component) => new()
    {
        { "app.kubernetes.io/name", spec.ServedName },
        { "app.kubernetes.io/component", component },
    };

    private static YamlMap Metadata(string name, ServingSpec spec, string component) => new()
    {
        { "name", name },
        { "labels", Labels(spec, component) },
    };

    private static string LeaderAddress(ServingSpec spec) => $"{spec.ServedName}-leader-0.{spec.ServedName}-headless";

    private static YamlMap HeadlessService(ServingSpec spec) => new()
    {
        { "apiVersion", "v1" },
        { "kind", "Service" },
        { "metadata", Metadata($"{spec.ServedName}-headless", spec, "group") },
        { "spec", new YamlMap
            {
                { "clusterIP", "None" },
                // Ranks must resolve the leader before it is ready (it becomes ready only once every rank has joined).
                { "publishNotReadyAddresses", true },
                { "selector", new YamlMap { { "app.kubernetes.io/name", spec.ServedName } } },
                { "ports", new YamlSeq
                    {
                        new YamlMap
                        {
                            { "name", "rendezvous" },
                            { "port", spec.Engine == ServingEngine.Vllm ? VllmMasterPort : SglangDistInitPort },
                            { "protocol", "TCP" },
                        },
                    } },
            } },
    };

    private static YamlMap StatefulSet(ServingSpec spec, Role role)
    {
        var component = role == Role.Leader ? "leader" : "worker";
        return new YamlMap
        {
            { "apiVersion", "apps/v1" },
            { "kind", "StatefulSet" },
            { "metadata", Metadata($"{spec.ServedName}-{component}", spec, component) },
            { "spec", new YamlMap
                {
                    { "serviceName", $"{spec.ServedName}-headless" },
                    { "replicas", role == Role.Leader ? 1 : spec.PipelineParallel - 1 },
                    { "podManagementPolicy", "Parallel" },
                    { "selector", new YamlMap { { "matchLabels", SelectorLabels(spec, component) } } },
                    { "template", PodTemplate(spec, role) },
                } },
        };
    }

    private static YamlMap PodTemplate(ServingSpec spec, Role role)
    {
        var component = role switch { Role.Leader => "leader", Role.Worker => "worker", _ => "server" };
        var secretEnv = spec.Engine == ServingEngine.Vllm ? "VLLM_API_KEY" : "SGLANG_API_KEY";
        var hasKey = spec.ApiKeySecretName is not null && role != Role.Worker;
        var (entrypoint, args) = ServerArgv(spec, role,
            rank: role == Role.Worker ? "$NODE_RANK" : "0",
            masterAddress: LeaderAddress(spec),
            host: "0.0.0.0",
            apiKey: hasKey && spec.Engine == ServingEngine.Sglang ? $"$({secretEnv})" : null);

        var container = new YamlMap { { "name", "server" }, { "image", spec.Image } };
        if (role == Role.Worker)
        {
            // Rank = StatefulSet ordinal + 1 (the leader is rank 0). Every '$' is doubled because Kubernetes itself
            // expands $(VAR) in args and turns $$ into $ before the shell sees the script.
            var words = entrypoint.Concat(args).Select(a => a == "$NODE_RANK" ? "\"$NODE_RANK\"" : ShellQuote(a));
            var script = "NODE_RANK=$(( ${HOSTNAME##*-} + 1 )) && exec " + string.Join(' ', words);
            container.Add("command", new YamlSeq { "/bin/sh", "-c" });
            container.Add("args", new YamlSeq { script.Replace("$", "$$") });
        }
        else
        {
            container.Add("command", new YamlSeq(entrypoint));
            container.Add("args", new YamlSeq(args));
        }
        var env = new YamlSeq { new YamlMap { { "name", "HF_HUB_OFFLINE" }, { "value", "1" } } };
        if (spec.HostModelPath is null) env.Add(new YamlMap { { "name", "HF_HOME" }, { "value", HfCache } });
        if (role != Role.Single && spec.Engine == ServingEngine.Vllm)
            // Each rank announces its own pod IP to the others (vLLM would otherwise guess an interface).
            env.Add(new YamlMap
            {
                { "name", "VLLM_HOST_IP" },
                { "valueFrom", new YamlMap { { "fieldRef", new YamlMap { { "fieldPath", "status.podIP" } } } } },
            });
        if (hasKey)
            env.Add(new YamlMap
            {
                { "name", secretEnv },
                { "valueFrom", new YamlMap { { "secretKeyRef", new YamlMap { { "name", spec.ApiKeySecretName }, { "key", SecretKey } } } } },
            });
        container.Add("env", env);
        if (role != Role.Worker)
            container.Add("ports", new YamlSeq { new YamlMap { { "name", "http" }, { "containerPort", spec.Port }, { "protocol", "TCP" } } });
        container.Add("resources", new YamlMap { { "limits", new YamlMap { { "nvidia.com/gpu", spec.GpusPerNode } } } });
        container.Add("volumeMounts", new YamlSeq
        {
            new YamlMap { { "name", "model" }, { "mountPath", spec.HostModelPath is null ? HfCache : ContainerModel(spec) }, { "readOnly", true } },
            new YamlMap { { "name", "dshm" }, { "mountPath", "/dev/shm" } },
        });
        if (role != Role.Worker)
        {
            YamlMap Probe(int period, int failures) => new()
            {
                { "httpGet", new YamlMap { { "path", "/health" }, { "port", "http" } } },
                { "periodSeconds", period },
                { "timeoutSeconds", 5 },
                { "failureThreshold", failures },
            };
            container.Comment("Loading takes minutes: the startup probe allows 30 min before liveness starts counting.");
            container.Add("startupProbe", Probe(10, 180));
            container.Add("readinessProbe", Probe(10, 3));
            container.Add("livenessProbe", Probe(30, 3));
        }

        var modelVolume = spec.HostModelPath is null
            ? new YamlMap { { "name", "model" }, { "persistentVolumeClaim", new YamlMap { { "claimName", ClaimName(spec) }, { "readOnly", true } } } }
            : new YamlMap { { "name", "model" }, { "hostPath", new YamlMap { { "path", spec.HostModelPath }, { "type", "Directory" } } } };
        return new YamlMap
        {
            { "metadata", new YamlMap { { "labels", Labels(spec, component) } } },
            { "spec", new YamlMap
                {
                    { "containers", new YamlSeq { container } },
                    { "tolerations", new YamlSeq { new YamlMap { { "key", "nvidia.com/gpu" }, { "operator", "Exists" }, { "effect", "NoSchedule" } } } },
                    { "volumes", new YamlSeq
                        {
                            modelVolume,
                            new YamlMap { { "name", "dshm" }, { "emptyDir", new YamlMap { { "medium", "Memory" }, { "sizeLimit", "32Gi" } } } },
                        } },
                } },
        };
    }

    /// <summary>A POSIX shell word: bare when it holds only safe characters, else single-quoted.</summary>
    internal static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@+,".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
