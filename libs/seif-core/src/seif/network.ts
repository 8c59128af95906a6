/**
 * Public API. The project's SeIF network (models/training, shipped in models/weights) as two onnxruntime sessions:
 * the encoder runs once per photo (image channels -> feature map), the point decoder runs per batch of query points
 * (feature map + points + semantic codes -> occupancy + refined code). The channel encodings are the ones
 * models/training/dataset.py decodes from the training shards, so a photo reaches the encoder exactly as the
 * synthetic renders did.
 */
import { type SeifNetSpec, type SeifWeights, loadSeifWeights } from '@seif/models';
import { SeifError } from '../pipeline/errors.js';
import { OnnxSession, type SessionOptions, ort } from '../runtime/session.js';

/** The encoder's input maps, all size x size (the network's image_size), row-major from the top-left pixel. */
export interface SeifInputMaps {
  /** sRGB bytes, 3 per pixel. */
  rgb: Uint8Array;
  /** FLAME prior normals, (n * 0.5 + 0.5) * 255, 128 off the mesh (render/prior-maps.ts). */
  flameNormal: Uint8Array;
  /** FLAME prior frame Z, 0 off the mesh. */
  flameDepth: Float32Array;
  /** Foreground, 0..255. */
  mask: Uint8Array;
}

export interface FeatureMap {
  tensor: ort.Tensor;
  /** The encoder input's depth plane, for networks whose decoder reads the offset to the prior (config prior_offset). */
  priorDepth?: ort.Tensor;
}

export interface DecodedPoints {
  /** n occupancies in [0, 1]. */
  occupancy: Float32Array;
  /** n x 3 refined semantic codes in [0, 1]. */
  code: Float32Array;
}

/** Channel-first float input [C, S, S] in the spec's channel order. Exported for tests and the parity check. */
export function encodeInputChannels(spec: SeifNetSpec, maps: SeifInputMaps): Float32Array {
  const S = spec.config.image_size;
  const plane = S * S;
  const sizes = { rgb: 3, flame_normal: 3, flame_depth: 1, mask: 1 } as const;
  const C = spec.config.channels.reduce((n, c) => n + sizes[c], 0);
  const out = new Float32Array(C * plane);
  const expect = (name: string, got: number, want: number) => {
    if (got !== want) throw new SeifError('INVALID_ARGUMENT', `SeIF input '${name}' has ${got} values, expected ${want} (${S}x${S}).`);
  };
  let o = 0;
  for (const channel of spec.config.channels) {
    switch (channel) {
      case 'rgb':
        expect('rgb', maps.rgb.length, 3 * plane);
        for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[(o + c) * plane + p] = maps.rgb[3 * p + c]! / 255;
        break;
      case 'flame_normal':
        expect('flameNormal', maps.flameNormal.length, 3 * plane);
        for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[(o + c) * plane + p] = (maps.flameNormal[3 * p + c]! - 127.5) / 127.5;
        break;
      case 'flame_depth':
        expect('flameDepth', maps.flameDepth.length, plane);
        for (let p = 0; p < plane; p++) out[o * plane + p] = 2 * maps.flameDepth[p]!;
        break;
      case 'mask':
        expect('mask', maps.mask.length, plane);
        for (let p = 0; p < plane; p++) out[o * plane + p] = maps.mask[p]! / 255;
        break;
    }
    o += sizes[channel];
  }
  return out;
}

export class SeifNetwork {
  private constructor(
    readonly weights: SeifWeights,
    readonly encoder: OnnxSession,
    readonly decoder: OnnxSession,
  ) {}

  /** Loads the shipped weights (default `seif-lite`, hash-checked) or a given weights directory's. */
  static async load(weights: SeifWeights | string = loadSeifWeights(), session: SessionOptions = {}): Promise<SeifNetwork> {
    const w = typeof weights === 'string' ? loadSeifWeights(weights) : weights;
    const [encoder, decoder] = await Promise.all([
      OnnxSession.create(`${w.entry.id}/encoder`, w.encoderPath, session),
      OnnxSession.create(`${w.entry.id}/decoder`, w.decoderPath, session),
    ]);
    return new SeifNetwork(w, encoder, decoder);
  }

  get spec(): SeifNetSpec {
    return this.weights.spec;
  }

  get imageSize(): number {
    return this.spec.config.image_size;
  }

  /** Occupancy level at which the surface lies: calibrated per weights (seif-net.json surface_level), else 0.5. */
  get surfaceLevel(): number {
    return this.spec.surface_level ?? 0.5;
  }

  async encode(maps: SeifInputMaps): Promise<FeatureMap> {
    const S = this.imageSize;
    const input = encodeInputChannels(this.spec, maps);
    const out = await this.encoder.run({ image: new ort.Tensor('float32', input, [1, input.length / (S * S), S, S]) });
    return { tensor: out.feature!, ...(out.prior_depth ? { priorDepth: out.prior_depth } : {}) };
  }

  /** points and codes: n x 3 each (SeIF frame; semantic field). One decoder call; batch outside. */
  async decode(feature: FeatureMap, points: Float32Array, codes: Float32Array): Promise<DecodedPoints> {
    const n = points.length / 3;
    if (codes.length !== points.length) throw new SeifError('INVALID_ARGUMENT', `SeIF decode: ${n} points but ${codes.length / 3} codes.`);
    const feeds: Record<string, ort.Tensor> = {
      feature: feature.tensor,
      points: new ort.Tensor('float32', points, [1, n, 3]),
      codes: new ort.Tensor('float32', codes, [1, n, 3]),
    };
    if (this.decoder.inputNames.includes('prior_depth')) {
      if (!feature.priorDepth) throw new SeifError('INVALID_ARGUMENT', `SeIF decode: ${this.weights.entry.id}'s decoder reads the prior depth, but the feature map has none (encoded by other weights?).`);
      feeds.prior_depth = feature.priorDepth;
    }
    const out = await this.decoder.run(feeds);
    return { occupancy: out.occupancy!.data as Float32Array, code: out.code!.data as Float32Array };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.encoder.dispose(), this.decoder.dispose()]);
  }
}
