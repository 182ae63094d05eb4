"""image_basic_inputs.py - the integer hash used by the image oracles (test/oracles/image_*.py)
and recomputed bit for bit by test/image/image_testutil.h (img_hash01)."""
import numpy as np

M32 = np.uint64(0xFFFFFFFF)


def hash01(n, seed):
    x = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(seed)) & M32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(2246822519)) & M32
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(3266489917)) & M32
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 4294967296.0
