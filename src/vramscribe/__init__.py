"""vramscribe: speaker-attributed transcripts with measured GPU memory hygiene."""

from .threads import one_heap, share_cores

share_cores()  # before torch or CTranslate2 is imported: their thread pools read it once, at start
one_heap()  # before their threads first allocate

__version__ = "0.1.0"
__all__ = ["GPUTranscriptionPipeline", "__version__"]


def __getattr__(name: str):
    """Import the pipeline (torch and friends) only when it is asked for."""
    if name == "GPUTranscriptionPipeline":
        from .pipeline import GPUTranscriptionPipeline

        return GPUTranscriptionPipeline
    raise AttributeError(name)
