import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '@seif/models';
import { FlameError } from '../src/errors.js';
import { toFloat32 } from '../src/io/ndarray.js';
import { npyItem, parseNpy, parseNpz } from '../src/io/npy.js';
import { PickledObject, unpickle } from '../src/io/pickle.js';

const read = async (id: string) => new Uint8Array(readFileSync(await assetPath(id)));

describe('npy / npz', () => {
  it('reads flame_basis.npz (float32, int32, 3-d arrays)', async () => {
    const npz = parseNpz(await read('flame2023-open-basis'));
    expect(npz.get('v_template')?.shape).toEqual([5023, 3]);
    expect(npz.get('shapedirs')?.shape).toEqual([5023, 3, 60]);
    expect(npz.get('faces')?.shape).toEqual([9976, 3]);
    expect(npz.get('lmk_face_idx')?.shape).toEqual([105]);
  });
  it('reads an object .npy holding a Python-2 pickle (RingNet dynamic contour)', async () => {
    const dict = npyItem(parseNpy(await read('ringnet-flame-dynamic-embedding'))) as Map<string, unknown[]>;
    expect(dict.get('lmk_face_idx')).toHaveLength(79);
  });
  it('reads float64 .npy', async () => {
    const eyelid = parseNpy(await read('smirk-l-eyelid'));
    expect(eyelid.shape).toEqual([5023, 3]);
    expect(eyelid.data).toBeInstanceOf(Float64Array);
  });
  it('rejects corrupt files with typed errors naming the problem', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]))).toThrow(/bad magic/);
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (10, 3), }\n";
    const header = Uint8Array.from([0x93, ...Buffer.from('NUMPY'), 1, 0, dict.length, 0, ...Buffer.from(dict)]);
    const truncated = new Uint8Array(header.length + 16);
    truncated.set(header);
    expect(() => parseNpy(truncated)).toThrow(FlameError);
    expect(() => parseNpy(truncated)).toThrow(/needs 240 bytes/);
    expect(() => parseNpz(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]))).toThrow(/zip/);
  });
});

describe('pickle', () => {
  it('reads protocol-0 pickles with numpy arrays (RingNet static embedding, SMIRK masks)', async () => {
    const embedding = unpickle(await read('ringnet-flame-static-embedding')) as Map<string, unknown>;
    const bary = toFloat32(embedding.get('lmk_b_coords') as never);
    expect(bary).toHaveLength(51 * 3);
    const masks = unpickle(await read('smirk-flame-masks')) as Map<string, { shape: number[] }>;
    expect(masks.get('left_eyeball')?.shape).toEqual([546]);
  });
  it('reads basic protocol-2 values', () => {
    // pickle.dumps({'a': [1, 2.5, None, True], 'b': (u'x', -3)}, protocol=2)
    const bytes = Uint8Array.from(Buffer.from('80027d71002858010000006171015d7102284b014740040000000000004e8865580100000062710358010000007871044afdffffff867105752e', 'hex'));
    const value = unpickle(bytes) as Map<string, unknown>;
    expect(value.get('a')).toEqual([1, 2.5, null, true]);
    expect(value.get('b')).toEqual(['x', -3]);
  });
  it('keeps unknown classes inert and reports bad input', () => {
    // pickle of an instance of an unknown class: c__main__\nFoo\n)\x81}b.
    const bytes = Uint8Array.from([0x80, 2, ...new TextEncoder().encode('c__main__\nFoo\n'), 0x29, 0x81, 0x7d, 0x62, 0x2e]);
    const value = unpickle(bytes);
    expect(value).toBeInstanceOf(PickledObject);
    expect((value as PickledObject).className).toBe('__main__.Foo');
    expect(() => unpickle(Uint8Array.from([0x80, 2, 0x5d]))).toThrow(/no STOP|truncated/);
    expect(() => unpickle(Uint8Array.from([0xff]))).toThrow(/unknown opcode 0xff/);
    expect(() => unpickle(Uint8Array.from([0x80, 9]))).toThrow(/protocol 9/);
  });
});
