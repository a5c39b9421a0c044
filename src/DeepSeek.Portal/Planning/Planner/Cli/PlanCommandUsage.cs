namespace DeepSeek.Portal.Planning.Planner.Cli;

/// <summary>The help texts of <c>plan --help</c> and <c>plan &lt;command&gt; --help</c>.</summary>
internal static class PlanCommandUsage
{
    private const string PlanOptions = """
          --model <id>              a catalogue model (plan models), or
          --model-config <path>     a model folder (or its config.json): llama, qwen2, deepseek_v2, deepseek_v3
          --precision <p>           fp32 | bf16 | fp16 | fp8 | int8 | int4 (weights)
          --gpu <id>                a device (plan gpus), cpu for this machine
          --context <tokens>        tokens per sequence, prompt and output (1 … the model's maximum)
          --sequences <n>           sequences in flight (serving) or the micro-batch (training), ≥ 1
          --mode <m>                inference | full | lora | qlora
          --gpus <n>                devices to plan on (default: the fewest that hold the plan)
          --kv-precision <p>        KV cache format (default 16-bit)
          --lora-rank <r>           LoRA/QLoRA rank (default 16)
          --no-checkpointing        training: keep every activation (no recompute)
          --cpu-bandwidth <GB/s>    this machine's bandwidth for --gpu cpu (default: measured with a short copy)
        """;

    public const string Overview = """
        Usage: dotnet DeepSeek.Portal.dll plan <command> [options]
               dotnet run --project src/DeepSeek.Portal -- plan <command> ...

        The deployment planner (the same library as /planner and /api/planner):
          models [--model-config <path>]          the model catalogue (and a model folder)
          gpus [--cpu-bandwidth <GB/s>]           the GPU catalogue and this machine (cpu)
          claims                                  the seed document's hardware claims, checked
          estimate --model … --precision … --gpu … --context … --sequences … --mode … [--gpus N]
                                                  memory by part with formulas, GPUs, parallelism, decode tokens/s
          compose --engine vllm|sglang <estimate options> [--out FILE]
          kubernetes --engine vllm|sglang <estimate options> [--out FILE]
                                                  serving files at the planned tensor-parallel size

        Options for every command:
          --json                    one JSON document on stdout (errors included)

        Exit codes: 0 success, 1 failed (a file that cannot be written), 2 usage error or a plan the planner refuses
        (the option and what it expects on stderr), 130 cancelled. 'plan <command> --help' shows a command's options.
        """;

    public static string? For(string command) => command switch
    {
        "models" => """
            Usage: plan models [--model-config <path>] [--json]

            The catalogue: id, parameters (total and active per token), layers, attention (MHA, GQA, MLA), maximum
            context, the precision the weights ship in, and the Hugging Face repository the serving files pull. With
            --model-config the folder's config.json is read and listed too (or its problem).
            """,
        "gpus" => """
            Usage: plan gpus [--cpu-bandwidth <GB/s>] [--json]

            The GPU catalogue (memory, bandwidth, BF16 TFLOPS, FP8, GPUs per node; * marks figures that are third-party
            or conflicting) and this machine as the device cpu: the memory the runtime may use and a bandwidth that is
            --cpu-bandwidth or measured with a short single-threaded copy (the output says which).
            """,
        "claims" => """
            Usage: plan claims [--json]

            Each hardware statement of the seed document, whether the computation agrees, the computation and what is
            true instead.
            """,
        "estimate" => "Usage: plan estimate <options> [--json]\n\n" + PlanOptions + """

            Prints the memory breakdown (weights, KV cache, activations, gradients, optimizer, adapters, overhead), each
            with its formula, the total and per device, the GPUs needed, tensor/pipeline parallel and nodes, whether it
            fits, the decode rate bound by memory bandwidth, and the planner's warnings. A plan the planner refuses
            (context beyond the model's maximum, zero GPUs, a precision the model or device cannot use) exits 2.
            """,
        "compose" => "Usage: plan compose --engine vllm|sglang <estimate options> [serving options] [--out FILE]\n\n" + PlanOptions + ServingOptions + """

            Writes compose.yaml serving the planned model (to --out, or stdout).
            """,
        "kubernetes" => "Usage: plan kubernetes --engine vllm|sglang <estimate options> [serving options] [--out FILE]\n\n" + PlanOptions + ServingOptions + """

            Writes the Kubernetes manifest serving the planned model (to --out, or stdout).
            """,
        _ => null,
    };

    private const string ServingOptions = """
          --engine <e>              vllm | sglang
          --served-name <name>      the model name clients send (default: a slug of the model id)
          --port <port>             the API's port (default 8000 vLLM, 30000 SGLang)
          --image <ref>             container image (default: a pinned release of the engine)
          --host-model-path <dir>   host folder with the weights, mounted read-only (default: the HF cache volume)
          --api-key-secret <name>   secret / environment variable with the API key (default: none)
          --out <file>              where to write (default: stdout)
        """;
}
