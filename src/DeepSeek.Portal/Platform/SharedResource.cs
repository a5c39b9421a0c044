namespace DeepSeek.Portal;

/// <summary>Marker for the UI strings in Resources/SharedResource(.zh-Hans).resx.</summary>
public sealed class SharedResource;
