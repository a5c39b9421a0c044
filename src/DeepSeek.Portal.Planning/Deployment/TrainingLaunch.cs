using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSeek.Portal.Planning.Deployment;

/// <summary>A multi-node torchrun launch for DeepSpeed or LLaMA-Factory in a container, with the NCCL environment of seed 1.2.</summary>
/// <remarks>
/// Bundle layout (the portal adds the exported dataset as <c>data/&lt;DatasetFile&gt;</c>): <c>launch.sh</c>, <c>compose.yaml</c>,
/// <c>README.txt</c>, <c>data/dataset_info.json</c>, and <c>ds_config.json</c> + <c>train_args.json</c> (DeepSpeed) or
/// <c>llamafactory.yaml</c> (+ <c>ds_config.json</c> when ZeRO &gt; 0). In the container the bundle is <c>/workspace</c>, the data
/// <c>/data</c> (read-only) and the results <c>/output</c>.
/// </remarks>
public static class TrainingLaunch
{
    /// <summary>Where the bundle is mounted in the training container.</summary>
    public const string Workspace = "/workspace";

    /// <summary>Where the dataset folder (with <c>dataset_info.json</c>) is mounted.</summary>
    public const string DataDir = "/data";

    /// <summary>Where checkpoints and adapters are written.</summary>
    public const string OutputDir = "/output";

    /// <summary>
    /// The files of the launch bundle (without the dataset, which the portal exports): <c>launch.sh</c> (per-node torchrun with
    /// MASTER_ADDR/MASTER_PORT/NCCL_*), <c>compose.yaml</c> for the training container, and the framework's config
    /// (<c>ds_config.json</c> + <c>train_args.json</c>, or <c>llamafactory.yaml</c> + <c>dataset_info.json</c>).
    /// </summary>
    public static IReadOnlyList<GeneratedFile> Bundle(TrainingLaunchSpec spec)
    {
        Validate(spec);
        var files = new List<GeneratedFile>
        {
            new("launch.sh", LaunchScript(spec), "text/x-shellscript"),
            new("compose.yaml", Compose(spec), "application/yaml"),
        };
        if (spec.Framework == TrainingFramework.DeepSpeed)
        {
            files.Add(Json("ds_config.json", DeepSpeedConfig(spec, forHfTrainer: false)));
            files.Add(Json("train_args.json", TrainArgs(spec)));
            if (spec.Lora) files.Add(Json("lora_config.json", LoraConfig(spec)));
        }
        else
        {
            files.Add(new GeneratedFile("llamafactory.yaml", LlamaFactoryYaml(spec), "application/yaml"));
            if (spec.ZeroStage > 0) files.Add(Json("ds_config.json", DeepSpeedConfig(spec, forHfTrainer: true)));
        }
        files.Add(Json("data/dataset_info.json", DatasetInfo(spec)));
        files.Add(new GeneratedFile("README.txt", Readme(spec), "text/plain"));
        return files;
    }

