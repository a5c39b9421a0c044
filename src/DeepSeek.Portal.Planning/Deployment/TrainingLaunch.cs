namespace DeepSeek.Portal.Planning.Deployment;

/// <summary>A multi-node torchrun launch for DeepSpeed or LLaMA-Factory in a container, with the NCCL environment of seed 1.2.</summary>
public static class TrainingLaunch
{
    /// <summary>
    /// The files of the launch bundle (without the dataset, which the portal exports): <c>launch.sh</c> (per-node torchrun with
    /// MASTER_ADDR/MASTER_PORT/NCCL_*), <c>compose.yaml</c> for the training container, and the framework's config
    /// (<c>ds_config.json</c> + <c>train_args.json</c>, or <c>llamafactory.yaml</c> + <c>dataset_info.json</c>).
    /// </summary>
    public static IReadOnlyList<GeneratedFile> Bundle(TrainingLaunchSpec spec) => throw new NotImplementedException("contract: filled by the deployment helper");
}
