using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Engine.Checkpoints;

/// <summary>
/// One safetensors file opened through a read-only memory mapping. The header is validated on open; tensor bytes
/// are read straight from the mapping into their destination, so a checkpoint is never held twice in memory: the
/// page cache backs the mapping and each tensor is copied once into the parameter (or new tensor) that needs it.
/// </summary>
/// <remarks>
/// A dtype conversion (BF16/F16 on disk into an F32 model, or the other way) goes through a bounded staging tensor
/// of at most <see cref="StagingBytes"/> per chunk of rows, and libtorch converts while copying it into the
/// destination. Float8 tensors are decoded in C# (<see cref="Float8"/>), optionally scaled per block.
/// </remarks>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>Largest chunk staged at once when converting dtypes or copying to a non-CPU device.</summary>
    internal static int StagingBytes { get; set; } = 16 << 20;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, SafeTensorEntry> _entries;
    private byte* _base;

    private SafeTensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, SafeTensorsHeader header)
    {
        FilePath = path;
        _map = map;
        _view = view;
        _base = pointer;
        Header = header;
        _entries = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Path the file was opened from.</summary>
    public string FilePath { get; }

    /// <summary>The validated header.</summary>
    public SafeTensorsHeader Header { get; }

    /// <summary>Tensor names in data-buffer order.</summary>
    public IEnumerable<string> Names => Header.Tensors.Select(t => t.Name);

    /// <summary>Maps <paramref name="path"/> read-only and validates its header.</summary>
    /// <exception cref="SafeTensorsException">The file breaks the format; the message names the file, tensor and field.</exception>
    public static SafeTensorsFile Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length < 8)
            throw new SafeTensorsException($"{Path.GetFileName(path)}: file is {length} bytes, too small for the 8-byte header length.");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            pointer += view.PointerOffset;
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(pointer, 8));
            if (n > SafeTensors.MaxHeaderLength)
                throw new SafeTensorsException($"{Path.GetFileName(path)}: header length {n} exceeds the limit of 100,000,000 bytes.");
            if ((long)n > length - 8)
                throw new SafeTensorsException($"{Path.GetFileName(path)}: header length {n} runs past the end of the file ({length} bytes).");
            SafeTensorsHeader header;
            try
            {
                header = SafeTensors.ParseHeader(new ReadOnlySpan<byte>(pointer + 8, (int)n), length - 8 - (long)n);
            }
            catch (SafeTensorsException e)
            {
                throw new SafeTensorsException($"{Path.GetFileName(path)}: {e.Message}", e);
            }
            return new SafeTensorsFile(path, map, view, pointer, header);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the tensor and the file.</exception>
    public SafeTensorEntry Entry(string name) =>
        _entries.TryGetValue(name, out var entry) ? entry
        : throw new KeyNotFoundException($"Tensor '{name}' is not in {Path.GetFileName(FilePath)}.");

    /// <summary>
    /// Reads <paramref name="name"/> into a new tensor of <paramref name="dtype"/> (the file's dtype by default;
    /// float8 decodes to F32) on <paramref name="device"/> (CPU by default).
    /// </summary>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null)
    {
        var entry = Entry(name);
        var type = dtype ?? SafeTensors.TorchType(entry.DType) ?? (Float8.TableFor(entry.DType) is not null ? ScalarType.Float32
            : throw new NotSupportedException($"Tensor '{name}' has dtype {entry.DType}, which is valid safetensors but has no torch dtype here."));
        var result = empty(entry.Shape, type, device: device ?? CPU);
        try
        {
            CopyTo(name, result);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies <paramref name="name"/> into <paramref name="destination"/> (same shape, any dtype and device),
    /// converting on the way. Float8 data is decoded and, when <paramref name="scaleInv"/> is given, multiplied by
    /// its block (<c>[⌈rows/block⌉, ⌈cols/block⌉]</c>, F32 on the CPU) as DeepSeek-V3's <c>weight_scale_inv</c>.
    /// </summary>
    public void CopyTo(string name, Tensor destination, Tensor? scaleInv = null, int blockSize = Float8.DefaultBlockSize)
    {
        ObjectDisposedException.ThrowIf(_base is null, this);
        var entry = Entry(name);
        if (!entry.Shape.SequenceEqual(destination.shape))
            throw new SafeTensorsException($"Tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] in {Path.GetFileName(FilePath)} but the destination is [{string.Join(", ", destination.shape)}].");
        if (entry.ByteLength == 0) return;
        using var noGrad = no_grad();
        if (Float8.TableFor(entry.DType) is not null)
        {
            CopyFloat8(entry, destination, scaleInv, blockSize);
            return;
        }
        if (scaleInv is not null)
            throw new SafeTensorsException($"Tensor '{name}' has dtype {entry.DType}; only float8 tensors take a weight_scale_inv.");
        var source = SafeTensors.TorchType(entry.DType)
            ?? throw new NotSupportedException($"Tensor '{name}' has dtype {entry.DType}, which is valid safetensors but has no torch dtype here.");

        bool direct = destination.dtype == source && destination.device_type == DeviceType.CPU && destination.is_contiguous();
        foreach (var (firstRow, rows, byteOffset, byteLength) in RowChunks(entry, direct ? int.MaxValue / 2 : StagingBytes))
        {
            var bytes = new ReadOnlySpan<byte>(_base + Header.DataStart + entry.Begin + byteOffset, checked((int)byteLength));
            var target = Rows(destination, firstRow, rows);
            try
            {
                if (direct)
                {
                    bytes.CopyTo(target.bytes);
                    continue;
                }
                using var stage = empty(target.shape, source);
                bytes.CopyTo(stage.bytes);
                target.copy_(stage);
            }
            finally
            {
                if (!ReferenceEquals(target, destination)) target.Dispose();
            }
        }
    }

    private void CopyFloat8(SafeTensorEntry entry, Tensor destination, Tensor? scaleInv, int blockSize)
    {
        long rows = entry.Shape.Length == 0 ? 1 : entry.Shape[0];
        long columns = rows == 0 ? 0 : entry.ByteLength / rows;
        float[] scales = [];
        if (scaleInv is not null)
        {
            if (entry.Shape.Length != 2)
                throw new SafeTensorsException($"Tensor '{entry.Name}' has a weight_scale_inv but is {entry.Shape.Length}-dimensional; block scales need a 2-D weight.");
            long[] expected = [(rows + blockSize - 1) / blockSize, (columns + blockSize - 1) / blockSize];
            if (!scaleInv.shape.SequenceEqual(expected))
                throw new SafeTensorsException($"Tensor '{entry.Name}' is [{rows}, {columns}], so its weight_scale_inv must be [{expected[0]}, {expected[1]}] for {blockSize}×{blockSize} blocks, but it is [{string.Join(", ", scaleInv.shape)}].");
            using var host = scaleInv.to(ScalarType.Float32, CPU).contiguous();
            scales = host.data<float>().ToArray();
        }
        // Whole 128-row blocks per chunk keep every chunk aligned with the scale grid (not required, but tidy).
        long chunkRows = Math.Max(1, StagingBytes / 4 / Math.Max(1, columns));
        if (chunkRows > blockSize) chunkRows = chunkRows / blockSize * blockSize;
        var data = _base + Header.DataStart + entry.Begin;
        for (long first = 0; first < rows; first += chunkRows)
        {
            int count = (int)Math.Min(chunkRows, rows - first);
            using var stage = empty(count * columns, ScalarType.Float32);
            var floats = MemoryMarshal.Cast<byte, float>(stage.bytes);
            Float8.Dequantize(new ReadOnlySpan<byte>(data + first * columns, checked((int)(count * columns))),
                entry.DType, columns, first, count, scales, blockSize, floats);
            var target = Rows(destination, first, count);
            try
            {
                using var shaped = stage.view(target.shape);
                target.copy_(shaped);
            }
            finally
            {
                if (!ReferenceEquals(target, destination)) target.Dispose();
            }
        }
    }

    /// <summary>Rows <c>[first, first + count)</c> of <paramref name="tensor"/> as a view, or the tensor itself when that is all of it.</summary>
    private static Tensor Rows(Tensor tensor, long first, long count) =>
        tensor.dim() == 0 || (first == 0 && count == tensor.shape[0]) ? tensor : tensor.narrow(0, first, count);

    /// <summary>Splits a tensor's bytes along dimension 0 into chunks of at most <paramref name="maxBytes"/> (one row at least).</summary>
    private static IEnumerable<(long FirstRow, long Rows, long ByteOffset, long ByteLength)> RowChunks(SafeTensorEntry entry, long maxBytes)
    {
        if (entry.Shape.Length == 0)
        {
            yield return (0, 1, 0, entry.ByteLength);
            yield break;
        }
        long rows = entry.Shape[0];
        long rowBytes = entry.ByteLength / rows;
        long chunkRows = Math.Max(1, maxBytes / rowBytes);
        for (long first = 0; first < rows; first += chunkRows)
        {
            long count = Math.Min(chunkRows, rows - first);
            yield return (first, count, first * rowBytes, count * rowBytes);
        }
    }

    /// <summary>Releases the mapping; tensors already read stay valid (they own their memory).</summary>
    public void Dispose()
    {
        if (_base is null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
