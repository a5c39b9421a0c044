namespace DeepSeek.Portal.Planning.Deployment;

/// <summary>Compose files and Kubernetes manifests that serve a model with vLLM or SGLang at a planned parallel size.</summary>
public static class ServingArtefacts
{
    /// <summary>A <c>compose.yaml</c> (Compose Specification) with GPU reservations, shm, health check and a read-only model mount.</summary>
    public static GeneratedFile Compose(ServingSpec spec) => throw new NotImplementedException("contract: filled by the deployment helper");

    /// <summary>A Kubernetes manifest (Deployment + Service; a LeaderWorkerSet-free StatefulSet pair for multi-node) requesting <c>nvidia.com/gpu</c>.</summary>
    public static GeneratedFile Kubernetes(ServingSpec spec) => throw new NotImplementedException("contract: filled by the deployment helper");
}