    /// <summary>Checks every field; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    internal static void Validate(TrainingLaunchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        SpecChecks.Require(Enum.IsDefined(spec.Framework), nameof(spec.Framework), $"expected DeepSpeed or LlamaFactory, got {(int)spec.Framework}.");
        SpecChecks.Word(spec.BaseModel, nameof(spec.BaseModel), "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B or /models/base");
        SpecChecks.Range(spec.Nodes, 1, 4096, nameof(spec.Nodes));
        SpecChecks.Range(spec.GpusPerNode, 1, 64, nameof(spec.GpusPerNode));
        // A field people type on the planner page: refused with a translatable note.
        if (string.IsNullOrEmpty(spec.MasterAddress) || spec.MasterAddress.Length > 253 || !SpecChecks.HostOrAddress().IsMatch(spec.MasterAddress))
            throw new SpecFieldException(nameof(spec.MasterAddress), PlanNote.Of("SpecMasterAddress",
                $"{nameof(spec.MasterAddress)}: expected rank 0's host name or IP address (such as 127.0.0.1 or 10.0.0.1), got \"{SpecChecks.Printable(spec.MasterAddress ?? "")}\"."));
        SpecChecks.Port(spec.MasterPort, nameof(spec.MasterPort));
        if (spec.SocketInterface is not null)
            SpecChecks.Require(SpecChecks.InterfaceList().IsMatch(spec.SocketInterface), nameof(spec.SocketInterface),
                $"expected an NCCL_SOCKET_IFNAME list such as eth0, ens1f0 or ^docker,lo, got \"{SpecChecks.Printable(spec.SocketInterface)}\".");
        SpecChecks.Range(spec.ZeroStage, 0, 3, nameof(spec.ZeroStage));
        if (spec.Lora)
        {
            SpecChecks.Range(spec.LoraRank, 1, 4096, nameof(spec.LoraRank));
            SpecChecks.Range(spec.LoraAlpha, 1, 65536, nameof(spec.LoraAlpha));
        }
        SpecChecks.Require(double.IsFinite(spec.LearningRate) && spec.LearningRate > 0 && spec.LearningRate < 1, nameof(spec.LearningRate),
            $"expected a learning rate above 0 and below 1 (such as 2e-5), got {spec.LearningRate.ToString(CultureInfo.InvariantCulture)}.");
        SpecChecks.Range(spec.Epochs, 1, 1000, nameof(spec.Epochs));
        SpecChecks.Range(spec.MicroBatchSize, 1, 4096, nameof(spec.MicroBatchSize));
        SpecChecks.Range(spec.GradientAccumulationSteps, 1, 65536, nameof(spec.GradientAccumulationSteps));
        SpecChecks.Range(spec.SequenceLength, 16, 1_048_576, nameof(spec.SequenceLength));
        SpecChecks.Require(!string.IsNullOrEmpty(spec.DatasetName) && SpecChecks.DatasetName().IsMatch(spec.DatasetName), nameof(spec.DatasetName),
            $"expected letters, digits, '.', '_' or '-' (such as support_v3), got \"{SpecChecks.Printable(spec.DatasetName ?? "")}\".");
        SpecChecks.Require(!string.IsNullOrEmpty(spec.DatasetFile) && SpecChecks.DatasetFile().IsMatch(spec.DatasetFile), nameof(spec.DatasetFile),
            $"expected a bare .json or .jsonl file name (such as support_v3.json), got \"{SpecChecks.Printable(spec.DatasetFile ?? "")}\".");
        SpecChecks.Require(spec.DatasetFormat is "alpaca" or "sharegpt", nameof(spec.DatasetFormat),
            $"expected alpaca or sharegpt, got \"{SpecChecks.Printable(spec.DatasetFormat ?? "")}\".");
        SpecChecks.Word(spec.Image, nameof(spec.Image), "hiyouga/llamafactory:latest");
    }

    /// <summary>
    /// The LLaMA-Factory chat template for a base model, and whether the mapping is a guess. Template names as in
    /// LLaMA-Factory's <c>template.py</c>: R1 and its distillations use <c>deepseekr1</c> (the think-tag format the distilled
    /// checkpoints were trained on, even for the Qwen/Llama-based ones), V3 <c>deepseek3</c>, DeepSeek-LLM and V2 chat
    /// <c>deepseek</c>, DeepSeek-Coder <c>deepseekcoder</c>. Base (non-chat) checkpoints have no template of their own;
    /// anything unrecognised falls back to <c>default</c>, marked uncertain.
    /// </summary>
    public static (string Template, bool Uncertain) LlamaFactoryTemplate(string baseModel)
    {
        var m = (baseModel ?? "").ToLowerInvariant();
        if (m.Contains("r1")) return ("deepseekr1", false);
        if (m.Contains("deepseek-v3")) return ("deepseek3", false);
        if (m.Contains("deepseek-coder")) return ("deepseekcoder", false);
        if (m.Contains("deepseek")) return ("deepseek", !m.Contains("chat")); // base checkpoints: the chat format is an assumption
        if (m.Contains("qwen")) return ("qwen", false);
        if (m.Contains("llama-3") || m.Contains("llama3")) return ("llama3", false);
        return ("default", true);
    }

    private static int WorldSize(TrainingLaunchSpec spec) => spec.Nodes * spec.GpusPerNode;

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Sh(string s) => ServingArtefacts.ShellQuote(s);

    private static GeneratedFile Json(string path, JsonObject node) =>
        new(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", "application/json");

    private static string LaunchScript(TrainingLaunchSpec spec)
    {
        var sb = new StringBuilder();
        var framework = spec.Framework == TrainingFramework.DeepSpeed ? "DeepSpeed" : "LLaMA-Factory";
        sb.Append("#!/usr/bin/env bash\n");
        sb.Append($"# {framework} launch generated by DeepSeek Portal's deployment planner: {spec.Nodes} node(s) × {spec.GpusPerNode} GPU(s) = {WorldSize(spec)} ranks.\n");
        sb.Append("# Run on every node (inside the training container: docker compose run, see README.txt) with that node's rank:\n");
        sb.Append(spec.Nodes > 1 ? "#   ./launch.sh 0        on the master node (MASTER_ADDR), then\n" : "#   ./launch.sh 0        (one node: the rank may be left out)\n");
        if (spec.Nodes > 1) sb.Append($"#   ./launch.sh k        on node k = 1..{spec.Nodes - 1}\n");
        sb.Append("# NODE_RANK may also come from the environment. MASTER_ADDR/MASTER_PORT from the environment override the planned ones.\n");
        sb.Append("set -euo pipefail\n\n");
        sb.Append($"NNODES={Inv(spec.Nodes)}\n");
        sb.Append($"NPROC_PER_NODE={Inv(spec.GpusPerNode)}\n");
        sb.Append("NODE_RANK=\"${1:-${NODE_RANK:-}}\"\n");
        sb.Append("if [[ -z \"$NODE_RANK\" && \"$NNODES\" -eq 1 ]]; then NODE_RANK=0; fi\n");
        sb.Append("if ! [[ \"$NODE_RANK\" =~ ^[0-9]+$ ]] || (( NODE_RANK >= NNODES )); then\n");
        sb.Append("  echo \"usage: $0 NODE_RANK   (0..$((NNODES - 1)); got '${NODE_RANK}')\" >&2\n");
        sb.Append("  exit 2\n");
        sb.Append("fi\n\n");
        sb.Append("# Distributed environment (seed 1.2: NCCL_DEBUG=INFO, MASTER_ADDR=127.0.0.1, MASTER_PORT=29500 on one node).\n");
        sb.Append("export NCCL_DEBUG=INFO\n");
        sb.Append($"export MASTER_ADDR=\"${{MASTER_ADDR:-{spec.MasterAddress}}}\"\n");
        sb.Append($"export MASTER_PORT=\"${{MASTER_PORT:-{Inv(spec.MasterPort)}}}\"\n");
        if (spec.SocketInterface is not null)
        {
            sb.Append($"export NCCL_SOCKET_IFNAME={Sh(spec.SocketInterface)}\n");
            sb.Append("export GLOO_SOCKET_IFNAME=\"$NCCL_SOCKET_IFNAME\"\n");
        }
        if (!spec.InfiniBand)
            sb.Append("export NCCL_IB_DISABLE=1   # no RDMA planned: NCCL uses TCP sockets\n");
        else
            sb.Append("# InfiniBand/RoCE planned: NCCL picks the RDMA devices (set NCCL_IB_HCA to choose; NCCL_IB_GID_INDEX=3 on RoCE).\n");
        sb.Append("export NODE_RANK NNODES NPROC_PER_NODE\n");
        sb.Append("export HF_HUB_OFFLINE=\"${HF_HUB_OFFLINE:-0}\"\n\n");
        sb.Append("cd \"$(dirname \"$0\")\"\n");
        sb.Append("echo \"node $NODE_RANK/$NNODES: $NPROC_PER_NODE GPU(s), master $MASTER_ADDR:$MASTER_PORT\" >&2\n\n");
        if (spec.Framework == TrainingFramework.DeepSpeed)
        {
            sb.Append("# TRAIN_SCRIPT: a Hugging Face Trainer script that takes one .json argument (HfArgumentParser.parse_json_file),\n");
            sb.Append("# such as transformers' examples/pytorch/language-modeling/run_clm.py, or your own.\n");
            sb.Append("TRAIN_SCRIPT=\"${TRAIN_SCRIPT:-train.py}\"\n");
            sb.Append("exec torchrun \\\n");
            sb.Append("  --nnodes \"$NNODES\" \\\n");
            sb.Append("  --nproc-per-node \"$NPROC_PER_NODE\" \\\n");
            sb.Append("  --node-rank \"$NODE_RANK\" \\\n");
            sb.Append("  --master-addr \"$MASTER_ADDR\" \\\n");
            sb.Append("  --master-port \"$MASTER_PORT\" \\\n");
            sb.Append("  \"$TRAIN_SCRIPT\" train_args.json\n");
        }
        else
        {
            sb.Append("# llamafactory-cli starts torchrun itself (--nnodes/--nproc-per-node/--node-rank/--master-addr/--master-port)\n");
            sb.Append("# from these variables when FORCE_TORCHRUN is set.\n");
            sb.Append("FORCE_TORCHRUN=1 NNODES=\"$NNODES\" NPROC_PER_NODE=\"$NPROC_PER_NODE\" NODE_RANK=\"$NODE_RANK\" \\\n");
            sb.Append("  MASTER_ADDR=\"$MASTER_ADDR\" MASTER_PORT=\"$MASTER_PORT\" \\\n");
            sb.Append("  exec llamafactory-cli train llamafactory.yaml\n");
        }
        return sb.ToString();
    }

    private static string Compose(TrainingLaunchSpec spec)
    {
        var header = new List<string>
        {
            $"Training container for the {(spec.Framework == TrainingFramework.DeepSpeed ? "DeepSpeed" : "LLaMA-Factory")} launch ({spec.Nodes} node(s) × {spec.GpusPerNode} GPU(s)).",
            "On each node, from this folder:  NODE_RANK=<k> docker compose run --rm train",
            "Host networking and ipc: host, so NCCL sees the real interfaces and shared memory.",
        };
        var service = new YamlMap
        {
            { "image", spec.Image },
            { "working_dir", Workspace },
            { "command", new YamlSeq { "bash", $"{Workspace}/launch.sh" } },
            { "environment", new YamlMap
                {
                    { "NODE_RANK", spec.Nodes == 1 ? "${NODE_RANK:-0}" : $"${{NODE_RANK:?set NODE_RANK to this node's rank (0..{spec.Nodes - 1})}}" },
                    { "MASTER_ADDR", $"${{MASTER_ADDR:-{spec.MasterAddress}}}" },
                    { "MASTER_PORT", $"${{MASTER_PORT:-{Inv(spec.MasterPort)}}}" },
                } },
            { "network_mode", "host" },
            { "ipc", "host" },
            { "shm_size", "32gb" },
            { "ulimits", new YamlMap { { "memlock", -1 }, { "stack", 67108864 } } },
        };
        if (spec.InfiniBand)
        {
            service.Comment("RDMA: the InfiniBand/RoCE devices and the right to pin memory.");
            service.Add("devices", new YamlSeq { "/dev/infiniband:/dev/infiniband" });
            service.Add("cap_add", new YamlSeq { "IPC_LOCK" });
        }
        service.Add("volumes", new YamlSeq
        {
            new YamlMap { { "type", "bind" }, { "source", "." }, { "target", Workspace }, { "read_only", true } },
            new YamlMap { { "type", "bind" }, { "source", "${DATA_DIR:-./data}" }, { "target", DataDir }, { "read_only", true } },
            new YamlMap { { "type", "bind" }, { "source", "${OUTPUT_DIR:-./output}" }, { "target", OutputDir } },
            new YamlMap { { "type", "bind" }, { "source", "${HF_CACHE_DIR:-${HOME}/.cache/huggingface}" }, { "target", "/root/.cache/huggingface" } },
        });
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
        var root = new YamlMap { { "services", new YamlMap { { "train", service } } } };
        return YamlWriter.Document(root, header);
    }

    /// <summary>
    /// DeepSpeed's config. For the portal's own DeepSpeed launch every value is concrete (train_batch_size = micro × accumulation
    /// × world size, which DeepSpeed checks); for LLaMA-Factory the batch, clipping and optimiser values are "auto", so the
    /// Hugging Face Trainer fills them from the YAML and the two can never disagree.
    /// </summary>
    private static JsonObject DeepSpeedConfig(TrainingLaunchSpec spec, bool forHfTrainer)
    {
        var zero = new JsonObject { ["stage"] = spec.ZeroStage };
        if (spec.ZeroStage > 0)
        {
            zero["overlap_comm"] = true;
            zero["contiguous_gradients"] = true;
            zero["reduce_bucket_size"] = 500_000_000;
        }
        if (spec.ZeroStage == 3)
        {
            zero["stage3_prefetch_bucket_size"] = 500_000_000;
            zero["stage3_param_persistence_threshold"] = 1_000_000;
            zero["stage3_gather_16bit_weights_on_model_save"] = true;
        }
        JsonNode Value(JsonNode concrete) => forHfTrainer ? JsonValue.Create("auto") : concrete;
        var config = new JsonObject
        {
            ["train_batch_size"] = Value(spec.MicroBatchSize * spec.GradientAccumulationSteps * WorldSize(spec)),
            ["train_micro_batch_size_per_gpu"] = Value(spec.MicroBatchSize),
            ["gradient_accumulation_steps"] = Value(spec.GradientAccumulationSteps),
            ["gradient_clipping"] = Value(1.0),
            ["zero_optimization"] = zero,
            ["bf16"] = new JsonObject { ["enabled"] = spec.Bf16 },
            // fp16 needs loss scaling against underflow (seed 1.2's "gradient scaling"): loss_scale 0 = dynamic, starting at 2^16.
            ["fp16"] = new JsonObject
            {
                ["enabled"] = !spec.Bf16,
                ["loss_scale"] = 0,
                ["initial_scale_power"] = 16,
                ["loss_scale_window"] = 1000,
                ["hysteresis"] = 2,
                ["min_loss_scale"] = 1,
            },
            ["steps_per_print"] = 10,
            ["wall_clock_breakdown"] = false,
        };
        if (!forHfTrainer)
            config["optimizer"] = new JsonObject
            {
                ["type"] = "AdamW",
                ["params"] = new JsonObject
                {
                    ["lr"] = spec.LearningRate,
                    ["betas"] = new JsonArray(0.9, 0.999),
                    ["eps"] = 1e-8,
                    ["weight_decay"] = 0.0,
                },
            };
        return config;
    }

    /// <summary>
    /// Hugging Face <c>TrainingArguments</c> plus the model/data fields of transformers' <c>run_clm.py</c>, matching the
    /// DeepSpeed config; nothing else, because <c>HfArgumentParser.parse_json_file</c> refuses unknown keys.
    /// </summary>
    private static JsonObject TrainArgs(TrainingLaunchSpec spec) => new()
    {
        ["model_name_or_path"] = spec.BaseModel,
        ["train_file"] = $"{DataDir}/{spec.DatasetFile}",
        ["block_size"] = spec.SequenceLength,
        ["output_dir"] = $"{OutputDir}/{spec.DatasetName}",
        ["do_train"] = true,
        ["deepspeed"] = $"{Workspace}/ds_config.json",
        ["per_device_train_batch_size"] = spec.MicroBatchSize,
        ["gradient_accumulation_steps"] = spec.GradientAccumulationSteps,
        ["learning_rate"] = spec.LearningRate,
        ["num_train_epochs"] = (double)spec.Epochs,
        ["max_grad_norm"] = 1.0,
        ["weight_decay"] = 0.0,
        ["adam_beta1"] = 0.9,
        ["adam_beta2"] = 0.999,
        ["adam_epsilon"] = 1e-8,
        ["bf16"] = spec.Bf16,
        ["fp16"] = !spec.Bf16,
        ["gradient_checkpointing"] = true,
        ["logging_steps"] = 10,
        ["save_strategy"] = "epoch",
        ["report_to"] = "none",
    };

    /// <summary>PEFT <c>LoraConfig</c> keyword arguments (<c>LoraConfig(**json.load(f))</c>) for a script that adds LoRA.</summary>
    private static JsonObject LoraConfig(TrainingLaunchSpec spec) => new()
    {
        ["task_type"] = "CAUSAL_LM",
        ["r"] = spec.LoraRank,
        ["lora_alpha"] = spec.LoraAlpha,
        ["lora_dropout"] = 0.05,
        ["target_modules"] = "all-linear",
    };

    private static string LlamaFactoryYaml(TrainingLaunchSpec spec)
    {
        var (template, uncertain) = LlamaFactoryTemplate(spec.BaseModel);
        var root = new YamlMap().Comment("model");
        root.Add("model_name_or_path", spec.BaseModel);
        root.Add("trust_remote_code", true);
        root.Comment("method");
        root.Add("stage", "sft");
        root.Add("do_train", true);
        root.Add("finetuning_type", spec.Lora ? "lora" : "full");
        if (spec.Lora)
        {
            root.Add("lora_rank", spec.LoraRank);
            root.Add("lora_alpha", spec.LoraAlpha);
            root.Add("lora_target", "all");
        }
        if (spec.ZeroStage > 0) root.Add("deepspeed", $"{Workspace}/ds_config.json");
        root.Comment("dataset (dataset_info.json lives in dataset_dir)");
        root.Add("dataset", spec.DatasetName);
        root.Add("dataset_dir", DataDir);
        if (uncertain) root.Comment($"template: no certain match for {spec.BaseModel}; check LLaMA-Factory's template list.");
        root.Add("template", template);
        root.Add("cutoff_len", spec.SequenceLength);
        root.Add("overwrite_cache", true);
        root.Add("preprocessing_num_workers", 8);
        root.Comment("output");
        root.Add("output_dir", $"{OutputDir}/{spec.DatasetName}");
        root.Add("logging_steps", 10);
        root.Add("save_strategy", "epoch");
        root.Add("plot_loss", true);
        root.Add("overwrite_output_dir", true);
        root.Add("report_to", "none");
        root.Comment("train");
        root.Add("per_device_train_batch_size", spec.MicroBatchSize);
        root.Add("gradient_accumulation_steps", spec.GradientAccumulationSteps);
        root.Add("learning_rate", spec.LearningRate);
        root.Add("num_train_epochs", (double)spec.Epochs);
        root.Add("lr_scheduler_type", "cosine");
        root.Add("warmup_ratio", 0.1);
        root.Add("max_grad_norm", 1.0);
        root.Add(spec.Bf16 ? "bf16" : "fp16", true);
        root.Add("gradient_checkpointing", true);
        root.Add("ddp_timeout", 180000000);
        var header = new[]
        {
            $"LLaMA-Factory SFT config generated by DeepSeek Portal ({(spec.Lora ? $"LoRA r={spec.LoraRank}" : "full fine-tune")}, ZeRO {spec.ZeroStage}).",
            $"Run through launch.sh: FORCE_TORCHRUN=1 NNODES={spec.Nodes} NODE_RANK=<k> MASTER_ADDR=... MASTER_PORT=... llamafactory-cli train llamafactory.yaml",
        };
        return YamlWriter.Document(root, header);
    }

    /// <summary>
    /// LLaMA-Factory's dataset registry for the exported file. Alpaca: records with <c>instruction</c>, <c>input</c>,
    /// <c>output</c> (prompt/query/response columns). ShareGPT: records with a <c>messages</c> list of
    /// <c>{"role": "system"|"user"|"assistant", "content": …}</c> (OpenAI-style tags).
    /// </summary>
    private static JsonObject DatasetInfo(TrainingLaunchSpec spec)
    {
        var entry = new JsonObject { ["file_name"] = spec.DatasetFile, ["formatting"] = spec.DatasetFormat };
        if (spec.DatasetFormat == "alpaca")
            entry["columns"] = new JsonObject { ["prompt"] = "instruction", ["query"] = "input", ["response"] = "output" };
        else
        {
            entry["columns"] = new JsonObject { ["messages"] = "messages" };
            entry["tags"] = new JsonObject
            {
                ["role_tag"] = "role",
                ["content_tag"] = "content",
                ["user_tag"] = "user",
                ["assistant_tag"] = "assistant",
                ["system_tag"] = "system",
            };
        }
        return new JsonObject { [spec.DatasetName] = entry };
    }

    private static string Readme(TrainingLaunchSpec spec)
    {
        var ds = spec.Framework == TrainingFramework.DeepSpeed;
        var sb = new StringBuilder();
        sb.Append($"{(ds ? "DeepSpeed" : "LLaMA-Factory")} training launch — generated by DeepSeek Portal's deployment planner\n\n");
        sb.Append($"Base model: {spec.BaseModel}\n");
        sb.Append($"Layout: {spec.Nodes} node(s) × {spec.GpusPerNode} GPU(s) = {WorldSize(spec)} ranks; master {spec.MasterAddress}:{spec.MasterPort}\n");
        sb.Append($"Method: {(spec.Lora ? $"LoRA (rank {spec.LoraRank}, alpha {spec.LoraAlpha})" : "full fine-tune")}, ZeRO stage {spec.ZeroStage}, {(spec.Bf16 ? "bf16" : "fp16 with dynamic loss scaling")}\n");
        sb.Append($"Batch: {spec.MicroBatchSize} per GPU × {spec.GradientAccumulationSteps} accumulation × {WorldSize(spec)} ranks = {spec.MicroBatchSize * spec.GradientAccumulationSteps * WorldSize(spec)} sequences per step of up to {spec.SequenceLength} tokens\n");
        sb.Append($"Data: data/{spec.DatasetFile} ({spec.DatasetFormat}), registered as \"{spec.DatasetName}\" in data/dataset_info.json\n\n");
        sb.Append("Files\n");
        sb.Append("  launch.sh          per-node launcher: NCCL/MASTER_ADDR/MASTER_PORT environment, then torchrun\n");
        sb.Append("  compose.yaml       the training container (GPUs, host network, ipc host, /workspace /data /output mounts)\n");
        if (ds)
        {
            sb.Append("  ds_config.json     DeepSpeed config\n  train_args.json    Hugging Face TrainingArguments for TRAIN_SCRIPT (default train.py in this folder)\n");
            if (spec.Lora) sb.Append("  lora_config.json   PEFT LoraConfig arguments; TRAIN_SCRIPT must wrap the model with them (run_clm.py has no LoRA)\n");
        }
        else sb.Append("  llamafactory.yaml  LLaMA-Factory SFT config\n" + (spec.ZeroStage > 0 ? "  ds_config.json     DeepSpeed config referenced by llamafactory.yaml\n" : ""));
        sb.Append("  data/              dataset_info.json and the exported dataset\n\n");
        sb.Append("Run order\n");
        sb.Append("  1. Copy this folder to the same path on every node; make sure the base model is in the HF cache\n");
        sb.Append("     (HF_CACHE_DIR, default ~/.cache/huggingface) or reachable, and that every node reaches\n");
        sb.Append($"     {spec.MasterAddress}:{spec.MasterPort} (open the port; same NCCL interface{(spec.SocketInterface is null ? "" : $" {spec.SocketInterface}")} on all nodes).\n");
        sb.Append("  2. On the master node (rank 0):   NODE_RANK=0 docker compose run --rm train\n");
        if (spec.Nodes > 1)
        {
            sb.Append($"  3. On each other node k = 1..{spec.Nodes - 1}, within a few minutes:   NODE_RANK=k docker compose run --rm train\n");
            sb.Append("     torchrun waits at the rendezvous until all nodes have joined.\n");
        }
        sb.Append($"  Results land in ./output/{spec.DatasetName} on each node (rank 0 writes the checkpoints).\n");
        sb.Append("  Without Docker: run ./launch.sh <rank> on each node in an environment with the framework installed.\n\n");
        sb.Append("Troubleshooting: NCCL_DEBUG=INFO is on; if the rendezvous hangs, check the firewall and NCCL_SOCKET_IFNAME;\n");
        sb.Append("set NCCL_IB_DISABLE=1 when the nodes have no working RDMA.\n");
        return sb.ToString();
    }
}
