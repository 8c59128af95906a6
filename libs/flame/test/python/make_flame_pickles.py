"""Builds FLAME-structured pickles from the open data for the loader tests (run with Debian's /usr/bin/python3:
python3-numpy, python3-scipy). Usage: make_flame_pickles.py <flame_basis.npz> <joint_regressor.npz> <out_dir>

- flame2020_like.pkl: protocol 2, like generic_model.pkl: chumpy.ch.Ch arrays (a stub module with the real class
  path), scipy.sparse.csc_matrix regressor, uint32 faces, kintree_table with uint32(-1) root parent.
- flame2023_like.pkl: protocol 4, plain numpy arrays (FLAME 2023 / 2023 Open style), dense regressor.
- expected.npz: the arrays the loader must recover exactly.
"""
import os
import pickle
import sys
import types

import numpy as np
import scipy.sparse

basis_path, regressor_path, out = sys.argv[1:4]

# A stub chumpy so pickles carry class chumpy.ch.Ch as the real FLAME 2020 file does.
chumpy = types.ModuleType('chumpy')
ch = types.ModuleType('chumpy.ch')


class Ch(object):
    def __init__(self, x):
        self.x = x
        self._dirty_vars = set()


Ch.__module__ = 'chumpy.ch'
ch.Ch = Ch
chumpy.ch = ch
sys.modules['chumpy'] = chumpy
sys.modules['chumpy.ch'] = ch

basis = np.load(basis_path)
n = basis['v_template'].shape[0]
rng = np.random.default_rng(7)
v_template = basis['v_template'].astype(np.float64)
faces = basis['faces'].astype(np.uint32)
identity = basis['shapedirs'][:, :, :12].astype(np.float64)
expression = rng.normal(0, 1e-3, size=(n, 3, 5))
shapedirs = np.concatenate([identity, expression], axis=2)
posedirs = rng.normal(0, 1e-4, size=(n, 3, 36))
regressor = np.load(regressor_path)['joint_regressor']
weights = rng.random((n, 5))
weights /= weights.sum(axis=1, keepdims=True)
kintree = np.array([[4294967295, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64)

flame2020 = {
    'v_template': Ch(v_template),
    'f': faces,
    'shapedirs': Ch(shapedirs),
    'posedirs': posedirs,
    'J_regressor': scipy.sparse.csc_matrix(regressor),
    'weights': Ch(weights),
    'kintree_table': kintree,
    'J': Ch(regressor @ v_template),
    'bs_style': 'lbs',
    'bs_type': 'lrotmin',
}
with open(os.path.join(out, 'flame2020_like.pkl'), 'wb') as fh:
    pickle.dump(flame2020, fh, protocol=2)

flame2023 = {
    'v_template': v_template.astype(np.float32),
    'f': faces.astype(np.int64),
    'shapedirs': shapedirs.astype(np.float32),
    'posedirs': posedirs.astype(np.float32),
    'J_regressor': regressor.astype(np.float32),
    'weights': weights.astype(np.float32),
    'kintree_table': kintree,
}
with open(os.path.join(out, 'flame2023_like.pkl'), 'wb') as fh:
    pickle.dump(flame2023, fh, protocol=4)

np.savez(os.path.join(out, 'expected.npz'), v_template=v_template, faces=faces, shapedirs=shapedirs,
         posedirs=posedirs, regressor=regressor, weights=weights)
