using System.Threading.Channels;

namespace Immutable.Web.Exports;

/// <summary>Export ids waiting for a worker, in the order they were asked for. The rows are the truth; this only wakes the worker.</summary>
public sealed class ExportQueue
{
    private readonly Channel<string> _ids = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false });

    public void Enqueue(string exportId) => _ids.Writer.TryWrite(exportId);

    public ChannelReader<string> Reader => _ids.Reader;
}
