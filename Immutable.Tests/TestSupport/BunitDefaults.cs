using System.Runtime.CompilerServices;
using Bunit;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// bUnit's waits (WaitForAssertion, WaitForElement) give up after 1 s by default. A component's first query can take
/// longer on a loaded CI machine (the PostgreSQL suite's run saw an observation page still loading after 1 s), so every
/// wait in the test assembly allows 10 s. A wait ends as soon as its assertion holds: passing tests are not slower.
/// </summary>
internal static class BunitDefaults
{
    [ModuleInitializer]
    internal static void Initialize() => BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(10);
}
