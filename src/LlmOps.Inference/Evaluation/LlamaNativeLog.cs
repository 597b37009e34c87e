using LLama.Native;

namespace LlmOps.Inference.Evaluation;

/// <summary>llama.cpp logs every model load and context at length; a command line wants only its errors.</summary>
public static class LlamaNativeLog
{
    /// <summary>Routes llama.cpp's log to stderr, errors only. Must run before the native library loads; later it changes nothing.</summary>
    public static void ErrorsOnly()
    {
        try
        {
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (level == LLamaLogLevel.Error) Console.Error.Write(message);
            });
        }
        catch (InvalidOperationException)
        {
            // Already loaded (a second command in one process): keep the callback it has.
        }
    }
}
