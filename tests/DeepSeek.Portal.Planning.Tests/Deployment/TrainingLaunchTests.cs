using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Planning.Deployment;
using static DeepSeek.Portal.Planning.Tests.Deployment.GeneratedDocuments;

namespace DeepSeek.Portal.Planning.Tests.Deployment;

public class TrainingLaunchTests
{
    internal static readonly TrainingLaunchSpec DeepSpeedTwoNodes = new(TrainingFramework.DeepSpeed, "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        Nodes: 2, GpusPerNode: 8, MasterAddress: "10.0.0.1", MasterPort: 29500, SocketInterface: "eth0", InfiniBand: false,
        ZeroStage: 3, Lora: false, LoraRank: 16, LoraAlpha: 32, LearningRate: 2e-5, Epochs: 3, MicroBatchSize: 8,
        GradientAccumulationSteps: 4, SequenceLength: 4096, Bf16: true, DatasetName: "support_v3", DatasetFile: "support_v3.json",
        DatasetFormat: "alpaca", Image: "deepspeed/deepspeed:v0.16.4-torch2.4-cuda12.1");

    /// <summary>Seed 1.2: one node, four GPUs, MASTER_ADDR=127.0.0.1, MASTER_PORT=29500.</summary>
    internal static readonly TrainingLaunchSpec LlamaFactoryOneNode = DeepSpeedTwoNodes with
    {
        Framework = TrainingFramework.LlamaFactory, Nodes = 1, GpusPerNode = 4, MasterAddress = "127.0.0.1", SocketInterface = null,
        ZeroStage = 0, Lora = true, LearningRate = 1e-4, Bf16 = false, DatasetFormat = "sharegpt", DatasetFile = "chats.jsonl",
        DatasetName = "chats", Image = "hiyouga/llamafactory:0.9.3",
    };

    private static Dictionary<string, GeneratedFile> Files(TrainingLaunchSpec spec) =>
        TrainingLaunch.Bundle(spec).ToDictionary(f => f.Path);

    [Fact]
    public void Bundles_hold_the_files_each_framework_reads()
    {
        Assert.Equal(["launch.sh", "compose.yaml", "ds_config.json", "train_args.json", "data/dataset_info.json", "README.txt"],
            TrainingLaunch.Bundle(DeepSpeedTwoNodes).Select(f => f.Path));
        Assert.Equal(["launch.sh", "compose.yaml", "ds_config.json", "train_args.json", "lora_config.json", "data/dataset_info.json", "README.txt"],
            TrainingLaunch.Bundle(DeepSpeedTwoNodes with { Lora = true }).Select(f => f.Path));
        Assert.Equal(["launch.sh", "compose.yaml", "llamafactory.yaml", "data/dataset_info.json", "README.txt"],
            TrainingLaunch.Bundle(LlamaFactoryOneNode).Select(f => f.Path));
        Assert.Contains("ds_config.json", TrainingLaunch.Bundle(LlamaFactoryOneNode with { ZeroStage = 2 }).Select(f => f.Path));
    }

    [Theory]
    [InlineData(TrainingFramework.DeepSpeed)]
    [InlineData(TrainingFramework.LlamaFactory)]
    public void Launch_script_passes_bash_syntax_check(TrainingFramework framework)
    {
        var spec = framework == TrainingFramework.DeepSpeed ? DeepSpeedTwoNodes : LlamaFactoryOneNode;
        var script = Files(spec)["launch.sh"].Content;
        Assert.StartsWith("#!/usr/bin/env bash\n", script);
        Assert.Contains("\nset -euo pipefail\n", script);
        var (code, _, error) = RunBundle(spec, "bash", ["-n", "launch.sh"], env: []);
        Assert.True(code == 0, error);
    }

