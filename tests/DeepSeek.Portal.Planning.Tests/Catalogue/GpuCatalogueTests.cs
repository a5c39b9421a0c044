using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Tests.Catalogue;

public class GpuCatalogueTests
{
    [Fact]
    public void Catalogue_has_the_nine_devices_of_the_reference()
    {
        Assert.Equal(["a100-40", "a100-80", "h100-sxm", "h200", "h20", "l40s", "rtx-4090", "jetson-agx-orin-64", "ascend-910b"],
            GpuCatalogue.All.Select(g => g.Id));
        Assert.All(GpuCatalogue.All, g => Assert.False(string.IsNullOrWhiteSpace(g.Source)));
    }

    [Theory]
    [InlineData("a100-40", 40, 1555, false)]
    [InlineData("a100-80", 80, 2039, false)]
    [InlineData("h100-sxm", 80, 3350, true)]
    [InlineData("h200", 141, 4800, true)]
    [InlineData("h20", 96, 4000, true)]
    [InlineData("l40s", 48, 864, true)]
    [InlineData("rtx-4090", 24, 1008, true)]
    [InlineData("jetson-agx-orin-64", 64, 204.8, false)]
    [InlineData("ascend-910b", 64, 1600, false)]
    public void Figures_are_the_referenced_ones(string id, double memory, double bandwidth, bool fp8)
    {
        var g = GpuCatalogue.Find(id)!;
        Assert.Equal(memory, g.MemoryGB);
        Assert.Equal(bandwidth, g.BandwidthGBps);
        Assert.Equal(fp8, g.Fp8);
    }

    [Fact]
    public void Only_the_H20_and_the_Ascend_are_marked_uncertain()
    {
        Assert.Equal(["h20", "ascend-910b"], GpuCatalogue.All.Where(g => g.Uncertain.Count > 0).Select(g => g.Id));
        Assert.Contains("BandwidthGBps", GpuCatalogue.Find("ascend-910b")!.Uncertain);
        Assert.Contains("1.6 TB/s taken", GpuCatalogue.Find("ascend-910b")!.Source);
        Assert.Equal(1, GpuCatalogue.Find("jetson-agx-orin-64")!.GpusPerNode);
    }
}
