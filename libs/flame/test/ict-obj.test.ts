import { describe, expect, it } from 'vitest';
import { ObjParseError, parseObj } from '../src/io/obj.js';

const encode = (text: string) => new TextEncoder().encode(text);

describe('OBJ reader', () => {
  it('reads v/vt/f, triangulates quads as fans, accepts v, v/vt, v//vn, v/vt/vn and negative indices', () => {
    const mesh = parseObj(
      encode(
        [
          '# comment',
          'mtllib x.mtl',
          'v 0 0 0',
          'v 1 0 0',
          'v 1 1 0',
          'v 0 1 0',
          'v 1e-1 -2.5E+0 3',
          'vt 0 0',
          'vt 1 0',
          'vt 1 1',
          'vt 0 1',
          'vt 0.5 0.5',
          'vn 0 0 1',
          'usemtl m',
          'f 1/1/1 2/2/1 3/3/1 4/4/1',
          'f -5/-5 -4/-4 -1/-1',
          '',
        ].join('\r\n'),
      ),
    );
    expect(Array.from(mesh.vertices.subarray(12))).toEqual([0.1, -2.5, 3].map(Math.fround));
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 0, 2, 3, 0, 1, 4]);
    expect(Array.from(mesh.uvFaces ?? [])).toEqual([0, 1, 2, 0, 2, 3, 0, 1, 4]);
    expect(Array.from(mesh.polygonOfTriangle)).toEqual([0, 0, 1]);
    expect(mesh.polygonCount).toBe(2);
    const noUv = parseObj(encode('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1//1 2//1 3//1\n'));
    expect(noUv.uvFaces).toBeUndefined();
    expect(Array.from(parseObj(encode('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n'), { positionsOnly: true }).faces)).toEqual([]);
  });

  it('names the line of a bad record', () => {
    expect(() => parseObj(encode('v 0 0 0\nv 1 0\n'))).toThrow(ObjParseError);
    expect(() => parseObj(encode('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 7\n'))).toThrow(/line 4/);
  });
});
