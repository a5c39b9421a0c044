namespace DeepSeek.Portal.Planning.Deployment;

/// <summary>An existing serving engine the portal writes launch files for.</summary>
public enum ServingEngine
{
    /// <summary>vLLM's OpenAI-compatible server (<c>vllm serve</c>, image <c>vllm/vllm-openai</c>).</summary>
    Vllm,
    /// <summary>SGLang (<c>python3 -m sglang.launch_server</c>, image <c>lmsysorg/sglang</c>).</summary>
    Sglang,
}

/// <summary>A training framework the portal writes a multi-node torchrun launch for.</summary>
public enum TrainingFramework
{
    /// <summary>DeepSpeed ZeRO (a <c>ds_config.json</c> and a training script's arguments).</summary>
    DeepSpeed,
    /// <summary>LLaMA-Factory (<c>llamafactory-cli train</c> with a YAML config and <c>dataset_info.json</c>).</summary>
    LlamaFactory,
}

/// <summary>A generated file: where it goes in the download, and its text.</summary>
public sealed record GeneratedFile(string Path, string Content, string MediaType);

/// <summary>What a serving deployment needs, taken from a plan.</summary>
/// <param name="Engine">vLLM or SGLang.</param>
/// <param name="Model">Hugging Face repo id or a path inside the container (<c>deepseek-ai/DeepSeek-R1-Distill-Qwen-7B</c>, <c>/models/demo</c>).</param>
/// <param name="ServedName">The model name clients send (<c>--served-model-name</c>), a DNS-label-safe slug.</param>
/// <param name="TensorParallel">Tensor-parallel size per node.</param>
/// <param name="PipelineParallel">Pipeline stages (nodes); 1 on one node.</param>
/// <param name="GpusPerNode">GPUs requested per replica/node (= tensor-parallel size).</param>
/// <param name="MaxModelLength">Context limit passed to the engine.</param>
/// <param name="Quantization">Engine quantisation flag value, if the precision needs one (<c>fp8</c>, <c>awq</c>, …); null for the checkpoint's own format.</param>
/// <param name="Port">Port the OpenAI-compatible API listens on (8000 vLLM, 30000 SGLang by default).</param>
/// <param name="Image">Container image with its tag.</param>
/// <param name="HostModelPath">Host folder with the weights, mounted read-only (no download at run time), or null to use the HF cache volume.</param>
/// <param name="ApiKeySecretName">Kubernetes secret / compose env var holding the API key, or null for none.</param>
public sealed record ServingSpec(
    ServingEngine Engine,
    string Model,
    string ServedName,
    int TensorParallel,
    int PipelineParallel,
    int GpusPerNode,
    int MaxModelLength,
    string? Quantization,
    int Port,
    string Image,
    string? HostModelPath,
    string? ApiKeySecretName);

/// <summary>What a multi-node training launch needs.</summary>
/// <param name="Framework">DeepSpeed or LLaMA-Factory.</param>
/// <param name="BaseModel">HF repo id or path of the base model inside the container.</param>
/// <param name="Nodes">Nodes (torchrun <c>--nnodes</c>).</param>
/// <param name="GpusPerNode">torchrun <c>--nproc-per-node</c>.</param>
/// <param name="MasterAddress">Rank 0's address (<c>MASTER_ADDR</c>).</param>
/// <param name="MasterPort">Rank 0's free port (<c>MASTER_PORT</c>, 29500 in the seed).</param>
/// <param name="SocketInterface">NCCL_SOCKET_IFNAME value, or null to leave NCCL's default.</param>
/// <param name="InfiniBand">Whether to use RDMA (RoCE/IB); false sets NCCL_IB_DISABLE=1.</param>
/// <param name="ZeroStage">DeepSpeed ZeRO stage 0–3.</param>
/// <param name="Lora">LoRA fine-tune (else full).</param>
/// <param name="LoraRank">LoRA rank.</param>
/// <param name="LoraAlpha">LoRA alpha.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="Epochs">Epochs.</param>
/// <param name="MicroBatchSize">Per-device batch.</param>
/// <param name="GradientAccumulationSteps">Accumulation steps.</param>
/// <param name="SequenceLength">Cutoff length.</param>
/// <param name="Bf16">bf16 mixed precision (else fp16 with loss scaling).</param>
/// <param name="DatasetName">Name of the exported dataset in <c>dataset_info.json</c>.</param>
/// <param name="DatasetFile">File name of the exported dataset (alpaca or sharegpt JSON).</param>
/// <param name="DatasetFormat"><c>alpaca</c> (instruction/input/output) or <c>sharegpt</c> (conversations).</param>
/// <param name="Image">Container image with its tag.</param>
public sealed record TrainingLaunchSpec(
    TrainingFramework Framework,
    string BaseModel,
    int Nodes,
    int GpusPerNode,
    string MasterAddress,
    int MasterPort,
    string? SocketInterface,
    bool InfiniBand,
    int ZeroStage,
    bool Lora,
    int LoraRank,
    int LoraAlpha,
    double LearningRate,
    int Epochs,
    int MicroBatchSize,
    int GradientAccumulationSteps,
    int SequenceLength,
    bool Bf16,
    string DatasetName,
    string DatasetFile,
    string DatasetFormat,
    string Image);
