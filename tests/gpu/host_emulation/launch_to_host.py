# Rewrites every kernel launch `K<<<grid, block, shm, stream>>>(args)` of a .cu file into
# `emu::launch(dim3(grid), K, args)` (include/cuda_runtime.h), so that the file compiles as
# host C++ against the emulated runtime.  Usage: python3 launch_to_host.py in.cu > out.cpp
import sys
src = open(sys.argv[1]).read()
out = []
i = 0
while True:
    j = src.find('<<<', i)
    if j < 0:
        out.append(src[i:]); break
    # kernel name: back from j over identifier and optional <...>
    k = j
    if src[k-1] == '>':
        depth = 0
        while True:
            k -= 1
            if src[k] == '>': depth += 1
            elif src[k] == '<':
                depth -= 1
                if depth == 0: break
    while k > 0 and (src[k-1].isalnum() or src[k-1] == '_'):
        k -= 1
    name = src[k:j]
    e = src.find('>>>', j)
    conf = src[j+3:e]
    # first top-level comma
    depth = 0
    for q, ch in enumerate(conf):
        if ch == '(': depth += 1
        elif ch == ')': depth -= 1
        elif ch == ',' and depth == 0: break
    grid = conf[:q]
    assert src[e+3] == '(', src[e:e+10]
    out.append(src[i:k])
    out.append('emu::launch(dim3(%s), %s, ' % (grid, name))
    i = e + 4
print(''.join(out), end='')
