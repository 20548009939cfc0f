using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Storage;

public sealed class FolderStoreContractTests : StoreContractTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-contract", Guid.NewGuid().ToString("N"));

    protected override IArtifactStore NewStore(int listPageSize = 5000, bool smallBlocks = false) => new FolderStore(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

[Collection(Azurite.CollectionName)]
public sealed class AzuriteStoreContractTests(Azurite azurite) : StoreContractTests
{
    private readonly string _container = Azurite.NewContainerName();

    protected override IArtifactStore NewStore(int listPageSize = 5000, bool smallBlocks = false)
    {
        var options = azurite.Options(_container);
        if (smallBlocks)
        {
            options.BlockBytes = SmallBlock;
            options.SingleUploadMaxBytes = SmallBlock;
            options.UploadParallelism = 3;
        }

        return azurite.NewStore(listPageSize: listPageSize, options: options);
    }
}
