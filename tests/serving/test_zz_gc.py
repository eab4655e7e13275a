import gc, time
def test_gc(client):
    print("objects tracked", len(gc.get_objects()))
    for _ in range(3):
        t = time.perf_counter(); gc.collect(); print("full gc ms", (time.perf_counter() - t) * 1000)
    gc.freeze()
    t = time.perf_counter(); gc.collect(); print("after freeze ms", (time.perf_counter() - t) * 1000)
    gc.unfreeze()
