using static TorchSharp.torch;
var a = randn(512, 512); var c = a.matmul(a);
Console.WriteLine($"ok {c.shape[0]} {cuda.is_available()}");
