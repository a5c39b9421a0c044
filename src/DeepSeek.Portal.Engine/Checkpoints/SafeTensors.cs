using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Checkpoints;

/// <summary>A safetensors file that breaks the format; the message names the tensor and the problem.</summary>
public sealed class SafeTensorsException : FormatException
{
    /// <summary>Creates the exception with a message that names the offending tensor or header field.</summary>
    public SafeTensorsException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the underlying parse error.</summary>
    public SafeTensorsException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>One tensor's header entry.</summary>
/// <param name="Name">Tensor name (e.g. an HF parameter name).</param>
/// <param name="DType">safetensors dtype tag, e.g. "F32", "BF16".</param>
/// <param name="Shape">Dimensions, C order; empty for a scalar.</param>
/// <param name="Begin">Start offset relative to the data buffer.</param>
/// <param name="End">End offset (exclusive) relative to the data buffer.</param>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Bytes occupied in the data buffer.</summary>
    public long ByteLength => End - Begin;
}

/// <summary>The validated header of a safetensors file.</summary>
public sealed class SafeTensorsHeader
{
    internal SafeTensorsHeader(long headerLength, long dataLength, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        HeaderLength = headerLength;
        DataLength = dataLength;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Length N of the JSON header (the u64 at the start of the file).</summary>
    public long HeaderLength { get; }

    /// <summary>File offset of the data buffer: 8 + N.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Length of the data buffer.</summary>
    public long DataLength { get; }

    /// <summary>Entries in data-buffer order.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    /// <summary>The free-form <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}

/// <summary>
/// Reader and writer for the Hugging Face safetensors format: a little-endian u64 header length N, N bytes of
/// UTF-8 JSON (<c>{"name":{"dtype":..,"shape":[..],"data_offsets":[begin,end]},"__metadata__":{..}}</c>), then
/// the raw little-endian, C-order tensor bytes.
/// </summary>
/// <remarks>
/// Reading enforces the reference rules: N ≤ 100,000,000 and within the file, a JSON object header, no duplicate
/// names, known dtypes, <c>end − begin = numel · sizeof(dtype)</c>, offsets that (sorted) start at 0, are
/// contiguous without overlap and cover the data buffer exactly. Writing pads the header with spaces to a multiple
/// of 8 and orders tensors by descending dtype alignment, then by name. Individual tensors must be under 2 GiB.
/// </remarks>
public static class SafeTensors
{
    /// <summary>Largest header accepted, as in the reference implementation.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private sealed record DTypeInfo(string Name, int Size, ScalarType? Torch);

    private static readonly DTypeInfo[] DTypeTable =
    [
        new("BOOL", 1, ScalarType.Bool), new("U8", 1, ScalarType.Byte), new("I8", 1, ScalarType.Int8),
        new("F8_E5M2", 1, null), new("F8_E4M3", 1, null), new("F8_E8M0", 1, null),
        new("I16", 2, ScalarType.Int16), new("U16", 2, null), new("F16", 2, ScalarType.Float16), new("BF16", 2, ScalarType.BFloat16),
        new("I32", 4, ScalarType.Int32), new("U32", 4, null), new("F32", 4, ScalarType.Float32),
        new("F64", 8, ScalarType.Float64), new("I64", 8, ScalarType.Int64), new("U64", 8, null), new("C64", 8, ScalarType.ComplexFloat32),
    ];

    private static readonly Dictionary<string, DTypeInfo> DTypesByName = DTypeTable.ToDictionary(d => d.Name);

    /// <summary>dtype tags that load into torch tensors (others are recognised in headers only).</summary>
    public static IReadOnlyList<string> SupportedDTypes { get; } = [.. DTypeTable.Where(d => d.Torch is not null).Select(d => d.Name)];

    /// <summary>The safetensors tag for a torch dtype; throws <see cref="NotSupportedException"/> when there is none.</summary>
    public static string DTypeName(ScalarType type) =>
        DTypeTable.FirstOrDefault(d => d.Torch == type)?.Name
        ?? throw new NotSupportedException($"torch dtype {type} has no safetensors equivalent supported here.");

    /// <summary>Reads and validates the header of a seekable stream positioned at the start of a safetensors file.</summary>
    public static SafeTensorsHeader ReadHeader(Stream stream)
    {
        long fileLength = stream.Length - stream.Position;
        if (fileLength < 8)
            throw new SafeTensorsException($"File is {fileLength} bytes, too small for the 8-byte header length.");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderLength)
            throw new SafeTensorsException($"Header length {n} exceeds the limit of 100,000,000 bytes.");
        if ((long)n > fileLength - 8)
            throw new SafeTensorsException($"Header length {n} runs past the end of the file ({fileLength} bytes).");
        var json = new byte[n];
        stream.ReadExactly(json);
        return ParseHeader(json, fileLength - 8 - (long)n);
    }

    /// <summary>Validates header JSON bytes against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    public static SafeTensorsHeader ParseHeader(ReadOnlySpan<byte> headerJson, long dataLength)
    {
        if (!System.Text.Unicode.Utf8.IsValid(headerJson))
            throw new SafeTensorsException("Header is not valid UTF-8.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerJson.ToArray());
        }
        catch (JsonException e)
        {
            throw new SafeTensorsException($"Header is not valid JSON: {e.Message}", e);
        }
        using var _ = document;
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsException($"Header must be a JSON object, found {document.RootElement.ValueKind}.");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<SafeTensorEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw new SafeTensorsException($"Tensor '{property.Name}' appears more than once in the header.");
            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw new SafeTensorsException("__metadata__ must be an object mapping strings to strings.");
                foreach (var item in property.Value.EnumerateObject())
                {
                    if (item.Value.ValueKind != JsonValueKind.String)
                        throw new SafeTensorsException($"__metadata__ value of '{item.Name}' must be a string, found {item.Value.ValueKind}.");
                    metadata[item.Name] = item.Value.GetString()!;
                }
                continue;
            }
            entries.Add(ParseEntry(property.Name, property.Value));
        }

        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
            : a.End != b.End ? a.End.CompareTo(b.End) : string.CompareOrdinal(a.Name, b.Name));
        long expected = 0;
        foreach (var e in entries)
        {
            if (e.Begin < expected)
                throw new SafeTensorsException($"Tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap the previous tensor, which ends at byte {expected}.");
            if (e.Begin > expected)
                throw new SafeTensorsException($"Tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] leave a gap: the previous tensor ends at byte {expected}; offsets must be contiguous from 0.");
            long needed = ByteSize(e);
            if (needed != e.ByteLength)
                throw new SafeTensorsException($"Tensor '{e.Name}' with dtype {e.DType} and shape [{string.Join(", ", e.Shape)}] needs {needed} bytes but data_offsets [{e.Begin}, {e.End}] span {e.ByteLength}.");
            expected = e.End;
        }
        if (expected != dataLength)
            throw new SafeTensorsException($"Tensors cover {expected} bytes but the data buffer holds {dataLength} bytes (wrong file size).");
        return new SafeTensorsHeader(headerJson.Length, dataLength, entries, metadata);
    }

    /// <summary>
    /// Loads every tensor of the file at <paramref name="path"/> onto <paramref name="device"/> (CPU by default),
    /// reading through a memory mapping (each tensor is copied once). Float8 tensors decode to F32 (unscaled; use
    /// <see cref="SafeTensorsCheckpoint"/> to fold in <c>weight_scale_inv</c>).
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        using var file = SafeTensorsFile.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var name in file.Names) result[name] = file.Read(name, device: device);
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Loads every tensor from an in-memory safetensors file.</summary>
    public static Dictionary<string, Tensor> Deserialize(byte[] bytes, Device? device = null)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, device);
    }

    /// <summary>Loads every tensor from a seekable stream positioned at the start of a safetensors file.</summary>
    public static Dictionary<string, Tensor> Read(Stream stream, Device? device = null)
    {
        long start = stream.Position;
        var header = ReadHeader(stream);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Tensors)
            {
                var info = DTypesByName[entry.DType];
                if (info.Torch is not ScalarType type)
                    throw new NotSupportedException($"Tensor '{entry.Name}' has dtype {entry.DType}, which is valid safetensors but cannot be loaded as a torch tensor here.");
                if (entry.ByteLength > int.MaxValue)
                    throw new NotSupportedException($"Tensor '{entry.Name}' is {entry.ByteLength} bytes; tensors over 2 GiB are not supported.");
                stream.Position = start + header.DataStart + entry.Begin;
                var tensor = empty(entry.Shape, type);
                stream.ReadExactly(tensor.bytes);
                if (device is not null && device.type != DeviceType.CPU)
                {
                    var moved = tensor.to(device);
                    tensor.Dispose();
                    tensor = moved;
                }
                result[entry.Name] = tensor;
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Serialises tensors (any device, any layout) and optional metadata to safetensors bytes.</summary>
    public static byte[] Serialize(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>Writes a safetensors file to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(stream, tensors, metadata, floatDType: null);

    /// <summary>Writes a safetensors file, storing floating-point tensors as <paramref name="floatDType"/> when given (converted one at a time).</summary>
    internal static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata, ScalarType? floatDType)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported.");
        var items = tensors.Select(kv => (kv.Key, kv.Value, DType: DTypesByName[DTypeName(StoredType(kv.Value.dtype, floatDType))])).ToList();
        var duplicate = items.GroupBy(i => i.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Tensor '{duplicate.Key}' is given more than once.", nameof(tensors));
        if (items.Any(i => i.Key == "__metadata__")) throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor.", nameof(tensors));
        // Descending alignment keeps every tensor naturally aligned for memory-mapped readers.
        items = [.. items.OrderByDescending(i => i.DType.Size).ThenBy(i => i.Key, StringComparer.Ordinal)];

        var headerBuffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerBuffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor, dtype) in items)
            {
                long size = checked(tensor.numel() * dtype.Size);
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.Name);
                json.WriteStartArray("shape");
                foreach (long d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + size);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += size;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - headerBuffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) headerBuffer.WriteByte((byte)' ');

        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerBuffer.Length);
        stream.Write(prefix);
        headerBuffer.Position = 0;
        headerBuffer.CopyTo(stream);
        foreach (var (_, tensor, dtype) in items)
        {
            using var scope = NewDisposeScope();
            var host = tensor.detach().to(dtype.Torch!.Value, CPU).contiguous();
            if (host.dim() == 0 || host.numel() == 0)
            {
                stream.Write(host.bytes);
                continue;
            }
            // Row chunks keep each span under 2 GiB, which a whole embedding matrix can exceed.
            long rows = host.shape[0], rowBytes = host.numel() / rows * dtype.Size;
            long chunk = Math.Max(1, (1L << 30) / Math.Max(1, rowBytes));
            for (long first = 0; first < rows; first += chunk)
            {
                using var part = host.narrow(0, first, Math.Min(chunk, rows - first));
                stream.Write(part.bytes);
            }
        }
    }

    private static ScalarType StoredType(ScalarType type, ScalarType? floatDType) =>
        floatDType is ScalarType f && type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64 ? f : type;

    /// <summary>Writes tensors to <paramref name="path"/> atomically (temporary file in the same folder, then rename).</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors, metadata, floatDType: null);

    internal static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata, ScalarType? floatDType)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Write(stream, tensors, metadata, floatDType);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Saves a module's parameters and persistent buffers under their <c>state_dict</c> names (HF names for the engine's models).</summary>
    public static void SaveModule(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        Save(path, module.state_dict(), meta);
    }

    /// <summary>
    /// Copies tensors from <paramref name="path"/> (a file, a folder or a shard index) into the module's parameters
    /// and buffers by name, converting dtype where needed. With <paramref name="strict"/> every module tensor must be
    /// present and no file tensor may be left over. Shapes must match exactly. Returns the file's metadata.
    /// </summary>
    /// <remarks>A thin wrapper over <see cref="CheckpointLoader.LoadInto(nn.Module, SafeTensorsCheckpoint, CheckpointLoadOptions?)"/>, which also reports what it did.</remarks>
    public static IReadOnlyDictionary<string, string> LoadModule(nn.Module module, string path, bool strict = true)
    {
        using var checkpoint = SafeTensorsCheckpoint.Open(path);
        CheckpointLoader.LoadInto(module, checkpoint, new CheckpointLoadOptions { Strict = strict });
        return new Dictionary<string, string>(checkpoint.Metadata, StringComparer.Ordinal);
    }

    /// <summary>The torch dtype of a safetensors tag, or null when TorchSharp has none (U16/U32/U64, float8).</summary>
    internal static ScalarType? TorchType(string dtype) => DTypesByName.TryGetValue(dtype, out var info) ? info.Torch : null;

    private static SafeTensorEntry ParseEntry(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsException($"Tensor '{name}' header entry must be an object, found {value.ValueKind}.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new SafeTensorsException($"Tensor '{name}' has no string 'dtype'.");
        var dtype = dtypeElement.GetString()!;
        if (!DTypesByName.ContainsKey(dtype))
            throw new SafeTensorsException($"Tensor '{name}' has unknown dtype '{dtype}'.");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new SafeTensorsException($"Tensor '{name}' has no 'shape' array.");
        var shape = new List<long>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new SafeTensorsException($"Tensor '{name}' shape entries must be non-negative integers.");
            shape.Add(dim);
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new SafeTensorsException($"Tensor '{name}' needs 'data_offsets' as [begin, end].");
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new SafeTensorsException($"Tensor '{name}' data_offsets must be non-negative integers with begin ≤ end.");
        return new SafeTensorEntry(name, dtype, [.. shape], begin, end);
    }

    private static long ByteSize(SafeTensorEntry entry)
    {
        try
        {
            long numel = 1;
            foreach (long d in entry.Shape) numel = checked(numel * d);
            return checked(numel * DTypesByName[entry.DType].Size);
        }
        catch (OverflowException)
        {
            throw new SafeTensorsException($"Tensor '{entry.Name}' shape [{string.Join(", ", entry.Shape)}] is too large.");
        }
    }
}