    [Fact]
    public void Deepspeed_launch_runs_torchrun_with_the_node_rank_and_the_nccl_environment()
    {
        var (code, output, error) = RunBundle(DeepSpeedTwoNodes, "bash", ["launch.sh", "1"], env: []);
        Assert.True(code == 0, error);
        var lines = output.Split('\n');
        var argv = lines.TakeWhile(l => l != "--env--").ToList();
        var env = lines.SkipWhile(l => l != "--env--").Skip(1).Where(l => l.Contains('='))
            .Select(l => l.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
        Assert.Equal("torchrun", argv[0]);
        Assert.Equal("2", Flag(argv, "--nnodes"));
        Assert.Equal("8", Flag(argv, "--nproc-per-node"));
        Assert.Equal("1", Flag(argv, "--node-rank"));
        Assert.Equal("10.0.0.1", Flag(argv, "--master-addr"));
        Assert.Equal("29500", Flag(argv, "--master-port"));
        Assert.Equal(["train.py", "train_args.json"], argv.TakeLast(2));
        Assert.Equal("INFO", env["NCCL_DEBUG"]);
        Assert.Equal("10.0.0.1", env["MASTER_ADDR"]);
        Assert.Equal("29500", env["MASTER_PORT"]);
        Assert.Equal("eth0", env["NCCL_SOCKET_IFNAME"]);
        Assert.Equal("1", env["NCCL_IB_DISABLE"]);
    }

    [Fact]
    public void A_rank_outside_the_cluster_or_missing_is_refused()
    {
        Assert.Equal(2, RunBundle(DeepSpeedTwoNodes, "bash", ["launch.sh", "2"], env: []).Code);
        Assert.Equal(2, RunBundle(DeepSpeedTwoNodes, "bash", ["launch.sh"], env: []).Code);
        Assert.Equal(2, RunBundle(DeepSpeedTwoNodes, "bash", ["launch.sh", "x; rm -rf /"], env: []).Code);
        // NODE_RANK from the environment works like the argument.
        Assert.Equal(0, RunBundle(DeepSpeedTwoNodes, "bash", ["launch.sh"], env: new() { ["NODE_RANK"] = "0" }).Code);
    }

    [Fact]
    public void Infiniband_launch_leaves_rdma_on()
    {
        var (code, output, error) = RunBundle(DeepSpeedTwoNodes with { InfiniBand = true, SocketInterface = null }, "bash", ["launch.sh", "0"], env: []);
        Assert.True(code == 0, error);
        Assert.DoesNotContain("NCCL_IB_DISABLE=", output);
        Assert.DoesNotContain("NCCL_SOCKET_IFNAME=", output);
        var compose = ParseSingleYaml(Files(DeepSpeedTwoNodes with { InfiniBand = true })["compose.yaml"].Content);
        Assert.Contains("IPC_LOCK", compose["services"]!["train"]!["cap_add"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public void Llamafactory_launch_on_one_node_uses_the_seed_master_and_forces_torchrun()
    {
        var (code, output, error) = RunBundle(LlamaFactoryOneNode, "bash", ["launch.sh"], env: []);
        Assert.True(code == 0, error);
        var lines = output.Split('\n');
        Assert.Equal(["llamafactory-cli", "train", "llamafactory.yaml"], lines.TakeWhile(l => l != "--env--"));
        var env = lines.SkipWhile(l => l != "--env--").Skip(1).Where(l => l.Contains('='))
            .Select(l => l.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
        Assert.Equal("1", env["FORCE_TORCHRUN"]);
        Assert.Equal("1", env["NNODES"]);
        Assert.Equal("0", env["NODE_RANK"]);
        Assert.Equal("4", env["NPROC_PER_NODE"]);
        Assert.Equal("127.0.0.1", env["MASTER_ADDR"]);
        Assert.Equal("29500", env["MASTER_PORT"]);
        Assert.Equal("INFO", env["NCCL_DEBUG"]);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Deepspeed_config_loads_and_its_batch_adds_up(int stage, bool bf16)
    {
        var spec = DeepSpeedTwoNodes with { ZeroStage = stage, Bf16 = bf16 };
        var files = Files(spec);
        using var ds = JsonDocument.Parse(files["ds_config.json"].Content);
        var root = ds.RootElement;
        Assert.Equal(stage, root.GetProperty("zero_optimization").GetProperty("stage").GetInt32());
        var micro = root.GetProperty("train_micro_batch_size_per_gpu").GetInt32();
        var accumulation = root.GetProperty("gradient_accumulation_steps").GetInt32();
        Assert.Equal((8, 4), (micro, accumulation));
        Assert.Equal(micro * accumulation * 16, root.GetProperty("train_batch_size").GetInt32());
        Assert.Equal(1.0, root.GetProperty("gradient_clipping").GetDouble());
        Assert.Equal(bf16, root.GetProperty("bf16").GetProperty("enabled").GetBoolean());
        Assert.Equal(!bf16, root.GetProperty("fp16").GetProperty("enabled").GetBoolean());
        Assert.Equal(0, root.GetProperty("fp16").GetProperty("loss_scale").GetInt32()); // dynamic loss scaling
        Assert.Equal("AdamW", root.GetProperty("optimizer").GetProperty("type").GetString());
        Assert.Equal(2e-5, root.GetProperty("optimizer").GetProperty("params").GetProperty("lr").GetDouble());

        using var args = JsonDocument.Parse(files["train_args.json"].Content);
        var a = args.RootElement;
        Assert.Equal("/workspace/ds_config.json", a.GetProperty("deepspeed").GetString());
        Assert.Equal(micro, a.GetProperty("per_device_train_batch_size").GetInt32());
        Assert.Equal(accumulation, a.GetProperty("gradient_accumulation_steps").GetInt32());
        Assert.Equal(2e-5, a.GetProperty("learning_rate").GetDouble());
        Assert.Equal(bf16, a.GetProperty("bf16").GetBoolean());
        Assert.Equal(!bf16, a.GetProperty("fp16").GetBoolean());
        Assert.Equal("/data/support_v3.json", a.GetProperty("train_file").GetString());
        Assert.Equal("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", a.GetProperty("model_name_or_path").GetString());
    }

    /// <summary>The keys LLaMA-Factory's argument parser reads for an SFT run (model, method, dataset, output, train).</summary>
    private static readonly string[] LlamaFactoryKeys =
    [
        "model_name_or_path", "stage", "do_train", "finetuning_type", "dataset", "dataset_dir", "template", "cutoff_len",
        "output_dir", "per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate", "num_train_epochs",
    ];

    private static readonly Regex Yaml11Float = new(@"^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$");

    [Fact]
    public void Llamafactory_yaml_has_the_keys_the_tool_reads_with_values_pyyaml_types_right()
    {
        var files = Files(LlamaFactoryOneNode);
        var text = files["llamafactory.yaml"].Content;
        var yaml = ParseSingleYaml(text);
        foreach (var key in LlamaFactoryKeys) Assert.True(yaml.ContainsKey(key), $"missing {key}");
        Assert.Equal("sft", (string)yaml["stage"]!);
        Assert.True((bool)yaml["do_train"]!);
        Assert.Equal("lora", (string)yaml["finetuning_type"]!);
        Assert.Equal(16, (long)yaml["lora_rank"]!);
        Assert.Equal(32, (long)yaml["lora_alpha"]!);
        Assert.Equal("all", (string)yaml["lora_target"]!);
        Assert.Equal("chats", (string)yaml["dataset"]!);
        Assert.Equal("/data", (string)yaml["dataset_dir"]!);
        Assert.Equal("deepseekr1", (string)yaml["template"]!);
        Assert.Equal(4096, (long)yaml["cutoff_len"]!);
        Assert.Equal(1e-4, (double)yaml["learning_rate"]!);
        Assert.Equal(3.0, (double)yaml["num_train_epochs"]!);
        Assert.True((bool)yaml["fp16"]!);
        Assert.False(yaml.ContainsKey("bf16"));
        Assert.False(yaml.ContainsKey("deepspeed"));
        // PyYAML (YAML 1.1) reads "1e-04" as a string, which HfArgumentParser would not convert: the text must have a dot.
        var lr = Regex.Match(text, "^learning_rate: (.*)$", RegexOptions.Multiline).Groups[1].Value;
        Assert.Matches(Yaml11Float, lr);

        var full = ParseSingleYaml(Files(LlamaFactoryOneNode with { Lora = false, ZeroStage = 3, Bf16 = true })["llamafactory.yaml"].Content);
        Assert.Equal("full", (string)full["finetuning_type"]!);
        Assert.False(full.ContainsKey("lora_rank"));
        Assert.Equal("/workspace/ds_config.json", (string)full["deepspeed"]!);
        Assert.True((bool)full["bf16"]!);
        using var ds = JsonDocument.Parse(Files(LlamaFactoryOneNode with { ZeroStage = 3 })["ds_config.json"].Content);
        Assert.Equal(3, ds.RootElement.GetProperty("zero_optimization").GetProperty("stage").GetInt32());
        Assert.Equal("auto", ds.RootElement.GetProperty("train_micro_batch_size_per_gpu").GetString());
    }

    [Theory]
    [InlineData("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "deepseekr1", false)]
    [InlineData("deepseek-ai/DeepSeek-R1", "deepseekr1", false)]
    [InlineData("deepseek-ai/DeepSeek-V3", "deepseek3", false)]
    [InlineData("deepseek-ai/deepseek-llm-7b-chat", "deepseek", false)]
    [InlineData("deepseek-ai/DeepSeek-V2-Lite-Chat", "deepseek", false)]
    [InlineData("deepseek-ai/deepseek-llm-7b-base", "deepseek", true)]
    [InlineData("deepseek-ai/deepseek-coder-6.7b-instruct", "deepseekcoder", false)]
    [InlineData("Qwen/Qwen2.5-7B-Instruct", "qwen", false)]
    [InlineData("/models/demo", "default", true)]
    public void Template_follows_the_model_family(string model, string template, bool uncertain) =>
        Assert.Equal((template, uncertain), TrainingLaunch.LlamaFactoryTemplate(model));

    [Fact]
    public void Dataset_info_registers_the_exported_file_in_its_format()
    {
        using var alpaca = JsonDocument.Parse(Files(DeepSpeedTwoNodes)["data/dataset_info.json"].Content);
        var a = alpaca.RootElement.GetProperty("support_v3");
        Assert.Equal("support_v3.json", a.GetProperty("file_name").GetString());
        Assert.Equal("alpaca", a.GetProperty("formatting").GetString());
        Assert.Equal(("instruction", "input", "output"), (a.GetProperty("columns").GetProperty("prompt").GetString(),
            a.GetProperty("columns").GetProperty("query").GetString(), a.GetProperty("columns").GetProperty("response").GetString()));

        var files = Files(LlamaFactoryOneNode);
        using var sharegpt = JsonDocument.Parse(files["data/dataset_info.json"].Content);
        var s = sharegpt.RootElement.GetProperty("chats");
        Assert.Equal("chats.jsonl", s.GetProperty("file_name").GetString());
        Assert.Equal("sharegpt", s.GetProperty("formatting").GetString());
        Assert.Equal("messages", s.GetProperty("columns").GetProperty("messages").GetString());
        var tags = s.GetProperty("tags");
        Assert.Equal(("role", "content", "user", "assistant"), (tags.GetProperty("role_tag").GetString(), tags.GetProperty("content_tag").GetString(),
            tags.GetProperty("user_tag").GetString(), tags.GetProperty("assistant_tag").GetString()));
        // The YAML's dataset is the registered name.
        Assert.Equal((string)ParseSingleYaml(files["llamafactory.yaml"].Content)["dataset"]!, sharegpt.RootElement.EnumerateObject().Single().Name);
    }

    [Theory]
    [InlineData(TrainingFramework.DeepSpeed)]
    [InlineData(TrainingFramework.LlamaFactory)]
    public void Training_compose_matches_the_schema_with_gpus_host_network_and_mounts(TrainingFramework framework)
    {
        var spec = framework == TrainingFramework.DeepSpeed ? DeepSpeedTwoNodes : LlamaFactoryOneNode;
        var doc = ParseSingleYaml(Files(spec)["compose.yaml"].Content);
        AssertValid(ComposeSchema, doc);
        var train = doc["services"]!["train"]!;
        Assert.Equal(spec.GpusPerNode, (long)train["deploy"]!["resources"]!["reservations"]!["devices"]![0]!["count"]!);
        Assert.Equal("host", (string)train["network_mode"]!);
        Assert.Equal("host", (string)train["ipc"]!);
        var targets = train["volumes"]!.AsArray().Select(v => (string)v!["target"]!).ToList();
        Assert.Equal(["/workspace", "/data", "/output", "/root/.cache/huggingface"], targets);
        Assert.True((bool)train["volumes"]![1]!["read_only"]!);
        Assert.Equal(["bash", "/workspace/launch.sh"], train["command"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public void Readme_gives_the_run_order_on_each_node()
    {
        var readme = Files(DeepSpeedTwoNodes)["README.txt"].Content;
        Assert.Contains("NODE_RANK=0 docker compose run --rm train", readme);
        Assert.Contains("k = 1..1", readme);
        Assert.Contains("10.0.0.1:29500", readme);
    }

    public static TheoryData<string, TrainingLaunchSpec> BadSpecs => new()
    {
        { "Nodes", DeepSpeedTwoNodes with { Nodes = 0 } },
        { "GpusPerNode", DeepSpeedTwoNodes with { GpusPerNode = 0 } },
        { "MasterPort", DeepSpeedTwoNodes with { MasterPort = 0 } },
        { "MasterPort", DeepSpeedTwoNodes with { MasterPort = 70000 } },
        { "MasterAddress", DeepSpeedTwoNodes with { MasterAddress = "10.0.0.1; reboot" } },
        { "MasterAddress", DeepSpeedTwoNodes with { MasterAddress = "" } },
        { "SocketInterface", DeepSpeedTwoNodes with { SocketInterface = "eth0 $(id)" } },
        { "ZeroStage", DeepSpeedTwoNodes with { ZeroStage = 4 } },
        { "ZeroStage", DeepSpeedTwoNodes with { ZeroStage = -1 } },
        { "LoraRank", DeepSpeedTwoNodes with { Lora = true, LoraRank = 0 } },
        { "LearningRate", DeepSpeedTwoNodes with { LearningRate = 0 } },
        { "LearningRate", DeepSpeedTwoNodes with { LearningRate = double.NaN } },
        { "Epochs", DeepSpeedTwoNodes with { Epochs = 0 } },
        { "MicroBatchSize", DeepSpeedTwoNodes with { MicroBatchSize = 0 } },
        { "GradientAccumulationSteps", DeepSpeedTwoNodes with { GradientAccumulationSteps = 0 } },
        { "SequenceLength", DeepSpeedTwoNodes with { SequenceLength = 0 } },
        { "DatasetName", DeepSpeedTwoNodes with { DatasetName = "my data" } },
        { "DatasetFile", DeepSpeedTwoNodes with { DatasetFile = "../etc/passwd.json" } },
        { "DatasetFile", DeepSpeedTwoNodes with { DatasetFile = "data.csv" } },
        { "DatasetFormat", DeepSpeedTwoNodes with { DatasetFormat = "csv" } },
        { "BaseModel", DeepSpeedTwoNodes with { BaseModel = "" } },
        { "Image", DeepSpeedTwoNodes with { Image = "img with space" } },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void A_bad_field_is_refused_by_name(string field, TrainingLaunchSpec spec)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => TrainingLaunch.Bundle(spec));
        Assert.Equal(field, e.ParamName);
        Assert.StartsWith(field + ": expected", e.Message);
    }

    /// <summary>
    /// Writes the bundle to a temporary folder and runs a command there with stand-ins for torchrun and llamafactory-cli on
    /// PATH that print their argv, then <c>--env--</c>, then their environment.
    /// </summary>
    private static (int Code, string Output, string Error) RunBundle(TrainingLaunchSpec spec, string program, string[] args, Dictionary<string, string> env)
    {
        var dir = Directory.CreateTempSubdirectory("launch-test-");
        try
        {
            foreach (var f in TrainingLaunch.Bundle(spec))
            {
                var path = Path.Combine(dir.FullName, f.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, f.Content);
            }
            var bin = Directory.CreateDirectory(Path.Combine(dir.FullName, "fake-bin"));
            foreach (var tool in new[] { "torchrun", "llamafactory-cli" })
            {
                var fake = Path.Combine(bin.FullName, tool);
                File.WriteAllText(fake, "#!/bin/sh\nprintf '%s\\n' \"$(basename \"$0\")\"\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\necho --env--\nenv\n");
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var psi = new ProcessStartInfo(program) { WorkingDirectory = dir.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var name in new[] { "NODE_RANK", "MASTER_ADDR", "MASTER_PORT", "NCCL_SOCKET_IFNAME", "NCCL_IB_DISABLE", "FORCE_TORCHRUN" })
                psi.Environment.Remove(name);
            psi.Environment["PATH"] = bin.FullName + ":/usr/bin:/bin";
            foreach (var (k, v) in env) psi.Environment[k] = v;
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output.Result, error);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
