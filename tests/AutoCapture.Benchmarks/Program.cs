using AutoCapture.Benchmarks;
using AutoCapture.Core.Storage;

// Usage: dotnet run -c Release --project tests/AutoCapture.Benchmarks -- blob-upload [size MiB] [rounds] [block MiB] [parallelism]
return args.FirstOrDefault() switch
{
    "blob-upload" => await BlobUploadBenchmark.RunAsync(
        args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1024,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : new StoreOptions().BlockBytes / 1024 / 1024,
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : new StoreOptions().UploadParallelism),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: AutoCapture.Benchmarks blob-upload [size MiB (1024)] [rounds (2)] [block MiB (8)] [parallelism (4)]");
    return 2;
}
