"""Test-only leak injection, loaded by putting this folder on PYTHONPATH.

Keeps a hidden reference to every Whisper model and makes its unload a no-op, as CTranslate2's
`unload_model()` silently is while batches are still active: the model's memory must then be
reported as a leak.
"""

import vramscribe.transcribe as transcribe

HIDDEN = []
_load = transcribe.load_whisper


def _leaky_load(*args, **kwargs):
    model = _load(*args, **kwargs)
    HIDDEN.append(model)
    return model


transcribe.load_whisper = _leaky_load
transcribe.unload_whisper = lambda model: None
