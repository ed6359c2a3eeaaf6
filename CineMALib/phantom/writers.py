def write_phantom(*a, **k): raise NotImplementedError
